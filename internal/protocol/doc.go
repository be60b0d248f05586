// Package protocol implements Session's one-to-one message protocol: the
// 160-byte padding, "Session protocol v1" encryption (an Ed25519 signature
// inside a libsodium sealed box), the Envelope and WebSocketMessage wrapping
// that is stored on the recipient's swarm, and the smaller symmetric formats
// that share the same code in libsession-util: ONS record decryption, push
// notification payloads and multi-recipient encryption.
//
// # Compatibility
//
// Every construction follows libsession-util (session_encrypt.cpp,
// multi_encrypt.cpp, session_protocol.cpp) and libsodium byte for byte, so a
// message built here opens in Session's own apps and the other way round.
// [EncryptForRecipientDeterministic] reproduces libsession's deterministic
// variant exactly; it exists for the legacy config wrapping and must not be
// used for ordinary messages, since equal inputs give equal ciphertexts.
//
// # Errors
//
// Anything that fails while opening a ciphertext (wrong key, tampered bytes,
// a bad signature, an invalid sender key, a truncated input) is reported as
// the single error [ErrDecrypt], which never says which check failed. Input
// that is not a well-formed message at all is [ErrMalformed]. No error from
// this package contains key material or plaintext.
//
// The package does no I/O. Functions that need randomness read it from
// crypto/rand; only [EncryptForRecipientWithRand] takes the reader, so that
// tests can replay randomness recorded from libsession.
package protocol
