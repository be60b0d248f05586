package snode

import (
	"testing"
	"time"
)

// TestNudgeGateBacksOff: someone names an epoch the directory never gives,
// in a request every 100 ms for an hour (a stranger can: the header is
// read before the peer is known). The reads it prompts back off: a few
// dozen in the hour, where one per minNudgeGap would be 7 200. An honest
// peer naming the next real epoch still prompts a read at once, and once
// the directory gives the epoch named the backoff is over.
func TestNudgeGateBacksOff(t *testing.T) {
	var g nudgeGate
	const have = 7
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	reads := 0
	last := time.Time{}
	for now := t0; now.Before(t0.Add(time.Hour)); now = now.Add(100 * time.Millisecond) {
		if !g.allow(1<<50, have, now) || now.Sub(last) < minNudgeGap {
			continue // directoryLoop reads at most every minNudgeGap
		}
		reads++
		last = now
		named := g.start(now)
		g.done(named, have, true) // the directory still gives epoch 7
	}
	if reads > 100 {
		t.Fatalf("a lie prompted %d directory reads in an hour", reads)
	}
	now := t0.Add(time.Hour + time.Second)
	if !g.allow(have+1, have, now) {
		t.Fatal("an honest peer's next epoch waits out the liar's backoff")
	}
	g.done(g.start(now), have+1, true)
	if g.failed != 0 || g.wait != 0 {
		t.Fatalf("backoff after the directory gave the epoch named: %v (failed %d)", g.wait, g.failed)
	}
	if g.allow(have, have, now) {
		t.Fatal("an epoch not newer than ours prompted a read")
	}
	// Epoch 9 named before the directory has it: backed off. A regular
	// read then reaches 9; epoch 10 prompts a read at once again.
	for range 5 {
		now = now.Add(time.Hour)
		if g.allow(have+2, have+1, now) {
			g.done(g.start(now), have+1, true)
		}
	}
	if !g.allow(have+3, have+2, now.Add(minNudgeGap)) {
		t.Fatal("the epoch after one reached by a regular read waits out an old backoff")
	}
}
