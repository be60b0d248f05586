package client

import (
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
)

// waitGroup polls c until its group gid satisfies cond.
func waitGroup(t *testing.T, c *Client, gid, what string, cond func(Group, bool) bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		c.Receive(t.Context())
		gs, _ := c.Groups(t.Context())
		var g Group
		found := false
		for _, x := range gs {
			if x.ID == gid {
				g, found = x, true
			}
		}
		if cond(g, found) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: groups %+v", what, gs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestGroupDeclineIsNotUndoneByAMerge: a decline that comes between a
// UserGroups merge and its apply (the invitation's own config push coming
// back in the next poll) stays declined; so does a group forgotten here
// whose erase from the synced list a merge overtakes. The tombstone goes
// once the config the swarm holds no longer lists the group.
func TestGroupDeclineIsNotUndoneByAMerge(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	gid, err := alice.CreateGroup(ctx, "Declined", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	gid2, err := alice.CreateGroup(ctx, "Left", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	waitGroup(t, bob, gid, "the invitation", func(g Group, ok bool) bool { return ok && g.Invited })
	waitGroup(t, bob, gid2, "the second invitation", func(g Group, ok bool) bool { return ok && g.Invited })
	listed := func(gid string) bool {
		id, _ := keys.ParseID(gid)
		bob.cfg.mu.Lock()
		defer bob.cfg.mu.Unlock()
		_, ok := bob.cfg.groups.Group(id)
		return ok
	}
	has := func(gid string) bool {
		gs, _ := bob.Groups(ctx)
		for _, g := range gs {
			if g.ID == gid {
				return true
			}
		}
		return false
	}
	merge := func() func() error {
		bob.cfg.mu.Lock()
		defer bob.cfg.mu.Unlock()
		return bob.applyConfig(ctx, storagerpc.NamespaceUserGroups)
	}

	// A merge has read the list (with the invitation) and not applied it
	// yet when the user declines.
	if !listed(gid) {
		t.Fatal("the invitation is not in the UserGroups config")
	}
	apply := merge()
	if err := bob.Decline(ctx, gid); err != nil {
		t.Fatal(err)
	}
	if err := apply(); err != nil {
		t.Fatal(err)
	}
	if has(gid) {
		t.Fatal("the merge put the declined invitation back")
	}
	if reqs, _ := bob.Requests(ctx); len(reqs) != 1 || reqs[0].SessionID != gid2 {
		t.Fatalf("requests after the decline: %+v", reqs)
	}

	// The second group is forgotten here (the local half of a decline)
	// and a merge comes before its erase from the synced list: the group
	// stays forgotten, and the merge's config drops it.
	if _, err := bob.leaveGroup(ctx, gid2); err != nil {
		t.Fatal(err)
	}
	if err := merge()(); err != nil {
		t.Fatal(err)
	}
	if has(gid2) {
		t.Fatal("a merge put a group left back")
	}
	if listed(gid2) {
		t.Fatal("the group left stays in the synced list")
	}

	// The erase is pushed and comes back in a poll: the tombstone goes.
	deadline := time.Now().Add(90 * time.Second)
	for {
		bob.Receive(ctx)
		bob.groupMu.Lock()
		left, err := bob.leftGroups(ctx)
		bob.groupMu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tombstones stay: %v", left)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if gs, _ := bob.Groups(ctx); len(gs) != 0 {
		t.Fatalf("groups once the leaves are synced: %+v", gs)
	}
	if listed(gid) || listed(gid2) {
		t.Fatal("the synced list still has a group left")
	}
}
