package onion

import "fmt"

// EncType is the cipher of one onion layer, named by the "enc_type" JSON key.
type EncType uint8

// The encryption types a node accepts. The zero EncType is not valid, so that
// forgetting to choose one is an error rather than a silent default.
const (
	// AESGCM is AES-256-GCM with a 12-byte random IV and a 16-byte tag, keyed
	// with HMAC-SHA256(key="LOKI", X25519 shared secret). A layer whose JSON
	// names no enc_type uses it (see [DefaultEncType]).
	AESGCM EncType = iota + 1
	// XChaCha20 is XChaCha20-Poly1305 (IETF) with a 24-byte random nonce,
	// keyed with BLAKE2b-256(shared secret ‖ client public ‖ node public).
	// It is libsession's default.
	XChaCha20
	// AESCBC is legacy AES-256-CBC with PKCS#7 padding and a 16-byte random IV,
	// keyed with the raw X25519 shared secret. It is unauthenticated: only
	// session-storage-server accepts it, and only for compatibility; [Build]
	// refuses it.
	AESCBC
)

// DefaultEncType is the type a layer uses when its JSON has no "enc_type".
const DefaultEncType = AESGCM

// String returns the canonical "enc_type" value: "aes-gcm", "xchacha20" or "aes-cbc".
func (e EncType) String() string {
	switch e {
	case AESGCM:
		return "aes-gcm"
	case XChaCha20:
		return "xchacha20"
	case AESCBC:
		return "aes-cbc"
	}
	return fmt.Sprintf("EncType(%d)", uint8(e))
}

// ParseEncType parses an "enc_type" value. It accepts the names
// session-storage-server accepts: "aes-gcm" or "gcm", "xchacha20" or
// "xchacha20-poly1305", and "aes-cbc" or "cbc".
func ParseEncType(s string) (EncType, error) {
	switch s {
	case "aes-gcm", "gcm":
		return AESGCM, nil
	case "xchacha20", "xchacha20-poly1305":
		return XChaCha20, nil
	case "aes-cbc", "cbc":
		return AESCBC, nil
	}
	return 0, fmt.Errorf("%w %q", ErrEncType, clip(s))
}

func (e EncType) valid() bool { return e >= AESGCM && e <= AESCBC }

// clip shortens an untrusted value quoted in an error.
func clip(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
