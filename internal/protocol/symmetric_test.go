package protocol

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20poly1305"
)

// From libsession's tests/test_session_encrypt.cpp (upstream/encrypt.json).
const (
	onsName      = "test"
	onsCipherHex = "3575802dd9bfea72672a208840f37ca289ceade5d3ffacabe2d231f109d204329fc33e28c331580d9a8c9b8a64cacfec97"
	onsNonceHex  = "00112233445566778899aabbccddeeff00ffeeddccbbaa99"
	onsIDHex     = "05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecryptONS(t *testing.T) {
	ct, nonce := mustHex(t, onsCipherHex), mustHex(t, onsNonceHex)
	for _, name := range []string{"test", "TEST", "TeSt"} {
		id, err := DecryptONS(name, ct, nonce)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if id.String() != onsIDHex {
			t.Errorf("%q: got %s, want %s", name, id, onsIDHex)
		}
	}
	if _, err := DecryptONS("tesd", ct, nonce); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrong name: err = %v, want ErrDecrypt", err)
	}
	if _, err := DecryptONS(onsName, ct, nonce[:23]); !errors.Is(err, ErrMalformed) {
		t.Errorf("short nonce: err = %v, want ErrMalformed", err)
	}
	if _, err := DecryptONS(onsName, ct[:10], nonce); !errors.Is(err, ErrDecrypt) {
		t.Errorf("short ciphertext: err = %v, want ErrDecrypt", err)
	}
}

func TestDecryptONSRejectsNonIDs(t *testing.T) {
	// A record that authenticates but holds 32 bytes, or an unknown prefix.
	hash := ONSNameHash("name")
	key, _ := blake2b.New256(hash[:])
	key.Write([]byte("name"))
	aead, _ := chacha20poly1305.NewX(key.Sum(nil))
	nonce := make([]byte, 24)
	for _, pt := range [][]byte{make([]byte, 32), append([]byte{0x99}, make([]byte, 32)...)} {
		if _, err := DecryptONS("Name", aead.Seal(nil, nonce, pt, nil), nonce); !errors.Is(err, ErrMalformed) {
			t.Errorf("%d-byte record starting %02x: err = %v, want ErrMalformed", len(pt), pt[0], err)
		}
	}
	id := append([]byte{0x05}, bytes.Repeat([]byte{0xab}, 32)...)
	got, err := DecryptONS("Name", aead.Seal(nil, nonce, id, nil), nonce)
	if err != nil || !bytes.Equal(got.Bytes(), id) {
		t.Errorf("valid record: %v, %v", got, err)
	}
}

func TestDecryptPushNotification(t *testing.T) {
	key := mustHex(t, "0123456789abcdef0123456789abcdeffedcba9876543210fedcba9876543210")
	payload := mustHex(t, "00112233445566778899aabbccddeeff00ffeeddccbbaa991bcba42892762dbeecbfb1a375fab4aca5f0991e99eb0344ceeafa")
	pt, err := DecryptPushNotification(key, payload)
	if err != nil || string(pt) != "TestMessage" {
		t.Fatalf("got %q, %v", pt, err)
	}
	bad := bytes.Clone(payload)
	bad[len(bad)-1] ^= 1
	if _, err := DecryptPushNotification(key, bad); !errors.Is(err, ErrDecrypt) {
		t.Errorf("tampered: err = %v", err)
	}
	if _, err := DecryptPushNotification(key, payload[:39]); !errors.Is(err, ErrDecrypt) {
		t.Errorf("short: err = %v", err)
	}
	if _, err := DecryptPushNotification(key[:31], payload); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("31-byte key: err = %v", err)
	}
}

