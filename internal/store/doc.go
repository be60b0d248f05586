// Package store is the service node's message storage: an SQLite database
// holding the messages of the accounts whose swarm this node belongs to, with
// the operations of the storage RPC (store, retrieve, delete, delete_all,
// delete_before, expire, expire_all, get_expiries), TTL expiry, per-account
// quotas, and the enumeration that replication and catch-up need.
//
// Every method that reads or writes takes a [context.Context] first;
// cancelling it interrupts the SQLite statement in progress and rolls back an
// open transaction, so a cancelled write has not happened.
//
// # Semantics
//
// Messages are keyed by owner (a 33-byte ID, prefix included), namespace and
// hash. The hash is computed by the caller (see network spec §1.5); it commits
// to the owner and namespace, so the store treats it as globally unique.
// Storing a hash that is already present is not an error: the stored expiry is
// extended if the new one is later, as Session's storage server does, and the
// result says which of these happened. A public outbox namespace (−1, −21, …)
// holds a single message per owner, and a newer store replaces it.
//
// A message whose expiry has passed is gone as far as every method can tell,
// even before [Store.Sweep] has deleted its row.
//
// Retrieve pages through one (owner, namespace) in insertion order after a
// last-hash cursor. An unknown cursor (never stored, deleted, or swept) reads
// from the start, as Session's storage server does; clients deduplicate by
// hash.
//
// Expiries are capped at now + TTLMaximumPrivate + StoreTolerance: no valid
// request asks for more, and a message must not outlive that because a peer
// sent a bad expiry. The TTL policy of the storage RPC (network spec §1.4:
// 10 s to 14 or 30 days, clock tolerances) is the caller's to enforce.
//
// # Replication
//
// Every message has a sequence number (its insertion order, never reused).
// [Store.ListSince] pages through everything stored after a sequence number
// and [Store.LastSeq] bounds a catch-up; [Store.Replicate] stores what a
// peer sent, keeping its hash, timestamp and expiry. A peer's copy of a held
// message changes nothing (not even a later expiry), and one whose hash is
// held for another owner or namespace is dropped as [Conflict] while the
// rest of the batch goes in.
//
// The store keeps the owner's signatures that catch-up passes on: with a
// message, the signed store that authorised it ([Message.Proof]); with a
// tombstone, the signed delete that made it ([Tombstone.Proof], once per
// request). It treats them as opaque bytes: the node verifies them, and
// [Store.ApplyTombstones] lets it check each tombstone against the message
// it would delete before anything is deleted.
//
// Deletions travel as tombstones. Delete, DeleteAll and DeleteBefore record
// one per deleted message, in the transaction that deletes it, lasting until
// the message's expiry. [Store.ListTombstonesSince] pages through them in an
// insertion order of their own, [Store.ApplyTombstones] carries out a peer's,
// and Replicate refuses (as [Buried]) a message that has one, so that a peer
// that missed a deletion cannot undo it. A store through the RPC (Store) is
// newer than any deletion it follows and clears the tombstone.
// Changes of expiry are not replicated by catch-up.
//
// # Durability
//
// The database runs in WAL mode. With the default synchronous=NORMAL, a
// transaction is in the WAL file when its commit returns, so a store that has
// been acknowledged survives the node process being killed at any point
// (kill -9 included); only an operating-system crash or power loss can lose
// the most recent commits, which are fsynced at the next checkpoint. Set
// [Options.FullSync] to fsync on every commit and survive those too, at the
// cost of one fsync per write.
//
// Stores waiting for the writer are committed together, each in a savepoint
// of one transaction (group commit), and each Store returns only after that
// commit: the guarantee above is per acknowledged store, as before, and a
// store that fails undoes only itself. The writer never checkpoints; a
// connection of its own does, PASSIVE, shortly after commits, so that no
// store waits for a checkpoint's fsyncs.
//
// # Limits
//
// Quotas are per namespace, and what strangers store never takes the owner's
// room.
//
// A namespace that needs the owner's signature (every one not divisible by
// 10: configs, group keys and members, …) holds at most
// [Options.MaxNamespaceMessages] messages and [Options.MaxNamespaceBytes]
// bytes, and all of an owner's signed namespaces together at most
// [Options.MaxOwnerMessages] and [Options.MaxOwnerBytes]; a store past one of
// these gets [ErrQuotaExceeded]. Only the owner (or a subaccount they signed
// for) can fill them.
//
// The public-inbox namespaces (divisible by 10: anyone may store there
// without a signature, which is how a stranger first writes to someone) count
// for none of those. They have a budget of their own, [Options.MaxInboxMessages]
// and [Options.MaxInboxBytes] per owner, and each sender ([Message.Sender],
// the address the store came from) a share of it, [Options.MaxSenderMessages]
// and [Options.MaxSenderBytes]. A store there is never refused for lack of
// room: a sender over its share loses its own oldest message, and an inbox
// over its budget loses its oldest message, so that a flood churns through
// itself and the newest messages are always there to retrieve.
//
// Oldest is by (timestamp, hash), not by arrival: what a node keeps is then a
// function of the messages it was offered, whatever their order, so that the
// members of a swarm keep the same messages, and catch-up offering an
// evicted message again sees it evicted again. (Exactly so for the message
// limits; with the byte limits the order can matter at the margin, when a
// sender's small new message frees room that an older message of another
// sender already left on one member.) Evictions are not
// tombstones: every member decides them itself, by the same rule.
//
// Session's storage server has no per-account quota, only a database size
// cap (10 GiB, its "Full" store result), which is [Options.MaxDatabaseBytes]
// here and [ErrFull]. A store, delete or expiry change that finds the
// database full first evicts the public-inbox messages nearest their expiry,
// node-wide, and tries again, so that strangers filling a node through many
// accounts' inboxes cannot keep owners' own stores and deletions out; ErrFull
// means the database is full of signed messages. The defaults are documented on the constants.
//
// # Schema
//
// The schema is a sequence of numbered SQL files embedded in the binary
// (migrations/0001_init.sql, …). Open applies the missing ones in a single
// transaction and records the result in PRAGMA user_version.
package store
