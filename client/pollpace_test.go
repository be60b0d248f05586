package client

import (
	"context"
	"testing"
	"time"
)

// TestPollPaceBacksOffAndResets checks the retry waits of a poll loop:
// each failure waits the backoff plus less than half again of jitter, the
// backoff doubling up to 30 s, and an answer starts it at 1 s again.
func TestPollPaceBacksOffAndResets(t *testing.T) {
	p := newPollPace()
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i, w := range want {
		w *= time.Second
		if got := p.failed(); got < w || got >= w+w/2 {
			t.Fatalf("failure %d waits %v, want in [%v, %v)", i+1, got, w, w+w/2)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // an idle answer would wait out minPollInterval; not here
	p.answered(ctx, time.Now(), true)
	if got := p.failed(); got < time.Second || got >= 3*time.Second/2 {
		t.Fatalf("after an answer, a failure waits %v, want about 1 s", got)
	}
}
