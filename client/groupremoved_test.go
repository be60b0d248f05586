package client

import (
	"testing"
)

// TestGroupRemovalNeedsASecondNode: one node of a group's swarm refusing
// a member's token (as a hostile node can, with a 401 for everything) does
// not make the member's client take itself for removed and stop polling
// the group: another member of the swarm is asked, and it accepts the
// token. Once the admin really removes the member, the other members
// refuse the token too and the removal is confirmed.
func TestGroupRemovalNeedsASecondNode(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	if _, err := bob.Send(ctx, alice.SessionID(), "hi"); err != nil {
		t.Fatal(err)
	}
	gid, err := alice.CreateGroup(ctx, "Witnesses", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	joinGroup(t, bob, gid)
	g, err := bob.loadGroup(ctx, gid)
	if err != nil {
		t.Fatal(err)
	}
	net, err := bob.network()
	if err != nil {
		t.Fatal(err)
	}
	swarm, err := net.Swarm(ctx, g.id)
	if err != nil || len(swarm) < 2 {
		t.Fatalf("the group's swarm: %d members, %v", len(swarm), err)
	}
	liar := swarm[0].Ed25519
	if ok, err := bob.removalConfirmed(ctx, g, liar); ok || err != nil {
		t.Fatalf("one node's refusal was confirmed (%v, %v) while the others accept the token", ok, err)
	}
	if err := bob.removalCheck(ctx, g.id, g, liar); err == nil {
		t.Fatal("a refusal nobody confirmed passed the poll")
	}
	if gs, _ := bob.Groups(ctx); len(gs) != 1 || gs[0].Removed {
		t.Fatalf("after one node's refusal: %+v", gs)
	}
	if err := alice.RemoveGroupMember(ctx, gid, bob.SessionID()); err != nil {
		t.Fatal(err)
	}
	if ok, err := bob.removalConfirmed(ctx, g, liar); !ok || err != nil {
		t.Fatalf("a real removal was not confirmed: %v, %v", ok, err)
	}
	bob.Receive(ctx)
	if gs, _ := bob.Groups(ctx); len(gs) != 1 || !gs[0].Removed {
		t.Fatalf("after the admin removed bob: %+v", gs)
	}
}
