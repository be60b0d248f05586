package keys

import (
	"crypto/sha512"
	"fmt"

	"filippo.io/edwards25519"
	"golang.org/x/crypto/blake2b"
)

// Community blinding gives an account a different, unlinkable identity on
// each community server. With A = a·B the account's Ed25519 key and k a
// factor derived from the server's public key, the blinded key is k·A and its
// secret scalar k·a, so the account can sign as k·A while others who know only
// the Session ID can still compute k·A (up to sign) and recognise it.
//
// blind15 derives k from the server key alone; blind25 also hashes in the
// Session ID, so that two accounts' blinded keys on one server cannot be
// related by a common factor.

// The BLAKE2b keys of libsession's blind25 signing nonce.
const (
	blind25SeedHashKey = "SessCommBlind25_seed"
	blind25SigHashKey  = "SessCommBlind25_sig"
)

// checkServerKey checks the size of a community server public key.
func checkServerKey(serverPub []byte) error {
	if len(serverPub) != PublicKeySize {
		return fmt.Errorf("%w (got %d)", ErrServerKeySize, len(serverPub))
	}
	return nil
}

// reduce64 returns a 64-byte hash reduced modulo L, libsodium's
// crypto_core_ed25519_scalar_reduce.
func reduce64(h []byte) *edwards25519.Scalar {
	s, err := new(edwards25519.Scalar).SetUniformBytes(h)
	if err != nil {
		panic("keys: reduce64 needs 64 bytes") // callers pass 64-byte hashes
	}
	return s
}

// scalarBytes returns the 32-byte little-endian encoding of s.
func scalarBytes(s *edwards25519.Scalar) [32]byte {
	var out [32]byte
	copy(out[:], s.Bytes())
	return out
}

// blind15Scalar is k = BLAKE2b-512(server public key) mod L.
func blind15Scalar(serverPub []byte) *edwards25519.Scalar {
	h := blake2b.Sum512(serverPub)
	return reduce64(h[:])
}

// blind25Scalar is k = BLAKE2b-512(0x05 ‖ X ‖ server public key) mod L, X
// being the account's X25519 public key.
func blind25Scalar(x, serverPub []byte) *edwards25519.Scalar {
	h, _ := blake2b.New512(nil) // an unkeyed BLAKE2b never fails
	h.Write([]byte{byte(PrefixStandard)})
	h.Write(x)
	h.Write(serverPub)
	return reduce64(h.Sum(nil))
}

// sessionKey returns the X25519 key of a Session ID, or an error naming the
// ID when its prefix is not 05.
func sessionKey(sessionID ID) ([]byte, error) {
	if sessionID.Prefix != PrefixStandard {
		return nil, fmt.Errorf("%w %q: this is a %s, not a Session ID (05)", ErrInvalidID, sessionID.String(), sessionID.Prefix)
	}
	return sessionID.Key[:], nil
}

// Blind15Factor returns the blind15 factor for a community server: the
// 32-byte little-endian scalar BLAKE2b-512(serverPub) mod L.
func Blind15Factor(serverPub []byte) ([32]byte, error) {
	if err := checkServerKey(serverPub); err != nil {
		return [32]byte{}, err
	}
	return scalarBytes(blind15Scalar(serverPub)), nil
}

// Blind25Factor returns the blind25 factor of a Session ID on a community
// server: BLAKE2b-512(0x05 ‖ X ‖ serverPub) mod L. It is the factor before the
// sign correction that [Identity.Blind25KeyPair] applies.
func Blind25Factor(sessionID ID, serverPub []byte) ([32]byte, error) {
	x, err := sessionKey(sessionID)
	if err != nil {
		return [32]byte{}, err
	}
	if err := checkServerKey(serverPub); err != nil {
		return [32]byte{}, err
	}
	return scalarBytes(blind25Scalar(x, serverPub)), nil
}

// Blind15IDFromEd25519 returns the blind15 ID of the account whose Ed25519
// public key is edPub: 15 ‖ k·A. Unlike [Blind15IDCandidates] it is exact,
// because the Ed25519 key carries its own sign.
func Blind15IDFromEd25519(edPub, serverPub []byte) (ID, error) {
	if err := checkServerKey(serverPub); err != nil {
		return ID{}, err
	}
	kA, err := scalarMult(blind15Scalar(serverPub), edPub)
	if err != nil {
		return ID{}, err
	}
	return ID{Prefix: PrefixBlind15, Key: kA}, nil
}

