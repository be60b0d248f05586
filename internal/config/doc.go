// Package config implements Session's multi-device configuration objects,
// wire-compatible with libsession-util's config system: the user profile,
// contacts, conversation read state and user groups that every device of an
// account keeps in its own swarm (namespaces 2 to 5).
//
// # Layers
//
// From the bottom up:
//
//   - bt ("bencode") encoding in the exact canonical form libsession writes
//     ([EncodeBT], [DecodeBT]);
//   - the config message: a bt dict holding a seqno, the full data, the diff
//     of this update and the diffs of recent updates, which is what lets
//     devices that edited concurrently merge their changes deterministically;
//   - the push format: optional zstd compression, zero prefix padding
//     ([PadMessage]) and deterministic XChaCha20-Poly1305 ([Encrypt]), and
//     optionally the legacy protobuf wrapping that older Session clients
//     expect ([WrapLegacy]);
//   - the typed objects [UserProfile], [Contacts], [ConvoInfoVolatile] and
//     [UserGroups], which share the push / merge / confirm / dump life cycle
//     of [Config].
//
// # Compatibility
//
// Message bytes, hashes and merge results follow libsession-util byte for
// byte, including its less obvious behaviour (for example, the diff of a
// conflict-resolution message lists the full data): two devices that merge
// the same set of messages, one running libsession and one running this
// package, must publish identical bytes so the storage server deduplicates
// them instead of both sides merging forever. Deviations are limited to
// refusing input libsession would also have trouble with (non-canonical bt,
// negative seqnos) and are noted where they occur.
//
// # Determinism and secrets
//
// Nothing here draws randomness: encryption is deterministic by design (the
// nonce is a keyed hash of the plaintext), so that racing devices produce
// identical ciphertexts. The package does no I/O. Keys and decrypted
// contents never appear in errors.
package config
