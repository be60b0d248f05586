package sogs

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/sogs/internal/dm"
)

// countingReader hands out a fixed byte and records the size of each read.
type countingReader struct{ reads []int }

func (r *countingReader) Read(p []byte) (int, error) {
	r.reads = append(r.reads, len(p))
	for i := range p {
		p[i] = 0x24
	}
	return len(p), nil
}

// blindedPair returns the blinded key pair of the given kind.
func blindedPair(t testing.TB, id *keys.Identity, kind keys.Prefix) *keys.BlindedKeyPair {
	t.Helper()
	var kp *keys.BlindedKeyPair
	var err error
	if kind == keys.PrefixBlind15 {
		kp, err = id.Blind15KeyPair(testServer)
	} else {
		kp, err = id.Blind25KeyPair(testServer)
	}
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func TestBlindedDMRoundTrip(t *testing.T) {
	ids := []*keys.Identity{testIdentity(t, 1), testIdentity(t, 2), testIdentity(t, 3), testIdentity(t, 4)}
	signs := map[bool]bool{}
	for _, id := range ids {
		signs[id.Ed25519PublicKey()[31]&0x80 != 0] = true
	}
	if !signs[true] || !signs[false] {
		t.Fatal("test accounts cover only one sign of Ed25519 key")
	}
	msg := []byte("a secret community whisper")
	outsider := testIdentity(t, 9)
	for _, kind := range []keys.Prefix{keys.PrefixBlind15, keys.PrefixBlind25} {
		for i, s := range ids {
			for j, r := range ids {
				if i == j {
					continue
				}
				from, to := blindedPair(t, s, kind).ID(), blindedPair(t, r, kind).ID()
				ct, err := EncryptBlindedDM(s, testServer, to, msg)
				if err != nil {
					t.Fatalf("%s %d→%d: %v", kind, i, j, err)
				}
				if len(ct) != len(msg)+BlindedDMOverhead || ct[0] != 0 {
					t.Fatalf("%s %d→%d: %d bytes, version %d", kind, i, j, len(ct), ct[0])
				}
				for who, id := range map[string]*keys.Identity{"recipient": r, "sender": s} {
					got, sender, err := DecryptBlindedDM(id, testServer, from, to, ct)
					if err != nil || !bytes.Equal(got, msg) || sender != s.SessionID() {
						t.Errorf("%s %d→%d, read by the %s: %q from %s (%v)", kind, i, j, who, got, sender, err)
					}
				}
				if _, _, err := DecryptBlindedDM(outsider, testServer, from, to, ct); !errors.Is(err, ErrNotParticipant) {
					t.Errorf("%s %d→%d, read by a third account: %v", kind, i, j, err)
				}
			}
		}
	}
}

func TestBlindedDMNonce(t *testing.T) {
	s, r := testIdentity(t, 1), testIdentity(t, 2)
	to := blindedPair(t, r, keys.PrefixBlind25).ID()
	var rnd countingReader
	ct, err := dm.Encrypt(&rnd, s, testServer, to, []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rnd.reads) != 1 || rnd.reads[0] != chacha20poly1305.NonceSizeX {
		t.Fatalf("reads %v, want one of 24 bytes", rnd.reads)
	}
	if !bytes.Equal(ct[len(ct)-24:], bytes.Repeat([]byte{0x24}, 24)) {
		t.Fatal("the nonce is not the last 24 bytes")
	}
	again, _ := dm.Encrypt(&countingReader{}, s, testServer, to, []byte("m"))
	if !bytes.Equal(ct, again) {
		t.Fatal("same nonce, different ciphertext")
	}
	if _, err := dm.Encrypt(strings.NewReader("short"), s, testServer, to, []byte("m")); err == nil {
		t.Fatal("a random source that runs out gave no error")
	}
	a, _ := EncryptBlindedDM(s, testServer, to, []byte("m"))
	b, _ := EncryptBlindedDM(s, testServer, to, []byte("m"))
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions are equal")
	}
}

