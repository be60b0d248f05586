package client

import (
	"testing"
	"time"
)

// BenchmarkColdReceive measures what `session receive` costs from a cold
// start: open the account, set up the network (node pool, onion paths with
// their guard tests, the account's swarm) and poll once, then close; with a
// warm Receive on a client already connected, in the same iterations, as
// its floor. Bob has one message waiting. Goal (issue 11): ≤ 30 ms here.
//
//	go test -run '^$' -bench ColdReceive -benchtime 20x ./client
func BenchmarkColdReceive(b *testing.B) {
	benchNet(b)
	ctx := b.Context()
	alice := benchAccount(b, b.TempDir(), "Alice")
	defer alice.Close()
	bobHome := b.TempDir()
	bob := benchAccount(b, bobHome, "Bob")
	if _, err := alice.Send(ctx, bob.SessionID(), "waiting for Bob"); err != nil {
		b.Fatal(err)
	}
	bob.Close()
	warm := benchAccount(b, b.TempDir(), "Carol")
	defer warm.Close()
	if _, err := warm.Receive(ctx); err != nil {
		b.Fatal(err)
	}
	var cold, hot time.Duration
	for b.Loop() {
		start := time.Now()
		c, err := Open(ctx, Options{Home: bobHome})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Receive(ctx); err != nil {
			b.Fatal(err)
		}
		c.Close()
		cold += time.Since(start)

		start = time.Now()
		if _, err := warm.Receive(ctx); err != nil {
			b.Fatal(err)
		}
		hot += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(ms(cold)/n, "cold-ms")
	b.ReportMetric(ms(hot)/n, "warm-ms")
	b.ReportMetric(float64(cold)/float64(hot), "x-warm")
}
