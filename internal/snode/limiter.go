package snode

import (
	"sync"
	"time"
)

// RateLimit is a token bucket per client IP.
type RateLimit struct {
	// Burst is the bucket size (Session: 600).
	Burst float64
	// PerSecond is the refill rate (Session: 300).
	PerSecond float64
	// MaxClients caps how many buckets are tracked (Session: 10 000).
	MaxClients int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// limiter enforces RateLimit. Requests from other nodes (signed) are not
// counted: on a loopback devnet every node and client shares one IP.
type limiter struct {
	cfg RateLimit
	now func() time.Time

	mu      sync.Mutex // guards buckets
	buckets map[string]*bucket
}

func newLimiter(cfg RateLimit, now func() time.Time) *limiter {
	if cfg.Burst == 0 {
		cfg.Burst = 600
	}
	if cfg.PerSecond == 0 {
		cfg.PerSecond = 300
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = 10_000
	}
	return &limiter{cfg: cfg, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from ip's bucket, reporting false when it is empty.
func (l *limiter) allow(ip string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[ip]
	if !ok {
		if len(l.buckets) >= l.cfg.MaxClients {
			l.evict(now)
			if len(l.buckets) >= l.cfg.MaxClients {
				return false
			}
		}
		b = &bucket{tokens: l.cfg.Burst, last: now}
		l.buckets[ip] = b
	}
	b.tokens = min(l.cfg.Burst, b.tokens+now.Sub(b.last).Seconds()*l.cfg.PerSecond)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// evict drops buckets that have refilled completely: they hold no state.
func (l *limiter) evict(now time.Time) {
	for ip, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.cfg.PerSecond >= l.cfg.Burst {
			delete(l.buckets, ip)
		}
	}
}
