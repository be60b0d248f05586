package protocol

import "errors"

// The sentinel errors below classify every failure; test for them with
// [errors.Is]. Returned errors wrap one of them and may add detail that is
// safe to log (sizes, IDs, protobuf parse errors), never keys or plaintext.
var (
	// ErrDecrypt reports a ciphertext that does not open: wrong key, tampered
	// or truncated bytes, a failed signature or an invalid sender key. It is
	// deliberately the only error for all of these, so a caller cannot learn
	// (or leak) which check failed.
	ErrDecrypt = errors.New("protocol: decryption failed")
	// ErrInvalidRecipient reports a recipient that cannot be encrypted to: an
	// ID without the 05 prefix, or a low-order X25519 key.
	ErrInvalidRecipient = errors.New("protocol: invalid recipient")
	// ErrMalformed reports input that is not a well-formed message: bytes that
	// are neither a WebSocketMessage nor an Envelope, an Envelope of the wrong
	// type, or decrypted bytes that are not a Content protobuf.
	ErrMalformed = errors.New("protocol: malformed message")
	// ErrInvalidContent reports an outgoing Content that does not serialize
	// (a required field is missing) or is nil.
	ErrInvalidContent = errors.New("protocol: invalid Content")
	// ErrTimestamp reports a sent time that a message cannot carry: before
	// 1970 (the Envelope timestamp is unsigned milliseconds).
	ErrTimestamp = errors.New("protocol: invalid timestamp")
	// ErrTooLarge reports a message larger than [MaxMessageSize].
	ErrTooLarge = errors.New("protocol: message too large")
	// ErrInvalidKey reports a key or nonce of the wrong size, or a low-order
	// X25519 key given to the multi-recipient functions.
	ErrInvalidKey = errors.New("protocol: invalid key")
	// ErrMessageCount reports a multi-recipient call with neither one message
	// nor exactly one message per recipient.
	ErrMessageCount = errors.New("protocol: need one message, or one per recipient")
)
