// Package storagerpc is the wire layer of Session's storage-server client RPC,
// shared by the service node and the client: the request and response types
// with the exact JSON field names, strict decoding of request parameters, the
// byte string each authenticated request signs, signing and verification, the
// message hash, namespace rules and the protocol's limits.
//
// # Compatibility
//
// Decoding follows session-storage-server (commit 861638758ff6) field by
// field: the same accepted types (including the legacy pubKey and lastHash
// spellings and stringified store timestamps and TTLs), the same required and
// mutually exclusive fields, and the same error texts, so that a [*Error]
// carries the HTTP status and body the storage server would send. Unknown
// fields are ignored, as the storage server ignores them. Where the server
// would accept a JSON string of raw bytes for a binary field (a 33-character
// pubkey, a 32-character pubkey_ed25519), this package insists on hex: no
// client sends raw bytes in JSON, and accepting them would only hide bugs.
// Testnet's unprefixed 64-hex pubkeys are not accepted either.
//
// The package does no I/O. Time enters only as an argument ([CheckTime],
// [Validate]).
package storagerpc
