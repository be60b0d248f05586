package config

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20poly1305"
)

// Sizes of the push format.
const (
	// MaxMessageSize is the largest message a storage server stores, and so
	// the largest push.
	MaxMessageSize = 76800
	// EncryptOverhead is what [Encrypt] adds: the Poly1305 tag and the
	// 24-byte nonce appended after the ciphertext.
	EncryptOverhead = chacha20poly1305.Overhead + chacha20poly1305.NonceSizeX
	// MaxDomainSize is the longest encryption domain [Encrypt] accepts: the
	// nonce hash key is the 32-byte prefix plus the domain, and BLAKE2b keys
	// are at most 64 bytes.
	MaxDomainSize = 24
	// MaxDecompressedSize bounds what a compressed message may expand to.
	// Config data is far smaller; the bound only stops a decompression bomb.
	MaxDecompressedSize = 8 << 20
	// compressionLevel is libsession's zstd level for pushes.
	compressionLevel = zstd.SpeedFastest
)

// nonceKeyPrefix keys the nonce hash, followed by the domain.
const nonceKeyPrefix = "libsessionutil-config-encrypted-"

// Prefix bytes of a decrypted, unpadded config plaintext.
const (
	prefixBT        = 'd' // a bt-encoded config message
	prefixZstd      = 'z' // a zstd-compressed one
	prefixMultipart = 'm' // one part of a message split over several (newer libsession)
)

func checkEncryptArgs(keyBase []byte, domain string) error {
	if len(keyBase) != 32 {
		return fmt.Errorf("%w: encryption key base must be 32 bytes, got %d", ErrInvalidArgument, len(keyBase))
	}
	if len(domain) < 1 || len(domain) > MaxDomainSize {
		return fmt.Errorf("%w: encryption domain %q must be 1 to %d bytes", ErrInvalidArgument, domain, MaxDomainSize)
	}
	return nil
}

// encryptionKey is BLAKE2b-256(keyBase ‖ be64(size) ‖ domain). Mixing in the
// size and domain means a nonce collision (the nonce is a hash of the
// plaintext) only hurts between messages of equal size in the same domain.
func encryptionKey(keyBase []byte, size int, domain string) []byte {
	h, _ := blake2b.New256(nil) // cannot fail without a key
	h.Write(keyBase)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(size))
	h.Write(n[:])
	h.Write([]byte(domain))
	return h.Sum(nil)
}

// Encrypt is libsession's config encryption: XChaCha20-Poly1305 of message,
// without associated data, under the key BLAKE2b-256(keyBase ‖ be64(len) ‖
// domain), with the nonce BLAKE2b-192 of the message keyed by
// "libsessionutil-config-encrypted-" ‖ domain, returned as ciphertext ‖ tag ‖
// nonce. The nonce is derived, not random, so that devices racing to publish
// the same merge produce the same bytes. keyBase is 32 bytes (the account's
// Ed25519 seed for user configs); domain is 1 to [MaxDomainSize] bytes.
func Encrypt(message, keyBase []byte, domain string) ([]byte, error) {
	if err := checkEncryptArgs(keyBase, domain); err != nil {
		return nil, err
	}
	key := encryptionKey(keyBase, len(message), domain)
	defer clear(key)
	nh, err := blake2b.New(chacha20poly1305.NonceSizeX, []byte(nonceKeyPrefix+domain))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	nh.Write(message)
	nonce := nh.Sum(nil)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(message)+EncryptOverhead)
	out = aead.Seal(out, nonce, message, nil)
	return append(out, nonce...), nil
}

// Decrypt opens a ciphertext from [Encrypt]. Every failure to open is
// [ErrDecrypt].
func Decrypt(ciphertext, keyBase []byte, domain string) ([]byte, error) {
	if err := checkEncryptArgs(keyBase, domain); err != nil {
		return nil, err
	}
	if len(ciphertext) < EncryptOverhead {
		return nil, ErrDecrypt
	}
	size := len(ciphertext) - EncryptOverhead
	key := encryptionKey(keyBase, size, domain)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	split := len(ciphertext) - chacha20poly1305.NonceSizeX
	out, err := aead.Open(make([]byte, 0, size), ciphertext[split:], ciphertext[:split], nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// PaddedSize is libsession's padded_size: the size a message of size bytes is
// padded to so that, with overhead bytes added by encryption, the total is a
// multiple of 256 (below 5 120 bytes), 1 024 (below 20 480), 2 048 (below
// 40 960) or 5 120. Padding hides the exact size of the config.
func PaddedSize(size, overhead int) int {
	total := size + overhead
	chunk := 5120
	switch {
	case total < 5120:
		chunk = 256
	case total < 20480:
		chunk = 1024
	case total < 40960:
		chunk = 2048
	}
	return (total+chunk-1)/chunk*chunk - overhead
}

// PadMessage returns msg with zero bytes prepended up to
// PaddedSize(len(msg), overhead). Pushes use overhead [EncryptOverhead].
// Prefix padding works because a config plaintext never starts with a zero
// byte: receivers strip leading zeros.
func PadMessage(msg []byte, overhead int) []byte {
	n := max(PaddedSize(len(msg), overhead), len(msg))
	out := make([]byte, n)
	copy(out[n-len(msg):], msg)
	return out
}

// compressor compresses pushes. Building a zstd encoder costs far more than
// compressing a config, so each Config keeps one.
type compressor struct {
	enc *zstd.Encoder
}

// compress returns 'z' ‖ zstd(msg) when that is smaller than msg, and msg
// otherwise, as libsession's push does.
func (c *compressor) compress(msg []byte) []byte {
	if c.enc == nil {
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(compressionLevel),
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderCRC(false),
			zstd.WithLowerEncoderMem(true))
		if err != nil {
			return msg
		}
		c.enc = enc
	}
	out := c.enc.EncodeAll(msg, []byte{prefixZstd})
	if len(out) < len(msg) {
		return out
	}
	return msg
}

// compressMessage compresses with a throwaway encoder.
func compressMessage(msg []byte) []byte {
	var c compressor
	return c.compress(msg)
}

func decompress(data []byte) ([]byte, error) {
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(MaxDecompressedSize))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecompress, err)
	}
	defer dec.Close()
	out, err := dec.DecodeAll(data, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecompress, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty result", ErrDecompress)
	}
	return out, nil
}

// DecodePlaintext turns a decrypted push back into a serialized config
// message: it strips the zero padding, decompresses a 'z' (zstd) message,
// and checks that the result starts like a bt dict. Multipart messages
// ('m'), which newer libsession versions send for configs over the size
// limit, are not supported and fail with [ErrMalformed].
func DecodePlaintext(padded []byte) ([]byte, error) {
	msg := bytes.TrimLeft(padded, "\x00")
	if len(msg) == 0 {
		return nil, fmt.Errorf("%w: no data after the padding", ErrMalformed)
	}
	switch msg[0] {
	case prefixZstd:
		var err error
		if msg, err = decompress(msg[1:]); err != nil {
			return nil, err
		}
	case prefixMultipart:
		return nil, fmt.Errorf("%w: multipart messages are not supported", ErrMalformed)
	}
	if msg[0] != prefixBT {
		return nil, fmt.Errorf("%w: unknown message type %q", ErrMalformed, msg[0])
	}
	return msg, nil
}
