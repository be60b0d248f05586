package snode

import (
	"sync"
	"time"
)

// nudgeGate decides which epochs named by others (peers, and anyone
// whose request reaches a peer-only endpoint) make this node read the
// directory before its next tick. A named epoch is only a hint, and the
// hint is free to give: a stranger naming an epoch that never comes, in a
// request to every node, would otherwise have every node read the
// directory every minNudgeGap for ever. So once a prompted read does not
// find the epoch named, epochs from it up wait out a backoff that doubles
// with each such read, up to maxNudgeWait (the regular refresh still runs);
// a lower epoch, such as an honest peer's, still prompts a read at once,
// and a read that finds the epoch named ends the backoff.
type nudgeGate struct {
	mu     sync.Mutex
	named  uint64        // highest epoch named since the last read started
	failed uint64        // lowest epoch named that a read did not find; 0: none
	wait   time.Duration // the backoff for epochs from failed up
	last   time.Time     // when the last read started
}

// maxNudgeWait bounds the backoff of nudgeGate.
const maxNudgeWait = time.Minute

// allow reports whether epoch e, named by someone at now while this node
// has epoch have, should prompt a read, and if so remembers it.
func (g *nudgeGate) allow(e, have uint64, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed != 0 && have >= g.failed {
		g.failed, g.wait = 0, 0 // reached since (a regular read)
	}
	if e <= have || g.failed != 0 && e >= g.failed && now.Sub(g.last) < g.wait {
		return false
	}
	g.named = max(g.named, e)
	return true
}

// start marks a directory read starting at now and returns the epoch
// named since the last one (0: none).
func (g *nudgeGate) start(now time.Time) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	named := g.named
	g.named, g.last = 0, now
	return named
}

// done records the end of the read that start returned named for: have
// is this node's epoch after it, ok whether the read succeeded (a failed
// read says nothing of the epoch).
func (g *nudgeGate) done(named, have uint64, ok bool) {
	if named == 0 || !ok {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if have >= named {
		g.failed, g.wait = 0, 0
		return
	}
	if g.failed == 0 || named < g.failed {
		g.failed = named
	}
	g.wait = min(max(2*g.wait, 2*minNudgeGap), maxNudgeWait)
}
