// Package clientdb is the client's local database: one account's seed,
// contacts, conversations, messages, retrieve cursors and the caches of the
// network layer, in an SQLite file encrypted at rest.
//
// Every method takes a [context.Context] first; cancelling it interrupts the
// SQLite statement in progress and rolls back an open transaction. A DB is
// safe for concurrent use.
//
// # Encryption
//
// The file, its write-ahead log and any temporary file are encrypted with
// the Adiantum VFS of github.com/ncruces/go-sqlite3 under a 32-byte key
// ([KeySize]). The key is given to each connection with PRAGMA hexkey rather
// than in the file name, so that it does not show up wherever SQLite reports
// file names. Temporary tables stay in memory. The key either lives in a 0600
// file beside the database ([LoadOrCreateKeyFile]) or is derived from a
// passphrase and a salt kept in a plain file ([KeyFromPassphrase],
// [LoadOrCreateSalt]). A wrong key fails [Open] with [ErrWrongKey].
//
// Adiantum is deterministic and unauthenticated: it hides the contents, but
// someone who sees several copies of the file learns which 4 KiB blocks
// changed, and a tampered block decrypts to noise rather than failing.
//
// # Messages
//
// An outgoing message is stored as [StatusSending], together with the
// encoded request that sends it, before any network I/O: [DB.InsertOutgoing].
// The client then marks it [StatusSent] with the storage server's hash or
// [StatusFailed] with a reason; [DB.PendingOutgoing] lists what still has to
// go out, after a restart included, so no message is dropped silently.
//
// A message retrieved from the network goes through [DB.InsertIncoming],
// which drops it if it is a duplicate (same hash, or same conversation,
// sender and sent timestamp, which catches a copy of one message that came
// by another way: a sync copy of a message this device sent, say) or if its
// sender is blocked. The first message of an unknown sender opens a message
// request. Sync copies of messages sent by another device of the account
// are inserted the same way with [Outgoing] direction.
//
// # Limits
//
// Bodies are at most [MaxBodyBytes] of UTF-8 text; names and nicknames at
// most [MaxNameBytes], as in Session's config messages.
package clientdb
