package protocol

import (
	"bytes"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// DecryptPushNotification decrypts the payload of a push notification with
// the 32-byte key the client registered with the push server. The payload is
// a 24-byte nonce followed by XChaCha20-Poly1305 ciphertext (no associated
// data); the server pads the plaintext with zero bytes to hide its length,
// and these are removed.
//
// libsession keeps an all-zero plaintext as it is; here it becomes empty.
func DecryptPushNotification(key, payload []byte) ([]byte, error) {
	if len(key) != chacha20poly1305.KeySize {
		return nil, fmt.Errorf("%w: push notification key is %d bytes, want %d", ErrInvalidKey, len(key), chacha20poly1305.KeySize)
	}
	if len(payload) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead {
		return nil, ErrDecrypt
	}
	aead, _ := chacha20poly1305.NewX(key) // the key size was checked
	nonce, ct := payload[:chacha20poly1305.NonceSizeX], payload[chacha20poly1305.NonceSizeX:]
	pt, err := aead.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return bytes.TrimRight(pt, "\x00"), nil
}
