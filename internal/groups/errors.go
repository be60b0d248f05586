package groups

import "errors"

// Sentinel errors. Returned errors wrap one of them and add detail that is
// safe to log (sizes, field names), never keys or plaintext.
var (
	// ErrInvalidArgument reports a key, ID or parameter of the wrong shape.
	ErrInvalidArgument = errors.New("groups: invalid argument")
	// ErrMalformed reports bytes that do not parse as the expected message.
	ErrMalformed = errors.New("groups: malformed message")
	// ErrSignature reports a missing or failing signature.
	ErrSignature = errors.New("groups: bad signature")
	// ErrDecrypt reports a ciphertext that opens with none of the keys
	// tried. It deliberately carries no detail.
	ErrDecrypt = errors.New("groups: decryption failed")
	// ErrNotAdmin reports an operation that needs the group's secret key.
	ErrNotAdmin = errors.New("groups: group secret key required")
	// ErrTooLarge reports a message over its size limit.
	ErrTooLarge = errors.New("groups: message too large")
	// ErrDenied reports a subaccount that does not grant what a request
	// needs.
	ErrDenied = errors.New("groups: subaccount not permitted")
)
