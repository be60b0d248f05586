package protocol

import (
	"fmt"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"
)

// MultiOverhead is what [EncryptForMultiple] adds to each copy: the
// Poly1305 tag. The shared nonce is sent once, separately.
const MultiOverhead = chacha20poly1305.Overhead

// EncryptForMultiple encrypts a message separately for each recipient, as
// libsession's encrypt_for_multiple (used, for example, to hand a group key to
// every member). messages holds either one message for everybody or one per
// recipient, in the order of recipients. All copies share nonce, which is
// safe because every copy has its own key, and which the caller sends along
// with the copies; it must not be reused with the same sender key and domain.
//
// The key for recipient B is BLAKE2b-32(key=domain, X25519(a, B) ‖ A ‖ B),
// where a/A is the sender's X25519 key pair; domain separates uses of the
// scheme (libsodium caps a BLAKE2b key at 64 bytes, so only the first 64
// bytes of domain count). Each copy is XChaCha20-Poly1305 of its message
// without associated data, len(message) + [MultiOverhead] bytes. Copies
// are neither signed nor labelled: authenticating the sender is the caller's
// job, and a recipient finds its copy by trying them all
// ([DecryptForMultiple]).
func EncryptForMultiple(messages [][]byte, recipients [][32]byte, nonce [24]byte, senderPriv, senderPub [32]byte, domain string) ([][]byte, error) {
	if len(messages) != 1 && len(messages) != len(recipients) {
		return nil, fmt.Errorf("%w: %d messages for %d recipients", ErrMessageCount, len(messages), len(recipients))
	}
	out := make([][]byte, 0, len(recipients))
	for i := range recipients {
		key, err := multiKey(&senderPriv, &recipients[i], &senderPub, &recipients[i], domain)
		if err != nil {
			return nil, fmt.Errorf("%w: recipient %d has a low-order X25519 key", ErrInvalidKey, i)
		}
		aead, _ := chacha20poly1305.NewX(key[:]) // 32-byte key
		m := messages[0]
		if len(messages) > 1 {
			m = messages[i]
		}
		out = append(out, aead.Seal(nil, nonce[:], m, nil))
		clear(key[:])
	}
	return out, nil
}

// DecryptForMultiple finds and decrypts the copy meant for the recipient
// with X25519 key pair priv/pub among ciphertexts from [EncryptForMultiple],
// given the shared nonce, the sender's X25519 public key and the domain. It
// tries each copy in turn and returns the first that authenticates, or
// [ErrDecrypt] when none does.
func DecryptForMultiple(ciphertexts [][]byte, nonce [24]byte, priv, pub, senderPub [32]byte, domain string) ([]byte, error) {
	key, err := multiKey(&priv, &senderPub, &senderPub, &pub, domain)
	if err != nil {
		return nil, ErrDecrypt
	}
	defer clear(key[:])
	aead, _ := chacha20poly1305.NewX(key[:])
	for _, ct := range ciphertexts {
		if len(ct) < MultiOverhead {
			continue
		}
		if pt, err := aead.Open(nil, nonce[:], ct, nil); err == nil {
			return pt, nil
		}
	}
	return nil, ErrDecrypt
}

// multiKey is BLAKE2b-32(key=domain, X25519(priv, peer) ‖ s ‖ r), s and r
// being the sender's and the recipient's public keys; both sides compute the
// same value because X25519(a, B) = X25519(b, A).
func multiKey(priv, peer, s, r *[32]byte, domain string) (*[32]byte, error) {
	shared, err := curve25519.X25519(priv[:], peer[:])
	if err != nil {
		return nil, err
	}
	defer clear(shared)
	d := []byte(domain)
	if len(d) > blake2b.Size {
		d = d[:blake2b.Size]
	}
	h, _ := blake2b.New256(d) // at most 64 bytes, so valid
	h.Write(shared)
	h.Write(s[:])
	h.Write(r[:])
	var key [32]byte
	h.Sum(key[:0])
	return &key, nil
}
