package attachment

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"
)

func seed(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i * 7)
	}
	return p
}

func TestPersonalisationChangesKey(t *testing.T) {
	_, k1, _, _ := DeriveKey(seed(1), DomainAttachment, bytes.NewReader([]byte("x")))
	_, k2, _, _ := DeriveKey(seed(1), DomainProfilePic, bytes.NewReader([]byte("x")))
	_, k3, _, _ := DeriveKey(seed(2), DomainAttachment, bytes.NewReader([]byte("x")))
	if k1 == k2 || k1 == k3 {
		t.Fatal("domain or seed does not change the key")
	}
}

func TestDeterministicRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 4053, 4054, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 5, 261983, 523991} {
		data := pattern(n)
		blob, key, err := Encrypt(seed(3), DomainAttachment, data, false)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(blob)) != EncryptedSize(int64(n)) {
			t.Errorf("n=%d: blob is %d bytes, EncryptedSize says %d", n, len(blob), EncryptedSize(int64(n)))
		}
		again, key2, _ := Encrypt(seed(3), DomainAttachment, data, false)
		if !bytes.Equal(blob, again) || key != key2 {
			t.Errorf("n=%d: encryption is not deterministic", n)
		}
		got, err := Decrypt(blob, key[:])
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("n=%d: round trip changed the data", n)
		}
		if m, ok := DecryptedMaxSize(int64(len(blob))); !ok || m < int64(n) {
			t.Errorf("n=%d: DecryptedMaxSize=%d,%v", n, m, ok)
		}
		// Byte-at-a-time and odd-sized writes give the same plaintext.
		var out bytes.Buffer
		dec, _ := NewDecryptor(&out, key[:])
		for i := 0; i < len(blob); i += 977 {
			if _, err := dec.Write(blob[i:min(i+977, len(blob))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := dec.Close(); err != nil || !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("n=%d: streamed decrypt: %v", n, err)
		}
	}
}

func TestDeterministicLimit(t *testing.T) {
	big := make([]byte, MaxDeterministicSize+1)
	if _, _, err := Encrypt(seed(1), DomainAttachment, big, false); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if _, _, err := Encrypt(seed(1), DomainAttachment, big, true); err != nil {
		t.Fatal(err)
	}
}

// Every single-byte flip, every truncation point and a wrong key are
// rejected, and nothing from a forged chunk reaches the writer.
func TestDeterministicTamper(t *testing.T) {
	data := pattern(2*ChunkSize + 100)
	blob, key, _ := Encrypt(seed(4), DomainAttachment, data, false)
	for _, i := range []int{0, 1, 24, 25, 26, 100, ChunkSize, encryptedChunk + 30, len(blob) - 17, len(blob) - 1} {
		bad := bytes.Clone(blob)
		bad[i] ^= 0x01
		var out bytes.Buffer
		dec, _ := NewDecryptor(&out, key[:])
		_, err := dec.Write(bad)
		if err == nil {
			err = dec.Close()
		}
		if !errors.Is(err, ErrAuth) && !errors.Is(err, ErrMalformed) {
			t.Errorf("flip at %d: err=%v", i, err)
		}
		// Only chunks before the flipped one may have been released, and
		// they are the true plaintext.
		if !bytes.HasPrefix(data, out.Bytes()) {
			t.Errorf("flip at %d: forged bytes reached the writer", i)
		}
	}
	for _, n := range []int{0, 10, 25, 26, encryptedChunk, encryptedChunk + 25, len(blob) - 1} {
		if _, err := Decrypt(blob[:n], key[:]); err == nil {
			t.Errorf("truncated to %d: accepted", n)
		}
	}
	wrong := key
	wrong[0] ^= 1
	if _, err := Decrypt(blob, wrong[:]); !errors.Is(err, ErrAuth) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := Decrypt(append(bytes.Clone(blob), 0), key[:]); err == nil {
		t.Error("trailing byte accepted")
	}
}

func TestLegacyPaddedSize(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{0, 541}, {1, 541}, {541, 541}, {542, 568}, {1000, 1020}, {9_999_999, 10_000_000}, {10_000_000, 10_000_000},
	} {
		if got := LegacyPaddedSize(c.n); got != c.want {
			t.Errorf("LegacyPaddedSize(%d) = %d, want %d", c.n, got, c.want)
		}
	}
	for n := 1; n < 200_000; n += 997 {
		if p := LegacyPaddedSize(n); p < n || p < 541 {
			t.Fatalf("LegacyPaddedSize(%d) = %d", n, p)
		}
	}
}

func TestLegacyRoundTripAndTamper(t *testing.T) {
	for _, n := range []int{1, 15, 16, 541, 542, 100_000} {
		data := pattern(n)
		blob, key, digest, err := EncryptLegacy(rand.Reader, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(blob) != 16+(LegacyPaddedSize(n)/16+1)*16+32 {
			t.Errorf("n=%d: blob is %d bytes", n, len(blob))
		}
		got, err := DecryptLegacy(blob, key, digest, n)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("n=%d: %v", n, err)
		}
		for _, i := range []int{0, 16, len(blob) / 2, len(blob) - 1} {
			bad := bytes.Clone(blob)
			bad[i] ^= 0x80
			if _, err := DecryptLegacy(bad, key, digest, n); !errors.Is(err, ErrAuth) {
				t.Errorf("n=%d flip %d: %v", n, i, err)
			}
			// With a digest matching the forged blob the MAC still fails.
			if _, err := DecryptLegacy(bad, key, sha(bad), n); !errors.Is(err, ErrAuth) {
				t.Errorf("n=%d flip %d with recomputed digest: %v", n, i, err)
			}
		}
		if _, err := DecryptLegacy(blob, key, digest, LegacyPaddedSize(n)+100); err == nil {
			t.Errorf("n=%d: size beyond the plaintext accepted", n)
		}
	}
	if _, _, _, err := EncryptLegacy(rand.Reader, make([]byte, MaxLegacySize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize legacy: %v", err)
	}
}

func sha(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

func ExampleEncrypt() {
	blob, key, _ := Encrypt(bytes.Repeat([]byte{1}, 32), DomainAttachment, []byte("hello"), false)
	pt, _ := Decrypt(blob, key[:])
	fmt.Println(len(blob), string(pt))
	// Output: 4096 hello
}

var _ io.Writer = (*Decryptor)(nil)

// TestLibsodiumKnownAnswer pins one blob whose every chunk was pulled with
// libsodium 1.0.18's crypto_secretstream_xchacha20poly1305_pull and whose key
// and header match its crypto_generichash_blake2b_salt_personal (checked
// once with ctypes while writing this package): 70 000 bytes of i·7 under
// seed 05×32.
func TestLibsodiumKnownAnswer(t *testing.T) {
	blob, key, err := Encrypt(seed(5), DomainAttachment, pattern(70000), false)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(blob)
	if got := hex.EncodeToString(sum[:]); got != "6c4f589ebc14a76def64f5855bf66afa2a9e8160c7e3a47012a6deb55704d866" {
		t.Errorf("blob SHA-256 = %s", got)
	}
	if got := hex.EncodeToString(key[:]); got != "0e1c17e82e5baf0caa6912837a6afdff8852926025e2fd3e31c336f6d74af374" {
		t.Errorf("key = %s", got)
	}
}
