package client

import (
	"fmt"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/storagerpc"
)

// BenchmarkCatchUp measures a client catching up with a backlog: one
// contact's N pending messages, delivered in retrieves of 100 as a node
// hands them over, each retrieve saved as a poll saves it (one transaction
// per page, hashes marked seen, config saved). The messages are real
// Session messages, decrypted into a real database; making them is not
// timed. The conversation stays unread throughout, so the unread count
// covers the whole backlog, which is what made the cost per message grow
// with it.
//
// It reports ms/message at 1 000, 4 000 and 16 000 messages, and x-floor:
// the ratio to the figure at 1 000 (the floor). Goal (issue 11): flat,
// within 20 %. No devnet is needed:
//
//	go test -short -run '^$' -bench CatchUp -benchtime 1x ./client
func BenchmarkCatchUp(b *testing.B) {
	var floor float64
	for _, n := range []int{1000, 4000, 16000} {
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				c := offline(b, "Bob")
				alice := stranger(b)
				now := time.Now()
				msgs := make([]storagerpc.RetrievedMessage, n)
				for j := range msgs {
					at := now.Add(time.Duration(j-n) * time.Millisecond)
					msgs[j] = wire(b, alice, c.id.SessionID(), text(fmt.Sprintf("message %d of the backlog", j), "Alice", at), at, at)
				}
				b.StartTimer()
				start := time.Now()
				for j := 0; j < n; j += 100 {
					if _, err := c.processBatch(b.Context(), msgs[j:min(j+100, n)]); err != nil {
						b.Fatal(err)
					}
				}
				total += time.Since(start)
				b.StopTimer()
				if cv, err := c.db.Conversation(b.Context(), alice.SessionID()); err != nil || cv.Unread != n {
					b.Fatalf("unread %d, %v; want %d", cv.Unread, err, n)
				}
				c.Close()
				b.StartTimer()
			}
			per := ms(total) / float64(b.N*n)
			b.ReportMetric(per, "ms/message")
			if n == 1000 {
				floor = per
			}
			if floor > 0 {
				b.ReportMetric(per/floor, "x-floor")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}
