package sogs

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// KeyKind says which of the account's keys signs community requests, and so
// which ID the server sees.
type KeyKind int

const (
	// Unblinded signs with the account's own Ed25519 key, sent as an 00 ID.
	// Only for servers that do not require blinding: it shows the server,
	// and anyone it tells, the account's real key.
	Unblinded KeyKind = iota
	// Blinded15 signs with the account's blind15 key for the server, sent
	// as a 15 ID, which is what Session's apps send today.
	Blinded15
)

// String names the key kind.
func (k KeyKind) String() string {
	switch k {
	case Unblinded:
		return "unblinded (00)"
	case Blinded15:
		return "blinded (15)"
	}
	return "KeyKind(" + strconv.Itoa(int(k)) + ")"
}

// The names of the authentication headers of a community request.
const (
	HeaderPubkey    = "X-SOGS-Pubkey"
	HeaderNonce     = "X-SOGS-Nonce"
	HeaderTimestamp = "X-SOGS-Timestamp"
	HeaderSignature = "X-SOGS-Signature"
)

// Headers are the authentication headers of one community request, already
// encoded as they go on the wire.
type Headers struct {
	// Pubkey is the signing key's ID in hex: 00 or 15 and 32 bytes.
	Pubkey string
	// Nonce is the 16-byte request nonce in padded standard base64.
	Nonce string
	// Timestamp is the signing time in decimal Unix seconds.
	Timestamp string
	// Signature is the 64-byte Ed25519 signature in padded standard base64.
	Signature string
}

// Apply sets the four headers on h, replacing any earlier values.
func (hs Headers) Apply(h http.Header) {
	h.Set(HeaderPubkey, hs.Pubkey)
	h.Set(HeaderNonce, hs.Nonce)
	h.Set(HeaderTimestamp, hs.Timestamp)
	h.Set(HeaderSignature, hs.Signature)
}

// SignRequest authenticates a request to the community server serverPub
// with a fresh random nonce and the current time. path is the request path
// with its query string, exactly as sent; body is the raw request body, or
// nil when there is none.
func SignRequest(id *keys.Identity, kind KeyKind, serverPub []byte, method, path string, body []byte) (Headers, error) {
	return signRequest(rand.Reader, time.Now(), id, kind, serverPub, method, path, body)
}

// signRequest is SignRequest with its randomness and clock as arguments.
func signRequest(rand io.Reader, now time.Time, id *keys.Identity, kind KeyKind, serverPub []byte, method, path string, body []byte) (Headers, error) {
	nonce := make([]byte, NonceSize)
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return Headers{}, fmt.Errorf("sogs: reading nonce: %w", err)
	}
	return SignRequestAt(id, kind, serverPub, nonce, now.Unix(), method, path, body)
}

// SignRequestAt authenticates a request like [SignRequest] but with the
// given 16-byte nonce and Unix timestamp (seconds). The server refuses a
// nonce it has seen before, so a nonce must never be reused.
//
// The signature covers [SignedMessage]. Unblinded signatures are plain,
// deterministic Ed25519. Blinded15 signatures are deterministic too, with
// libsession's nonce derivation; Session Desktop derives that nonce
// differently, so its bytes differ, but both verify against the 15 key.
func SignRequestAt(id *keys.Identity, kind KeyKind, serverPub []byte, nonce []byte, timestamp int64, method, path string, body []byte) (Headers, error) {
	if len(nonce) != NonceSize {
		return Headers{}, fmt.Errorf("%w (got %d)", ErrNonceSize, len(nonce))
	}
	if len(serverPub) != keys.PublicKeySize {
		return Headers{}, fmt.Errorf("%w (got %d)", keys.ErrServerKeySize, len(serverPub))
	}
	msg := SignedMessage(serverPub, nonce, timestamp, method, path, body)
	var signer keys.ID
	var sig []byte
	switch kind {
	case Unblinded:
		signer = keys.ID{Prefix: keys.PrefixUnblinded, Key: [32]byte(id.Ed25519PublicKey())}
		sig = ed25519.Sign(id.Ed25519PrivateKey(), msg)
	case Blinded15:
		kp, err := id.Blind15KeyPair(serverPub)
		if err != nil {
			return Headers{}, err
		}
		signer = kp.ID()
		sig = kp.Sign(msg)
	default:
		return Headers{}, fmt.Errorf("%w: %v", ErrKeyKind, kind)
	}
	return Headers{
		Pubkey:    signer.String(),
		Nonce:     base64.StdEncoding.EncodeToString(nonce),
		Timestamp: strconv.FormatInt(timestamp, 10),
		Signature: base64.StdEncoding.EncodeToString(sig),
	}, nil
}
