package storagerpc

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

const (
	testPubkey  = "054701d08488451f545a409fb58ae3e58581ca40ac3f7f114698cd71deac73ca01"
	testEd      = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
	testHash    = "gwTFi7xJfaW/kuECEKV+HwjKWozToGIYTM7R9KyaH7M"
	testTS      = int64(1700000000000)
	testSigJSON = `"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="`
)

// testIdentity is the account of the storage RPC vectors (seed 00 01 … 1f).
func testIdentity(t testing.TB) *keys.Identity {
	t.Helper()
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(i)
	}
	id, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// keyFromByte returns a deterministic Ed25519 key for tests.
func keyFromByte(b byte) ed25519.PrivateKey {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = b
	}
	return ed25519.NewKeyFromSeed(seed)
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// params builds a JSON object from alternating key, raw-JSON-value pairs.
func params(kv ...string) json.RawMessage {
	var sb strings.Builder
	sb.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			sb.WriteByte(',')
		}
		k, _ := json.Marshal(kv[i])
		sb.Write(k)
		sb.WriteByte(':')
		sb.WriteString(kv[i+1])
	}
	sb.WriteByte('}')
	return json.RawMessage(sb.String())
}

func q(s string) string { b, _ := json.Marshal(s); return string(b) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// wantError checks that err is an *Error with the given status and body.
func wantError(t *testing.T, what string, err error, status int, reason string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s: got error %v, want *Error %d %q", what, err, status, reason)
		return
	}
	if e.Status != status || e.Reason != reason {
		t.Errorf("%s: got %d %q, want %d %q", what, e.Status, e.Reason, status, reason)
	}
}
