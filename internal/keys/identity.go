package keys

import (
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"

	"filippo.io/edwards25519"
)

// Sizes of the key material handled by this package.
const (
	// RecoverySeedSize is the size of the seed a recovery password encodes.
	RecoverySeedSize = 16
	// SeedSize is the size of an Ed25519 seed (libsodium crypto_sign_seed_keypair).
	SeedSize = 32
	// SecretKeySize is the size of a libsodium Ed25519 secret key: seed ‖ public key.
	SecretKeySize = 64
	// PublicKeySize is the size of an Ed25519 or X25519 public key.
	PublicKeySize = 32
)

// Identity is a Session account: an Ed25519 signing key and the X25519 key
// derived from it, whose public half is the Session ID.
//
// An Identity holds secrets; it has no String method on purpose.
type Identity struct {
	recovery []byte // 16-byte recovery seed, nil when the account came from a 32-byte seed
	ed       ed25519.PrivateKey
	xPriv    [32]byte
	xPub     [32]byte
}

// NewIdentity derives an account from a 16-byte recovery seed (padded with 16
// zero bytes, as Session's apps do) or a full 32-byte Ed25519 seed.
func NewIdentity(seed []byte) (*Identity, error) {
	var seed32 [SeedSize]byte
	var recovery []byte
	switch len(seed) {
	case RecoverySeedSize:
		copy(seed32[:], seed)
		recovery = append([]byte(nil), seed...)
	case SeedSize:
		copy(seed32[:], seed)
		var zero [16]byte
		if subtle.ConstantTimeCompare(seed[16:], zero[:]) == 1 {
			recovery = append([]byte(nil), seed[:16]...)
		}
	default:
		return nil, fmt.Errorf("%w (got %d)", ErrSeedSize, len(seed))
	}
	id := &Identity{recovery: recovery, ed: ed25519.NewKeyFromSeed(seed32[:])}
	id.xPriv = Ed25519SecretToX25519(id.ed)
	xpk, err := Ed25519PublicToX25519(id.ed.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	copy(id.xPub[:], xpk)
	return id, nil
}

// NewIdentityFromSecretKey builds an account from a 64-byte libsodium Ed25519
// secret key (seed ‖ public key), checking that both halves agree.
func NewIdentityFromSecretKey(sk []byte) (*Identity, error) {
	if len(sk) != SecretKeySize {
		return nil, fmt.Errorf("%w (got %d)", ErrSecretKeySize, len(sk))
	}
	id, err := NewIdentity(sk[:SeedSize])
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(id.ed[SeedSize:], sk[SeedSize:]) != 1 {
		return nil, ErrSecretKeyMismatch
	}
	return id, nil
}

// RecoverySeed returns a copy of the 16-byte recovery seed, or nil when the
// account was created from a 32-byte seed that is not a padded 16-byte one.
func (id *Identity) RecoverySeed() []byte { return append([]byte(nil), id.recovery...) }

// Seed returns a copy of the 32-byte Ed25519 seed.
func (id *Identity) Seed() []byte { return append([]byte(nil), id.ed.Seed()...) }

// Ed25519PrivateKey returns the 64-byte Ed25519 secret key (seed ‖ public key).
func (id *Identity) Ed25519PrivateKey() ed25519.PrivateKey { return id.ed }

// Ed25519PublicKey returns the account's Ed25519 public key.
func (id *Identity) Ed25519PublicKey() ed25519.PublicKey { return id.ed.Public().(ed25519.PublicKey) }

// X25519PublicKey returns the account's X25519 public key (the Session ID without its prefix).
func (id *Identity) X25519PublicKey() [32]byte { return id.xPub }

// X25519PrivateKey returns the account's X25519 secret key (clamped SHA-512(seed)[:32]).
func (id *Identity) X25519PrivateKey() [32]byte { return id.xPriv }

// SessionID returns the account's Session ID: prefix 05 and the X25519 public key.
func (id *Identity) SessionID() ID { return ID{Prefix: PrefixStandard, Key: id.xPub} }

// Sign signs msg with the account's Ed25519 key.
func (id *Identity) Sign(msg []byte) []byte { return ed25519.Sign(id.ed, msg) }

// Ed25519PublicToX25519 converts an Ed25519 public key to its X25519 (Montgomery)
// form, as libsodium's crypto_sign_ed25519_pk_to_curve25519.
func Ed25519PublicToX25519(pk []byte) ([]byte, error) {
	if len(pk) != PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 public key must be 32 bytes (got %d)", ErrInvalidPoint, len(pk))
	}
	p, err := new(edwards25519.Point).SetBytes(pk)
	if err != nil {
		return nil, ErrInvalidPoint
	}
	// libsodium rejects small-order points and points outside the
	// prime-order subgroup. It accepts a y coordinate that is not reduced,
	// and so does SetBytes. MultByCofactor writes into a fresh point: doing
	// it in place would convert [8]P instead of P.
	if isSmallOrder(p) || !inPrimeOrderSubgroup(p) {
		return nil, ErrInvalidPoint
	}
	return p.BytesMontgomery(), nil
}

// Ed25519SecretToX25519 converts an Ed25519 secret key (64 bytes, or its
// 32-byte seed) to the X25519 secret key: the clamped first half of SHA-512(seed),
// as libsodium's crypto_sign_ed25519_sk_to_curve25519.
func Ed25519SecretToX25519(sk []byte) [32]byte {
	h := sha512.Sum512(sk[:SeedSize])
	var out [32]byte
	copy(out[:], h[:32])
	out[0] &= 248
	out[31] &= 127
	out[31] |= 64
	return out
}
