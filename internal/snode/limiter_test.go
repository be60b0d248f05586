package snode

import (
	"testing"
	"time"
)

func TestLimiterBucket(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(RateLimit{Burst: 10, PerSecond: 5, MaxClients: 2}, func() time.Time { return now })
	for i := range 10 {
		if !l.allow("a") {
			t.Fatalf("request %d of a full bucket refused", i)
		}
	}
	if l.allow("a") {
		t.Fatal("an empty bucket allowed a request")
	}
	for i := range 10 {
		if !l.allow("b") {
			t.Fatalf("another client was limited by a's bucket (request %d)", i)
		}
	}
	now = now.Add(time.Second) // refills 5 tokens
	for i := range 5 {
		if !l.allow("a") {
			t.Fatalf("refilled request %d refused", i)
		}
	}
	if l.allow("a") {
		t.Fatal("refill gave more than PerSecond tokens")
	}
	// Table full of busy clients: a third one is refused rather than
	// growing the table without bound.
	if l.allow("c") {
		t.Fatal("a client beyond MaxClients was tracked")
	}
	now = now.Add(time.Minute) // every bucket is full again and can be dropped
	if !l.allow("c") {
		t.Fatal("idle buckets were not evicted")
	}
}
