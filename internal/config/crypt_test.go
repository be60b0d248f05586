package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func TestEncryptDecrypt(t *testing.T) {
	key := bytes.Repeat([]byte{3}, 32)
	for _, msg := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("config"), 1000)} {
		ct, err := Encrypt(msg, key, "Contacts")
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != len(msg)+EncryptOverhead {
			t.Errorf("ciphertext is %d bytes for %d", len(ct), len(msg))
		}
		again, _ := Encrypt(msg, key, "Contacts")
		if !bytes.Equal(ct, again) {
			t.Error("encryption is not deterministic")
		}
		pt, err := Decrypt(ct, key, "Contacts")
		if err != nil || !bytes.Equal(pt, msg) {
			t.Errorf("round trip: %q, %v", pt, err)
		}
		for _, bad := range []func() ([]byte, error){
			func() ([]byte, error) { return Decrypt(ct, key, "UserProfile") },
			func() ([]byte, error) { return Decrypt(ct, bytes.Repeat([]byte{4}, 32), "Contacts") },
			func() ([]byte, error) {
				c := bytes.Clone(ct)
				c[0] ^= 1
				return Decrypt(c, key, "Contacts")
			},
			func() ([]byte, error) { return Decrypt(ct[:len(ct)-1], key, "Contacts") },
			func() ([]byte, error) { return Decrypt(ct[:EncryptOverhead-1], key, "Contacts") },
		} {
			if _, err := bad(); !errors.Is(err, ErrDecrypt) {
				t.Errorf("tampered decryption: got %v, want ErrDecrypt", err)
			}
		}
	}
	for _, tc := range []struct {
		key    []byte
		domain string
	}{{key[:31], "Contacts"}, {key, ""}, {key, strings.Repeat("d", MaxDomainSize+1)}} {
		if _, err := Encrypt([]byte("m"), tc.key, tc.domain); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Encrypt(key %d bytes, domain %q): got %v", len(tc.key), tc.domain, err)
		}
		if _, err := Decrypt(make([]byte, 64), tc.key, tc.domain); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Decrypt(key %d bytes, domain %q): got %v", len(tc.key), tc.domain, err)
		}
	}
	if _, err := Encrypt([]byte("m"), key, strings.Repeat("d", MaxDomainSize)); err != nil {
		t.Errorf("a %d-byte domain: %v", MaxDomainSize, err)
	}
}

func TestPadMessage(t *testing.T) {
	for size := range 6000 {
		msg := bytes.Repeat([]byte{'d'}, size)
		p := PadMessage(msg, EncryptOverhead)
		if len(p) != PaddedSize(size, EncryptOverhead) || !bytes.HasSuffix(p, msg) {
			t.Fatalf("PadMessage of %d bytes is %d bytes", size, len(p))
		}
		if total := len(p) + EncryptOverhead; total%256 != 0 && total < 5120 {
			t.Fatalf("%d bytes pad to %d, not a multiple of 256 with the overhead", size, len(p))
		}
		if trimmed := bytes.TrimLeft(p, "\x00"); !bytes.Equal(trimmed, msg) {
			t.Fatalf("padding of %d bytes does not strip back", size)
		}
	}
}

func TestDecodePlaintext(t *testing.T) {
	msg := []byte("d1:#i0e1:&d1:n" + strings.Repeat("a", 2000) + "e1:<le1:=dee")
	z := compressMessage(msg)
	if z[0] != prefixZstd || len(z) >= len(msg) {
		t.Fatalf("a repetitive message did not compress (%d -> %d bytes)", len(msg), len(z))
	}
	for _, in := range [][]byte{msg, PadMessage(msg, EncryptOverhead), PadMessage(z, EncryptOverhead)} {
		got, err := DecodePlaintext(in)
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("DecodePlaintext: %q, %v", got, err)
		}
	}
	if short := []byte("d1:#i0ee"); !bytes.Equal(compressMessage(short), short) {
		t.Error("compression kept although it does not help")
	}

	enc, _ := zstd.NewWriter(nil)
	bomb := enc.EncodeAll(make([]byte, MaxDecompressedSize+1), []byte{prefixZstd})
	enc.Close()
	empty, _ := zstd.NewWriter(nil)
	noData := empty.EncodeAll(nil, []byte{prefixZstd})
	empty.Close()
	for _, tc := range []struct {
		in   []byte
		want error
	}{
		{nil, ErrMalformed},
		{[]byte{0, 0, 0}, ErrMalformed},
		{[]byte("m..."), ErrMalformed},
		{[]byte("x..."), ErrMalformed},
		{[]byte("z not zstd"), ErrDecompress},
		{bomb, ErrDecompress},
		{noData, ErrDecompress},
	} {
		if _, err := DecodePlaintext(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("DecodePlaintext(%.20q): got %v, want %v", tc.in, err, tc.want)
		}
	}
}

func TestLegacyWrap(t *testing.T) {
	me, other := testIdentity(t, 1), testIdentity(t, 2)
	data := []byte("encrypted config")
	w, err := WrapLegacy(me, NamespaceContacts, 42, data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnwrapLegacy(me, NamespaceContacts, w)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	if _, err := UnwrapLegacy(me, NamespaceUserProfile, w); !errors.Is(err, ErrLegacyWrap) {
		t.Errorf("wrong kind: got %v", err)
	}
	if _, err := UnwrapLegacy(other, NamespaceContacts, w); !errors.Is(err, ErrDecrypt) {
		t.Errorf("other account: got %v", err)
	}
	if _, err := UnwrapLegacy(me, NamespaceContacts, data); err == nil {
		t.Error("raw data unwrapped")
	}
	if _, err := WrapLegacy(me, 12, 1, data); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("group namespace: got %v", err)
	}
	for ns := NamespaceUserProfile; ns <= NamespaceUserGroups; ns++ {
		if k, ok := ns.sharedConfigKind(); !ok || k != uint64(ns)-1 || ns.Domain() == "" {
			t.Errorf("namespace %d: kind %d, %v, domain %q", ns, k, ok, ns.Domain())
		}
	}
}
