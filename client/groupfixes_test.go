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

// memberStatus returns each member's status as c reads the Members config.
func memberStatus(t *testing.T, c *Client, gid string) map[string]GroupMember {
	t.Helper()
	ms, err := c.GroupMembers(t.Context(), gid)
	if err != nil {
		t.Logf("members: %v", err)
	}
	out := map[string]GroupMember{}
	for _, m := range ms {
		out[m.SessionID] = m
	}
	return out
}

// TestGroupMemberStatusFollowsAcceptance: an invitee who joins (at once,
// from an approved contact, or by accepting a request) tells the group;
// the admin then records the member as accepted in the Members config, so
// that every member reads the status and the name the invitee gave. A
// promoted member records its own promotion as accepted.
func TestGroupMemberStatusFollowsAcceptance(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, carol := account(t, "Alice"), account(t, "Bob"), account(t, "Carol")
	if _, err := bob.Send(ctx, alice.SessionID(), "hi"); err != nil {
		t.Fatal(err)
	}
	gid, err := alice.CreateGroup(ctx, "Status", bob.SessionID(), carol.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	st := memberStatus(t, alice, gid)
	if st[bob.SessionID()].Status != "invite_sent" || st[carol.SessionID()].Status != "invite_sent" || st[alice.SessionID()].Status != "promotion_accepted" {
		t.Fatalf("statuses after creating: %+v", st)
	}
	joinGroup(t, bob, gid) // an approved contact's invitation: joined at once
	waitGroup(t, carol, gid, "Carol's invitation", func(g Group, ok bool) bool { return ok && g.Invited })
	if err := carol.AcceptGroup(ctx, gid); err != nil {
		t.Fatal(err)
	}
	// Neither writes in the group: only their invite responses tell.
	deadline := time.Now().Add(90 * time.Second)
	for {
		bob.Receive(ctx)
		carol.Receive(ctx)
		alice.Receive(ctx)
		st = memberStatus(t, alice, gid)
		if st[bob.SessionID()].Status == "invite_accepted" && st[carol.SessionID()].Status == "invite_accepted" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the admin never recorded the acceptances: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st[carol.SessionID()].Name != "Carol" || st[bob.SessionID()].Name != "Bob" {
		t.Errorf("the names the invitees gave are not in Members: %+v", st)
	}
	if st := memberStatus(t, bob, gid); st[carol.SessionID()].Status != "invite_accepted" {
		t.Errorf("a member reads Carol as %q", st[carol.SessionID()].Status)
	}

	if err := alice.PromoteGroupMember(ctx, gid, bob.SessionID()); err != nil {
		t.Fatal(err)
	}
	if st := memberStatus(t, alice, gid); st[bob.SessionID()].Status != "promotion_sent" {
		t.Fatalf("Bob after the promotion was sent: %+v", st[bob.SessionID()])
	}
	deadline = time.Now().Add(90 * time.Second)
	for {
		bob.Receive(ctx)
		st = memberStatus(t, alice, gid)
		if st[bob.SessionID()].Status == "promotion_accepted" && st[bob.SessionID()].Admin {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the promotion was never recorded as accepted: %+v", st[bob.SessionID()])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestGroupMessageFromAnInvitedMemberIsAnAcceptance: a member the Members
// config still lists as invited (its invite response lost, or a client
// that sends none) is recorded as accepted once it writes in the group, as
// Session desktop does.
func TestGroupMessageFromAnInvitedMemberIsAnAcceptance(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	if _, err := bob.Send(ctx, alice.SessionID(), "hi"); err != nil {
		t.Fatal(err)
	}
	gid, err := alice.CreateGroup(ctx, "Quiet", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	joinGroup(t, bob, gid)
	deadline := time.Now().Add(90 * time.Second)
	for memberStatus(t, alice, gid)[bob.SessionID()].Status != "invite_accepted" {
		alice.Receive(ctx)
		if time.Now().After(deadline) {
			t.Fatal("Bob's invite response never recorded")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// As if his response had been lost: Alice's config lists him as
	// invited again, and only his message can tell.
	alice.groupMu.Lock()
	g, err := alice.joinedGroup(ctx, gid)
	if err == nil {
		err = alice.syncGroup(ctx, g)
	}
	if err == nil {
		m, _ := g.members.Get(bob.id.SessionID())
		m.Invite = 1 // config.GroupStatusSent
		if err = g.members.Set(m); err == nil {
			err = alice.pushGroup(ctx, g, nil)
		}
	}
	alice.groupMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if st := memberStatus(t, alice, gid); st[bob.SessionID()].Status != "invite_sent" {
		t.Fatalf("Bob before he writes: %+v", st[bob.SessionID()])
	}
	if _, err := bob.SendGroup(ctx, gid, "hello"); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(90 * time.Second)
	for {
		alice.Receive(ctx)
		st := memberStatus(t, alice, gid)
		if st[bob.SessionID()].Status == "invite_accepted" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Bob's message did not record him as joined: %+v", st[bob.SessionID()])
		}
		time.Sleep(200 * time.Millisecond)
	}
}
