package onionreq

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingTransport records how many guard tests (direct storage RPCs)
// are in flight at once, holding each a while so that overlaps show.
type countingTransport struct {
	Transport
	mu                    sync.Mutex
	inFlight, peak, total int
}

func (c *countingTransport) Post(ctx context.Context, url string, body []byte, limit int64) (int, []byte, error) {
	if !strings.HasSuffix(url, "/storage_rpc/v1") {
		return c.Transport.Post(ctx, url, body, limit)
	}
	c.mu.Lock()
	c.inFlight++
	c.total++
	c.peak = max(c.peak, c.inFlight)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	time.Sleep(200 * time.Millisecond)
	return c.Transport.Post(ctx, url, body, limit)
}

// A cold start tests the guards of all its paths at once.
func TestGuardsTestedInParallel(t *testing.T) {
	fn := newFakeNet(t, 8)
	var ct *countingTransport
	c := newTestClient(t, fn.source(), func(cfg *Config) {
		ct = &countingTransport{Transport: NewHTTPTransport(HTTPConfig{})}
		cfg.Transport = ct
	})
	if err := c.Bootstrap(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Paths()); n != 3 {
		t.Fatalf("%d paths, want 3", n)
	}
	guards := map[string]bool{}
	for _, p := range c.Paths() {
		guards[p[0].Ed25519] = true
	}
	if len(guards) != 3 {
		t.Errorf("paths share guards: %d distinct", len(guards))
	}
	if ct.peak < 3 {
		t.Errorf("at most %d guard tests at once, want the 3 paths' together", ct.peak)
	}
}
