package store

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestSweepInBatches(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	n := sweepBatch*2 + 7
	msgs := make([]Message, 0, n)
	for i := range n {
		msgs = append(msgs, newMsg(owner(byte(i%5)), 0, string(rune(i)), c.Now(), time.Minute))
	}
	keep := newMsg(owner(9), 0, "keep", c.Now(), time.Hour)
	if _, err := s.Replicate(ctx, append(msgs, keep)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Sweep(ctx, c.Now()); err != nil || got != 0 {
		t.Fatalf("Sweep before expiry = %d, %v", got, err)
	}
	got, err := s.Sweep(ctx, c.Now().Add(time.Minute))
	if err != nil || got != int64(n) {
		t.Fatalf("Sweep = %d, %v; want %d", got, err, n)
	}
	st, _ := s.Stats(ctx)
	if st.Messages != 1 || st.Owners != 1 || st.DataBytes != 4 {
		t.Errorf("Stats after sweep = %+v, want the one kept message", st)
	}
	var owners int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM owners").Scan(&owners); err != nil || owners != 1 {
		t.Errorf("owner rows after sweep: %d, %v; want the empty ones gone", owners, err)
	}
}

// TestRunSweeper runs the sweeper on synctest's fake clock: time.Sleep in the
// bubble advances the clock at once, so this takes no real time.
func TestRunSweeper(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := openTest(t, nil, nil) // the bubble's time.Now
		o := owner(1)
		mustStore(t, s, newMsg(o, 0, "short", time.Now(), 35*time.Second))
		mustStore(t, s, newMsg(o, 0, "long", time.Now(), time.Hour))

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.RunSweeper(ctx, 10*time.Second)
		}()
		count := func() int64 {
			synctest.Wait()
			st, err := s.Stats(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return st.Messages
		}
		if n := count(); n != 2 {
			t.Fatalf("before expiry: %d messages, want 2", n)
		}
		time.Sleep(36 * time.Second) // the expiry passes; the tick at 40 s has not come
		if n := count(); n != 2 {
			t.Fatalf("before the next tick: %d rows, want 2 (the sweeper runs on ticks)", n)
		}
		time.Sleep(5 * time.Second)
		if n := count(); n != 1 {
			t.Fatalf("after the tick: %d messages, want 1", n)
		}
		cancel()
		<-done
	})
}
