package client

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// swarmMessages lists what c's swarm holds in namespace 0.
func swarmMessages(t *testing.T, c *Client) []storagerpc.RetrievedMessage {
	t.Helper()
	net, err := c.network()
	if err != nil {
		t.Fatal(err)
	}
	status, body, err := net.SwarmRPC(t.Context(), c.id.SessionID(), func(now time.Time) (string, any, error) {
		r := &storagerpc.Retrieve{Timestamp: now.UnixMilli()}
		storagerpc.Sign(r, c.id)
		return storagerpc.MethodRetrieve, r, nil
	})
	if err != nil || status != 200 {
		t.Fatalf("retrieve: %d %v", status, err)
	}
	var resp storagerpc.RetrieveResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Messages
}

// TestDeleteForEveryone deletes a sent message for everyone and checks the
// UnsendRequest on the wire (Session's format, to the peer and to this
// account's swarm), the sync copy gone from this account's swarm, and the
// message deleted on both of the author's devices and out of search.
func TestDeleteForEveryone(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	words, err := alice.RecoveryPassword()
	if err != nil {
		t.Fatal(err)
	}
	alice2 := device(t, words, "Alice")
	sent, err := alice.Send(ctx, bob.SessionID(), "oops wrongword")
	if err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, alice2, "the sync copy", func(ms []Message) bool { return len(ms) == 1 })
	receiveUntil(t, bob, "the message", func(ms []Message) bool { return len(ms) == 1 })
	m, err := alice.db.Message(ctx, sent.ID)
	if err != nil || m.OwnHash == "" {
		t.Fatalf("sent message has no own-swarm hash: %+v, %v", m, err)
	}

	if err := alice.Delete(ctx, sent.ID, true); err != nil {
		t.Fatal(err)
	}
	got, err := alice.Message(ctx, sent.ID)
	if err != nil || !got.Deleted || got.Body != "" {
		t.Fatalf("after delete for everyone: %+v, %v", got, err)
	}
	if found, _ := alice.Search(ctx, "wrongword", "", 10); len(found) != 0 {
		t.Fatalf("a deleted message is still found: %+v", found)
	}

	// On the wire: an UnsendRequest naming the message, in Bob's swarm.
	var unsend bool
	for _, rm := range swarmMessages(t, bob) {
		dm, err := protocol.DecodeMessage(bob.id, rm.Data)
		if err != nil {
			continue
		}
		if u := dm.Content.GetUnsendRequest(); u != nil {
			unsend = u.GetTimestamp() == uint64(sent.SentAt.UnixMilli()) && u.GetAuthor() == alice.SessionID() &&
				dm.Sender == alice.id.SessionID() && dm.Content.GetDataMessage() == nil
		}
	}
	if !unsend {
		t.Fatal("no UnsendRequest for the message in Bob's swarm")
	}
	// Alice's swarm: the sync copy is gone, an UnsendRequest is there.
	own := swarmMessages(t, alice)
	if slices.ContainsFunc(own, func(rm storagerpc.RetrievedMessage) bool { return rm.Hash == m.OwnHash }) {
		t.Fatal("the sync copy is still in Alice's swarm")
	}
	// The other device deletes it too.
	deadline := time.Now().Add(30 * time.Second)
	for {
		alice2.Receive(ctx)
		ms, err := alice2.Messages(ctx, bob.SessionID(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 1 && ms[0].Deleted && ms[0].Body == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second device: %+v", ms)
		}
	}

	// Only the author deletes for everyone; anyone deletes for themselves.
	theirs, err := alice.Send(ctx, bob.SessionID(), "second")
	if err != nil {
		t.Fatal(err)
	}
	got2 := receiveUntil(t, bob, "second", func(ms []Message) bool {
		return slices.ContainsFunc(ms, func(m Message) bool { return m.Body == "second" })
	})
	var atBob int64
	for _, m := range got2 {
		if m.Body == "second" {
			atBob = m.ID
		}
	}
	if err := bob.Delete(ctx, atBob, true); !errors.Is(err, ErrNotAuthor) {
		t.Fatalf("Bob deleting Alice's message for everyone: %v", err)
	}
	if err := bob.Delete(ctx, atBob, false); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Message(ctx, atBob); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted for me, still there: %v", err)
	}
	if m, err := alice.Message(ctx, theirs.ID); err != nil || m.Deleted {
		t.Fatalf("Bob's delete for himself touched Alice's copy: %+v, %v", m, err)
	}
	if err := alice.Delete(ctx, 1<<40, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete of a missing message: %v", err)
	}
}
