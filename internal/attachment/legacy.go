package attachment

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"math"
)

// Sizes of the legacy format.
const (
	// LegacyKeySize is the legacy key: AES-256 key ‖ HMAC-SHA256 key.
	LegacyKeySize = 64
	// DigestSize is the size of AttachmentPointer.digest (SHA-256).
	DigestSize = sha256.Size
	// MaxLegacySize is the largest plaintext the legacy padding covers;
	// Session's clients refuse larger files.
	MaxLegacySize = 10_000_000

	legacyMinPadded = 541
	ivSize          = aes.BlockSize
	macSize         = sha256.Size
)

// LegacyPaddedSize returns the size session-desktop pads n plaintext bytes
// to: max(541, floor(1.05^ceil(log(n)/log(1.05)))), capped at 10 000 000.
// The float arithmetic is the same IEEE-754 double arithmetic JavaScript
// does, so the sizes agree.
func LegacyPaddedSize(n int) int {
	p := math.Max(legacyMinPadded, math.Floor(math.Pow(1.05, math.Ceil(math.Log(float64(n))/math.Log(1.05)))))
	if n <= MaxLegacySize {
		p = math.Min(p, MaxLegacySize)
	}
	return max(int(p), n)
}

// EncryptLegacy encrypts plaintext in the legacy format with a fresh random
// key and IV read from rand. It returns the blob to upload, the 64-byte key
// and the digest for the AttachmentPointer.
func EncryptLegacy(rand io.Reader, plaintext []byte) (blob, key, digest []byte, err error) {
	if len(plaintext) > MaxLegacySize {
		return nil, nil, nil, fmt.Errorf("%w: %d bytes is over %d", ErrTooLarge, len(plaintext), MaxLegacySize)
	}
	key = make([]byte, LegacyKeySize)
	if _, err := io.ReadFull(rand, key); err != nil {
		return nil, nil, nil, err
	}
	iv := make([]byte, ivSize)
	if _, err := io.ReadFull(rand, iv); err != nil {
		return nil, nil, nil, err
	}
	padded := LegacyPaddedSize(len(plaintext))
	// PKCS#7 always adds 1..16 bytes.
	ctLen := (padded/aes.BlockSize + 1) * aes.BlockSize
	blob = make([]byte, ivSize+ctLen, ivSize+ctLen+macSize)
	copy(blob, iv)
	body := blob[ivSize:]
	copy(body, plaintext) // the zero padding is already there
	pk := byte(ctLen - padded)
	for i := padded; i < ctLen; i++ {
		body[i] = pk
	}
	block, _ := aes.NewCipher(key[:32])
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(body, body)
	m := hmac.New(sha256.New, key[32:])
	m.Write(blob)
	blob = m.Sum(blob)
	d := sha256.Sum256(blob)
	return blob, key, d[:], nil
}

// DecryptLegacy checks blob against digest and its HMAC, and only then
// decrypts it and cuts the padding off at size (the pointer's size; 0 keeps
// the padded plaintext, as Session does when the sender left size out).
func DecryptLegacy(blob, key, digest []byte, size int) ([]byte, error) {
	if len(key) != LegacyKeySize {
		return nil, fmt.Errorf("%w: a legacy key is %d bytes, got %d", ErrKey, LegacyKeySize, len(key))
	}
	if len(digest) != DigestSize {
		return nil, fmt.Errorf("%w: the digest is %d bytes, want %d", ErrAuth, len(digest), DigestSize)
	}
	if len(blob) < ivSize+aes.BlockSize+macSize || (len(blob)-ivSize-macSize)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: a %d-byte blob is not IV ‖ CBC blocks ‖ MAC", ErrMalformed, len(blob))
	}
	d := sha256.Sum256(blob)
	if subtle.ConstantTimeCompare(d[:], digest) != 1 {
		return nil, fmt.Errorf("%w: the blob does not match its digest", ErrAuth)
	}
	body := blob[:len(blob)-macSize]
	m := hmac.New(sha256.New, key[32:])
	m.Write(body)
	if !hmac.Equal(m.Sum(nil), blob[len(blob)-macSize:]) {
		return nil, fmt.Errorf("%w: bad MAC", ErrAuth)
	}
	pt := make([]byte, len(body)-ivSize)
	block, _ := aes.NewCipher(key[:32])
	cipher.NewCBCDecrypter(block, body[:ivSize]).CryptBlocks(pt, body[ivSize:])
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, fmt.Errorf("%w: bad PKCS#7 padding", ErrMalformed)
	}
	for _, c := range pt[len(pt)-pad:] {
		if int(c) != pad {
			return nil, fmt.Errorf("%w: bad PKCS#7 padding", ErrMalformed)
		}
	}
	pt = pt[:len(pt)-pad]
	if size < 0 || size > len(pt) {
		return nil, fmt.Errorf("%w: size %d is more than the %d bytes decrypted", ErrMalformed, size, len(pt))
	}
	if size > 0 {
		pt = pt[:size]
	}
	return pt, nil
}
