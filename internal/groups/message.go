package groups

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/keys"
)

// MaxPlaintextSize is the largest group message plaintext, before or after
// compression, as libsession allows.
const MaxPlaintextSize = 1_000_000

// EncryptMessage encrypts a group message as libsession's
// Keys::encrypt_message: the bt dict {"": 1, "a": sender Ed25519 key,
// "d" or "z": data (z = zstd, used only when smaller), "s": sender's
// signature of the data as stored}, zero-padded so that its length plus the
// 40 bytes of nonce and tag is a multiple of padding (1 = none), then
// XChaCha20-Poly1305 with key and a random 24-byte nonce, which leads the
// output. rand gives exactly one 24-byte read.
func EncryptMessage(rand io.Reader, key [32]byte, sender ed25519.PrivateKey, plaintext []byte, compress bool, padding int) ([]byte, error) {
	if len(sender) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: sender secret key must be 64 bytes", ErrInvalidArgument)
	}
	if len(plaintext) > MaxPlaintextSize {
		return nil, fmt.Errorf("%w: plaintext of %d bytes", ErrTooLarge, len(plaintext))
	}
	if padding < 1 || padding > 1<<20 {
		return nil, fmt.Errorf("%w: padding %d", ErrInvalidArgument, padding)
	}
	data := plaintext
	if compress {
		if z := compressZstd(plaintext); len(z) < len(plaintext) {
			data = z
		} else {
			compress = false
		}
	}
	sig := ed25519.Sign(sender, data)
	b := []byte("d")
	b = appendStr(b, "")
	b = append(b, "i1e"...)
	b = appendStr(b, "a")
	b = appendStr(b, string(sender[32:]))
	if !compress {
		b = appendStr(b, "d")
		b = appendStr(b, string(data))
	}
	b = appendStr(b, "s")
	b = appendStr(b, string(sig))
	if compress {
		b = appendStr(b, "z")
		b = appendStr(b, string(data))
	}
	b = append(b, 'e')
	if total := encOverhead + len(b); padding > 1 && total%padding != 0 {
		b = append(b, make([]byte, padding-total%padding)...)
	}
	nonce := make([]byte, 24)
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("groups: reading a nonce: %w", err)
	}
	return append(nonce, seal(key[:], nonce, b)...), nil
}

func compressZstd(b []byte) []byte {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false), zstd.WithLowerEncoderMem(true))
	if err != nil {
		return b
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

func decompressZstd(b []byte) ([]byte, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxPlaintextSize))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	out, err := dec.DecodeAll(b, nil)
	if err != nil {
		return nil, err
	}
	if len(out) > MaxPlaintextSize {
		return nil, fmt.Errorf("decompressed to more than %d bytes", MaxPlaintextSize)
	}
	return out, nil
}

// OpenMessage decrypts a group message with the first of keys that opens
// it and returns the padded inner bt dict, before any check of its content.
func OpenMessage(keyList [][32]byte, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) < encOverhead {
		return nil, fmt.Errorf("%w: group message of %d bytes is too short", ErrMalformed, len(ciphertext))
	}
	if len(ciphertext) > MaxPlaintextSize+encOverhead+1024 {
		return nil, fmt.Errorf("%w: group message of %d bytes", ErrTooLarge, len(ciphertext))
	}
	nonce, ct := ciphertext[:24], ciphertext[24:]
	for _, k := range keyList {
		if pt, ok := open(k[:], nonce, ct); ok {
			return pt, nil
		}
	}
	return nil, ErrDecrypt
}

// DecryptMessage decrypts a group message made by [EncryptMessage] with
// the first of keys that opens it, checks the sender's signature and
// returns the sender's Session ID and the plaintext.
func DecryptMessage(keyList [][32]byte, ciphertext []byte) (keys.ID, []byte, error) {
	pt, err := OpenMessage(keyList, ciphertext)
	if err != nil {
		return keys.ID{}, nil, err
	}
	pt = bytes.TrimRight(pt, "\x00")
	if len(pt) < 2 || pt[0] != 'd' || pt[len(pt)-1] != 'e' {
		return keys.ID{}, nil, fmt.Errorf("%w: decrypted data is not a bt dict", ErrMalformed)
	}
	v, err := config.DecodeBT(pt)
	if err != nil {
		return keys.ID{}, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	d := v.(config.Dict)
	if ver, ok := d[""].(int64); !ok || ver != 1 {
		return keys.ID{}, nil, fmt.Errorf("%w: version tag is %v, want 1", ErrMalformed, d[""])
	}
	a, ok := d["a"].(string)
	if !ok || len(a) != 32 {
		return keys.ID{}, nil, fmt.Errorf("%w: author key missing or not 32 bytes", ErrMalformed)
	}
	x, err := keys.Ed25519PublicToX25519([]byte(a))
	if err != nil {
		return keys.ID{}, nil, fmt.Errorf("%w: author key is not a valid Ed25519 key", ErrMalformed)
	}
	sig, ok := d["s"].(string)
	if !ok || len(sig) != 64 {
		return keys.ID{}, nil, fmt.Errorf("%w: signature missing or not 64 bytes", ErrMalformed)
	}
	raw, hasD := d["d"].(string)
	z, hasZ := d["z"].(string)
	switch {
	case hasD && hasZ:
		return keys.ID{}, nil, fmt.Errorf("%w: both d and z data", ErrMalformed)
	case hasZ:
		raw = z
	case !hasD:
		return keys.ID{}, nil, fmt.Errorf("%w: no data (d or z)", ErrMalformed)
	}
	if raw == "" {
		return keys.ID{}, nil, fmt.Errorf("%w: empty data", ErrMalformed)
	}
	if !ed25519.Verify(ed25519.PublicKey(a), []byte(raw), []byte(sig)) {
		return keys.ID{}, nil, fmt.Errorf("%w: message signature", ErrSignature)
	}
	data := []byte(raw)
	if hasZ {
		if data, err = decompressZstd(data); err != nil {
			return keys.ID{}, nil, fmt.Errorf("%w: decompressing: %v", ErrMalformed, err)
		}
	}
	id := keys.ID{Prefix: keys.PrefixStandard}
	copy(id.Key[:], x)
	return id, data, nil
}
