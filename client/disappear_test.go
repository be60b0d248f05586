package client

import (
	"errors"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/protocol"
)

// TestDisappearAfterSend turns on disappear-after-send for 10 s between
// Alice and Bob and checks: the setting reaches Bob and Alice's second
// device; the next message carries it on the wire and is stored in Bob's
// swarm for 10 s only; and it vanishes from both databases on time.
func TestDisappearAfterSend(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	words, err := alice.RecoveryPassword()
	if err != nil {
		t.Fatal(err)
	}
	alice2 := device(t, words, "Alice")
	if _, err := alice.Send(ctx, bob.SessionID(), "hi"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "hi", func(ms []Message) bool { return len(ms) == 1 })
	if err := bob.Accept(ctx, alice.SessionID()); err != nil {
		t.Fatal(err)
	}
	if err := alice.Disappear(ctx, bob.SessionID(), DisappearAfterSend, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	want := clientdb.Disappearing{Mode: clientdb.DisappearingAfterSend, Timer: 10 * time.Second}
	for _, c := range []*Client{bob, alice2} {
		peer := bob.id.SessionID()
		if c == bob {
			peer = alice.id.SessionID()
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			c.Receive(ctx)
			d, err := c.db.DisappearingSetting(ctx, peer)
			if err != nil {
				t.Fatal(err)
			}
			if d.Mode == want.Mode && d.Timer == want.Timer {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("setting not received: %+v", d)
			}
		}
	}

	sent, err := alice.Send(ctx, bob.SessionID(), "self-destructing")
	if err != nil {
		t.Fatal(err)
	}
	if sent.ExpiresAt == nil || !sent.ExpiresAt.Equal(sent.SentAt.Add(10*time.Second)) {
		t.Fatalf("sent: expires at %v, sent at %v", sent.ExpiresAt, sent.SentAt)
	}
	got := receiveUntil(t, bob, "the message", func(ms []Message) bool { return len(ms) == 1 })
	if got[0].ExpiresAt == nil || !got[0].ExpiresAt.Equal(sent.SentAt.Add(10*time.Second)) {
		t.Fatalf("received: expires at %v", got[0].ExpiresAt)
	}
	var onWire bool
	for _, rm := range swarmMessages(t, bob) {
		if rm.Hash != sent.Hash {
			continue
		}
		dm, err := protocol.DecodeMessage(bob.id, rm.Data)
		if err != nil {
			t.Fatal(err)
		}
		onWire = dm.Content.GetExpirationType() == signalpb.Content_DELETE_AFTER_SEND && dm.Content.GetExpirationTimer() == 10
		if ttl := time.Duration(rm.Expiration-rm.Timestamp) * time.Millisecond; ttl > 11*time.Second {
			t.Errorf("stored in Bob's swarm for %v, want the 10 s timer", ttl)
		}
	}
	if !onWire {
		t.Fatal("the message does not carry the setting on the wire")
	}
	time.Sleep(time.Until(sent.SentAt.Add(10*time.Second)) + 100*time.Millisecond)
	for _, c := range []*Client{alice, bob} {
		peer := bob.SessionID()
		if c == bob {
			peer = alice.SessionID()
		}
		ms, err := c.Messages(ctx, peer, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Body == "self-destructing" {
				t.Fatalf("still there after its time: %+v", m)
			}
		}
	}
	if err := alice.Disappear(ctx, bob.SessionID(), DisappearAfterSend, time.Second); !errors.Is(err, ErrInvalidDuration) {
		t.Fatalf("1 s timer: %v", err)
	}
	if err := alice.Disappear(ctx, bob.SessionID(), "later", time.Minute); !errors.Is(err, ErrInvalidDuration) {
		t.Fatalf("unknown mode: %v", err)
	}
}
