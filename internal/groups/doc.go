// Package groups implements the cryptography of Session's closed groups
// ("groups v2", 03-prefixed IDs), byte for byte as libsession-util does it:
// the Keys config that hands the rotating group key to every member
// (rekey messages with per-member copies and junk padding, supplemental key
// messages for added members, key expiry), the signed and encrypted Info and
// Members configs, group message encryption (libsession's
// Keys::encrypt_message / decrypt_message), storage-server subaccounts
// (auth data, tokens, signatures and their verification) and the admin
// signatures on group control messages, and the wire form of group
// messages (the CLOSED_GROUP_MESSAGE Envelope inside encrypt_message) and
// of invitations, with the checks a receiver runs before trusting them.
//
// The package is pure: it does no I/O and keeps no global state. Randomness
// comes from an io.Reader the caller passes (crypto/rand.Reader in
// production), so the recorded random tapes of the test vectors replay
// exactly.
//
// Specification: client-protocol.md §7.2–7.6 and network-protocol.md §1.8;
// where they leave a detail open, libsession-util's src/config/groups/keys.cpp
// settles it.
package groups
