package protocol

import (
	"bytes"
	"crypto/ed25519"

	"filippo.io/edwards25519"
	"github.com/session-go/session-go/internal/keys"
	"golang.org/x/crypto/nacl/secretbox"
)

// Opened is a v1 message that decrypted and whose signature verified.
type Opened struct {
	// Plaintext is the message as it was encrypted (still padded, when the
	// sender padded it).
	Plaintext []byte
	// SenderEd25519 is the Ed25519 key that signed the message.
	SenderEd25519 ed25519.PublicKey
	// Sender is the sender's Session ID, derived from SenderEd25519.
	Sender keys.ID
}

// Decrypt opens a v1 ciphertext ([EncryptForRecipient] or
// [EncryptForRecipientDeterministic]) addressed to recipient, checks the
// sender's signature and returns the plaintext with the sender's keys. Every
// failure is [ErrDecrypt].
func Decrypt(recipient *keys.Identity, ciphertext []byte) (*Opened, error) {
	priv, pub := recipient.X25519PrivateKey(), recipient.X25519PublicKey()
	defer clear(priv[:])
	return open(ciphertext, &priv, &pub)
}

// DecryptX25519 is [Decrypt] for a recipient known only by its X25519 key pair,
// as libsession's decrypt_incoming(x25519_pubkey, x25519_seckey, ciphertext)
// (legacy groups had such keys). pub must be the public half of priv: it is
// part of both the box nonce and the signed message.
func DecryptX25519(priv, pub *[32]byte, ciphertext []byte) (*Opened, error) {
	return open(ciphertext, priv, pub)
}

func open(ct []byte, priv, pub *[32]byte) (*Opened, error) {
	if len(ct) < SealOverhead+SignatureOverhead {
		return nil, ErrDecrypt
	}
	epk := ct[:32]
	key, err := boxKey(priv, epk)
	if err != nil {
		return nil, ErrDecrypt
	}
	defer clear(key[:])
	nonce := sealNonce(epk, pub[:])
	inner, ok := secretbox.Open(nil, ct[32:], &nonce, key)
	if !ok {
		return nil, ErrDecrypt
	}
	mlen := len(inner) - SignatureOverhead
	senderEd := ed25519.PublicKey(bytes.Clone(inner[mlen : mlen+ed25519.PublicKeySize]))
	senderX, ok := edToX25519(senderEd)
	if !ok {
		return nil, ErrDecrypt
	}
	var sig [ed25519.SignatureSize]byte
	copy(sig[:], inner[mlen+ed25519.PublicKeySize:])
	// The signature covers M ‖ A ‖ Y: overwrite the signature with our own key.
	signed := append(inner[:mlen+ed25519.PublicKeySize], pub[:]...)
	if !ed25519.Verify(senderEd, signed, sig[:]) {
		return nil, ErrDecrypt
	}
	return &Opened{
		Plaintext:     inner[:mlen:mlen],
		SenderEd25519: senderEd,
		Sender:        keys.ID{Prefix: keys.PrefixStandard, Key: senderX},
	}, nil
}

// edToX25519 converts a sender's Ed25519 key to its X25519 form, refusing the
// keys libsodium's signature check and crypto_sign_ed25519_pk_to_curve25519
// refuse: non-canonical encodings and points of small order. Go's
// ed25519.Verify accepts both, and a small-order key makes signatures trivial
// to forge.
func edToX25519(pk []byte) ([32]byte, bool) {
	p, err := new(edwards25519.Point).SetBytes(pk)
	if err != nil || !bytes.Equal(p.Bytes(), pk) {
		return [32]byte{}, false
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return [32]byte{}, false
	}
	var x [32]byte
	copy(x[:], p.BytesMontgomery())
	return x, true
}
