package keys

import (
	"fmt"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// XEd25519PublicKey recovers an Ed25519 public key from an X25519 public key
// (a Session ID without its prefix), as libsession's xed25519::pubkey does:
// the Montgomery u coordinate becomes the Edwards y = (u-1)/(u+1), and the
// sign bit is left at 0.
//
// An X25519 key does not say which of the two Edwards points ±A it came from,
// so the result is the account's real Ed25519 key for only about half of all
// accounts; [XEd25519NegativePublicKey] gives the other candidate. As in
// libsodium, the top bit of x is ignored and a u that is not reduced modulo
// 2^255-19 is accepted. The error is [ErrInvalidPoint] when y is not on the
// curve (x was a point on the twist).
func XEd25519PublicKey(x []byte) ([]byte, error) {
	if len(x) != PublicKeySize {
		return nil, fmt.Errorf("%w: X25519 public key must be 32 bytes (got %d)", ErrInvalidPoint, len(x))
	}
	u, err := new(field.Element).SetBytes(x)
	if err != nil {
		return nil, ErrInvalidPoint
	}
	one := new(field.Element).One()
	num := new(field.Element).Subtract(u, one)
	den := new(field.Element).Add(u, one)
	// Inverting zero gives zero, as in libsodium, so u = -1 maps to y = 0.
	den.Invert(den)
	y := new(field.Element).Multiply(num, den).Bytes()
	if _, err := new(edwards25519.Point).SetBytes(y); err != nil {
		return nil, ErrInvalidPoint
	}
	return y, nil
}

// XEd25519NegativePublicKey returns the other Ed25519 candidate for an X25519
// public key: the point of [XEd25519PublicKey] negated, which is the same
// encoding with the sign bit (bit 7 of the last byte) set.
func XEd25519NegativePublicKey(x []byte) ([]byte, error) {
	pk, err := XEd25519PublicKey(x)
	if err != nil {
		return nil, err
	}
	pk[31] |= 0x80
	return pk, nil
}

// isSmallOrder reports whether [8]p is the identity. It leaves p unchanged.
func isSmallOrder(p *edwards25519.Point) bool {
	return new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1
}

// inPrimeOrderSubgroup reports whether [L]p is the identity, L being the
// order of the base point. L itself is not a valid Scalar, so this computes
// [L-1]p + p. Points here are public, so variable time is fine.
func inPrimeOrderSubgroup(p *edwards25519.Point) bool {
	var one [32]byte
	one[0] = 1
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(one[:])
	if err != nil {
		panic("keys: scalar one is not canonical") // unreachable
	}
	s.Negate(s) // L-1
	q := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(s, p, edwards25519.NewScalar())
	q.Add(q, p)
	return q.Equal(edwards25519.NewIdentityPoint()) == 1
}

// decodeSubgroupPoint decodes pk the way libsodium's
// crypto_scalarmult_ed25519_noclamp checks its point argument: a canonical
// encoding of a point of prime order (not small order, in the prime-order
// subgroup).
func decodeSubgroupPoint(pk []byte) (*edwards25519.Point, error) {
	if len(pk) != PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 public key must be 32 bytes (got %d)", ErrInvalidPoint, len(pk))
	}
	p, err := new(edwards25519.Point).SetBytes(pk)
	if err != nil {
		return nil, ErrInvalidPoint
	}
	// SetBytes accepts a y that is not reduced; libsodium does not.
	if string(p.Bytes()) != string(pk) {
		return nil, ErrInvalidPoint
	}
	if isSmallOrder(p) || !inPrimeOrderSubgroup(p) {
		return nil, ErrInvalidPoint
	}
	return p, nil
}

// scalarMult returns [s]P like libsodium's crypto_scalarmult_ed25519_noclamp:
// P must pass [decodeSubgroupPoint] and the result must not be the identity.
func scalarMult(s *edwards25519.Scalar, pk []byte) ([32]byte, error) {
	var out [32]byte
	p, err := decodeSubgroupPoint(pk)
	if err != nil {
		return out, err
	}
	q := new(edwards25519.Point).ScalarMult(s, p)
	if q.Equal(edwards25519.NewIdentityPoint()) == 1 {
		return out, ErrInvalidPoint
	}
	copy(out[:], q.Bytes())
	return out, nil
}
