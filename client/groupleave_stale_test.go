package client

import (
	"slices"
	"testing"
	"time"
)

// TestStaleLeaveDoesNotRemoveAgain: Carol leaves a group, the admin
// removes her, then invites her again and she rejoins. A device of the
// admin restored afterwards reads the group's history, her old member-left
// message included: it must not remove her a second time (the admin's
// signed "removed" notice that followed the leave shows it was dealt
// with).
func TestStaleLeaveDoesNotRemoveAgain(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	opts := Options{Home: t.TempDir(), Network: testNet.NetworkFile, PollWait: time.Second}
	alice, words, err := Create(ctx, opts, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob, carol := account(t, "Bob"), account(t, "Carol")
	gid := contactGroup(t, alice, "Comeback", bob, carol)
	joinGroup(t, bob, gid)
	joinGroup(t, carol, gid)
	if err := carol.LeaveGroup(ctx, gid); err != nil {
		t.Fatal(err)
	}
	isMember := func(c *Client) bool {
		mem, _ := c.GroupMembers(ctx, gid)
		return slices.ContainsFunc(mem, func(m GroupMember) bool { return m.SessionID == carol.SessionID() })
	}
	deadline := time.Now().Add(60 * time.Second)
	for isMember(alice) {
		if time.Now().After(deadline) {
			t.Fatal("the admin never removed the leaver")
		}
		alice.Receive(ctx)
		time.Sleep(200 * time.Millisecond)
	}
	if err := alice.AddGroupMembers(ctx, gid, carol.SessionID()); err != nil {
		t.Fatal(err)
	}
	joinGroup(t, carol, gid)
	if !isMember(alice) {
		t.Fatal("Carol is not a member again")
	}

	opts2 := opts
	opts2.Home = t.TempDir()
	alice2, err := Restore(ctx, opts2, words, "")
	if err != nil {
		t.Fatal(err)
	}
	defer alice2.Close()
	for i := 0; i < 3; i++ {
		alice2.Receive(ctx)
	}
	if gs, _ := alice2.Groups(ctx); len(gs) != 1 || !gs[0].Admin {
		t.Fatalf("the restored device's groups: %+v", gs)
	}
	if !isMember(alice2) {
		t.Fatal("the restored admin device removed Carol again for her old member-left message")
	}
	alice.Receive(ctx)
	if !isMember(alice) {
		t.Fatal("Carol was removed again")
	}
}
