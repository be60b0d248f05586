package protocol

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"io"

	"github.com/session-go/session-go/internal/keys"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/salsa20/salsa"
)

// Sizes of the v1 format.
const (
	// SealOverhead is what a sealed box adds: the 32-byte ephemeral public key
	// and the 16-byte Poly1305 tag.
	SealOverhead = 32 + secretbox.Overhead
	// SignatureOverhead is what signing adds inside the box: the sender's
	// Ed25519 public key and the signature.
	SignatureOverhead = ed25519.PublicKeySize + ed25519.SignatureSize
	// Overhead is the total size that [EncryptForRecipient] adds to a message.
	Overhead = SealOverhead + SignatureOverhead
)

// boxHashKey keys the BLAKE2b hash that derives the deterministic variant's
// ephemeral seed (libsession BOX_HASHKEY).
var boxHashKey = []byte("SessionBoxEphemeralHashKey")

// recipientKey returns the X25519 key a Session ID names.
func recipientKey(recipient keys.ID) (*[32]byte, error) {
	if recipient.Prefix != keys.PrefixStandard {
		return nil, fmt.Errorf("%w: %s is a %s, not a Session ID (05)", ErrInvalidRecipient, recipient, recipient.Prefix)
	}
	y := recipient.Key
	return &y, nil
}

// SignForRecipient returns M ‖ A ‖ sig, where A is the sender's Ed25519 public
// key and sig is the sender's Ed25519 signature over M ‖ A ‖ Y, Y being the
// recipient's X25519 key. Signing Y binds the message to its recipient, so
// that it cannot be re-encrypted to somebody else as if it had been sent to
// them. This is the plaintext that [EncryptForRecipient] seals.
func SignForRecipient(sender *keys.Identity, recipient keys.ID, message []byte) ([]byte, error) {
	y, err := recipientKey(recipient)
	if err != nil {
		return nil, err
	}
	return signForRecipient(sender, y, message), nil
}

func signForRecipient(sender *keys.Identity, y *[32]byte, m []byte) []byte {
	buf := make([]byte, 0, len(m)+SignatureOverhead)
	buf = append(buf, m...)
	buf = append(buf, sender.Ed25519PublicKey()...)
	buf = append(buf, y[:]...)
	sig := ed25519.Sign(sender.Ed25519PrivateKey(), buf)
	// M ‖ A ‖ Y was signed; the recipient knows Y, so send M ‖ A ‖ sig.
	return append(buf[:len(m)+ed25519.PublicKeySize], sig...)
}

// EncryptForRecipient signs message for recipient ([SignForRecipient]) and
// seals the result in a libsodium sealed box to the recipient's X25519 key,
// with a fresh ephemeral key from crypto/rand. The output is
// len(message) + [Overhead] bytes. The message is encrypted as given: pad it
// first with [Pad] when it is a Content ([EncodeMessage] does both).
func EncryptForRecipient(sender *keys.Identity, recipient keys.ID, message []byte) ([]byte, error) {
	return EncryptForRecipientWithRand(rand.Reader, sender, recipient, message)
}

// EncryptForRecipientWithRand is [EncryptForRecipient] with the ephemeral
// secret key read from random: exactly one read of 32 bytes, as libsodium's
// crypto_box_seal draws it. It exists so that tests can replay randomness
// recorded from libsession and compare ciphertexts byte for byte; everything
// else should call EncryptForRecipient.
func EncryptForRecipientWithRand(random io.Reader, sender *keys.Identity, recipient keys.ID, message []byte) ([]byte, error) {
	y, err := recipientKey(recipient)
	if err != nil {
		return nil, err
	}
	var esk [32]byte
	defer clear(esk[:])
	if _, err := io.ReadFull(random, esk[:]); err != nil {
		return nil, fmt.Errorf("protocol: reading randomness: %w", err)
	}
	return seal(signForRecipient(sender, y, message), &esk, y)
}

// EncryptForRecipientDeterministic is [EncryptForRecipient] with the ephemeral
// key derived from the inputs instead of drawn at random, as libsession's
// encrypt_for_recipient_deterministic: the seed is
// BLAKE2b-32(key="SessionBoxEphemeralHashKey", sender seed ‖ Y ‖ message) and
// the key pair is crypto_box_seed_keypair of that seed. The output is a
// regular sealed box that [Decrypt] opens.
//
// Equal inputs give equal ciphertexts, which reveals repeated messages. Use
// it only where that is the point: the legacy wrapping of config messages,
// whose bytes libsession expects to be reproducible.
func EncryptForRecipientDeterministic(sender *keys.Identity, recipient keys.ID, message []byte) ([]byte, error) {
	y, err := recipientKey(recipient)
	if err != nil {
		return nil, err
	}
	h, _ := blake2b.New(32, boxHashKey) // only fails for a key over 64 bytes
	seed := sender.Seed()
	h.Write(seed)
	clear(seed)
	h.Write(y[:])
	h.Write(message)
	ephSeed := h.Sum(nil)
	defer clear(ephSeed)
	// crypto_box_seed_keypair: the secret key is the first half of SHA-512(seed).
	digest := sha512.Sum512(ephSeed)
	defer clear(digest[:])
	var esk [32]byte
	defer clear(esk[:])
	copy(esk[:], digest[:32])
	return seal(signForRecipient(sender, y, message), &esk, y)
}

// seal is crypto_box_seal with a given ephemeral secret key: epk ‖
// XSalsa20-Poly1305(inner) under the crypto_box key of (esk, y) with nonce
// BLAKE2b-24(epk ‖ y).
func seal(inner []byte, esk, y *[32]byte) ([]byte, error) {
	epk, err := curve25519.X25519(esk[:], curve25519.Basepoint)
	if err != nil {
		return nil, fmt.Errorf("protocol: ephemeral key: %w", err)
	}
	key, err := boxKey(esk, y[:])
	if err != nil {
		return nil, fmt.Errorf("%w: low-order X25519 key", ErrInvalidRecipient)
	}
	defer clear(key[:])
	nonce := sealNonce(epk, y[:])
	out := make([]byte, 0, len(inner)+SealOverhead)
	out = append(out, epk...)
	return secretbox.Seal(out, inner, &nonce, key), nil
}

// boxKey is crypto_box_beforenm: HSalsa20 of the X25519 shared secret. Like
// libsodium, and unlike nacl/box.Precompute, it fails on an all-zero shared
// secret, which a low-order public key produces.
func boxKey(priv *[32]byte, pub []byte) (*[32]byte, error) {
	shared, err := curve25519.X25519(priv[:], pub)
	if err != nil {
		return nil, err
	}
	var s, key [32]byte
	copy(s[:], shared)
	clear(shared)
	var zero [16]byte
	salsa.HSalsa20(&key, &zero, &s, &salsa.Sigma)
	clear(s[:])
	return &key, nil
}

// sealNonce is the implicit nonce of a sealed box: BLAKE2b-24(epk ‖ pk).
func sealNonce(epk, pk []byte) [24]byte {
	h, _ := blake2b.New(24, nil) // cannot fail without a key
	h.Write(epk)
	h.Write(pk)
	var nonce [24]byte
	h.Sum(nonce[:0])
	return nonce
}