func TestBlindedDMRejects(t *testing.T) {
	s, r := testIdentity(t, 1), testIdentity(t, 2)
	secret := "do not leak this plaintext"
	for _, kind := range []keys.Prefix{keys.PrefixBlind15, keys.PrefixBlind25} {
		from, to := blindedPair(t, s, kind).ID(), blindedPair(t, r, kind).ID()
		ct, err := EncryptBlindedDM(s, testServer, to, []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		opaque := func(what string, data []byte) {
			t.Helper()
			_, _, err := DecryptBlindedDM(r, testServer, from, to, data)
			if !errors.Is(err, ErrDecrypt) || err.Error() != ErrDecrypt.Error() {
				t.Errorf("%s %s: got %v, want exactly ErrDecrypt", kind, what, err)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("%s %s: error leaks the plaintext", kind, what)
			}
		}
		for i := range ct {
			bad := bytes.Clone(ct)
			bad[i] ^= 0x01
			opaque(fmt.Sprintf("with byte %d flipped", i), bad)
		}
		for _, n := range []int{0, 1, BlindedDMOverhead - 1} {
			opaque("truncated", ct[:n])
		}
		opaque("with the tail cut", ct[:len(ct)-1])

		// Another sender's Ed25519 key inside a correctly encrypted
		// message must not pass for the outer sender's.
		other := testIdentity(t, 7).Ed25519PublicKey()
		opaque("with a forged inner key", sealRaw(t, s, kind, to, append([]byte("hi"), other...)))
		// Too short to hold an inner key, though it authenticates.
		opaque("with no inner key", sealRaw(t, s, kind, to, []byte("short")))

		// Argument errors are not about the data and may say more.
		if _, _, err := DecryptBlindedDM(r, testServer, s.SessionID(), to, ct); !errors.Is(err, ErrBlindedID) {
			t.Errorf("%s: 05 sender: %v", kind, err)
		}
		if _, err := EncryptBlindedDM(s, testServer, r.SessionID(), []byte("x")); !errors.Is(err, ErrBlindedID) {
			t.Errorf("%s: 05 recipient: %v", kind, err)
		}
		if _, err := EncryptBlindedDM(s, testServer[:5], to, []byte("x")); !errors.Is(err, keys.ErrServerKeySize) {
			t.Errorf("%s: short server key: %v", kind, err)
		}
	}
	mixed15, mixed25 := blindedPair(t, s, keys.PrefixBlind15).ID(), blindedPair(t, r, keys.PrefixBlind25).ID()
	if _, _, err := DecryptBlindedDM(r, testServer, mixed15, mixed25, make([]byte, 100)); !errors.Is(err, ErrBlindedID) {
		t.Errorf("15 to 25: %v", err)
	}
}

// sealRaw encrypts inner (message ‖ claimed sender key) from s to the
// blinded recipient to, the way Encrypt does, so tests can put the wrong
// key inside.
func sealRaw(t *testing.T, s *keys.Identity, kind keys.Prefix, to keys.ID, inner []byte) []byte {
	t.Helper()
	kp := blindedPair(t, s, kind)
	ss, err := kp.SharedPoint(to)
	if err != nil {
		t.Fatal(err)
	}
	from := kp.ID()
	h, _ := blake2b.New256(nil)
	h.Write(ss[:])
	h.Write(from.Key[:])
	h.Write(to.Key[:])
	aead, _ := chacha20poly1305.NewX(h.Sum(nil))
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	out := aead.Seal([]byte{0}, nonce, inner, nil)
	return append(out, nonce...)
}

// FuzzDecryptBlindedDM feeds arbitrary bytes to the blinded message parser:
// it must never panic, and whatever it accepts must be exactly what the
// sender's Encrypt gives for that message and nonce.
func FuzzDecryptBlindedDM(f *testing.F) {
	s, r := testIdentity(f, 1), testIdentity(f, 2)
	type pair struct{ from, to keys.ID }
	pairs := map[byte]pair{}
	for _, kind := range []keys.Prefix{keys.PrefixBlind15, keys.PrefixBlind25} {
		from, to := blindedPair(f, s, kind).ID(), blindedPair(f, r, kind).ID()
		pairs[byte(kind)] = pair{from, to}
		for _, m := range []string{"", "x", "a longer message for the seed corpus"} {
			ct, err := EncryptBlindedDM(s, testServer, to, []byte(m))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(kind), ct)
			f.Add(byte(kind), ct[:len(ct)-1])
		}
	}
	f.Add(byte(0x15), []byte{})
	f.Add(byte(0x25), make([]byte, BlindedDMOverhead))
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		p, ok := pairs[kind]
		if !ok {
			p = pairs[byte(keys.PrefixBlind15)]
		}
		msg, sender, err := DecryptBlindedDM(r, testServer, p.from, p.to, data)
		if err != nil {
			if msg != nil || sender != (keys.ID{}) {
				t.Fatal("error with a result")
			}
			return
		}
		if sender != s.SessionID() {
			t.Fatalf("accepted a message from %s", sender)
		}
		nonce := bytes.NewReader(data[len(data)-chacha20poly1305.NonceSizeX:])
		again, err := dm.Encrypt(nonce, s, testServer, p.to, msg)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted %x, but the sender encrypts %q to %x (%v)", data, msg, again, err)
		}
	})
}
