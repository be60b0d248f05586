package attachment

import (
	"bytes"
	"io"
	"testing"
)

// FuzzDecrypt feeds arbitrary blobs to the deterministic decryptor in
// arbitrary pieces: it must never panic and never release plaintext from a
// blob that does not authenticate. Seeds include real blobs and their
// mutations.
func FuzzDecrypt(f *testing.F) {
	blob, key, _ := Encrypt(seed(7), DomainAttachment, pattern(40000), false)
	f.Add(blob, key[:], uint16(1000))
	f.Add(blob[:100], key[:], uint16(7))
	f.Add([]byte("S"), key[:], uint16(1))
	f.Add([]byte{}, key[:], uint16(0))
	f.Fuzz(func(t *testing.T, b, k []byte, step uint16) {
		dec, err := NewDecryptor(io.Discard, k)
		if err != nil {
			return
		}
		s := int(step)%4096 + 1
		for i := 0; i < len(b); i += s {
			if _, err := dec.Write(b[i:min(i+s, len(b))]); err != nil {
				return
			}
		}
		if err := dec.Close(); err == nil && len(k) == KeySize {
			// Anything accepted must re-encrypt to... nothing we can know
			// without the seed; but it must at least decrypt the same way
			// in one piece.
			if _, err := Decrypt(b, k); err != nil {
				t.Fatalf("accepted in pieces, refused whole: %v", err)
			}
		}
	})
}

// FuzzDecryptLegacy feeds arbitrary blobs, keys, digests and sizes to the
// legacy decryptor; it must never panic.
func FuzzDecryptLegacy(f *testing.F) {
	blob, key, digest, _ := EncryptLegacy(bytes.NewReader(make([]byte, 80)), pattern(600))
	f.Add(blob, key, digest, 600)
	f.Add(blob[:48], key, digest, 0)
	f.Fuzz(func(t *testing.T, b, k, d []byte, size int) {
		pt, err := DecryptLegacy(b, k, d, size)
		if err == nil && size > 0 && len(pt) != size {
			t.Fatalf("size %d but %d bytes returned", size, len(pt))
		}
	})
}

// FuzzRoundTrip checks that whatever is encrypted decrypts to itself in
// both formats.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), byte(1))
	f.Add([]byte{}, byte(0))
	f.Fuzz(func(t *testing.T, data []byte, s byte) {
		blob, key, err := Encrypt(seed(s), DomainAttachment, data, false)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(blob)) != EncryptedSize(int64(len(data))) {
			t.Fatalf("size %d != EncryptedSize %d", len(blob), EncryptedSize(int64(len(data))))
		}
		got, err := Decrypt(blob, key[:])
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("deterministic round trip: %v", err)
		}
		lb, lk, ld, err := EncryptLegacy(bytes.NewReader(make([]byte, 80)), data)
		if err != nil {
			t.Fatal(err)
		}
		got, err = DecryptLegacy(lb, lk, ld, len(data))
		if err != nil || (len(data) > 0 && !bytes.Equal(got, data)) {
			t.Fatalf("legacy round trip: %v", err)
		}
	})
}
