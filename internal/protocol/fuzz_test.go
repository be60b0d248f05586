package protocol

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"google.golang.org/protobuf/proto"
)

// FuzzDecodeMessage feeds arbitrary bytes to DecodeMessage. It must never
// panic, must fail with one of the package's errors, and whatever it accepts
// must come from the only sender that signed the seeds and re-encode to a
// message with the same Content.
func FuzzDecodeMessage(f *testing.F) {
	alice, bob := testIdentity(f, 1), testIdentity(f, 2)
	for i, c := range []*signalpb.Content{
		textContent("hello"),
		{TypingMessage: &signalpb.TypingMessage{Timestamp: proto.Uint64(7), Action: signalpb.TypingMessage_STARTED.Enum()}},
		{},
	} {
		data, err := EncodeMessage(alice, bob.SessionID(), c, time.UnixMilli(int64(1000+i)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		env, _ := UnwrapEnvelope(data)
		bare, _ := proto.Marshal(env)
		f.Add(bare)
	}
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x01, 0x12, 0x00})
	f.Add([]byte{0x08, 0x06, 0x28, 0x01, 0x42, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(bob, data)
		if err != nil {
			if m != nil {
				t.Fatal("error with a non-nil message")
			}
			if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v wraps none of the package's errors", err)
			}
			return
		}
		if m.Sender != alice.SessionID() || !bytes.Equal(m.SenderEd25519, alice.Ed25519PublicKey()) {
			t.Fatalf("accepted a message from %s, who signed no seed", m.Sender)
		}
		again, err := EncodeMessage(alice, bob.SessionID(), m.Content, m.SentAt)
		if err != nil {
			t.Fatalf("accepted Content does not re-encode: %v", err)
		}
		m2, err := DecodeMessage(bob, again)
		if err != nil || !proto.Equal(m2.Content, m.Content) || !m2.SentAt.Equal(m.SentAt) {
			t.Fatalf("re-encoded message decodes differently: %v", err)
		}
	})
}

// FuzzDecrypt feeds arbitrary ciphertexts to Decrypt.
func FuzzDecrypt(f *testing.F) {
	alice, bob := testIdentity(f, 1), testIdentity(f, 2)
	for _, n := range []int{0, 5, 200} {
		ct, _ := EncryptForRecipient(alice, bob.SessionID(), make([]byte, n))
		f.Add(ct)
		det, _ := EncryptForRecipientDeterministic(alice, bob.SessionID(), make([]byte, n))
		f.Add(det)
	}
	f.Add(make([]byte, Overhead))
	f.Fuzz(func(t *testing.T, ct []byte) {
		o, err := Decrypt(bob, ct)
		if err != nil {
			if err != ErrDecrypt {
				t.Fatalf("error %v is not exactly ErrDecrypt", err)
			}
			return
		}
		if o.Sender != alice.SessionID() || len(o.Plaintext) != len(ct)-Overhead {
			t.Fatalf("accepted %d bytes from %s", len(ct), o.Sender)
		}
	})
}

// FuzzUnpad checks Unpad against its definition on arbitrary input, and
// that it inverts Pad.
func FuzzUnpad(f *testing.F) {
	for _, s := range []string{"", "abc", "abc\x80", "abc\x80\x00\x00", "abc\x00", "\x80\x80", "\x00", "x\x80\x00y"} {
		f.Add([]byte(s))
	}
	f.Add(Pad([]byte("hello")))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := Unpad(in)
		if !bytes.HasPrefix(in, out) {
			t.Fatalf("Unpad(%x) = %x is not a prefix", in, out)
		}
		tail := in[len(out):]
		switch {
		case len(tail) > 0 && tail[0] == 0x80:
			if !isZero(tail[1:]) {
				t.Fatalf("Unpad(%x) stripped %x", in, tail)
			}
		default:
			if !isZero(tail) {
				t.Fatalf("Unpad(%x) stripped %x", in, tail)
			}
			if len(out) > 0 && (out[len(out)-1] == 0 || out[len(out)-1] == 0x80) {
				t.Fatalf("Unpad(%x) = %x stopped early", in, out)
			}
		}
		if got := Unpad(Pad(in)); !bytes.Equal(got, in) {
			t.Fatalf("Unpad(Pad(%x)) = %x", in, got)
		}
	})
}

// FuzzDecryptONS feeds arbitrary records to DecryptONS.
func FuzzDecryptONS(f *testing.F) {
	f.Add(onsName, mustHex(f, onsCipherHex), mustHex(f, onsNonceHex))
	f.Add("", []byte{}, make([]byte, 24))
	f.Fuzz(func(t *testing.T, name string, ct, nonce []byte) {
		id, err := DecryptONS(name, ct, nonce)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if id.IsZero() {
			t.Fatal("accepted a zero ID")
		}
	})
}

// FuzzDecryptPushNotification feeds arbitrary payloads to
// DecryptPushNotification under a fixed key.
func FuzzDecryptPushNotification(f *testing.F) {
	key := mustHex(f, "0123456789abcdef0123456789abcdeffedcba9876543210fedcba9876543210")
	f.Add(mustHex(f, "00112233445566778899aabbccddeeff00ffeeddccbbaa991bcba42892762dbeecbfb1a375fab4aca5f0991e99eb0344ceeafa"))
	f.Add(make([]byte, 40))
	f.Fuzz(func(t *testing.T, payload []byte) {
		pt, err := DecryptPushNotification(key, payload)
		if err != nil {
			if err != ErrDecrypt {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(pt) > 0 && pt[len(pt)-1] == 0 {
			t.Fatal("trailing zero kept")
		}
	})
}

// FuzzDecryptForMultiple feeds arbitrary copies to DecryptForMultiple.
func FuzzDecryptForMultiple(f *testing.F) {
	sender, r := testIdentity(f, 10), testIdentity(f, 20)
	nonce := [24]byte{1, 2, 3}
	cts, err := EncryptForMultiple([][]byte{[]byte("key material")}, [][32]byte{testIdentity(f, 21).X25519PublicKey(), r.X25519PublicKey()},
		nonce, sender.X25519PrivateKey(), sender.X25519PublicKey(), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cts[0], cts[1], "fuzz")
	f.Add([]byte{}, make([]byte, 16), "")
	f.Fuzz(func(t *testing.T, a, b []byte, domain string) {
		pt, err := DecryptForMultiple([][]byte{a, b}, nonce, r.X25519PrivateKey(), r.X25519PublicKey(), sender.X25519PublicKey(), domain)
		if err != nil {
			if err != ErrDecrypt {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if string(pt) != "key material" {
			t.Fatalf("decrypted %q, which nobody encrypted", pt)
		}
	})
}