// Blind15IDCandidates returns the two blind15 IDs a Session ID may have on a
// community server. An X25519 key determines the Ed25519 key only up to sign,
// so the first candidate blinds the positive XEd25519 key and the second is
// its negation (bit 7 of the last byte flipped). The account's real ID is one
// of the two; [Blind15IDFromEd25519] says which.
func Blind15IDCandidates(sessionID ID, serverPub []byte) ([2]ID, error) {
	x, err := sessionKey(sessionID)
	if err != nil {
		return [2]ID{}, err
	}
	edPub, err := XEd25519PublicKey(x)
	if err != nil {
		return [2]ID{}, fmt.Errorf("keys: Session ID %q: %w", sessionID.String(), err)
	}
	pos, err := Blind15IDFromEd25519(edPub, serverPub)
	if err != nil {
		return [2]ID{}, err
	}
	neg := pos
	neg.Key[31] ^= 0x80
	return [2]ID{pos, neg}, nil
}

// Blind25ID returns the blind25 ID of a Session ID on a community server:
// 25 ‖ k·|A|, where |A| is the Ed25519 key with its sign bit cleared. Unlike
// blind15, the result does not depend on the account's sign bit, so a
// Session ID has exactly one blind25 ID.
func Blind25ID(sessionID ID, serverPub []byte) (ID, error) {
	x, err := sessionKey(sessionID)
	if err != nil {
		return ID{}, err
	}
	if err := checkServerKey(serverPub); err != nil {
		return ID{}, err
	}
	edPub, err := XEd25519PublicKey(x)
	if err != nil {
		return ID{}, fmt.Errorf("keys: Session ID %q: %w", sessionID.String(), err)
	}
	kA, err := scalarMult(blind25Scalar(x, serverPub), edPub)
	if err != nil {
		return ID{}, err
	}
	return ID{Prefix: PrefixBlind25, Key: kA}, nil
}

// Blind25IDFromEd25519 returns the blind25 ID of the account whose Ed25519
// public key is edPub. It equals [Blind25ID] of that account's Session ID.
func Blind25IDFromEd25519(edPub, serverPub []byte) (ID, error) {
	if err := checkServerKey(serverPub); err != nil {
		return ID{}, err
	}
	x, err := Ed25519PublicToX25519(edPub)
	if err != nil {
		return ID{}, err
	}
	pos := [32]byte(edPub)
	pos[31] &= 0x7f
	kA, err := scalarMult(blind25Scalar(x, serverPub), pos[:])
	if err != nil {
		return ID{}, err
	}
	return ID{Prefix: PrefixBlind25, Key: kA}, nil
}

// SessionIDOwnsBlindedID reports whether the blinded ID (prefix 15 or 25)
// belongs to the account with this Session ID on the community server. For
// blind15 either sign matches, since a Session ID cannot tell them apart.
func SessionIDOwnsBlindedID(sessionID, blinded ID, serverPub []byte) (bool, error) {
	switch blinded.Prefix {
	case PrefixBlind15:
		c, err := Blind15IDCandidates(sessionID, serverPub)
		if err != nil {
			return false, err
		}
		return blinded == c[0] || blinded == c[1], nil
	case PrefixBlind25:
		id, err := Blind25ID(sessionID, serverPub)
		if err != nil {
			return false, err
		}
		return blinded == id, nil
	}
	return false, fmt.Errorf("%w %q: this is a %s, not a blinded ID (15 or 25)", ErrInvalidID, blinded.String(), blinded.Prefix)
}

// BlindedKeyPair is an account's blinded key on one community server: the
// public key k·A, its secret scalar k·a, and what signing and blinded
// Diffie-Hellman need. Make one with [Identity.Blind15KeyPair] or
// [Identity.Blind25KeyPair].
//
// A BlindedKeyPair holds secrets; it has no String method on purpose.
type BlindedKeyPair struct {
	prefix Prefix
	pub    [32]byte
	secret edwards25519.Scalar // k·a
	factor edwards25519.Scalar // k for blind15, k' (sign-corrected) for blind25
	a      edwards25519.Scalar // the unblinded scalar, for blind15 Diffie-Hellman
	// nonceKey is the secret half of the deterministic signing nonce:
	// SHA-512(sk64)[32:] for blind15, BLAKE2b-256(key "SessCommBlind25_seed",
	// seed) for blind25, as libsession computes them.
	nonceKey [32]byte
}

// accountScalar returns a, the clamped SHA-512(seed)[:32] that is both the
// Ed25519 secret scalar and the X25519 secret key.
func (id *Identity) accountScalar() *edwards25519.Scalar {
	s, err := new(edwards25519.Scalar).SetBytesWithClamping(id.xPriv[:])
	if err != nil {
		panic("keys: X25519 secret key is not 32 bytes") // unreachable: it is an array
	}
	return s
}

