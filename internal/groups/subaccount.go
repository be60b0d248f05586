package groups

import (
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"

	"github.com/session-go/session-go/internal/keys"
)

// Subaccount flags (network-protocol.md §1.8).
const (
	// FlagRead lets the subaccount retrieve.
	FlagRead byte = 0x01
	// FlagWrite lets it store and extend expiries.
	FlagWrite byte = 0x02
	// FlagDelete lets it delete and shorten expiries.
	FlagDelete byte = 0x04
	// FlagAnyPrefix makes the token valid for any network prefix.
	FlagAnyPrefix byte = 0x08
)

// Sizes of the subaccount values.
const (
	// AuthDataSize is the size of what an admin gives a member:
	// 03 ‖ flags ‖ 00 00 ‖ k ‖ group signature.
	AuthDataSize = 4 + 32 + 64
	// TokenSize is the size of a subaccount token: 03 ‖ flags ‖ 00 00 ‖ kT.
	TokenSize = 4 + 32
)

func subaccountFlags(write, del bool) byte {
	f := FlagRead
	if write {
		f |= FlagWrite
	}
	if del {
		f |= FlagDelete
	}
	return f
}

// xedPublicKey is the Ed25519 point (sign bit clear) whose Montgomery form
// is the X25519 key u: y = (u − 1)/(u + 1).
func xedPublicKey(u []byte) (*edwards25519.Point, error) {
	fu, err := new(field.Element).SetBytes(u)
	if err != nil {
		return nil, fmt.Errorf("%w: X25519 key", ErrInvalidArgument)
	}
	one := new(field.Element).One()
	num := new(field.Element).Subtract(fu, one)
	den := new(field.Element).Add(fu, one)
	y := new(field.Element).Multiply(num, new(field.Element).Invert(den))
	return checkedPoint(y.Bytes())
}

// checkedPoint decodes a point as libsodium's scalarmult_ed25519 accepts
// it: canonical, not of small order, in the prime-order subgroup.
func checkedPoint(b []byte) (*edwards25519.Point, error) {
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: not a curve point", ErrInvalidArgument)
	}
	id := edwards25519.NewIdentityPoint()
	if new(edwards25519.Point).MultByCofactor(p).Equal(id) == 1 {
		return nil, fmt.Errorf("%w: point of small order", ErrInvalidArgument)
	}
	// p·(L−1) + p is the identity exactly when p is in the prime subgroup.
	lm1, _ := edwards25519.NewScalar().SetCanonicalBytes(lMinus1[:])
	q := new(edwards25519.Point).ScalarMult(lm1, p)
	if q.Add(q, p).Equal(id) != 1 {
		return nil, fmt.Errorf("%w: point outside the prime-order subgroup", ErrInvalidArgument)
	}
	return p, nil
}

var lMinus1 = [32]byte{0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}

// blindMul returns k·P, refusing a zero result as libsodium does.
func blindMul(k *edwards25519.Scalar, p *edwards25519.Point) ([32]byte, error) {
	r := new(edwards25519.Point).ScalarMult(k, p)
	if r.Equal(edwards25519.NewIdentityPoint()) == 1 {
		return [32]byte{}, fmt.Errorf("%w: blinded key is the identity", ErrInvalidArgument)
	}
	return [32]byte(r.Bytes()), nil
}

// SubaccountFactor returns k, the blinding factor of member's subaccount:
// BLAKE2b-64 keyed with the seed hash "SessionGroupSubaccountMask" over
// 05 ‖ member X25519 key ‖ 03 ‖ group key, reduced mod L.
func (a *Admin) SubaccountFactor(member keys.ID) (*edwards25519.Scalar, error) {
	x, err := sessionXPK(member)
	if err != nil {
		return nil, err
	}
	mask := a.SeedHash(hkSubMask)
	h := keyedHashBytes(64, mask[:], []byte{0x05}, x, []byte{0x03}, a.PublicKey())
	k, err := edwards25519.NewScalar().SetUniformBytes(h)
	if err != nil {
		panic("groups: 64-byte hash refused by SetUniformBytes")
	}
	return k, nil
}

