package groups

import (
	"crypto/rand"
	"testing"
	"time"

	"golang.org/x/crypto/curve25519"

	"github.com/session-go/session-go/internal/keys"
)

// BenchmarkRekey100 measures a rekey for a 100-member group (Session's
// limit): the key message with 100 member copies, junk padding and the
// group signature. The floor is what a rekey cannot avoid, one X25519 per
// member, measured alongside; the ratio says what the rest costs.
func BenchmarkRekey100(b *testing.B) {
	a := newGroup(b)
	members := make([]keys.ID, MaxMembers)
	for i := range members {
		members[i] = newAccount(b).SessionID()
	}
	gen := int64(0)
	for b.Loop() {
		if _, _, err := a.Rekey(members, gen); err != nil {
			b.Fatal(err)
		}
		gen++
	}
	rekey := b.Elapsed().Seconds() / float64(b.N)

	var sk [32]byte
	rand.Read(sk[:])
	n := min(b.N, 50)
	start := time.Now()
	for range n {
		for _, m := range members {
			if _, err := curve25519.X25519(sk[:], m.Key[:]); err != nil {
				b.Fatal(err)
			}
		}
	}
	floor := time.Since(start).Seconds() / float64(n)
	b.ReportMetric(rekey*1e3, "ms/rekey")
	b.ReportMetric(rekey/floor, "x_100_x25519")
}

// BenchmarkLoadKeyMessage100 measures a member finding its copy in a
// 100-member key message (it tries each copy) and checking the signature.
func BenchmarkLoadKeyMessage100(b *testing.B) {
	a := newGroup(b)
	members := make([]keys.ID, MaxMembers)
	last := newAccount(b)
	for i := range members[:MaxMembers-1] {
		members[i] = newAccount(b).SessionID()
	}
	members[MaxMembers-1] = last.SessionID()
	msg, _, err := a.Rekey(members, 0)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r := ring(b, last, a, false)
		if found, err := r.Load("h", msg, 1); err != nil || !found {
			b.Fatal(found, err)
		}
	}
}
