package keys

import "errors"

var (
	// ErrSeedSize reports a seed that is neither 16 nor 32 bytes.
	ErrSeedSize = errors.New("keys: seed must be 16 or 32 bytes")
	// ErrSecretKeySize reports an Ed25519 secret key that is not 64 bytes.
	ErrSecretKeySize = errors.New("keys: Ed25519 secret key must be 64 bytes")
	// ErrSecretKeyMismatch reports a 64-byte secret key whose public half does not match its seed.
	ErrSecretKeyMismatch = errors.New("keys: Ed25519 secret key does not match its public key")
	// ErrInvalidPoint reports bytes that are not a valid curve point.
	ErrInvalidPoint = errors.New("keys: not a valid curve point")
	// ErrInvalidID reports a malformed Session ID or other 33-byte ID.
	ErrInvalidID = errors.New("keys: invalid ID")
	// ErrServerKeySize reports a community server public key that is not 32 bytes.
	ErrServerKeySize = errors.New("keys: community server public key must be 32 bytes")
)
