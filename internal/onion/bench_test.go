package onion

import (
	"crypto/ecdh"
	"math"
	"testing"
	"time"
)

// BenchmarkHop measures what one service node spends on one layer: peeling
// hop 0 of a 3-hop xchacha20 request (parse, one X25519, key hash, decrypt,
// route). It also times a bare X25519 on the same machine and reports the
// ratio, which shows how much of a hop the curve operation is.
func BenchmarkHop(b *testing.B) {
	path := newPath(b, 3)
	dest := newTestNode(b, "dest")
	req, _, err := Build(SnodeDestination{Ed25519: dest.hop.Ed25519, X25519: dest.hop.X25519}, hopsOf(path),
		[]byte(`{"method":"retrieve","params":{"pubkey":"0500000000000000000000000000000000000000000000000000000000000000ff","namespace":0,"timestamp":1700000000000,"signature":"AAAA"}}`),
		XChaCha20, nil)
	if err != nil {
		b.Fatal(err)
	}
	node := path[0].key
	peel := func() {
		if _, r, err := node.Peel(req); err != nil || r == nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(req)))
	b.ReportAllocs()

	n := 0
	for b.Loop() {
		peel()
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "hops/s")

	// The ratio comes from short batches of each operation taken in turn,
	// keeping the fastest batch of each, so that load from other processes
	// during the run does not skew one side.
	priv, pub := x25519Pair(b)
	x := func() {
		if _, err := priv.ECDH(pub); err != nil {
			b.Fatal(err)
		}
	}
	hop, curve := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for range 30 {
		hop = min(hop, batch(peel))
		curve = min(curve, batch(x))
	}
	b.ReportMetric(float64(hop)/float64(curve), "x-X25519")
}

// batch returns the time per call of f over 20 calls.
func batch(f func()) time.Duration {
	const calls = 20
	start := time.Now()
	for range calls {
		f()
	}
	return time.Since(start) / calls
}

// BenchmarkX25519 is the reference operation on its own.
func BenchmarkX25519(b *testing.B) {
	priv, pub := x25519Pair(b)
	for b.Loop() {
		if _, err := priv.ECDH(pub); err != nil {
			b.Fatal(err)
		}
	}
}

func x25519Pair(b *testing.B) (*ecdh.PrivateKey, *ecdh.PublicKey) {
	a, c := newTestNode(b, "a"), newTestNode(b, "c")
	pub, err := ecdh.X25519().NewPublicKey(c.hop.X25519[:])
	if err != nil {
		b.Fatal(err)
	}
	return a.key.priv, pub
}
