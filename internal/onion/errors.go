package onion

import "errors"

var (
	// ErrMalformed reports bytes that are not an onion layer:
	// le32(N) ‖ N bytes ‖ a JSON object.
	ErrMalformed = errors.New("onion: malformed layer")
	// ErrTooLarge reports a request larger than [MaxRequestSize].
	ErrTooLarge = errors.New("onion: request too large")
	// ErrEncType reports an unknown or unusable encryption type.
	ErrEncType = errors.New("onion: unsupported encryption type")
	// ErrInvalidKey reports a public key that is not 32 bytes (64 hex
	// characters) or that gives no shared secret.
	ErrInvalidKey = errors.New("onion: invalid key")
	// ErrDecrypt reports ciphertext that does not decrypt and authenticate.
	// A node answers it with a plaintext 400 "Invalid ciphertext".
	ErrDecrypt = errors.New("onion: decryption failed")
	// ErrInvalidJSON reports a decrypted layer whose routing JSON cannot be
	// used. A node answers it with an encrypted 400 "Invalid json".
	ErrInvalidJSON = errors.New("onion: invalid routing JSON")
	// ErrInvalidURL reports a server destination a node refuses to proxy to.
	// A node answers it with an encrypted 400 "Invalid url".
	ErrInvalidURL = errors.New("onion: invalid url")
	// ErrInvalidRequest reports arguments that cannot make an onion request
	// (no hops, too many hops, a bad destination).
	ErrInvalidRequest = errors.New("onion: invalid request")
	// ErrV4 reports a malformed v4 request or response body.
	ErrV4 = errors.New("onion: malformed v4 body")
)
