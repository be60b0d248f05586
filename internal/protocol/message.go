package protocol

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"math"
	"time"

	"filippo.io/edwards25519"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"google.golang.org/protobuf/proto"
)

// MaxMessageSize is the largest message a storage server stores: 76 800
// bytes of raw data (the base64 text of the store request is 102 400
// characters). [EncodeMessage] refuses to build, and [DecodeMessage] and
// [UnwrapEnvelope] refuse to parse, anything larger.
const MaxMessageSize = 76800

// Message is a received 1:1 message.
type Message struct {
	// Sender is the Session ID of the account that signed the message.
	Sender keys.ID
	// SenderEd25519 is the sender's Ed25519 public key.
	SenderEd25519 ed25519.PublicKey
	// SentAt is the sender's timestamp from the Envelope, which Session also
	// uses as the message's ID. It has millisecond precision and is not
	// authenticated: the Envelope is outside the signature.
	SentAt time.Time
	// Content is the decrypted message.
	Content *signalpb.Content
}

// EncodeMessage builds the bytes a sender stores on the recipient's swarm
// (base64-encoded, in namespace 0): content is serialized, padded with [Pad],
// encrypted with [EncryptForRecipient], put in an Envelope of type
// SESSION_MESSAGE with timestamp sentAt (in milliseconds), and the Envelope is
// wrapped in a WebSocketMessage request, as Session's clients expect.
//
// Sending to one's own Session ID is how a message is synced to the sender's
// other devices.
func EncodeMessage(sender *keys.Identity, recipient keys.ID, content *signalpb.Content, sentAt time.Time) ([]byte, error) {
	return encodeMessage(rand.Reader, sender, recipient, content, sentAt)
}

func encodeMessage(random io.Reader, sender *keys.Identity, recipient keys.ID, content *signalpb.Content, sentAt time.Time) ([]byte, error) {
	if content == nil {
		return nil, fmt.Errorf("%w: nil", ErrInvalidContent)
	}
	ms := sentAt.UnixMilli()
	if ms < 0 {
		return nil, fmt.Errorf("%w: %s is before 1970", ErrTimestamp, sentAt.UTC().Format(time.RFC3339))
	}
	body, err := proto.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidContent, err)
	}
	// Fail before any crypto when the result cannot fit.
	if len(body)+1+Overhead > MaxMessageSize {
		return nil, fmt.Errorf("%w: Content is %d bytes", ErrTooLarge, len(body))
	}
	padded := Pad(body)
	ct, err := EncryptForRecipientWithRand(random, sender, recipient, padded)
	clear(padded)
	if err != nil {
		return nil, err
	}
	// The decoy is not part of what a deterministic random source (tests,
	// vectors) reproduces: it is drawn from the system's.
	decoy, err := DecoyProSig(rand.Reader)
	if err != nil {
		return nil, err
	}
	return wrapEnvelope(ct, uint64(ms), decoy)
}

// DecoyProSig returns what current libsession puts in Envelope.proSig when
// the sender has no Session Pro: 64 bytes shaped as an Ed25519 signature
// (R = [r]B for a random scalar r, then a random scalar s), so that an
// observer cannot tell Pro senders from others. Session's clients send
// proSig always; receivers check it only against a Pro proof in the
// Content (Content.proMessage), which a decoy comes without.
func DecoyProSig(random io.Reader) ([]byte, error) {
	var buf [128]byte
	if _, err := io.ReadFull(random, buf[:]); err != nil {
		return nil, fmt.Errorf("protocol: decoy proSig: %w", err)
	}
	defer clear(buf[:])
	r, err := edwards25519.NewScalar().SetUniformBytes(buf[:64])
	if err != nil {
		return nil, err
	}
	sc, err := edwards25519.NewScalar().SetUniformBytes(buf[64:])
	if err != nil {
		return nil, err
	}
	R := new(edwards25519.Point).ScalarBaseMult(r)
	return append(R.Bytes(), sc.Bytes()...), nil
}

