package client

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/storagerpc"
)

// BenchmarkReceiveRequests measures what a flood of message requests costs
// the receiving client: N strangers with 100-character names each send one
// message, delivered in retrieves of 100 as a node hands them over, and
// each retrieve ends as a poll does (config saved, seen set updated, the
// contacts config fitted to its budget and pushed; the push fails at the
// store, for there is no network, after all the client's own work). The
// messages are real Session messages from real identities, decrypted into
// a real database; generating them is not timed.
//
// It reports ms/request at 100, 1 000 and 10 000 requests, and x-floor: the
// ratio to the figure at 100 (the floor). The goal is a flat cost, within
// 20 %. No devnet is needed:
//
//	go test -short -run '^$' -bench ReceiveRequests -benchtime 1x ./client
func BenchmarkReceiveRequests(b *testing.B) {
	var floor float64
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				c := offline(b, "Bob")
				now := time.Now()
				msgs := make([]storagerpc.RetrievedMessage, n)
				for j := range msgs {
					raw := make([]byte, 50)
					rand.Read(raw)
					at := now.Add(time.Duration(j) * time.Millisecond)
					msgs[j] = wire(b, stranger(b), c.id.SessionID(), text("buy my stuff", hex.EncodeToString(raw), at), at, now)
				}
				b.StartTimer()
				start := time.Now()
				for j := 0; j < n; j += 100 {
					if _, err := c.processBatch(b.Context(), msgs[j:min(j+100, n)]); err != nil {
						b.Fatal(err)
					}
					c.rememberConfigContacts(b.Context())
					_ = c.pushConfigs(b.Context())
				}
				total += time.Since(start)
				b.StopTimer()
				c.Close()
				b.StartTimer()
			}
			per := ms(total) / float64(b.N*n)
			b.ReportMetric(per, "ms/request")
			if n == 100 {
				floor = per
			}
			if floor > 0 {
				b.ReportMetric(per/floor, "x-floor")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}
