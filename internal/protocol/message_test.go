package protocol

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/edwards25519"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func textContent(body string) *signalpb.Content {
	return &signalpb.Content{DataMessage: &signalpb.DataMessage{
		Body:       proto.String(body),
		ProfileKey: bytes.Repeat([]byte{0x42}, 32),
	}}
}

func TestMessageRoundTrip(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	sent := time.UnixMilli(1_700_000_000_123).Add(456 * time.Microsecond)
	data, err := EncodeMessage(alice, bob.SessionID(), textContent("hello bob"), sent)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeMessage(bob, data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Sender != alice.SessionID() {
		t.Errorf("sender %s, want %s", m.Sender, alice.SessionID())
	}
	if !bytes.Equal(m.SenderEd25519, alice.Ed25519PublicKey()) {
		t.Errorf("sender Ed25519 key %x", m.SenderEd25519)
	}
	if !m.SentAt.Equal(time.UnixMilli(1_700_000_000_123)) {
		t.Errorf("sent at %v, want the time truncated to milliseconds", m.SentAt)
	}
	if !proto.Equal(m.Content, textContent("hello bob")) {
		t.Errorf("content %v", m.Content)
	}
}

func TestMessageWrapping(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	content := textContent("layers")
	data, err := encodeMessage(bytes.NewReader(bytes.Repeat([]byte{3}, 32)), alice, bob.SessionID(), content, time.UnixMilli(1234))
	if err != nil {
		t.Fatal(err)
	}
	var ws signalpb.WebSocketMessage
	if err := proto.Unmarshal(data, &ws); err != nil {
		t.Fatal(err)
	}
	req := ws.GetRequest()
	if ws.GetType() != signalpb.WebSocketMessage_REQUEST || req.Verb == nil || *req.Verb != "" ||
		req.Path == nil || *req.Path != "" || req.Id == nil || *req.Id != 0 {
		t.Fatalf("WebSocketMessage = %v, want type REQUEST with verb \"\", path \"\", id 0 all present", &ws)
	}
	var env signalpb.Envelope
	if err := proto.Unmarshal(req.GetBody(), &env); err != nil {
		t.Fatal(err)
	}
	if env.GetType() != signalpb.Envelope_SESSION_MESSAGE || env.GetTimestamp() != 1234 || env.Source != nil {
		t.Fatalf("Envelope = %v", &env)
	}
	o, err := Decrypt(bob, env.GetContent())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := proto.Marshal(content)
	if !bytes.Equal(o.Plaintext, Pad(body)) {
		t.Errorf("encrypted plaintext is not the padded Content")
	}
}

func TestDecodeBareEnvelope(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	data, _ := EncodeMessage(alice, bob.SessionID(), textContent("bare"), time.UnixMilli(99))
	env, err := UnwrapEnvelope(data)
	if err != nil {
		t.Fatal(err)
	}
	bare, _ := proto.Marshal(env)
	m, err := DecodeMessage(bob, bare)
	if err != nil {
		t.Fatal(err)
	}
	if m.Content.GetDataMessage().GetBody() != "bare" || m.SentAt.UnixMilli() != 99 {
		t.Errorf("got %v at %d", m.Content, m.SentAt.UnixMilli())
	}
}

func TestDecodeErrors(t *testing.T) {
	alice, bob, carol := testIdentity(t, 1), testIdentity(t, 2), testIdentity(t, 3)
	good, _ := EncodeMessage(alice, bob.SessionID(), textContent("x"), time.UnixMilli(5))
	env, _ := UnwrapEnvelope(good)

	groupEnv := proto.Clone(env).(*signalpb.Envelope)
	groupEnv.Type = signalpb.Envelope_CLOSED_GROUP_MESSAGE.Enum()
	group := wrapForTest(t, groupEnv)

	hugeTS := proto.Clone(env).(*signalpb.Envelope)
	hugeTS.Timestamp = proto.Uint64(math.MaxInt64 + 1)
	huge := wrapForTest(t, hugeTS)

	noContent := proto.Clone(env).(*signalpb.Envelope)
	noContent.Content = nil
	empty := wrapForTest(t, noContent)

	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"wrong recipient", good, ErrDecrypt},
		{"garbage", []byte("definitely not a protobuf \xff\xff"), ErrMalformed},
		{"empty", nil, ErrMalformed},
		{"closed group envelope", group, ErrMalformed},
		{"timestamp beyond int64", huge, ErrMalformed},
		{"envelope without content", empty, ErrDecrypt},
		{"too large", make([]byte, MaxMessageSize+1), ErrTooLarge},
	} {
		who := bob
		if tc.name == "wrong recipient" {
			who = carol
		}
		if _, err := DecodeMessage(who, tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// wrapForTest wraps an arbitrary Envelope the way WrapEnvelope does.
func wrapForTest(t *testing.T, env *signalpb.Envelope) []byte {
	t.Helper()
	b, err := proto.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	out, err := proto.Marshal(&signalpb.WebSocketMessage{
		Type:    signalpb.WebSocketMessage_REQUEST.Enum(),
		Request: &signalpb.WebSocketRequestMessage{Verb: proto.String(""), Path: proto.String(""), Body: b, Id: proto.Uint64(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Decrypted bytes that are not a Content must be reported without them.
func TestDecodeErrorOmitsPlaintext(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	secret := "\xffSECRET-PLAINTEXT\xff"
	ct, err := EncryptForRecipient(alice, bob.SessionID(), Pad([]byte(secret)))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := WrapEnvelope(ct, 1)
	_, err = DecodeMessage(bob, data)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %q contains the plaintext", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	now := time.UnixMilli(1)
	if _, err := EncodeMessage(alice, bob.SessionID(), nil, now); !errors.Is(err, ErrInvalidContent) {
		t.Errorf("nil content: err = %v", err)
	}
	missing := &signalpb.Content{TypingMessage: &signalpb.TypingMessage{Timestamp: proto.Uint64(1)}} // action is required
	if _, err := EncodeMessage(alice, bob.SessionID(), missing, now); !errors.Is(err, ErrInvalidContent) {
		t.Errorf("missing required field: err = %v", err)
	}
	if _, err := EncodeMessage(alice, bob.SessionID(), textContent("x"), time.UnixMilli(-1)); !errors.Is(err, ErrTimestamp) {
		t.Errorf("before 1970: err = %v", err)
	}
	big := textContent(strings.Repeat("x", MaxMessageSize))
	if _, err := EncodeMessage(alice, bob.SessionID(), big, now); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized content: err = %v", err)
	}
	// Just under the precheck, the padded and wrapped result is still too big.
	edge := textContent(strings.Repeat("x", MaxMessageSize-Overhead-100))
	if _, err := EncodeMessage(alice, bob.SessionID(), edge, now); !errors.Is(err, ErrTooLarge) {
		t.Errorf("content that only overflows once wrapped: err = %v", err)
	}
	ok := textContent(strings.Repeat("x", MaxMessageSize-Overhead-400))
	data, err := EncodeMessage(alice, bob.SessionID(), ok, now)
	if err != nil {
		t.Fatalf("content that fits: %v", err)
	}
	if _, err := DecodeMessage(bob, data); err != nil {
		t.Errorf("largest message does not decode: %v", err)
	}
	blinded := keys.ID{Prefix: keys.PrefixBlind25, Key: bob.X25519PublicKey()}
	if _, err := EncodeMessage(alice, blinded, textContent("x"), now); !errors.Is(err, ErrInvalidRecipient) {
		t.Errorf("blinded recipient: err = %v", err)
	}
}

// Unknown fields (here the legacy sharedConfigMessage, field 11) survive a
// decode, so a caller can still read what this schema does not name.
func TestDecodeKeepsUnknownFields(t *testing.T) {
	alice := testIdentity(t, 1)
	body := protowire.AppendTag(nil, 11, protowire.BytesType)
	body = protowire.AppendBytes(body, []byte("legacy"))
	ct, _ := EncryptForRecipient(alice, alice.SessionID(), Pad(body))
	data, _ := WrapEnvelope(ct, 1)
	m, err := DecodeMessage(alice, data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Content.ProtoReflect().GetUnknown(), body) {
		t.Errorf("unknown fields %x, want %x", m.Content.ProtoReflect().GetUnknown(), body)
	}
}

// libsession wraps config pushes in the same layers (with timestamp 1); the
// oracle recorded one, so the wrapping can be compared byte for byte.
func TestWrapMatchesLibsession(t *testing.T) {
	raw := readVector(t, "oracle/config.json")
	var f struct {
		Run1 struct {
			UserProfile *struct {
				SecretKey string `json:"ed25519_secretkey"`
				Push      string `json:"push_data_hex"`
			} `json:"user_profile"`
		} `json:"run1"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	up := f.Run1.UserProfile
	if up == nil {
		t.Skip("oracle/config.json has no user_profile case")
	}
	push, _ := hex.DecodeString(up.Push)
	sk, _ := hex.DecodeString(up.SecretKey)
	env, err := UnwrapEnvelope(push)
	if err != nil {
		t.Fatal(err)
	}
	again, err := WrapEnvelope(env.GetContent(), env.GetTimestamp())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, push) {
		t.Errorf("WrapEnvelope differs from libsession:\n got %x\nwant %x", again, push)
	}
	me, err := keys.NewIdentityFromSecretKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeMessage(me, push)
	if err != nil {
		t.Fatal(err)
	}
	if m.Sender != me.SessionID() || m.SentAt.UnixMilli() != 1 || len(m.Content.ProtoReflect().GetUnknown()) == 0 {
		t.Errorf("config push decoded to sender %s at %d with %d unknown bytes", m.Sender, m.SentAt.UnixMilli(), len(m.Content.ProtoReflect().GetUnknown()))
	}
}

// readVector reads a file from the shared vectors, found as the vector
// runner finds them, and skips the test when it is absent.
func readVector(t *testing.T, name string) []byte {
	t.Helper()
	dir := os.Getenv("SESSION_VECTORS_DIR")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "..", "shared", "vectors")
				break
			}
			if filepath.Dir(d) == d {
				t.Skip("no go.mod above the test directory")
			}
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Skipf("vector file not available: %v", err)
	}
	return raw
}

// TestDecoyProSig checks that every 1:1 message carries a proSig as
// current libsession's does when the sender has no Pro: 64 bytes whose
// first half is a valid curve point, like an Ed25519 signature, different
// each time; and that a message with one decodes.
func TestDecoyProSig(t *testing.T) {
	alice, bob := testIdentity(t, 1), testIdentity(t, 2)
	seen := map[string]bool{}
	for range 3 {
		data, err := EncodeMessage(alice, bob.SessionID(), textContent("pro"), time.UnixMilli(1234))
		if err != nil {
			t.Fatal(err)
		}
		env, err := UnwrapEnvelope(data)
		if err != nil {
			t.Fatal(err)
		}
		sig := env.GetProSig()
		if len(sig) != 64 || seen[string(sig)] {
			t.Fatalf("proSig %x: want 64 fresh bytes", sig)
		}
		seen[string(sig)] = true
		if _, err := new(edwards25519.Point).SetBytes(sig[:32]); err != nil {
			t.Errorf("proSig R is not a point: %v", err)
		}
		if _, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:]); err != nil {
			t.Errorf("proSig s is not a canonical scalar: %v", err)
		}
		if _, err := DecodeMessage(bob, data); err != nil {
			t.Errorf("a message with a proSig does not decode: %v", err)
		}
	}
}
