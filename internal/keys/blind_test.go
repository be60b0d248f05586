package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"

	"filippo.io/edwards25519"
)

func testServers() [][]byte {
	a := bytes.Repeat([]byte{0xab}, 32)
	b := make([]byte, 32)
	copy(b, "a community server public key!!")
	return [][]byte{a, b}
}

func TestBlind15(t *testing.T) {
	ids := testIdentities(t, 24)
	for _, server := range testServers() {
		for i, id := range ids {
			kp, err := id.Blind15KeyPair(server)
			if err != nil {
				t.Fatal(err)
			}
			if kp.ID().Prefix != PrefixBlind15 {
				t.Fatalf("prefix %s", kp.ID().Prefix)
			}
			// The public key is k·A and the secret k·a.
			k, _ := Blind15Factor(server)
			if kp.Factor() != k {
				t.Errorf("account %d: factor %x, want %x", i, kp.Factor(), k)
			}
			fromEd, err := Blind15IDFromEd25519(id.Ed25519PublicKey(), server)
			if err != nil || fromEd != kp.ID() {
				t.Errorf("account %d: from Ed25519 %s (%v), key pair %s", i, fromEd, err, kp.ID())
			}
			sec := kp.SecretScalar()
			s, _ := new(edwards25519.Scalar).SetCanonicalBytes(sec[:])
			if pub, want := new(edwards25519.Point).ScalarBaseMult(s).Bytes(), kp.PublicKey(); !bytes.Equal(pub, want[:]) {
				t.Errorf("account %d: secret does not give the public key", i)
			}

			// Others see one of the two candidates, and the ownership check
			// accepts both but nobody else's.
			c, err := Blind15IDCandidates(id.SessionID(), server)
			if err != nil {
				t.Fatal(err)
			}
			if c[0] != kp.ID() && c[1] != kp.ID() {
				t.Errorf("account %d: %s is not among %v", i, kp.ID(), c)
			}
			for _, b := range c {
				if ok, err := SessionIDOwnsBlindedID(id.SessionID(), b, server); !ok || err != nil {
					t.Errorf("account %d: does not own %s (%v)", i, b, err)
				}
			}
			other := ids[(i+1)%len(ids)].SessionID()
			if ok, err := SessionIDOwnsBlindedID(other, kp.ID(), server); ok || err != nil {
				t.Errorf("account %d: another account owns its ID (%v)", i, err)
			}

			msg := []byte("message " + strconv.Itoa(i))
			sig := kp.Sign(msg)
			pub := kp.PublicKey()
			if !ed25519.Verify(pub[:], msg, sig) {
				t.Errorf("account %d: signature does not verify", i)
			}
			if !bytes.Equal(sig, kp.Sign(msg)) {
				t.Errorf("account %d: signing is not deterministic", i)
			}
			if ed25519.Verify(pub[:], []byte("another message"), sig) {
				t.Errorf("account %d: signature verifies another message", i)
			}
		}
	}
	// The factor depends only on the server.
	s := testServers()
	if a, b := ids[0].mustBlind15(t, s[0]), ids[1].mustBlind15(t, s[0]); a.Factor() != b.Factor() {
		t.Error("two accounts have different blind15 factors on one server")
	}
	if a, b := ids[0].mustBlind15(t, s[0]), ids[0].mustBlind15(t, s[1]); a.ID() == b.ID() {
		t.Error("one account has the same blind15 ID on two servers")
	}
}