func TestDecryptPushNotificationStripsZeros(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	aead, _ := chacha20poly1305.NewX(key)
	nonce := bytes.Repeat([]byte{2}, 24)
	for _, tc := range []struct{ in, want string }{
		{"d1:#i1ee\x00\x00\x00", "d1:#i1ee"},
		{"inner\x00zero\x00", "inner\x00zero"},
		{"\x00\x00\x00", ""},
		{"", ""},
	} {
		payload := aead.Seal(bytes.Clone(nonce), nonce, []byte(tc.in), nil)
		got, err := DecryptPushNotification(key, payload)
		if err != nil || string(got) != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestMultiRoundTrip(t *testing.T) {
	sender := testIdentity(t, 10)
	var recips [][32]byte
	for i := byte(0); i < 5; i++ {
		recips = append(recips, testIdentity(t, 20+i).X25519PublicKey())
	}
	var nonce [24]byte
	rand.Read(nonce[:])
	msgs := [][]byte{[]byte("a"), []byte("bb"), []byte("ccc"), []byte(""), []byte("eeeee")}
	cts, err := EncryptForMultiple(msgs, recips, nonce, sender.X25519PrivateKey(), sender.X25519PublicKey(), "domain")
	if err != nil {
		t.Fatal(err)
	}
	for i := range recips {
		if len(cts[i]) != len(msgs[i])+MultiOverhead {
			t.Errorf("copy %d is %d bytes", i, len(cts[i]))
		}
		r := testIdentity(t, 20+byte(i))
		pt, err := DecryptForMultiple(cts, nonce, r.X25519PrivateKey(), r.X25519PublicKey(), sender.X25519PublicKey(), "domain")
		if err != nil || !bytes.Equal(pt, msgs[i]) {
			t.Errorf("recipient %d: %q, %v", i, pt, err)
		}
		// The wrong sender key gives a different shared key.
		other := testIdentity(t, 11).X25519PublicKey()
		if _, err := DecryptForMultiple(cts, nonce, r.X25519PrivateKey(), r.X25519PublicKey(), other, "domain"); !errors.Is(err, ErrDecrypt) {
			t.Errorf("recipient %d, wrong sender: err = %v", i, err)
		}
	}
	outsider := testIdentity(t, 30)
	if _, err := DecryptForMultiple(cts, nonce, outsider.X25519PrivateKey(), outsider.X25519PublicKey(), sender.X25519PublicKey(), "domain"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("outsider: err = %v", err)
	}
	if _, err := DecryptForMultiple(nil, nonce, outsider.X25519PrivateKey(), outsider.X25519PublicKey(), sender.X25519PublicKey(), "domain"); !errors.Is(err, ErrDecrypt) {
		t.Errorf("no ciphertexts: err = %v", err)
	}
}

func TestMultiErrors(t *testing.T) {
	sender := testIdentity(t, 10)
	recips := [][32]byte{testIdentity(t, 20).X25519PublicKey(), testIdentity(t, 21).X25519PublicKey()}
	_, err := EncryptForMultiple([][]byte{{1}, {2}, {3}}, recips, [24]byte{}, sender.X25519PrivateKey(), sender.X25519PublicKey(), "d")
	if !errors.Is(err, ErrMessageCount) {
		t.Errorf("3 messages for 2 recipients: err = %v", err)
	}
	_, err = EncryptForMultiple(nil, recips, [24]byte{}, sender.X25519PrivateKey(), sender.X25519PublicKey(), "d")
	if !errors.Is(err, ErrMessageCount) {
		t.Errorf("no messages: err = %v", err)
	}
	low := append(recips, [32]byte{1})
	_, err = EncryptForMultiple([][]byte{{1}}, low, [24]byte{}, sender.X25519PrivateKey(), sender.X25519PublicKey(), "d")
	if !errors.Is(err, ErrInvalidKey) {
		t.Errorf("low-order recipient: err = %v", err)
	}
}

// libsodium caps a BLAKE2b key at 64 bytes and libsession passes only that
// much of the domain, so domains that agree on 64 bytes are the same domain.
func TestMultiLongDomain(t *testing.T) {
	sender, r := testIdentity(t, 10), testIdentity(t, 20)
	long := strings.Repeat("d", 64)
	cts, err := EncryptForMultiple([][]byte{[]byte("m")}, [][32]byte{r.X25519PublicKey()}, [24]byte{}, sender.X25519PrivateKey(), sender.X25519PublicKey(), long+"suffix")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecryptForMultiple(cts, [24]byte{}, r.X25519PrivateKey(), r.X25519PublicKey(), sender.X25519PublicKey(), long); err != nil {
		t.Errorf("64-byte prefix of the domain: %v", err)
	}
	if _, err := DecryptForMultiple(cts, [24]byte{}, r.X25519PrivateKey(), r.X25519PublicKey(), sender.X25519PublicKey(), long[:63]); !errors.Is(err, ErrDecrypt) {
		t.Errorf("63-byte prefix of the domain: err = %v", err)
	}
}
