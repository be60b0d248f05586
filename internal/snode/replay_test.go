package snode

import (
	"bytes"
	"testing"
	"time"
)

func sig(b byte) []byte { return bytes.Repeat([]byte{b}, 64) }

func TestReplayCache(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := newReplayCache(time.Minute, 3)
	if !c.firstSeen(sig(1), now) {
		t.Fatal("a new signature was taken for a replay")
	}
	if c.firstSeen(sig(1), now.Add(59*time.Second)) {
		t.Fatal("a replay within the window was not caught")
	}
	if !c.firstSeen(sig(1), now.Add(61*time.Second)) {
		t.Fatal("a signature past the window is still remembered")
	}
	// The cache forgets the oldest beyond its capacity, and stays bounded.
	for b := byte(2); b < 50; b++ {
		c.firstSeen(sig(b), now.Add(62*time.Second))
	}
	if c.size() != 3 {
		t.Fatalf("cache holds %d signatures, want 3", c.size())
	}
	if c.firstSeen(sig(49), now.Add(63*time.Second)) {
		t.Fatal("the newest signature was forgotten")
	}
	// Expired entries go even without pressure.
	if !c.firstSeen(sig(60), now.Add(time.Hour)) || c.size() != 1 {
		t.Fatalf("after the window the cache holds %d signatures, want 1", c.size())
	}
	if !c.firstSeen(sig(61)[:10], now) || !c.firstSeen(sig(61)[:10], now) {
		t.Fatal("a malformed signature is checked (it never verifies anyway)")
	}
}
