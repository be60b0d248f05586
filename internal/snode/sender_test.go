package snode

import (
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/store"
)

// TestInboxSenderHidesClientAddresses checks that a client address is
// recorded only as a keyed hash (stable on one node, unrelated between
// nodes), and a relaying node by its key.
func TestInboxSenderHidesClientAddresses(t *testing.T) {
	a := &Node{senderKey: newSenderKey()}
	b := &Node{senderKey: newSenderKey()}
	const ip = "addr:198.51.100.7"
	s := a.inboxSender(ip)
	if strings.Contains(s, "198.51") || !strings.HasPrefix(s, "addr:") || len(s) > store.MaxSenderLength {
		t.Errorf("recorded sender %q for %q", s, ip)
	}
	if again := a.inboxSender(ip); again != s {
		t.Errorf("the same address recorded as %q, then %q", s, again)
	}
	if other := a.inboxSender("addr:198.51.100.8"); other == s {
		t.Errorf("two addresses recorded alike: %q", s)
	}
	if other := b.inboxSender(ip); other == s {
		t.Errorf("two nodes record an address alike: %q", s)
	}
	peer := "peer:" + strings.Repeat("ab", 32)
	if got := a.inboxSender(peer); got != peer {
		t.Errorf("relaying node recorded as %q, want %q", got, peer)
	}
	if got := a.inboxSender(strings.Repeat("x", store.MaxSenderLength+1)); got != "" {
		t.Errorf("an over-long key recorded as %q, want unknown", got)
	}
}
