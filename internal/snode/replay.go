package snode

import (
	"sync"
	"time"

	"github.com/session-go/session-go/internal/storagerpc"
)

// Replay cache sizes. A signature is remembered for replayWindow, which
// covers the whole span in which a delete_all's timestamp is accepted
// (±SignatureToleranceForwarded), and the cache holds at most
// replayCapacity signatures (about 10 MB), the oldest forgotten first.
const (
	replayWindow   = 2 * storagerpc.SignatureToleranceForwarded
	replayCapacity = 100_000
)

// replayCache remembers the signatures of recent destructive requests
// (delete, delete_all, delete_before, expire, expire_all), so that the
// same signed request seen again is run as a no-op: someone who captured
// it cannot undo what the owner did since, such as delete messages stored
// after a delete_all or shorten an expiry the owner extended.
//
// Session's delete and expire carry no request timestamp (their
// signatures stay valid as long as the messages exist), so for them the
// cache is a short-lived guard, not a proof: a replay after replayWindow
// deletes only messages with the exact hashes the owner already deleted.
type replayCache struct {
	window time.Duration
	max    int

	mu    sync.Mutex // guards seen, queue and head
	seen  map[[64]byte]time.Time
	queue []replayEntry // in arrival order, from head
	head  int
}

type replayEntry struct {
	sig     [64]byte
	expires time.Time
}

func newReplayCache(window time.Duration, max int) *replayCache {
	return &replayCache{window: window, max: max, seen: map[[64]byte]time.Time{}}
}

// firstSeen records sig at now and reports whether it was not seen within
// the window before.
func (c *replayCache) firstSeen(sig []byte, now time.Time) bool {
	if len(sig) != 64 {
		return true
	}
	k := [64]byte(sig)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if exp, ok := c.seen[k]; ok && now.Before(exp) {
		return false
	}
	exp := now.Add(c.window)
	c.seen[k] = exp
	c.queue = append(c.queue, replayEntry{k, exp})
	for len(c.seen) > c.max {
		c.drop()
	}
	return true
}

// expire forgets entries past their time.
func (c *replayCache) expire(now time.Time) {
	for c.head < len(c.queue) && !now.Before(c.queue[c.head].expires) {
		c.drop()
	}
}

// drop forgets the oldest entry (unless a later sighting renewed it).
func (c *replayCache) drop() {
	e := c.queue[c.head]
	c.queue[c.head] = replayEntry{}
	c.head++
	if exp, ok := c.seen[e.sig]; ok && !exp.After(e.expires) {
		delete(c.seen, e.sig)
	}
	if c.head > len(c.queue)/2 && c.head > 1024 {
		c.queue = append(c.queue[:0], c.queue[c.head:]...)
		c.head = 0
	}
}

// size returns how many signatures are remembered (for tests).
func (c *replayCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// replayGuarded reports whether req is a destructive request whose
// signature the replay cache checks, and returns the signature.
func replayGuarded(req storagerpc.Request) ([]byte, bool) {
	switch r := req.(type) {
	case *storagerpc.Delete:
		return r.Signature, true
	case *storagerpc.DeleteAll:
		return r.Signature, true
	case *storagerpc.DeleteBefore:
		return r.Signature, true
	case *storagerpc.Expire:
		return r.Signature, true
	case *storagerpc.ExpireAll:
		return r.Signature, true
	}
	return nil, false
}
