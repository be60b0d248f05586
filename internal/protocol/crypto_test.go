package protocol

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"math/big"
	"testing"

	"filippo.io/edwards25519"
	"github.com/session-go/session-go/internal/keys"
)

// testIdentity returns a fixed account whose seed is 32 copies of b.
func testIdentity(t testing.TB, b byte) *keys.Identity {
	t.Helper()
	id, err := keys.NewIdentity(bytes.Repeat([]byte{b}, keys.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	for _, n := range []int{0, 1, 159, 160, 1000} {
		msg := bytes.Repeat([]byte{0xa5}, n)
		ct, err := EncryptForRecipient(alice, bob.SessionID(), msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != n+Overhead {
			t.Errorf("%d-byte message: ciphertext is %d bytes, want %d", n, len(ct), n+Overhead)
		}
		o, err := Decrypt(bob, ct)
		if err != nil {
			t.Fatalf("%d-byte message: %v", n, err)
		}
		if !bytes.Equal(o.Plaintext, msg) {
			t.Errorf("%d-byte message: decrypted %x", n, o.Plaintext)
		}
		if !bytes.Equal(o.SenderEd25519, alice.Ed25519PublicKey()) {
			t.Errorf("sender Ed25519 key %x, want %x", o.SenderEd25519, alice.Ed25519PublicKey())
		}
		if o.Sender != alice.SessionID() {
			t.Errorf("sender %s, want %s", o.Sender, alice.SessionID())
		}
		priv, pub := bob.X25519PrivateKey(), bob.X25519PublicKey()
		if o2, err := DecryptX25519(&priv, &pub, ct); err != nil || !bytes.Equal(o2.Plaintext, msg) || o2.Sender != alice.SessionID() {
			t.Errorf("DecryptX25519 disagrees with Decrypt: %v", err)
		}
	}
}

func TestEncryptIsRandomized(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	a, _ := EncryptForRecipient(alice, bob.SessionID(), []byte("same"))
	b, _ := EncryptForRecipient(alice, bob.SessionID(), []byte("same"))
	if bytes.Equal(a, b) {
		t.Error("two encryptions of the same message are identical")
	}
}

func TestEncryptDeterministic(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	a, err := EncryptForRecipientDeterministic(alice, bob.SessionID(), []byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := EncryptForRecipientDeterministic(alice, bob.SessionID(), []byte("same"))
	c, _ := EncryptForRecipientDeterministic(alice, bob.SessionID(), []byte("other"))
	if !bytes.Equal(a, b) {
		t.Error("deterministic encryption differs between calls")
	}
	if bytes.Equal(a[:32], c[:32]) {
		t.Error("different messages share an ephemeral key")
	}
	if o, err := Decrypt(bob, a); err != nil || string(o.Plaintext) != "same" {
		t.Errorf("Decrypt of the deterministic variant: %v", err)
	}
}

func TestDecryptToSelf(t *testing.T) {
	alice := testIdentity(t, 1)
	ct, err := EncryptForRecipient(alice, alice.SessionID(), []byte("note to self"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := Decrypt(alice, ct)
	if err != nil || o.Sender != alice.SessionID() {
		t.Fatalf("sync message to self: %v", err)
	}
}

func TestDecryptRejectsTampering(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	ct, err := EncryptForRecipient(alice, bob.SessionID(), []byte("attack at dawn"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range ct {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(ct)
			bad[i] ^= bit
			if _, err := Decrypt(bob, bad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("flipping bit %02x of byte %d: err = %v, want ErrDecrypt", bit, i, err)
			}
		}
	}
	for n := 0; n < len(ct); n++ {
		if _, err := Decrypt(bob, ct[:n]); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("truncated to %d bytes: err = %v, want ErrDecrypt", n, err)
		}
	}
	if _, err := Decrypt(bob, append(bytes.Clone(ct), 0)); !errors.Is(err, ErrDecrypt) {
		t.Errorf("extended by a byte: err = %v, want ErrDecrypt", err)
	}
}

func TestDecryptWrongRecipient(t *testing.T) {
	alice, bob, carol := testIdentity(t, 1), testIdentity(t, 2), testIdentity(t, 3)
	ct, _ := EncryptForRecipient(alice, bob.SessionID(), []byte("for bob"))
	if _, err := Decrypt(carol, ct); !errors.Is(err, ErrDecrypt) {
		t.Errorf("carol opened bob's message: err = %v", err)
	}
	// The public key is part of the nonce and the signature: a mismatched one fails.
	priv, pub := bob.X25519PrivateKey(), carol.X25519PublicKey()
	if _, err := DecryptX25519(&priv, &pub, ct); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrong public key accepted: err = %v", err)
	}
}

// A message signed for bob and re-sealed to carol (bob forwarding it as if
// alice had written to carol) must not verify for carol.
func TestDecryptRejectsForwarding(t *testing.T) {
	alice, bob, carol := testIdentity(t, 1), testIdentity(t, 2), testIdentity(t, 3)
	inner, err := SignForRecipient(alice, bob.SessionID(), []byte("for bob only"))
	if err != nil {
		t.Fatal(err)
	}
	carolKey := carol.X25519PublicKey()
	esk := [32]byte{7}
	ct, err := seal(inner, &esk, &carolKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(carol, ct); !errors.Is(err, ErrDecrypt) {
		t.Errorf("forwarded message accepted: err = %v", err)
	}
	// The same inner sealed to bob is fine, which shows the box itself is sound.
	bobKey := bob.X25519PublicKey()
	ct, _ = seal(inner, &esk, &bobKey)
	if _, err := Decrypt(bob, ct); err != nil {
		t.Errorf("re-sealed to its real recipient: %v", err)
	}
}

// With the identity point as the sender key, R = identity and s = 0 pass Go's
// ed25519.Verify for every message. libsodium refuses such keys, and so must
// Decrypt.
func TestDecryptRejectsSmallOrderSender(t *testing.T) {
	bob := testIdentity(t, 2)
	identity := edwards25519.NewIdentityPoint().Bytes()
	msg := []byte("forged")
	sig := append(bytes.Clone(identity), make([]byte, 32)...)
	bobKey := bob.X25519PublicKey()
	if !ed25519.Verify(identity, append(append(bytes.Clone(msg), identity...), bobKey[:]...), sig) {
		t.Fatal("test premise: the forged signature should pass ed25519.Verify")
	}
	inner := append(append(bytes.Clone(msg), identity...), sig...)
	esk := [32]byte{9}
	ct, err := seal(inner, &esk, &bobKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decrypt(bob, ct); !errors.Is(err, ErrDecrypt) {
		t.Errorf("small-order sender key accepted: err = %v", err)
	}
}

func TestEdToX25519RejectsNonCanonical(t *testing.T) {
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	rejected := 0
	for y := int64(0); y < 19; y++ {
		// y+p encodes the same field element as y, non-canonically.
		enc := littleEndian32(new(big.Int).Add(p, big.NewInt(y)))
		pt, err := new(edwards25519.Point).SetBytes(enc)
		if err != nil {
			continue // no point has this y
		}
		if _, ok := edToX25519(enc); ok {
			t.Errorf("non-canonical encoding of y=%d accepted", y)
		}
		rejected++
		canonical := pt.Bytes()
		small := new(edwards25519.Point).MultByCofactor(pt).Equal(edwards25519.NewIdentityPoint()) == 1
		if _, ok := edToX25519(canonical); ok == small {
			t.Errorf("canonical y=%d (small order %v): accepted = %v", y, small, ok)
		}
	}
	if rejected == 0 {
		t.Fatal("no non-canonical encoding found to test")
	}
}

func littleEndian32(v *big.Int) []byte {
	be := v.FillBytes(make([]byte, 32))
	le := make([]byte, 32)
	for i := range be {
		le[i] = be[31-i]
	}
	return le
}

func TestEncryptRejectsBadRecipients(t *testing.T) {
	alice := testIdentity(t, 1)
	blinded := keys.ID{Prefix: keys.PrefixBlind15, Key: alice.X25519PublicKey()}
	if _, err := EncryptForRecipient(alice, blinded, []byte("x")); !errors.Is(err, ErrInvalidRecipient) {
		t.Errorf("15-prefixed recipient: err = %v, want ErrInvalidRecipient", err)
	}
	if _, err := SignForRecipient(alice, blinded, []byte("x")); !errors.Is(err, ErrInvalidRecipient) {
		t.Errorf("SignForRecipient, 15-prefixed recipient: err = %v", err)
	}
	if _, err := EncryptForRecipientDeterministic(alice, blinded, []byte("x")); !errors.Is(err, ErrInvalidRecipient) {
		t.Errorf("deterministic, 15-prefixed recipient: err = %v", err)
	}
	// u = 0 and u = 1 are low-order points: the shared secret would be all zeros.
	for _, u := range []byte{0, 1} {
		low := keys.ID{Prefix: keys.PrefixStandard, Key: [32]byte{u}}
		if _, err := EncryptForRecipient(alice, low, []byte("x")); !errors.Is(err, ErrInvalidRecipient) {
			t.Errorf("low-order recipient u=%d: err = %v, want ErrInvalidRecipient", u, err)
		}
	}
}

func TestEncryptWithRandReadsOnce(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	r := &countingReader{}
	ct, err := EncryptForRecipientWithRand(r, alice, bob.SessionID(), []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if r.calls != 1 || r.bytes != 32 {
		t.Errorf("read %d bytes in %d calls, want 32 in 1", r.bytes, r.calls)
	}
	if _, err := Decrypt(bob, ct); err != nil {
		t.Error(err)
	}
	if _, err := EncryptForRecipientWithRand(bytes.NewReader(make([]byte, 31)), alice, bob.SessionID(), []byte("hi")); err == nil {
		t.Error("short randomness accepted")
	}
}

type countingReader struct{ calls, bytes int }

func (r *countingReader) Read(p []byte) (int, error) {
	r.calls++
	r.bytes += len(p)
	for i := range p {
		p[i] = byte(i * 7)
	}
	return len(p), nil
}
