package attachment

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"io"
)

// Session's older profile-picture format (session-desktop's
// profileEncrypter): AES-256-GCM under the 32-byte profile key, the blob
// being a random 12-byte IV, the ciphertext and the 16-byte tag. Newer
// clients encrypt pictures with the deterministic format in the
// profile-picture domain; pictures in this one are still received.
const (
	profileIVSize  = 12
	profileTagSize = 16
)

// DecryptProfileGCM decrypts a profile picture in Session's older
// AES-256-GCM format, checking its tag before any byte is returned.
func DecryptProfileGCM(blob, key []byte) ([]byte, error) {
	gcm, err := profileGCM(key)
	if err != nil {
		return nil, err
	}
	if len(blob) < profileIVSize+profileTagSize+1 {
		return nil, fmt.Errorf("%w: %d-byte profile picture", ErrMalformed, len(blob))
	}
	pt, err := gcm.Open(nil, blob[:profileIVSize], blob[profileIVSize:], nil)
	if err != nil {
		return nil, fmt.Errorf("%w: profile picture", ErrAuth)
	}
	return pt, nil
}

// EncryptProfileGCM encrypts a profile picture in Session's older format,
// with a fresh IV from rand. This library sends pictures in the
// deterministic format; this exists for tests and for tools that must
// speak to older clients.
func EncryptProfileGCM(rand io.Reader, data, key []byte) ([]byte, error) {
	gcm, err := profileGCM(key)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, profileIVSize, profileIVSize+len(data)+profileTagSize)
	if _, err := io.ReadFull(rand, iv); err != nil {
		return nil, err
	}
	return gcm.Seal(iv, iv, data, nil), nil
}

// profileGCM checks a profile key and makes the AES-256-GCM of the older
// picture format from it: one place, so that encrypting and decrypting
// cannot come to disagree on the key's checks or the cipher.
func profileGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: %d-byte profile key", ErrKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return gcm, nil
}
