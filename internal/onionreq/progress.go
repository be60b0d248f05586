package onionreq

import (
	"context"
	"io"
	"sync"
)

// Progress is how far one onion request's bytes have gone over the wire to
// and from the guard: Sent of the request's SendTotal bytes, then Received
// of the answer's ReceiveTotal (-1 when the guard did not announce it).
// The request is the encrypted onion, a little larger than what it
// carries; the answer likewise.
type Progress struct {
	Sent, SendTotal        int64
	Received, ReceiveTotal int64
}

type progressKey struct{}

// WithProgress returns a context under which the HTTP transport reports
// the progress of each onion request to fn: for a progress bar on a large
// upload or download. fn must be quick and safe for concurrent use: it is
// called for every read of either body, from the transport's goroutines.
func WithProgress(ctx context.Context, fn func(Progress)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

func progressFrom(ctx context.Context) func(Progress) {
	fn, _ := ctx.Value(progressKey{}).(func(Progress))
	return fn
}

// countingReader reports each read's running total to add.
type countingReader struct {
	r   io.Reader
	add func(n int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.add(int64(n))
	}
	return n, err
}

// progressTracker keeps one request's Progress: the request body is read
// by the HTTP transport's writing goroutine while the answer is read by
// the caller's, so the counts are guarded.
type progressTracker struct {
	fn func(Progress)
	mu sync.Mutex // guards p
	p  Progress
}

func newProgressTracker(fn func(Progress), sendTotal int64) *progressTracker {
	if fn == nil {
		return nil
	}
	return &progressTracker{fn: fn, p: Progress{SendTotal: sendTotal, ReceiveTotal: -1}}
}

func (t *progressTracker) update(f func(p *Progress)) {
	t.mu.Lock()
	f(&t.p)
	p := t.p
	t.mu.Unlock()
	t.fn(p)
}

func (t *progressTracker) sent(n int64) {
	t.update(func(p *Progress) { p.Sent = min(p.Sent+n, p.SendTotal) })
}
func (t *progressTracker) received(n int64) { t.update(func(p *Progress) { p.Received += n }) }
func (t *progressTracker) restart()         { t.update(func(p *Progress) { p.Sent = 0 }) }

// answer notes that the answer came, announcing total bytes: the request
// is all sent by then (a server may answer before reading all of it; the
// bar still ends full).
func (t *progressTracker) answer(total int64) {
	t.update(func(p *Progress) { p.Sent, p.ReceiveTotal = p.SendTotal, total })
}
