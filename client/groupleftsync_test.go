package client

import (
	"slices"
	"testing"
)

// TestGroupLeftOnAnotherDeviceIsDropped: a group left on one device of
// the account, or an invitation declined there, goes from the account's
// other devices too (it leaves the merged UserGroups list), with its
// conversation; the groups still listed stay, and so does a group the
// device itself created.
func TestGroupLeftOnAnotherDeviceIsDropped(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, carol := account(t, "Alice"), account(t, "Bob"), account(t, "Carol")
	alice2 := otherDevice(t, alice, "Alice")
	left := contactGroup(t, bob, "Left", alice)
	stays := contactGroup(t, bob, "Stays", alice)
	// Carol is a stranger: her group is an invitation (a request).
	declined, err := carol.CreateGroup(ctx, "Declined", alice.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	has := func(c *Client, gid string) bool { return c.IsGroup(ctx, gid) }
	for _, d := range []*Client{alice, alice2} {
		pollUntil(t, d, "the three groups", func() bool { return has(d, left) && has(d, stays) && has(d, declined) })
	}
	own, err := alice2.CreateGroup(ctx, "Own", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	// Both devices merge a list that holds every group.
	settle(t, alice, alice2)
	if err := alice.LeaveGroup(ctx, left); err != nil {
		t.Fatal(err)
	}
	if err := alice.Decline(ctx, declined); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, alice2, "the left and the declined group dropped", func() bool {
		return !has(alice2, left) && !has(alice2, declined)
	})
	if !has(alice2, stays) || !has(alice2, own) {
		t.Fatalf("device 2 dropped a group still listed: stays %v, own %v", has(alice2, stays), has(alice2, own))
	}
	inbox, err := alice2.Inbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range inbox {
		if cv.SessionID == left || cv.SessionID == declined {
			t.Fatalf("device 2 still shows the conversation of %s", cv.Name)
		}
	}
	gs, _ := alice2.Groups(ctx)
	if ids := groupIDsOf(gs); len(ids) != 2 || !slices.Contains(ids, stays) || !slices.Contains(ids, own) {
		t.Fatalf("device 2's groups: %v", ids)
	}
	// And the device that left keeps its state after merging.
	settle(t, alice)
	if has(alice, left) || has(alice, declined) || !has(alice, stays) || !has(alice, own) {
		t.Fatal("device 1's groups after the merge")
	}
}

func groupIDsOf(gs []Group) []string {
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.ID)
	}
	return ids
}
