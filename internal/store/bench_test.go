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

// BenchmarkInboxFloodAtLimit measures a stranger's stores into an inbox
// held full at its default limits (50 000 messages from 17 senders, each
// under its share of 3 000), so that every store evicts the inbox's oldest
// message: from a sender already there ("one sender") or from a new one each
// time ("many senders"). The floor is a plain store into an account with
// room (BenchmarkStore's case), measured alongside; the ratio says what
// eviction costs.
func BenchmarkInboxFloodAtLimit(b *testing.B) {
	for _, many := range []bool{false, true} {
		name := "one sender"
		if many {
			name = "many senders"
		}
		b.Run(name, func(b *testing.B) {
			c := newClock()
			s, _ := openTest(b, c, nil)
			victim := owner(1)
			body := strings.Repeat("f", 100)
			var fill []Message
			for i := range DefaultMaxInboxMessages {
				m := inboxMsg(victim, 0, body+fmt.Sprint("fill ", i), c.Now().Add(-time.Hour), fmt.Sprint("addr:", i%17))
				fill = append(fill, m)
				if len(fill) == 5000 {
					if _, err := s.Replicate(b.Context(), fill); err != nil {
						b.Fatal(err)
					}
					fill = fill[:0]
				}
			}
			i := 0
			for b.Loop() {
				sender := "addr:0"
				if many {
					sender = fmt.Sprint("addr:new ", i)
				}
				r, err := s.Store(b.Context(), inboxMsg(victim, 0, body+fmt.Sprint(i), c.Now(), sender))
				if err != nil || r.Outcome != Stored {
					b.Fatalf("flood store: %v, %v", r.Outcome, err)
				}
				i++
			}
			flood := b.Elapsed().Seconds() / float64(b.N)
			// The floor: as many plain stores to accounts with room.
			start := time.Now()
			for j := range min(b.N, 2000) {
				if _, err := s.Store(b.Context(), newMsg(owner(byte(2+j%100)), 0, body+fmt.Sprint("plain ", j), c.Now(), time.Hour)); err != nil {
					b.Fatal(err)
				}
			}
			plain := time.Since(start).Seconds() / float64(min(b.N, 2000))
			b.ReportMetric(1/flood, "stores/s")
			b.ReportMetric(flood/plain, "x_plain_store")
		})
	}
}