// WrapEnvelope wraps an encrypted 1:1 message in an Envelope{type
// SESSION_MESSAGE, timestamp, content} and that in a WebSocketMessage{type
// REQUEST, request{verb "", path "", id 0, body}}, the layering Session's
// clients store and expect. timestampMs is the sent time in milliseconds. The
// config system's legacy wrapping uses the same layers with timestamp 1.
func WrapEnvelope(ciphertext []byte, timestampMs uint64) ([]byte, error) {
	return wrapEnvelope(ciphertext, timestampMs, nil)
}

func wrapEnvelope(ciphertext []byte, timestampMs uint64, proSig []byte) ([]byte, error) {
	env, err := proto.Marshal(&signalpb.Envelope{
		Type:      signalpb.Envelope_SESSION_MESSAGE.Enum(),
		Timestamp: proto.Uint64(timestampMs),
		Content:   ciphertext,
		ProSig:    proSig,
	})
	if err != nil {
		return nil, fmt.Errorf("protocol: encoding Envelope: %w", err)
	}
	// verb, path and id carry nothing, but libsession sets them and old
	// clients' parsers expect them present.
	out, err := proto.Marshal(&signalpb.WebSocketMessage{
		Type: signalpb.WebSocketMessage_REQUEST.Enum(),
		Request: &signalpb.WebSocketRequestMessage{
			Verb: proto.String(""),
			Path: proto.String(""),
			Body: env,
			Id:   proto.Uint64(0),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("protocol: encoding WebSocketMessage: %w", err)
	}
	if len(out) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(out), MaxMessageSize)
	}
	return out, nil
}

// UnwrapEnvelope parses stored message bytes (after base64 decoding) into
// their Envelope. It accepts the WebSocketMessage wrapping that
// [WrapEnvelope] produces and also a bare Envelope, which newer senders may
// store. The Envelope's type is not checked here, so that group messages
// (CLOSED_GROUP_MESSAGE) can use it too.
func UnwrapEnvelope(data []byte) (*signalpb.Envelope, error) {
	if len(data) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxMessageSize)
	}
	envBytes := data
	// A bare Envelope never parses as a REQUEST: its field 1 is the Envelope
	// type (6 or 7), which is not a WebSocketMessage type.
	var ws signalpb.WebSocketMessage
	if proto.Unmarshal(data, &ws) == nil && ws.GetType() == signalpb.WebSocketMessage_REQUEST && ws.GetRequest().GetBody() != nil {
		envBytes = ws.GetRequest().GetBody()
	}
	env := new(signalpb.Envelope)
	if err := proto.Unmarshal(envBytes, env); err != nil {
		return nil, fmt.Errorf("%w: neither a WebSocketMessage nor an Envelope (%v)", ErrMalformed, err)
	}
	return env, nil
}

// DecodeMessage is the inverse of [EncodeMessage]: it unwraps data with
// [UnwrapEnvelope], checks that the Envelope is a SESSION_MESSAGE, decrypts
// and verifies its content as recipient ([Decrypt]), removes the padding
// ([Unpad]) and parses the Content.
//
// Decryption failures are [ErrDecrypt]; everything else wrong with the input
// is [ErrMalformed] or [ErrTooLarge].
func DecodeMessage(recipient *keys.Identity, data []byte) (*Message, error) {
	env, err := UnwrapEnvelope(data)
	if err != nil {
		return nil, err
	}
	if env.GetType() != signalpb.Envelope_SESSION_MESSAGE {
		return nil, fmt.Errorf("%w: Envelope type %s, want SESSION_MESSAGE", ErrMalformed, env.GetType())
	}
	ts := env.GetTimestamp()
	if ts > math.MaxInt64 {
		return nil, fmt.Errorf("%w: Envelope timestamp %d out of range", ErrMalformed, ts)
	}
	opened, err := Decrypt(recipient, env.GetContent())
	if err != nil {
		return nil, err
	}
	content := new(signalpb.Content)
	err = proto.Unmarshal(Unpad(opened.Plaintext), content)
	clear(opened.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("%w: decrypted bytes are not a Content (%v)", ErrMalformed, err)
	}
	return &Message{
		Sender:        opened.Sender,
		SenderEd25519: opened.SenderEd25519,
		SentAt:        time.UnixMilli(int64(ts)),
		Content:       content,
	}, nil
}
