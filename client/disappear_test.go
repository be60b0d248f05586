package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// TestDisappearAfterSend turns on disappear-after-send for 10 s between
// Alice and Bob and checks: the setting reaches Bob and Alice's second
// device; the next message carries it on the wire and is stored in Bob's
// swarm for 10 s only; and it vanishes from both databases on time.
func TestDisappearAfterSend(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, alice2 := aliceBobAndSecondDevice(t)
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
	at2 := receiveUntil(t, alice2, "the sync copy", func(ms []Message) bool {
		return slices.ContainsFunc(ms, func(m Message) bool { return m.Body == "self-destructing" })
	})
	for _, m := range at2 {
		if m.Body == "self-destructing" && (m.ExpiresAt == nil || !m.ExpiresAt.Equal(sent.SentAt.Add(10*time.Second))) {
			t.Fatalf("on the second device: expires at %v", m.ExpiresAt)
		}
	}
	time.Sleep(time.Until(sent.SentAt.Add(10*time.Second)) + 100*time.Millisecond)
	for _, c := range []*Client{alice, alice2, bob} {
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
	for _, rm := range swarmMessages(t, bob) {
		if rm.Hash == sent.Hash {
			t.Errorf("still in Bob's swarm after its time (expiry %v)", time.UnixMilli(rm.Expiration))
		}
	}
	if err := alice.Disappear(ctx, bob.SessionID(), DisappearAfterSend, time.Second); !errors.Is(err, ErrInvalidDuration) {
		t.Fatalf("1 s timer: %v", err)
	}
	if err := alice.Disappear(ctx, bob.SessionID(), "later", time.Minute); !errors.Is(err, ErrInvalidDuration) {
		t.Fatalf("unknown mode: %v", err)
	}
}

// inSwarm returns the copy of the message with hash in c's swarm, if any.
func inSwarm(t *testing.T, c *Client, hash string) (storagerpc.RetrievedMessage, bool) {
	t.Helper()
	for _, rm := range swarmMessages(t, c) {
		if rm.Hash == hash {
			return rm, true
		}
	}
	return storagerpc.RetrievedMessage{}, false
}

// TestDisappearAfterRead turns on disappear-after-read for 10 s and checks
// that Bob's swarm keeps Alice's message until Bob reads it, that reading
// it shortens its swarm expiry (an authenticated expire) to the timer,
// and that it then vanishes on time from Bob's database and swarm, and
// from Alice's devices and swarm (her timer runs from the send).
func TestDisappearAfterRead(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, alice2 := aliceBobAndSecondDevice(t)
	if _, err := alice.Send(ctx, bob.SessionID(), "hi"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "hi", func(ms []Message) bool { return len(ms) == 1 })
	if err := bob.Accept(ctx, alice.SessionID()); err != nil {
		t.Fatal(err)
	}
	if err := bob.MarkRead(ctx, alice.SessionID()); err != nil {
		t.Fatal(err)
	}
	const timer = 10 * time.Second
	if err := alice.Disappear(ctx, bob.SessionID(), DisappearAfterRead, timer); err != nil {
		t.Fatal(err)
	}
	sent, err := alice.Send(ctx, bob.SessionID(), "read me once")
	if err != nil {
		t.Fatal(err)
	}
	got := receiveUntil(t, bob, "the message", func(ms []Message) bool { return len(ms) == 1 })
	if got[0].ExpiresAt != nil {
		t.Fatalf("unread after-read message already has an expiry: %v", got[0].ExpiresAt)
	}
	receiveUntil(t, alice2, "the sync copy", func(ms []Message) bool {
		for _, m := range ms {
			if m.Body == "read me once" {
				return true
			}
		}
		return false
	})
	rm, ok := inSwarm(t, bob, sent.Hash)
	if !ok {
		t.Fatal("the message is not in Bob's swarm")
	}
	if ttl := time.Duration(rm.Expiration-rm.Timestamp) * time.Millisecond; ttl < time.Hour {
		t.Fatalf("unread, Bob's swarm keeps it for %v only", ttl)
	}
	// Alice's own copy (the sync copy) runs from the send.
	if own, err := alice.db.Message(ctx, sent.ID); err != nil || own.OwnHash == "" {
		t.Fatalf("Alice's sync copy hash: %+v, %v", own, err)
	} else if rm, ok := inSwarm(t, alice, own.OwnHash); ok && time.UnixMilli(rm.Expiration).After(sent.SentAt.Add(timer+time.Second)) {
		t.Errorf("Alice's sync copy expires at %v, want by %v", time.UnixMilli(rm.Expiration), sent.SentAt.Add(timer))
	}

	readAt := time.Now()
	if err := bob.MarkRead(ctx, alice.SessionID()); err != nil {
		t.Fatal(err)
	}
	m, err := bob.Message(ctx, got[0].ID)
	if err != nil || m.ExpiresAt == nil || m.ExpiresAt.Before(readAt.Add(timer)) || m.ExpiresAt.After(time.Now().Add(timer)) {
		t.Fatalf("after the read: %+v, %v", m.ExpiresAt, err)
	}
	rm, ok = inSwarm(t, bob, sent.Hash)
	if !ok {
		t.Fatal("the message left Bob's swarm at once")
	}
	if exp := time.UnixMilli(rm.Expiration); exp.After(m.ExpiresAt.Add(time.Second)) {
		t.Fatalf("Bob's swarm copy expires at %v, want %v (shortened on read)", exp, *m.ExpiresAt)
	}
	time.Sleep(time.Until(m.ExpiresAt.Add(200 * time.Millisecond)))
	if _, ok := inSwarm(t, bob, sent.Hash); ok {
		t.Error("still in Bob's swarm after its time")
	}
	for c, peer := range map[*Client]string{alice: bob.SessionID(), alice2: bob.SessionID(), bob: alice.SessionID()} {
		ms, err := c.Messages(ctx, peer, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Body == "read me once" {
				t.Errorf("still in a database after its time: %+v", m)
			}
		}
	}
}

// TestOverlongSwarmCopyShortened has a sender store a disappear-after-send
// message for the full 14 days instead of its 10 s timer: on receipt Bob
// shortens his swarm copy to the message's own expiry.
func TestOverlongSwarmCopyShortened(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	now := time.Now().Truncate(time.Millisecond)
	content := text("should not linger", "Alice", now)
	setExpiry(content, clientdb.Expiry{Mode: clientdb.DisappearingAfterSend, Timer: 10 * time.Second})
	data, err := protocol.EncodeMessage(alice.id, bob.id.SessionID(), content, now)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := alice.store(ctx, bob.id.SessionID(), 0, data, MessageTTL)
	if err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "the message", func(ms []Message) bool { return len(ms) == 1 })
	rm, ok := inSwarm(t, bob, hash)
	if !ok {
		t.Fatal("not in Bob's swarm")
	}
	if exp := time.UnixMilli(rm.Expiration); exp.After(now.Add(10*time.Second + time.Second)) {
		t.Fatalf("Bob's swarm copy expires at %v, want %v", exp, now.Add(10*time.Second))
	}
}

