package keys

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"filippo.io/edwards25519"
	"golang.org/x/crypto/curve25519"
)

// testIdentities returns n accounts from fixed seeds, so that failures
// reproduce.
func testIdentities(t testing.TB, n int) []*Identity {
	t.Helper()
	ids := make([]*Identity, n)
	for i := range ids {
		seed := sha256.Sum256([]byte{byte(i), 'k', 'e', 'y', 's'})
		id, err := NewIdentity(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func TestXEd25519PublicKeyRecoversEitherSign(t *testing.T) {
	signs := map[bool]int{}
	for i, id := range testIdentities(t, 64) {
		x := id.X25519PublicKey()
		pos, err := XEd25519PublicKey(x[:])
		if err != nil {
			t.Fatalf("account %d: %v", i, err)
		}
		neg, err := XEd25519NegativePublicKey(x[:])
		if err != nil {
			t.Fatalf("account %d: %v", i, err)
		}
		if pos[31]&0x80 != 0 || neg[31]&0x80 == 0 || !bytes.Equal(pos[:31], neg[:31]) || pos[31] != neg[31]&0x7f {
			t.Fatalf("account %d: candidates %x, %x are not ±", i, pos, neg)
		}
		ed := id.Ed25519PublicKey()
		negative := ed[31]&0x80 != 0
		signs[negative]++
		want := pos
		if negative {
			want = neg
		}
		if !bytes.Equal(ed, want) {
			t.Errorf("account %d: Ed25519 key %x, recovered %x", i, ed, want)
		}
		// Both candidates convert back to the same X25519 key.
		for _, c := range [][]byte{pos, neg} {
			back, err := Ed25519PublicToX25519(c)
			if err != nil || !bytes.Equal(back, x[:]) {
				t.Errorf("account %d: %x converts back to %x (%v), want %x", i, c, back, err, x)
			}
		}
	}
	if signs[true] == 0 || signs[false] == 0 {
		t.Fatalf("test accounts cover only one sign: %v", signs)
	}
}

func TestXEd25519PublicKeyRejects(t *testing.T) {
	for _, n := range []int{0, 31, 33} {
		if _, err := XEd25519PublicKey(make([]byte, n)); !errors.Is(err, ErrInvalidPoint) {
			t.Errorf("%d bytes: got %v, want ErrInvalidPoint", n, err)
		}
	}
	// About half of all u are on the twist, not the curve, and have no
	// Edwards point; some small u must be among them.
	twist := 0
	for u := byte(2); u < 40; u++ {
		x := make([]byte, 32)
		x[0] = u
		if _, err := XEd25519PublicKey(x); err != nil {
			if !errors.Is(err, ErrInvalidPoint) {
				t.Errorf("u=%d: %v", u, err)
			}
			twist++
		}
	}
	if twist == 0 {
		t.Error("no u in [2, 40) was rejected")
	}
}

func TestEd25519PublicToX25519(t *testing.T) {
	for i, id := range testIdentities(t, 16) {
		// Converting the Ed25519 key must agree with X25519 scalar
		// multiplication by the converted secret key.
		xs := id.X25519PrivateKey()
		want, err := curve25519.X25519(xs[:], curve25519.Basepoint)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Ed25519PublicToX25519(id.Ed25519PublicKey())
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("account %d: got %x (%v), want %x", i, got, err, want)
		}
	}

	// Small-order points and points with a torsion component are refused,
	// as libsodium refuses them.
	identity := edwards25519.NewIdentityPoint().Bytes()
	order8, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	torsion, err := new(edwards25519.Point).SetBytes(order8)
	if err != nil {
		t.Fatal(err)
	}
	ed, _ := new(edwards25519.Point).SetBytes(testIdentities(t, 1)[0].Ed25519PublicKey())
	mixed := new(edwards25519.Point).Add(ed, torsion).Bytes()
	for name, pk := range map[string][]byte{
		"identity":     identity,
		"order 8":      order8,
		"with torsion": mixed,
		"short":        identity[:31],
	} {
		if _, err := Ed25519PublicToX25519(pk); !errors.Is(err, ErrInvalidPoint) {
			t.Errorf("%s: got %v, want ErrInvalidPoint", name, err)
		}
	}
}
