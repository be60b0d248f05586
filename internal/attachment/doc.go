// Package attachment encrypts and decrypts Session attachments, without
// doing any I/O of its own beyond the readers and writers it is handed.
//
// Two formats exist, and both are read and written:
//
//   - Legacy (Signal-style), still sent by older clients: a random 64-byte
//     key (AES-256 key ‖ HMAC-SHA256 key), the plaintext zero-padded to one
//     of a fixed set of sizes, blob = IV ‖ AES-256-CBC-PKCS7 ‖ HMAC, and the
//     SHA-256 of the blob as the pointer's digest. See [EncryptLegacy] and
//     [DecryptLegacy].
//   - Deterministic ("S" format, libsession's attachment::encrypt): the key
//     and stream header are a personalised BLAKE2b of the plaintext keyed
//     with the uploader's seed, so that the same file from the same account
//     encrypts to the same bytes (and the file server stores it once). The
//     blob is 'S' ‖ header ‖ libsodium secretstream chunks of 32 KiB of a
//     zero-padded stream. See [Encrypt], [NewEncryptor] and [Decryptor].
//
// # Trust
//
// Attachments come from the network. A receiver learns nothing from a blob
// until it is authenticated: [DecryptLegacy] checks the digest and the MAC
// before it decrypts, and [Decryptor] releases each chunk only after its
// Poly1305 tag verifies and reports a stream that ends without its FINAL
// tag as an error, so a caller that writes to a temporary file and keeps it
// only when [Decryptor.Close] succeeds never keeps a forged or truncated
// byte.
//
// Compatibility follows session-desktop (BufferPadding.ts, encryptAttachment)
// and libsession-util (attachments.cpp); the sizes are pinned by the
// upstream attachment vectors.
package attachment