// TestFailedSwarmExpiryRetried queues a shortening as a failed expire
// leaves it, and checks that the retry of unsent messages sends it: the
// swarm copy's expiry comes forward and the queue empties.
func TestFailedSwarmExpiryRetried(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	sent, err := alice.Send(ctx, bob.SessionID(), "keep me short")
	if err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "the message", func(ms []Message) bool { return len(ms) == 1 })
	want := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := bob.queueExpiries(ctx, []clientdb.SwarmExpiry{{Hash: sent.Hash, At: want}}); err != nil {
		t.Fatal(err)
	}
	if err := bob.RetryPending(ctx, 5); err != nil {
		t.Fatal(err)
	}
	rm, ok := inSwarm(t, bob, sent.Hash)
	if !ok || rm.Expiration != want.UnixMilli() {
		t.Fatalf("swarm copy: expires %v (found %v), want %v", time.UnixMilli(rm.Expiration), ok, want)
	}
	if b, err := bob.db.Get(ctx, kvPendingExpiries); err != nil || string(b) != "[]" {
		t.Errorf("queue after the retry: %s, %v", b, err)
	}
}

// TestSwarmExpiryQueueBounded checks that expiries that cannot be sent are
// kept, up to maxPendingExpiries (the newest), for the retry.
func TestSwarmExpiryQueueBounded(t *testing.T) {
	c := offline(t, "Alice")
	ctx := t.Context()
	now := time.Now()
	es := make([]clientdb.SwarmExpiry, maxPendingExpiries+10)
	for i := range es {
		es[i] = clientdb.SwarmExpiry{Hash: fmt.Sprintf("hash%d", i), At: now}
	}
	c.shortenSwarm(ctx, es) // no network: queued
	b, err := c.db.Get(ctx, kvPendingExpiries)
	if err != nil {
		t.Fatal(err)
	}
	var q []pendingExpiry
	if err := json.Unmarshal(b, &q); err != nil || len(q) != maxPendingExpiries || q[0].Hash != "hash10" {
		t.Fatalf("queue: %d entries, first %+v, %v", len(q), q[:1], err)
	}
	if err := c.flushExpiries(ctx); err == nil {
		t.Error("flushing without a network reported success")
	}
	if b2, _ := c.db.Get(ctx, kvPendingExpiries); string(b2) != string(b) {
		t.Error("a failed flush changed the queue")
	}
}
