package attachment

import (
	"crypto/subtle"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/poly1305"
)

// libsodium crypto_secretstream_xchacha20poly1305 tags and sizes.
const (
	tagMessage = 0x00
	tagFinal   = 0x03
	tagRekey   = 0x02

	streamABytes = 17 // tag byte + Poly1305 MAC
)

// secretstream is libsodium's crypto_secretstream_xchacha20poly1305 state.
// Go has no binding for it, and libsession starts it from a header derived
// from the plaintext rather than a random one, so it is written out here
// after libsodium's construction.
type secretstream struct {
	k     [32]byte
	nonce [12]byte // le32 counter ‖ 8-byte inonce
}

// init sets the state from the key and the 24-byte header as
// crypto_secretstream_xchacha20poly1305_init_push/_init_pull do.
func (s *secretstream) init(key, header []byte) {
	k, _ := chacha20.HChaCha20(key, header[:16])
	copy(s.k[:], k)
	clear(s.nonce[:])
	s.nonce[0] = 1
	copy(s.nonce[4:], header[16:24])
}

func (s *secretstream) cipher(counter uint32) *chacha20.Cipher {
	c, err := chacha20.NewUnauthenticatedCipher(s.k[:], s.nonce[:])
	if err != nil {
		panic("attachment: chacha20 rejected a fixed-size key") // unreachable: sizes are constant
	}
	c.SetCounter(counter)
	return c
}

func (s *secretstream) mac(block, c []byte) *poly1305.MAC {
	var polyKey [32]byte
	s.cipher(0).XORKeyStream(polyKey[:], polyKey[:])
	m := poly1305.New(&polyKey)
	// No additional data: its length is 0 and so is its padding.
	m.Write(block)
	m.Write(c)
	// libsodium pads by (0x10 - 64 + mlen) & 0xf, which is mlen mod 16
	// rather than the AEAD-style complement; the quirk is part of the format.
	var pad [16]byte
	m.Write(pad[:len(c)&0xf])
	var lens [16]byte
	binary.LittleEndian.PutUint64(lens[8:], uint64(64+len(c)))
	m.Write(lens[:])
	return m
}

// push appends the encryption of m with tag to out, as
// crypto_secretstream_xchacha20poly1305_push does with no additional data.
func (s *secretstream) push(out, m []byte, tag byte) []byte {
	var block [64]byte
	block[0] = tag
	s.cipher(1).XORKeyStream(block[:], block[:])
	n := len(out)
	out = append(out, block[0])
	out = append(out, m...)
	c := out[n+1:]
	s.cipher(2).XORKeyStream(c, c)
	mac := s.mac(block[:], c).Sum(nil)
	out = append(out, mac...)
	s.next(mac, tag)
	return out
}

// pull authenticates in (a pushed chunk) and only then decrypts it into
// out[:len(in)-17], returning the tag. A chunk that fails authentication
// leaves the state and out untouched.
func (s *secretstream) pull(out, in []byte) (byte, bool) {
	if len(in) < streamABytes {
		return 0, false
	}
	var block [64]byte
	block[0] = in[0]
	s.cipher(1).XORKeyStream(block[:], block[:])
	tag := block[0]
	block[0] = in[0]
	c := in[1 : len(in)-16]
	want := in[len(in)-16:]
	got := s.mac(block[:], c).Sum(nil)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return 0, false
	}
	s.cipher(2).XORKeyStream(out[:len(c)], c)
	s.next(want, tag)
	return tag, true
}

func (s *secretstream) next(mac []byte, tag byte) {
	for i := range 8 {
		s.nonce[4+i] ^= mac[i]
	}
	ctr := binary.LittleEndian.Uint32(s.nonce[:4]) + 1
	binary.LittleEndian.PutUint32(s.nonce[:4], ctr)
	if tag&tagRekey != 0 || ctr == 0 {
		s.rekey()
	}
}

func (s *secretstream) rekey() {
	var buf [40]byte
	copy(buf[:32], s.k[:])
	copy(buf[32:], s.nonce[4:])
	s.cipher(0).XORKeyStream(buf[:], buf[:])
	copy(s.k[:], buf[:32])
	copy(s.nonce[4:], buf[32:])
	clear(s.nonce[:4])
	s.nonce[0] = 1
}