func (a *Admin) subaccount(member keys.ID, write, del bool) (k *edwards25519.Scalar, token []byte, err error) {
	if k, err = a.SubaccountFactor(member); err != nil {
		return nil, nil, err
	}
	T, err := xedPublicKey(member.Key[:])
	if err != nil {
		return nil, nil, err
	}
	kT, err := blindMul(k, T)
	if err != nil {
		return nil, nil, err
	}
	token = append([]byte{0x03, subaccountFlags(write, del), 0, 0}, kT[:]...)
	return k, token, nil
}

// MakeSubaccount returns the 100-byte auth data an admin gives member:
// 03 ‖ flags ‖ 00 00 ‖ k ‖ Ed25519(group key, 03 ‖ flags ‖ 00 00 ‖ kT), where
// T is the positive Ed25519 form of the member's X25519 key. Only the
// member, who knows the secret behind T, can sign as kT.
func (a *Admin) MakeSubaccount(member keys.ID, write, del bool) ([]byte, error) {
	k, token, err := a.subaccount(member, write, del)
	if err != nil {
		return nil, err
	}
	out := append(token[:4:4], k.Bytes()...)
	return append(out, ed25519.Sign(a.sk, token)...), nil
}

// SubaccountToken returns the 36-byte token of member's subaccount, the
// value the swarm is told to revoke.
func (a *Admin) SubaccountToken(member keys.ID, write, del bool) ([]byte, error) {
	_, token, err := a.subaccount(member, write, del)
	return token, err
}

// SubaccountAuth is what a member adds to a storage request signed through
// a subaccount.
type SubaccountAuth struct {
	// Token is 03 ‖ flags ‖ 00 00 ‖ kT (the "subaccount" parameter).
	Token []byte
	// TokenSig is the group's signature of Token ("subaccount_sig").
	TokenSig []byte
	// Signature is the request signature by kT ("signature").
	Signature []byte
}

// Base64 returns the three values in padded standard base64, as requests
// carry them.
func (s SubaccountAuth) Base64() (token, tokenSig, sig string) {
	e := base64.StdEncoding.EncodeToString
	return e(s.Token), e(s.TokenSig), e(s.Signature)
}

// SignSubaccount signs msg as the subaccount that authData (from
// [Admin.MakeSubaccount]) grants to user. The signature is Ed25519 under kT
// with the secret scalar k·t (t = ± the account's X25519 scalar) and the
// nonce r = BLAKE2b-64 keyed "SubaccountSig" over
// (BLAKE2b-32 keyed "SubaccountSeed" of the seed) ‖ kT ‖ msg.
func SignSubaccount(user ed25519.PrivateKey, authData, msg []byte) (SubaccountAuth, error) {
	if len(user) != ed25519.PrivateKeySize {
		return SubaccountAuth{}, fmt.Errorf("%w: user secret key must be 64 bytes", ErrInvalidArgument)
	}
	if len(authData) != AuthDataSize {
		return SubaccountAuth{}, fmt.Errorf("%w: auth data is %d bytes, want %d", ErrInvalidArgument, len(authData), AuthDataSize)
	}
	k, err := edwards25519.NewScalar().SetCanonicalBytes(authData[4:36])
	if err != nil {
		return SubaccountAuth{}, fmt.Errorf("%w: blinding factor is not a canonical scalar", ErrInvalidArgument)
	}
	pk := [32]byte(user[32:])
	neg := pk[31]&0x80 != 0
	pk[31] &= 0x7f
	T, err := checkedPoint(pk[:])
	if err != nil {
		return SubaccountAuth{}, err
	}
	kT, err := blindMul(k, T)
	if err != nil {
		return SubaccountAuth{}, err
	}
	h := sha512.Sum512(user.Seed())
	t, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	if err != nil {
		panic("groups: 32-byte scalar refused")
	}
	if neg {
		t.Negate(t)
	}
	kt := edwards25519.NewScalar().Multiply(k, t)

	hseed := keyedHash(32, hkSubSeed, user.Seed())
	r, _ := edwards25519.NewScalar().SetUniformBytes(keyedHash(64, hkSubSig, hseed, kT[:], msg))
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
	hs := sha512.New()
	hs.Write(R)
	hs.Write(kT[:])
	hs.Write(msg)
	hram, _ := edwards25519.NewScalar().SetUniformBytes(hs.Sum(nil))
	S := edwards25519.NewScalar().MultiplyAdd(hram, kt, r)

	return SubaccountAuth{
		Token:     append(append([]byte(nil), authData[:4]...), kT[:]...),
		TokenSig:  append([]byte(nil), authData[36:]...),
		Signature: append(R, S.Bytes()...),
	}, nil
}

