// Package dm implements blinded direct messages between community members
// (Session's "inbox" messages). It is internal so that package sogs can offer
// it with crypto/rand while package sogstest offers the same code with a
// caller-chosen random source for known-answer tests.
package dm

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/session-go/session-go/internal/keys"
)

var (
	// ErrDecrypt reports a blinded message that cannot be decrypted or
	// authenticated. It says no more on purpose.
	ErrDecrypt = errors.New("sogs: cannot decrypt blinded message")
	// ErrNotParticipant reports a message whose sender and recipient are
	// both someone other than the decrypting account.
	ErrNotParticipant = errors.New("sogs: message is neither from nor to this account")
	// ErrBlindedID reports a sender or recipient that is not a blinded ID
	// (15 or 25), or two IDs of different kinds.
	ErrBlindedID = errors.New("sogs: want two blinded IDs of the same kind (15 or 25)")
)

// version is the first byte of a blinded message, so that a later format can
// be told apart.
const version = 0x00

// Overhead is what encryption adds to a message: the version byte, the
// sender's Ed25519 public key, the Poly1305 tag and the nonce.
const Overhead = 1 + ed25519.PublicKeySize + chacha20poly1305.Overhead + chacha20poly1305.NonceSizeX

// keyPair returns the account's blinded key pair of the given kind.
func keyPair(id *keys.Identity, kind keys.Prefix, serverPub []byte) (*keys.BlindedKeyPair, error) {
	switch kind {
	case keys.PrefixBlind15:
		return id.Blind15KeyPair(serverPub)
	case keys.PrefixBlind25:
		return id.Blind25KeyPair(serverPub)
	}
	return nil, fmt.Errorf("%w: got a %s", ErrBlindedID, kind)
}

// messageKey derives the XChaCha20-Poly1305 key of a message from sender to
// recipient: BLAKE2b-256(shared point ‖ sender key ‖ recipient key). The
// sender comes first whichever side computes it.
func messageKey(kp *keys.BlindedKeyPair, peer, sender, recipient keys.ID) ([]byte, error) {
	ss, err := kp.SharedPoint(peer)
	if err != nil {
		return nil, err
	}
	h, _ := blake2b.New256(nil) // unkeyed BLAKE2b never fails
	h.Write(ss[:])
	h.Write(sender.Key[:])
	h.Write(recipient.Key[:])
	return h.Sum(nil), nil
}

// Encrypt encrypts msg from the account id to the blinded recipient on the
// community server serverPub, drawing the 24-byte nonce from rand in one
// read. The result is 0x00 ‖ XChaCha20-Poly1305(msg ‖ sender Ed25519 key) ‖
// nonce, libsession's encrypt_for_blinded_recipient.
func Encrypt(rand io.Reader, id *keys.Identity, serverPub []byte, recipient keys.ID, msg []byte) ([]byte, error) {
	kp, err := keyPair(id, recipient.Prefix, serverPub)
	if err != nil {
		return nil, err
	}
	key, err := messageKey(kp, recipient, kp.ID(), recipient)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("sogs: reading nonce: %w", err)
	}
	inner := make([]byte, 0, len(msg)+ed25519.PublicKeySize)
	inner = append(inner, msg...)
	inner = append(inner, id.Ed25519PublicKey()...)

	out := make([]byte, 1, len(msg)+Overhead)
	out[0] = version
	out = aead.Seal(out, nonce, inner, nil)
	return append(out, nonce...), nil
}

// Decrypt decrypts a blinded message from sender to recipient, as the server
// reported them, with the account id, which must be one of the two: the
// recipient, or the sender reading its own outgoing message. It returns the
// message and the sender's Session ID, after checking that the sender's
// Ed25519 key inside the message blinds to the outer sender ID. Every failure
// of the data itself is [ErrDecrypt].
func Decrypt(id *keys.Identity, serverPub []byte, sender, recipient keys.ID, data []byte) ([]byte, keys.ID, error) {
	if sender.Prefix != recipient.Prefix {
		return nil, keys.ID{}, fmt.Errorf("%w: got a %s and a %s", ErrBlindedID, sender.Prefix, recipient.Prefix)
	}
	kp, err := keyPair(id, recipient.Prefix, serverPub)
	if err != nil {
		return nil, keys.ID{}, err
	}
	var peer keys.ID
	switch self := kp.ID(); {
	case sender == self:
		peer = recipient
	case recipient == self:
		peer = sender
	default:
		return nil, keys.ID{}, ErrNotParticipant
	}
	if len(data) < Overhead || data[0] != version {
		return nil, keys.ID{}, ErrDecrypt
	}
	key, err := messageKey(kp, peer, sender, recipient)
	if err != nil {
		// The peer's ID is not a usable point; nothing was sent with it.
		return nil, keys.ID{}, ErrDecrypt
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, keys.ID{}, err
	}
	split := len(data) - chacha20poly1305.NonceSizeX
	inner, err := aead.Open(nil, data[split:], data[1:split], nil)
	if err != nil {
		return nil, keys.ID{}, ErrDecrypt
	}
	msg, edPub := inner[:len(inner)-ed25519.PublicKeySize], inner[len(inner)-ed25519.PublicKeySize:]

	// The key is authenticated only as belonging to whoever knows the shared
	// point, so check it is the sender's before naming the sender by it.
	var got keys.ID
	if sender.Prefix == keys.PrefixBlind15 {
		got, err = keys.Blind15IDFromEd25519(edPub, serverPub)
	} else {
		got, err = keys.Blind25IDFromEd25519(edPub, serverPub)
	}
	if err != nil {
		return nil, keys.ID{}, ErrDecrypt
	}
	if got != sender {
		// A Session ID gives a blind15 key only up to sign; accept the
		// other sign too, as libsession means to.
		got.Key[31] ^= 0x80
		if sender.Prefix != keys.PrefixBlind15 || got != sender {
			return nil, keys.ID{}, ErrDecrypt
		}
	}
	x, err := keys.Ed25519PublicToX25519(edPub)
	if err != nil {
		return nil, keys.ID{}, ErrDecrypt
	}
	from := keys.ID{Prefix: keys.PrefixStandard}
	copy(from.Key[:], x)
	return msg, from, nil
}
