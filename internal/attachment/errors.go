package attachment

import "errors"

// Sentinel errors; every error returned by this package wraps one of them.
var (
	// ErrTooLarge means the plaintext is over the size this format allows.
	ErrTooLarge = errors.New("attachment: too large")
	// ErrMalformed means the blob cannot be an attachment of this format
	// (wrong length, unknown type byte, bad padding).
	ErrMalformed = errors.New("attachment: malformed")
	// ErrAuth means the blob failed its digest, MAC or Poly1305 check: it
	// was tampered with, truncated, or the key is wrong.
	ErrAuth = errors.New("attachment: authentication failed")
	// ErrKey means a key of the wrong size was given.
	ErrKey = errors.New("attachment: bad key")
)
