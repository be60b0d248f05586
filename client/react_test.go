package client

import (
	"errors"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/protocol"
)

// reactionsOf returns the reactions on c's message id.
func reactionsOf(t *testing.T, c *Client, id int64) []Reaction {
	t.Helper()
	m, err := c.Message(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Reactions
}

// waitReactions polls c until its message id has n reactions.
func waitReactions(t *testing.T, c *Client, id int64, n int) []Reaction {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if rs := reactionsOf(t, c, id); len(rs) == n {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d: reactions %+v, want %d", id, reactionsOf(t, c, id), n)
		}
		c.Receive(t.Context())
	}
}

// TestReactRoundTrip reacts to Bob's message from Alice and checks the
// reaction on the wire (Session's DataMessage.reaction), at Bob, and on
// Alice's second device; then removes it everywhere.
func TestReactRoundTrip(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, alice2 := aliceBobAndSecondDevice(t)
	orig, err := bob.Send(ctx, alice.SessionID(), "lunch?")
	if err != nil {
		t.Fatal(err)
	}
	at := receiveUntil(t, alice, "Bob's message", func(ms []Message) bool { return len(ms) == 1 })[0]
	at2 := receiveUntil(t, alice2, "Bob's message on the second device", func(ms []Message) bool { return len(ms) == 1 })[0]

	if err := alice.React(ctx, at.ID, "👍", false); err != nil {
		t.Fatal(err)
	}
	if rs := reactionsOf(t, alice, at.ID); len(rs) != 1 || rs[0] != (Reaction{"👍", alice.SessionID()}) {
		t.Fatalf("Alice's reactions: %+v", rs)
	}
	if rs := waitReactions(t, bob, orig.ID, 1); rs[0] != (Reaction{"👍", alice.SessionID()}) {
		t.Fatalf("Bob's reactions: %+v", rs)
	}
	if rs := waitReactions(t, alice2, at2.ID, 1); rs[0] != (Reaction{"👍", alice.SessionID()}) {
		t.Fatalf("second device's reactions: %+v", rs)
	}
	var wire bool
	for _, rm := range swarmMessages(t, bob) {
		dm, err := protocol.DecodeMessage(bob.id, rm.Data)
		if err != nil {
			continue
		}
		if r := dm.Content.GetDataMessage().GetReaction(); r != nil {
			wire = r.GetId() == uint64(orig.SentAt.UnixMilli()) && r.GetAuthor() == bob.SessionID() &&
				r.GetEmoji() == "👍" && r.GetAction() == signalpb.DataMessage_Reaction_REACT &&
				dm.Content.GetDataMessage().GetBody() == ""
		}
	}
	if !wire {
		t.Fatal("no reaction in Session's format in Bob's swarm")
	}

	if err := alice.React(ctx, at.ID, "👍", true); err != nil {
		t.Fatal(err)
	}
	waitReactions(t, bob, orig.ID, 0)
	waitReactions(t, alice2, at2.ID, 0)
	if err := alice.React(ctx, at.ID, "", false); !errors.Is(err, ErrInvalidReaction) {
		t.Fatalf("empty emoji: %v", err)
	}
	if err := alice.React(ctx, at.ID, "a\u202eb", false); !errors.Is(err, ErrInvalidReaction) {
		t.Fatalf("emoji with a bidi control: %v", err)
	}
}