// newBlindedKeyPair finishes a key pair from its prefix and factor.
func (id *Identity) newBlindedKeyPair(p Prefix, k *edwards25519.Scalar) *BlindedKeyPair {
	kp := &BlindedKeyPair{prefix: p}
	kp.a.Set(id.accountScalar())
	kp.factor.Set(k)
	kp.secret.Multiply(k, &kp.a)
	copy(kp.pub[:], new(edwards25519.Point).ScalarBaseMult(&kp.secret).Bytes())
	return kp
}

// Blind15KeyPair returns the account's blind15 key pair on a community
// server: k = BLAKE2b-512(serverPub) mod L, secret k·a, public k·A.
func (id *Identity) Blind15KeyPair(serverPub []byte) (*BlindedKeyPair, error) {
	if err := checkServerKey(serverPub); err != nil {
		return nil, err
	}
	kp := id.newBlindedKeyPair(PrefixBlind15, blind15Scalar(serverPub))
	h := sha512.Sum512(id.ed) // all 64 bytes of seed ‖ pk, as libsession hashes them
	copy(kp.nonceKey[:], h[32:])
	return kp, nil
}

// Blind25KeyPair returns the account's blind25 key pair on a community
// server. The factor k from [Blind25Factor] is negated when the account's
// Ed25519 key has its sign bit set, so that the public key k'·A is always
// k·|A|, the value others compute from the Session ID.
func (id *Identity) Blind25KeyPair(serverPub []byte) (*BlindedKeyPair, error) {
	if err := checkServerKey(serverPub); err != nil {
		return nil, err
	}
	k := blind25Scalar(id.xPub[:], serverPub)
	if id.ed[SecretKeySize-1]&0x80 != 0 {
		k.Negate(k)
	}
	kp := id.newBlindedKeyPair(PrefixBlind25, k)
	h, _ := blake2b.New256([]byte(blind25SeedHashKey)) // a key under 64 bytes never fails
	h.Write(id.ed.Seed())
	copy(kp.nonceKey[:], h.Sum(nil))
	return kp, nil
}

// ID returns the blinded ID: prefix 15 or 25 and the blinded public key.
func (kp *BlindedKeyPair) ID() ID { return ID{Prefix: kp.prefix, Key: kp.pub} }

// PublicKey returns the 32-byte blinded public key, an Ed25519 public key
// that verifies the pair's signatures.
func (kp *BlindedKeyPair) PublicKey() [32]byte { return kp.pub }

// SecretScalar returns the blinded secret scalar k·a mod L, little-endian.
func (kp *BlindedKeyPair) SecretScalar() [32]byte { return scalarBytes(&kp.secret) }

// Factor returns the blinding factor actually applied: k for blind15, and
// for blind25 k or -k mod L depending on the sign of the account's key.
func (kp *BlindedKeyPair) Factor() [32]byte { return scalarBytes(&kp.factor) }

// Sign signs msg with the blinded key. The result is a standard Ed25519
// signature for [BlindedKeyPair.PublicKey]. The nonce follows libsession, so
// blind25 signatures match Session's byte for byte. For blind15, Session
// Desktop derives the nonce from SHA-512(seed) instead of SHA-512(sk64) and
// so signs with different, equally valid bytes.
func (kp *BlindedKeyPair) Sign(msg []byte) []byte {
	var rh []byte
	switch kp.prefix {
	case PrefixBlind25:
		h, _ := blake2b.New512([]byte(blind25SigHashKey))
		h.Write(kp.nonceKey[:])
		h.Write(kp.pub[:])
		h.Write(msg)
		rh = h.Sum(nil)
	default:
		h := sha512.New()
		h.Write(kp.nonceKey[:])
		h.Write(kp.pub[:])
		h.Write(msg)
		rh = h.Sum(nil)
	}
	r := reduce64(rh)
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()

	h := sha512.New()
	h.Write(R)
	h.Write(kp.pub[:])
	h.Write(msg)
	hram := reduce64(h.Sum(nil))
	S := new(edwards25519.Scalar).MultiplyAdd(hram, &kp.secret, r)

	return append(R, S.Bytes()...)
}

// SharedPoint returns the blinded Diffie-Hellman point with another member's
// blinded ID of the same kind, the input to the key of a blinded direct
// message. Both members get the same point: for blind25 it is the pair's
// secret k·a times the peer's j·B, that is kj·ab·G; for blind15, where every
// member of a server shares one factor (j = k), the unblinded a times k·B,
// that is k·ab·G.
func (kp *BlindedKeyPair) SharedPoint(peer ID) ([32]byte, error) {
	if peer.Prefix != kp.prefix {
		return [32]byte{}, fmt.Errorf("%w %q: a %s cannot talk to a %s", ErrInvalidID, peer.String(), peer.Prefix, kp.prefix)
	}
	s := &kp.secret
	if kp.prefix == PrefixBlind15 {
		s = &kp.a
	}
	return scalarMult(s, peer.Key[:])
}
