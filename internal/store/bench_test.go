package store

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkStore measures single stores, each its own committed transaction
// (as the storage RPC does), of 1 KiB messages spread over 100 accounts.
func BenchmarkStore(b *testing.B) {
	c := newClock()
	s, _ := openTest(b, c, nil)
	body := strings.Repeat("b", 1000)
	i := 0
	for b.Loop() {
		m := newMsg(owner(byte(i%100)), 0, body+fmt.Sprint(i), c.Now(), time.Hour)
		if _, err := s.Store(b.Context(), m); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkStoreParallel is BenchmarkStore with concurrent callers, which
// queue for the single writer.
func BenchmarkStoreParallel(b *testing.B) {
	c := newClock()
	s, _ := openTest(b, c, nil)
	body := strings.Repeat("b", 1000)
	var n atomicCounter
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.next()
			m := newMsg(owner(byte(i%100)), 0, body+fmt.Sprint(i), c.Now(), time.Hour)
			if _, err := s.Store(b.Context(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkRetrieve measures polls of one account's mailbox of 200 messages
// from a cursor 20 messages from its end, as a client catching up does.
func BenchmarkRetrieve(b *testing.B) {
	c := newClock()
	s, _ := openTest(b, c, nil)
	body := strings.Repeat("r", 1000)
	var msgs []Message
	for o := range 50 {
		for i := range 200 {
			msgs = append(msgs, newMsg(owner(byte(o)), 0, body+fmt.Sprint(i), c.Now(), time.Hour))
		}
	}
	if _, err := s.Replicate(b.Context(), msgs); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		o := i % 50
		cursor := msgs[o*200+179].Hash
		got, _, err := s.Retrieve(b.Context(), owner(byte(o)), 0, cursor, LimitsFromRequest(0, 0))
		if err != nil || len(got) != 20 {
			b.Fatalf("retrieve: %d messages, %v", len(got), err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
