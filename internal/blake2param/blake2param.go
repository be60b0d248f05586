// Package blake2param is BLAKE2b (RFC 7693) with the whole parameter block:
// key, salt and personalisation, as libsodium's
// crypto_generichash_blake2b_init_salt_personal. golang.org/x/crypto/blake2b
// does not expose salt or personalisation, and Session uses both: the
// deterministic attachment key is a personalised hash, and the file
// server's ids are a salted one. Sequential mode only (fanout and depth 1).
package blake2param

import (
	"encoding/binary"
	"math/bits"
)

// Hash is a BLAKE2b hash in progress. It is an io.Writer whose Write never
// fails.
type Hash struct {
	h      [8]uint64
	t      uint64 // bytes compressed so far (inputs here are far below 2^64)
	buf    [128]byte
	n      int // bytes in buf
	outLen int
}

var blake2bIV = [8]uint64{
	0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
	0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
}

var blake2bSigma = [12][16]byte{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
	{11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
	{7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
	{9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
	{2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
	{12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
	{13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
	{6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
	{10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
}

// New starts a hash of outLen (1..64) bytes keyed with key (0..64 bytes),
// with a salt and a personalisation of up to 16 bytes each (shorter ones,
// nil included, are zero-filled, as libsodium's NULL is). Out-of-range
// sizes panic: they are programming errors, never input.
func New(outLen int, key, salt, personal []byte) *Hash {
	if outLen < 1 || outLen > 64 || len(key) > 64 || len(salt) > 16 || len(personal) > 16 {
		panic("blake2param: parameter out of range")
	}
	d := &Hash{outLen: outLen}
	var p [64]byte
	p[0] = byte(outLen)
	p[1] = byte(len(key))
	p[2], p[3] = 1, 1
	copy(p[32:48], salt)
	copy(p[48:64], personal)
	for i := range d.h {
		d.h[i] = blake2bIV[i] ^ binary.LittleEndian.Uint64(p[8*i:])
	}
	if len(key) > 0 {
		copy(d.buf[:], key)
		d.n = 128
	}
	return d
}

// Write adds p to the hash.
func (d *Hash) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if d.n == 128 {
			// Only compress a full buffer once more input follows: the last
			// block must be compressed with the final flag.
			d.t += 128
			d.compress(d.buf[:], false)
			d.n = 0
		}
		c := copy(d.buf[d.n:], p)
		d.n += c
		p = p[c:]
	}
	return total, nil
}

// Sum returns the digest. The Hash must not be used afterwards.
func (d *Hash) Sum() []byte {
	d.t += uint64(d.n)
	clear(d.buf[d.n:])
	d.compress(d.buf[:], true)
	var out [64]byte
	for i, v := range d.h {
		binary.LittleEndian.PutUint64(out[8*i:], v)
	}
	return out[:d.outLen]
}

func (d *Hash) compress(block []byte, last bool) {
	var m [16]uint64
	for i := range m {
		m[i] = binary.LittleEndian.Uint64(block[8*i:])
	}
	var v [16]uint64
	copy(v[:8], d.h[:])
	copy(v[8:], blake2bIV[:])
	v[12] ^= d.t
	if last {
		v[14] = ^v[14]
	}
	g := func(a, b, c, e int, x, y uint64) {
		v[a] = v[a] + v[b] + x
		v[e] = bits.RotateLeft64(v[e]^v[a], -32)
		v[c] = v[c] + v[e]
		v[b] = bits.RotateLeft64(v[b]^v[c], -24)
		v[a] = v[a] + v[b] + y
		v[e] = bits.RotateLeft64(v[e]^v[a], -16)
		v[c] = v[c] + v[e]
		v[b] = bits.RotateLeft64(v[b]^v[c], -63)
	}
	for r := range 12 {
		s := &blake2bSigma[r]
		g(0, 4, 8, 12, m[s[0]], m[s[1]])
		g(1, 5, 9, 13, m[s[2]], m[s[3]])
		g(2, 6, 10, 14, m[s[4]], m[s[5]])
		g(3, 7, 11, 15, m[s[6]], m[s[7]])
		g(0, 5, 10, 15, m[s[8]], m[s[9]])
		g(1, 6, 11, 12, m[s[10]], m[s[11]])
		g(2, 7, 8, 13, m[s[12]], m[s[13]])
		g(3, 4, 9, 14, m[s[14]], m[s[15]])
	}
	for i := range d.h {
		d.h[i] ^= v[i] ^ v[i+8]
	}
}
