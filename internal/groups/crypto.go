package groups

import (
	"crypto/ed25519"
	"fmt"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"

	"github.com/session-go/session-go/internal/keys"
)

// Hash keys (BLAKE2b key strings) of libsession's group derivations.
const (
	hkSeed        = "SessionGroupKeySeed"
	hkGen         = "SessionGroupKeyGen"
	hkAdmin       = "SessionGroupKeyAdminKey"
	hkMember      = "SessionGroupKeyMemberKey"
	hkJunk        = "SessionGroupJunkMembers"
	hkSubMask     = "SessionGroupSubaccountMask"
	hkSubSeed     = "SubaccountSeed"
	hkSubSig      = "SubaccountSig"
	drgNonce      = "LibsodiumDRG"
	encOverhead   = chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead
	keyCopySize   = 32 + chacha20poly1305.Overhead
	sigEntrySize  = 3 + 3 + ed25519.SignatureSize + 1 // 1:~64:<sig>e
	sigEntryStart = "1:~64:"
)

// keyedHash is BLAKE2b with an n-byte output keyed with key over the
// concatenation of parts (libsodium crypto_generichash).
func keyedHash(n int, key string, parts ...[]byte) []byte {
	var k []byte
	if key != "" {
		k = []byte(key)
	}
	h, err := blake2b.New(n, k)
	if err != nil {
		panic("groups: bad BLAKE2b parameters: " + err.Error()) // constant keys and sizes
	}
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// keyedHashBytes is keyedHash with a binary key.
func keyedHashBytes(n int, key []byte, parts ...[]byte) []byte {
	h, err := blake2b.New(n, key)
	if err != nil {
		panic("groups: bad BLAKE2b parameters: " + err.Error())
	}
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// deterministicBytes is libsodium's randombytes_buf_deterministic: the
// ChaCha20 (IETF) keystream under seed with the nonce "LibsodiumDRG".
func deterministicBytes(n int, seed []byte) []byte {
	c, err := chacha20.NewUnauthenticatedCipher(seed, []byte(drgNonce))
	if err != nil {
		panic("groups: bad ChaCha20 parameters: " + err.Error())
	}
	out := make([]byte, n)
	c.XORKeyStream(out, out)
	return out
}

func seal(key, nonce, plain []byte) []byte {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		panic("groups: bad XChaCha20 key size") // keys are always 32 bytes here
	}
	return a.Seal(nil, nonce, plain, nil)
}

func open(key, nonce, ct []byte) ([]byte, bool) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil || len(nonce) != chacha20poly1305.NonceSizeX {
		return nil, false
	}
	pt, err := a.Open(nil, nonce, ct, nil)
	return pt, err == nil
}

// multiKey is libsession's encrypt_for_multiple key: BLAKE2b-32 keyed
// with "SessionGroupKeyMemberKey" over X25519(a, B) ‖ S ‖ R, where S is the
// sender's (the group's) X25519 key and R the recipient's.
func multiKey(a, peer, sender, recipient []byte) ([]byte, error) {
	shared, err := curve25519.X25519(a, peer)
	if err != nil {
		return nil, fmt.Errorf("%w: X25519 with an invalid public key", ErrInvalidArgument)
	}
	return keyedHash(32, hkMember, shared, sender, recipient), nil
}

// sessionXPK returns the X25519 key of a 05 Session ID.
func sessionXPK(id keys.ID) ([]byte, error) {
	if id.Prefix != keys.PrefixStandard {
		return nil, fmt.Errorf("%w: %s is not a Session ID (05…)", ErrInvalidArgument, id)
	}
	return id.Key[:], nil
}

// signedPart splits a signed bt dict whose last key is "~" holding a 64-byte
// signature: it returns the bytes the signature covers (everything before
// "1:~") and the signature. d is the decoded form of data.
func signedPart(data []byte, d map[string]any) (signed, sig []byte, err error) {
	s, ok := d["~"].(string)
	if !ok {
		return nil, nil, fmt.Errorf("%w: signature (~) missing", ErrSignature)
	}
	if len(s) != ed25519.SignatureSize {
		return nil, nil, fmt.Errorf("%w: signature is %d bytes, want 64", ErrSignature, len(s))
	}
	for k := range d {
		if k > "~" {
			return nil, nil, fmt.Errorf("%w: key %q after the signature", ErrMalformed, k)
		}
	}
	// "~" is the last key and its value is 64 bytes, so the dict ends in
	// exactly "1:~64:<sig>e".
	n := len(data) - sigEntrySize
	if n < 1 || string(data[n:n+len(sigEntryStart)]) != sigEntryStart {
		return nil, nil, fmt.Errorf("%w: signature is not the last entry", ErrMalformed)
	}
	return data[:n], data[n+len(sigEntryStart) : len(data)-1], nil
}
