package client

import (
	"context"
	"math/rand/v2"
	"time"
)

// pollPace spaces the polls of one poll loop. The account's loop (Run) and
// each group's (groupLoop) pace themselves the same way, so the rule lives
// here once: after an answer, poll again at once unless the node answered
// immediately with nothing (it does not hold a retrieve open), then wait
// out minPollInterval; after a failure, back off exponentially with jitter.
type pollPace struct{ backoff time.Duration }

func newPollPace() pollPace { return pollPace{backoff: time.Second} }

// answered notes a poll that worked, started at start. idle says the
// answer held nothing new; if it also came quickly the node did not hold
// the retrieve open, and answered waits out minPollInterval (or ctx) so
// that such a node is polled at an interval rather than in a tight loop.
func (p *pollPace) answered(ctx context.Context, start time.Time, idle bool) {
	p.backoff = time.Second
	if idle && time.Since(start) < minPollInterval {
		sleepCtx(ctx, minPollInterval-time.Since(start))
	}
}

// failed returns how long to wait after a failed poll: the backoff plus up
// to half again of jitter, so that many clients do not retry in step; the
// next failure waits twice as long, up to 30 s.
func (p *pollPace) failed() time.Duration {
	wait := p.backoff + rand.N(p.backoff/2)
	p.backoff = min(2*p.backoff, 30*time.Second)
	return wait
}

// sleepCtx waits for d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
