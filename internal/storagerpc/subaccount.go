package storagerpc

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"

	"github.com/session-go/session-go/internal/keys"
)

// SubaccountTokenSize is the size of a subaccount token.
const SubaccountTokenSize = 36

// SubaccountFlags are the permissions a subaccount token grants.
type SubaccountFlags byte

// Subaccount permission bits.
const (
	// SubaccountRead allows retrieve and get_expiries.
	SubaccountRead SubaccountFlags = 0x01
	// SubaccountWrite allows store and extending expiries.
	SubaccountWrite SubaccountFlags = 0x02
	// SubaccountDelete allows delete, delete_all, delete_before, expire_all,
	// shortening expiries and storing into public outboxes.
	SubaccountDelete SubaccountFlags = 0x04
	// SubaccountAnyPrefix makes the token valid for the account's key under
	// any network prefix, not just the token's own.
	SubaccountAnyPrefix SubaccountFlags = 0x08
)

// SubaccountToken is a delegation issued by an account owner:
// network prefix (1 byte) ‖ flags (1) ‖ reserved (2) ‖ the subaccount's
// Ed25519 public key (32).
type SubaccountToken [SubaccountTokenSize]byte

// NewSubaccountToken builds a token for the subaccount key pub, valid for
// accounts with the given prefix.
func NewSubaccountToken(prefix keys.Prefix, flags SubaccountFlags, pub ed25519.PublicKey) SubaccountToken {
	var t SubaccountToken
	t[0] = byte(prefix)
	t[1] = byte(flags)
	copy(t[4:], pub)
	return t
}

// Prefix returns the network prefix the token is for.
func (t SubaccountToken) Prefix() keys.Prefix { return keys.Prefix(t[0]) }

// Flags returns the permissions the token grants.
func (t SubaccountToken) Flags() SubaccountFlags { return SubaccountFlags(t[1]) }

// PublicKey returns the subaccount's Ed25519 public key.
func (t SubaccountToken) PublicKey() ed25519.PublicKey { return ed25519.PublicKey(t[4:]) }

// Allows reports whether the token grants every permission in need.
func (t SubaccountToken) Allows(need SubaccountFlags) bool { return t.Flags()&need == need }

// prefixAllowed reports whether the token may be used for an account with
// prefix p.
func (t SubaccountToken) prefixAllowed(p keys.Prefix) bool {
	return t.Prefix() == p || t.Flags()&SubaccountAnyPrefix != 0
}

// parseSubaccountToken reads a token in base64 (48 characters) or hex (72).
func parseSubaccountToken(s string) (SubaccountToken, bool) {
	var t SubaccountToken
	var b []byte
	var ok bool
	switch len(s) {
	case base64.StdEncoding.EncodedLen(SubaccountTokenSize):
		b, ok = decodeBase64(s)
	case hex.EncodedLen(SubaccountTokenSize):
		var err error
		b, err = hex.DecodeString(s)
		ok = err == nil
	}
	if !ok || len(b) != SubaccountTokenSize {
		return t, false
	}
	copy(t[:], b)
	return t, true
}

// Subaccount is a subaccount token with the account owner's signature of it,
// as sent in the subaccount and subaccount_sig parameters. A request that
// carries one is signed with the subaccount's key instead of the owner's.
type Subaccount struct {
	Token SubaccountToken
	// Signature is the account owner's Ed25519 signature of the 36 token bytes.
	Signature []byte
}

// SignSubaccountToken returns the owner's authorisation of token: its
// Ed25519 signature of the token bytes.
func SignSubaccountToken(owner ed25519.PrivateKey, token SubaccountToken) Subaccount {
	return Subaccount{Token: token, Signature: ed25519.Sign(owner, token[:])}
}