// VerifySubaccountGrant reports whether authData grants user (a 64-byte
// Ed25519 secret key) a subaccount of group with at least the flags asked
// for, as libsession's Keys::swarm_verify_subaccount: prefix 03 (or the
// any-prefix flag), the read flag, and the group's signature over
// 03 ‖ flags ‖ 00 00 ‖ kT.
func VerifySubaccountGrant(group keys.ID, user ed25519.PrivateKey, authData []byte, write, del bool) bool {
	if group.Prefix != keys.PrefixGroup || len(authData) != AuthDataSize || len(user) != ed25519.PrivateKeySize {
		return false
	}
	f := authData[1]
	if (authData[0] != 0x03 && f&FlagAnyPrefix == 0) || f&FlagRead == 0 ||
		(write && f&FlagWrite == 0) || (del && f&FlagDelete == 0) {
		return false
	}
	k, err := edwards25519.NewScalar().SetCanonicalBytes(authData[4:36])
	if err != nil {
		return false
	}
	pk := [32]byte(user[32:])
	pk[31] &= 0x7f
	T, err := checkedPoint(pk[:])
	if err != nil {
		return false
	}
	kT, err := blindMul(k, T)
	if err != nil {
		return false
	}
	signed := append(append([]byte(nil), authData[:4]...), kT[:]...)
	return ed25519.Verify(group.Key[:], signed, authData[36:])
}

// Needs says which subaccount flags a storage request requires.
type Needs struct {
	// Read, Write and Delete are the flags the method requires
	// (network-protocol.md §1.8).
	Read, Write, Delete bool
}

// VerifySubaccountRequest checks a storage request made through a
// subaccount of the account owner (a group's 03 ID or, with the any-prefix
// flag, another prefix of the same key): the token's flags grant what the
// request needs, the owner signed the token, and sig is kT's Ed25519
// signature of msg. It is what a storage server runs; revocation is the
// caller's to check.
func VerifySubaccountRequest(owner keys.ID, token, tokenSig, sig, msg []byte, need Needs) error {
	if len(token) != TokenSize {
		return fmt.Errorf("%w: subaccount token is %d bytes, want %d", ErrInvalidArgument, len(token), TokenSize)
	}
	if len(tokenSig) != ed25519.SignatureSize || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: subaccount signatures must be 64 bytes", ErrInvalidArgument)
	}
	f := token[1]
	if subtle.ConstantTimeByteEq(token[0], byte(owner.Prefix)) != 1 && f&FlagAnyPrefix == 0 {
		return fmt.Errorf("%w: token is for prefix %02x, account is %02x", ErrDenied, token[0], byte(owner.Prefix))
	}
	if (need.Read && f&FlagRead == 0) || (need.Write && f&FlagWrite == 0) || (need.Delete && f&FlagDelete == 0) {
		return fmt.Errorf("%w: token flags %#02x lack what the request needs", ErrDenied, f)
	}
	if !ed25519.Verify(owner.Key[:], token, tokenSig) {
		return fmt.Errorf("%w: subaccount_sig is not the account's signature of the token", ErrSignature)
	}
	if !ed25519.Verify(token[4:], msg, sig) {
		return fmt.Errorf("%w: request signature by the subaccount", ErrSignature)
	}
	return nil
}
