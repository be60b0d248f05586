package protocol

import (
	"fmt"
	"strings"

	"github.com/session-go/session-go/internal/keys"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20poly1305"
)

// ONSNameHash returns BLAKE2b-32 of the lowercased ONS name: the value a
// client asks a service node to resolve, so that the node never learns the
// name itself.
func ONSNameHash(name string) [32]byte {
	return blake2b.Sum256([]byte(strings.ToLower(name)))
}

// DecryptONS decrypts an ONS (Session name service) record: ciphertext and
// its 24-byte nonce as a service node returns them for name. The key is
// BLAKE2b-32(key=ONSNameHash(name), name), so only someone who knows the name
// can read the record; the cipher is XChaCha20-Poly1305 without associated
// data. The plaintext must be a 33-byte ID.
//
// The name is lowercased first, as Session's clients do before hashing; ONS
// names are case-insensitive. Records from before nonces were used
// (XSalsa20) are not supported; no live record uses them.
func DecryptONS(name string, ciphertext, nonce []byte) (keys.ID, error) {
	if len(nonce) != chacha20poly1305.NonceSizeX {
		return keys.ID{}, fmt.Errorf("%w: ONS nonce is %d bytes, want %d", ErrMalformed, len(nonce), chacha20poly1305.NonceSizeX)
	}
	lower := []byte(strings.ToLower(name))
	nameHash := blake2b.Sum256(lower)
	h, _ := blake2b.New256(nameHash[:]) // a 32-byte key is always valid
	h.Write(lower)
	key := h.Sum(nil)
	defer clear(key)
	aead, _ := chacha20poly1305.NewX(key) // the key is 32 bytes
	pt, err := aead.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return keys.ID{}, ErrDecrypt
	}
	id, err := keys.ParseIDBytes(pt)
	if err != nil {
		return keys.ID{}, fmt.Errorf("%w: ONS record does not hold an ID", ErrMalformed)
	}
	return id, nil
}
