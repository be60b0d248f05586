package attachment

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
)

// A blob made by another implementation of Session's older profile
// picture format (Python's cryptography AESGCM: IV ‖ ciphertext ‖ tag)
// decrypts; any flipped byte, a short blob or a wrong key is refused.
func TestProfileGCMKnownAnswer(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	blob, _ := hex.DecodeString("6465666768696a6b6c6d6e6f1b7ead15108638be4e10308eb3090fdd32ab657efe1e9691675bd9bae11e9148fe81407a0c10cf")
	pt, err := DecryptProfileGCM(blob, key)
	if err != nil || string(pt) != "Session profile picture" {
		t.Fatalf("%q %v", pt, err)
	}
	for i := range blob {
		b := bytes.Clone(blob)
		b[i] ^= 0x80
		if _, err := DecryptProfileGCM(b, key); !errors.Is(err, ErrAuth) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	if _, err := DecryptProfileGCM(blob[:28], key); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short blob: %v", err)
	}
	if _, err := DecryptProfileGCM(blob, key[:16]); !errors.Is(err, ErrKey) {
		t.Fatalf("short key: %v", err)
	}
	again, err := EncryptProfileGCM(rand.Reader, pt, key)
	if err != nil || bytes.Equal(again, blob) {
		t.Fatalf("re-encrypted: %v (the IV must be fresh)", err)
	}
	if pt2, err := DecryptProfileGCM(again, key); err != nil || !bytes.Equal(pt2, pt) {
		t.Fatalf("round trip: %v", err)
	}
}

// FuzzDecryptProfileGCM: a profile picture is bytes from a file server
// and a key from a stranger's message; nothing may panic.
func FuzzDecryptProfileGCM(f *testing.F) {
	blob, _ := EncryptProfileGCM(rand.Reader, []byte("picture"), make([]byte, 32))
	f.Add(blob, make([]byte, 32))
	f.Add([]byte{}, []byte{1})
	f.Fuzz(func(t *testing.T, b, k []byte) {
		if pt, err := DecryptProfileGCM(b, k); err == nil && len(pt) != len(b)-28 {
			t.Fatalf("%d-byte blob gave %d bytes", len(b), len(pt))
		}
	})
}
