package protocol

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"golang.org/x/crypto/curve25519"
)

// The crypto floor is the public-key work that v1 encryption cannot avoid:
//
//	encrypt: an X25519 key generation, an X25519 and an Ed25519 signature;
//	decrypt: an X25519 and an Ed25519 verification.
//
// Each benchmark also times its floor and reports the ratio as "x-floor":
// how much the rest (hashing, the symmetric cipher, point checks, copying)
// costs on top. The two are timed in alternating short runs, so that a
// change in machine load affects both alike; testing.Benchmark cannot be used
// instead, since it deadlocks when called from a running benchmark. The
// signed message has the same length as in the real operation.
const benchSize = 1024

// benchChunk is how many operations run between switches to the floor.
const benchChunk = 16

func BenchmarkEncrypt1KB(b *testing.B) {
	alice, bob := testIdentity(b, 1), testIdentity(b, 2)
	msg := make([]byte, benchSize)
	peer := bob.X25519PublicKey()
	signed := make([]byte, benchSize+64)
	var esk [32]byte
	benchWithFloor(b, func() {
		if _, err := EncryptForRecipient(alice, bob.SessionID(), msg); err != nil {
			b.Fatal(err)
		}
	}, func() {
		rand.Read(esk[:])
		if _, err := curve25519.X25519(esk[:], curve25519.Basepoint); err != nil {
			b.Fatal(err)
		}
		if _, err := curve25519.X25519(esk[:], peer[:]); err != nil {
			b.Fatal(err)
		}
		ed25519.Sign(alice.Ed25519PrivateKey(), signed)
	})
}

func BenchmarkDecrypt1KB(b *testing.B) {
	alice, bob := testIdentity(b, 1), testIdentity(b, 2)
	ct, err := EncryptForRecipient(alice, bob.SessionID(), make([]byte, benchSize))
	if err != nil {
		b.Fatal(err)
	}
	priv := bob.X25519PrivateKey()
	signed := make([]byte, benchSize+64)
	sig := alice.Sign(signed)
	pub := alice.Ed25519PublicKey()
	benchWithFloor(b, func() {
		if _, err := Decrypt(bob, ct); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := curve25519.X25519(priv[:], ct[:32]); err != nil {
			b.Fatal(err)
		}
		if !ed25519.Verify(pub, signed, sig) {
			b.Fatal("verify failed")
		}
	})
}

// benchWithFloor runs op b.N times, and floor as often with the benchmark
// timer stopped, and reports the floor's time per operation and op's time as
// a multiple of it.
func benchWithFloor(b *testing.B, op, floor func()) {
	b.Helper()
	b.SetBytes(benchSize)
	var opTime, floorTime time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; {
		k := min(benchChunk, b.N-done)
		start := time.Now()
		for range k {
			op()
		}
		opTime += time.Since(start)
		b.StopTimer()
		start = time.Now()
		for range k {
			floor()
		}
		floorTime += time.Since(start)
		b.StartTimer()
		done += k
	}
	b.ReportMetric(float64(floorTime.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(float64(opTime)/float64(floorTime), "x-floor")
}
