package blake2param

import (
	"bytes"
	"encoding/hex"
	"testing"

	"golang.org/x/crypto/blake2b"
)

func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i * 7)
	}
	return p
}

// With no salt and no personalisation, the parameterised BLAKE2b must agree
// with x/crypto's keyed BLAKE2b for every length around the block size.
func TestBlake2bMatchesXCrypto(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 129, 255, 256, 257, 1000} {
		for _, key := range [][]byte{nil, bytes.Repeat([]byte{9}, 32)} {
			msg := pattern(n)
			want, _ := blake2b.New(56, key)
			want.Write(msg)
			got := New(56, key, nil, nil)
			// Feed in two pieces to exercise buffering.
			got.Write(msg[:n/3])
			got.Write(msg[n/3:])
			if !bytes.Equal(got.Sum(), want.Sum(nil)) {
				t.Errorf("n=%d key=%d: digests differ", n, len(key))
			}
		}
	}
}

// TestSaltAndPersonal pins libsodium 1.0.18's
// crypto_generichash_blake2b_salt_personal output (computed with ctypes
// while writing this package) for a salted and a personalised hash.
func TestSaltAndPersonal(t *testing.T) {
	h := New(33, nil, []byte("SessionFileSvr\x00\x00"), nil)
	h.Write([]byte("hello"))
	if got := hex.EncodeToString(h.Sum()); got != "b4a3b655583524f1f0819bafa8affb6c31c9792af8509ffc8b5dc44e5c009f48c1" {
		t.Errorf("salted: %s", got)
	}
	h = New(56, bytes.Repeat([]byte{5}, 32), nil, []byte("SessionAttachmnt"))
	h.Write([]byte("hello"))
	if got := hex.EncodeToString(h.Sum()); got != "c92f3fae4f22c49a129b7208bc329daacab066fb38b3b3b74aa191ad684bd4714641a0e1e09afa72ffb7b5cf7c3161533b9f0c52af50e022" {
		t.Errorf("personal: %s", got)
	}
}
