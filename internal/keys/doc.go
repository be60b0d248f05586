// Package keys holds Session account keys and identifiers: the recovery seed,
// the Ed25519 signing key derived from it, the X25519 key that a Session ID
// names, the 33-byte IDs with their one-byte prefix, XEd25519 public-key
// recovery and community blinding (15 and 25 IDs, version keys).
//
// # Compatibility
//
// Every derivation follows libsodium and libsession-util byte for byte, so a
// Session ID, a signature or a blinded ID computed here means the same thing
// in Session's own apps. The package does no I/O.
//
// # Secrets
//
// Seeds and private keys never appear in an error string or a String method;
// compare them with [crypto/subtle].
package keys