func (id *Identity) mustBlind15(t *testing.T, server []byte) *BlindedKeyPair {
	t.Helper()
	kp, err := id.Blind15KeyPair(server)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func TestBlind25(t *testing.T) {
	ids := testIdentities(t, 24)
	signs := map[bool]int{}
	for _, server := range testServers() {
		for i, id := range ids {
			kp, err := id.Blind25KeyPair(server)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Blind25ID(id.SessionID(), server)
			if err != nil || want != kp.ID() || want.Prefix != PrefixBlind25 {
				t.Errorf("account %d: key pair %s, from Session ID %s (%v)", i, kp.ID(), want, err)
			}
			fromEd, err := Blind25IDFromEd25519(id.Ed25519PublicKey(), server)
			if err != nil || fromEd != want {
				t.Errorf("account %d: from Ed25519 %s (%v), want %s", i, fromEd, err, want)
			}

			// k' is k, negated when the Ed25519 key is negative.
			k, _ := Blind25Factor(id.SessionID(), server)
			ks, _ := new(edwards25519.Scalar).SetCanonicalBytes(k[:])
			negative := id.Ed25519PublicKey()[31]&0x80 != 0
			signs[negative]++
			if negative {
				ks.Negate(ks)
			}
			if f := kp.Factor(); !bytes.Equal(f[:], ks.Bytes()) {
				t.Errorf("account %d (negative %v): factor %x, want %x", i, negative, f, ks.Bytes())
			}

			if ok, err := SessionIDOwnsBlindedID(id.SessionID(), want, server); !ok || err != nil {
				t.Errorf("account %d: does not own its blind25 ID (%v)", i, err)
			}
			flipped := want
			flipped.Key[31] ^= 0x80
			if ok, _ := SessionIDOwnsBlindedID(id.SessionID(), flipped, server); ok {
				t.Errorf("account %d: owns the negation of its blind25 ID", i)
			}

			msg := []byte("message " + strconv.Itoa(i))
			sig := kp.Sign(msg)
			if !ed25519.Verify(want.Key[:], msg, sig) {
				t.Errorf("account %d: signature does not verify", i)
			}
			if !bytes.Equal(sig, kp.Sign(msg)) {
				t.Errorf("account %d: signing is not deterministic", i)
			}
		}
	}
	if signs[true] == 0 || signs[false] == 0 {
		t.Fatalf("test accounts cover only one sign: %v", signs)
	}
}

func TestSharedPoint(t *testing.T) {
	ids := testIdentities(t, 8)
	server := testServers()[0]
	for i := 0; i+1 < len(ids); i += 2 {
		for _, blind := range []func(*Identity, []byte) (*BlindedKeyPair, error){
			(*Identity).Blind15KeyPair, (*Identity).Blind25KeyPair,
		} {
			a, _ := blind(ids[i], server)
			b, _ := blind(ids[i+1], server)
			ab, err1 := a.SharedPoint(b.ID())
			ba, err2 := b.SharedPoint(a.ID())
			if err1 != nil || err2 != nil || ab != ba {
				t.Errorf("accounts %d, %d (%s): %x (%v) != %x (%v)", i, i+1, a.ID().Prefix, ab, err1, ba, err2)
			}
		}
	}
	a15, _ := ids[0].Blind15KeyPair(server)
	b25, _ := ids[1].Blind25KeyPair(server)
	if _, err := a15.SharedPoint(b25.ID()); !errors.Is(err, ErrInvalidID) {
		t.Errorf("15 with 25: got %v, want ErrInvalidID", err)
	}
	bad := ID{Prefix: PrefixBlind15} // the all-zero key is not a point of prime order
	if _, err := a15.SharedPoint(bad); !errors.Is(err, ErrInvalidPoint) {
		t.Errorf("zero key: got %v, want ErrInvalidPoint", err)
	}
}

func TestBlindingErrors(t *testing.T) {
	id := testIdentities(t, 1)[0]
	server := testServers()[0]
	short := server[:31]
	if _, err := Blind15Factor(short); !errors.Is(err, ErrServerKeySize) {
		t.Errorf("Blind15Factor: %v", err)
	}
	if _, err := id.Blind15KeyPair(short); !errors.Is(err, ErrServerKeySize) {
		t.Errorf("Blind15KeyPair: %v", err)
	}
	if _, err := id.Blind25KeyPair(short); !errors.Is(err, ErrServerKeySize) {
		t.Errorf("Blind25KeyPair: %v", err)
	}
	if _, err := Blind25ID(id.SessionID(), short); !errors.Is(err, ErrServerKeySize) {
		t.Errorf("Blind25ID: %v", err)
	}
	if _, err := Blind15IDFromEd25519(id.Ed25519PublicKey(), short); !errors.Is(err, ErrServerKeySize) {
		t.Errorf("Blind15IDFromEd25519: %v", err)
	}
	if _, err := Blind25IDFromEd25519(id.Ed25519PublicKey()[:31], server); !errors.Is(err, ErrInvalidPoint) {
		t.Errorf("Blind25IDFromEd25519 short key: %v", err)
	}

	notSession := ID{Prefix: PrefixUnblinded, Key: id.SessionID().Key}
	if _, err := Blind25Factor(notSession, server); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Blind25Factor: %v", err)
	}
	if _, err := Blind15IDCandidates(notSession, server); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Blind15IDCandidates: %v", err)
	}
	if _, err := SessionIDOwnsBlindedID(id.SessionID(), id.SessionID(), server); !errors.Is(err, ErrInvalidID) {
		t.Errorf("SessionIDOwnsBlindedID with a 05 ID: %v", err)
	}
}

// TestBlind15DesktopNonce checks the claim behind the "must verify" rule for
// blind15 signatures: Session Desktop's signature in the upstream SOGS
// vector is this package's signature with the nonce key taken from
// SHA-512(seed) instead of SHA-512(seed ‖ pk), and nothing else differs.
func TestBlind15DesktopNonce(t *testing.T) {
	sk, _ := hex.DecodeString("c010d89eccbaf5d1c6d19df766c6eedf965d4a28a56f87c9fc819edb59896dd9" +
		"bac6e71efd7dfa4a83c98ed24f254ab2c267f9ccdb172a5280a0444ad24e89cc")
	server, _ := hex.DecodeString("c3b3c6f32f0ab5a57f853cc4f30f5da7fda5624b0c77b3fb0829de562ada081d")
	nonce, _ := base64.StdEncoding.DecodeString("CdB5nyKVmQGCw6s0Bvv8Ww==")
	// server ‖ nonce ‖ timestamp ‖ method ‖ path, with no body.
	msg := append(append(append([]byte{}, server...), nonce...), "1642472103GET/room/the-best-room/messages/recent?limit=25"...)
	desktop := "gYqpWZX6fnF4Gb2xQM3xaXs0WIYEI49+B8q4mUUEg8Rw0ObaHUWfoWjMHMArAtP9QlORfiydsKWz1o6zdPVeCQ=="

	id, err := NewIdentityFromSecretKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	kp, _ := id.Blind15KeyPair(server)
	if got := base64.StdEncoding.EncodeToString(kp.Sign(msg)); got == desktop {
		t.Fatal("libsession-style signature equals Desktop's; the nonce derivations should differ")
	}
	h := sha512.Sum512(id.Seed())
	copy(kp.nonceKey[:], h[32:])
	if got := base64.StdEncoding.EncodeToString(kp.Sign(msg)); got != desktop {
		t.Errorf("with Desktop's nonce key: got %s, want %s", got, desktop)
	}
}
