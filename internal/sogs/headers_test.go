package sogs

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// testIdentity returns a fixed account, different for each n.
func testIdentity(t testing.TB, n byte) *keys.Identity {
	t.Helper()
	seed := sha256.Sum256([]byte{'s', 'o', 'g', 's', n})
	id, err := keys.NewIdentity(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var testServer = bytes.Repeat([]byte{0xc3}, 32)

// verifyHeaders checks that hs authenticates the request for the signer it names.
func verifyHeaders(t *testing.T, hs Headers, method, path string, body []byte) {
	t.Helper()
	signer, err := keys.ParseID(hs.Pubkey)
	if err != nil {
		t.Fatalf("X-SOGS-Pubkey %q: %v", hs.Pubkey, err)
	}
	nonce, err := base64.StdEncoding.DecodeString(hs.Nonce)
	if err != nil || len(nonce) != NonceSize {
		t.Fatalf("X-SOGS-Nonce %q: %v", hs.Nonce, err)
	}
	sig, err := base64.StdEncoding.DecodeString(hs.Signature)
	if err != nil {
		t.Fatalf("X-SOGS-Signature %q: %v", hs.Signature, err)
	}
	ts, err := strconv.ParseInt(hs.Timestamp, 10, 64)
	if err != nil {
		t.Fatalf("X-SOGS-Timestamp %q: %v", hs.Timestamp, err)
	}
	msg := SignedMessage(testServer, nonce, ts, method, path, body)
	if !ed25519.Verify(signer.Key[:], msg, sig) {
		t.Fatalf("signature does not verify for %s", hs.Pubkey)
	}
}

func TestSignRequestAt(t *testing.T) {
	id := testIdentity(t, 1)
	nonce := bytes.Repeat([]byte{7}, NonceSize)
	blinded, err := id.Blind15KeyPair(testServer)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind KeyKind
		want keys.ID
	}{
		{Unblinded, keys.ID{Prefix: keys.PrefixUnblinded, Key: [32]byte(id.Ed25519PublicKey())}},
		{Blinded15, blinded.ID()},
	} {
		for _, body := range [][]byte{nil, []byte("hello 🎂")} {
			hs, err := SignRequestAt(id, c.kind, testServer, nonce, 1642472103, "POST", "/room/r/message", body)
			if err != nil {
				t.Fatalf("%v: %v", c.kind, err)
			}
			if hs.Pubkey != c.want.String() {
				t.Errorf("%v: X-SOGS-Pubkey %s, want %s", c.kind, hs.Pubkey, c.want)
			}
			if hs.Timestamp != "1642472103" || hs.Nonce != base64.StdEncoding.EncodeToString(nonce) {
				t.Errorf("%v: timestamp %q, nonce %q", c.kind, hs.Timestamp, hs.Nonce)
			}
			verifyHeaders(t, hs, "POST", "/room/r/message", body)
			// The body is covered: the same headers do not authenticate another one.
			other, _ := SignRequestAt(id, c.kind, testServer, nonce, 1642472103, "POST", "/room/r/message", []byte("x"))
			if other.Signature == hs.Signature {
				t.Errorf("%v: body does not change the signature", c.kind)
			}
		}
	}
	if _, err := SignRequestAt(id, Unblinded, testServer, nonce[:15], 1, "GET", "/", nil); !errors.Is(err, ErrNonceSize) {
		t.Errorf("short nonce: %v", err)
	}
	if _, err := SignRequestAt(id, Blinded15, testServer[:31], nonce, 1, "GET", "/", nil); !errors.Is(err, keys.ErrServerKeySize) {
		t.Errorf("short server key: %v", err)
	}
	if _, err := SignRequestAt(id, KeyKind(9), testServer, nonce, 1, "GET", "/", nil); !errors.Is(err, ErrKeyKind) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestSignRequestDrawsNonceAndTime(t *testing.T) {
	id := testIdentity(t, 2)
	nonce := bytes.Repeat([]byte{0x5a}, NonceSize)
	now := time.Unix(1700000123, 999)
	hs, err := signRequest(bytes.NewReader(nonce), now, id, Blinded15, testServer, "GET", "/capabilities", nil)
	if err != nil {
		t.Fatal(err)
	}
	if hs.Nonce != base64.StdEncoding.EncodeToString(nonce) || hs.Timestamp != "1700000123" {
		t.Errorf("nonce %q, timestamp %q", hs.Nonce, hs.Timestamp)
	}
	if _, err := signRequest(bytes.NewReader(nonce[:3]), now, id, Blinded15, testServer, "GET", "/", nil); err == nil {
		t.Error("a short random source gave no error")
	}

	a, err := SignRequest(id, Unblinded, testServer, "GET", "/capabilities", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SignRequest(id, Unblinded, testServer, "GET", "/capabilities", nil)
	if a.Nonce == b.Nonce {
		t.Error("two requests share a nonce")
	}
	verifyHeaders(t, a, "GET", "/capabilities", nil)

	h := http.Header{}
	a.Apply(h)
	for name, want := range map[string]string{
		HeaderPubkey: a.Pubkey, HeaderNonce: a.Nonce, HeaderTimestamp: a.Timestamp, HeaderSignature: a.Signature,
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func TestSignedMessage(t *testing.T) {
	server, _ := hex.DecodeString("c3b3c6f32f0ab5a57f853cc4f30f5da7fda5624b0c77b3fb0829de562ada081d")
	nonce := bytes.Repeat([]byte{1}, NonceSize)
	noBody := SignedMessage(server, nonce, 12, "GET", "/x", nil)
	want := append(append(append([]byte{}, server...), nonce...), "12GET/x"...)
	if !bytes.Equal(noBody, want) {
		t.Fatalf("no body: %x, want %x", noBody, want)
	}
	if withBody := SignedMessage(server, nonce, 12, "GET", "/x", []byte("b")); len(withBody) != len(want)+64 || !bytes.HasPrefix(withBody, want) {
		t.Fatalf("with body: %x", withBody)
	}
}
