package store

import (
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// Limits from Session's storage server (network spec §1.7).
const (
	// MaxMessageSize is the largest message body the store holds, in bytes.
	MaxMessageSize = 76_800
	// RetrieveMaxSize caps the estimated size of one retrieve response: the
	// 10 MiB network maximum less base64 overhead.
	RetrieveMaxSize = 7_800_000
	// RetrieveMessageOverhead is what each message adds to the estimated
	// size of a retrieve response besides its hash and base64 data (JSON keys,
	// timestamps).
	RetrieveMessageOverhead = 100
	// MaxHashLength is the longest hash the store accepts. Session's hashes
	// are 43 characters; the slack leaves room without letting a caller use
	// the hash column as storage.
	MaxHashLength = 128
	// TTLMaximumPrivate is the longest TTL of any message (private
	// namespaces, and expiry updates).
	TTLMaximumPrivate = 30 * 24 * time.Hour
	// StoreTolerance is how far a store's timestamp may run ahead of the
	// node's clock.
	StoreTolerance = 10 * time.Second
)

// Defaults for [Options]. The spec sets no per-account quota (Session's
// storage server has none); these are our choice, sized so that an honest
// account never meets them: 14 days of a busy account's traffic is well under
// 50 000 messages, and message bodies are small (attachments live on the file
// server). They exist so that a single account cannot fill a node's disk, and
// so that strangers cannot take an account's room (see Limits in the package
// documentation).
const (
	// DefaultMaxOwnerMessages is the default quota of messages in an
	// owner's signed namespaces together.
	DefaultMaxOwnerMessages = 200_000
	// DefaultMaxOwnerBytes is the default quota of message data in an
	// owner's signed namespaces together.
	DefaultMaxOwnerBytes = 512 << 20
	// DefaultMaxNamespaceMessages is the default quota of messages in one
	// signed namespace, so that one of them (a group's messages, written
	// by every member) cannot take the room of the others (its keys and
	// member list, written by the admins).
	DefaultMaxNamespaceMessages = 100_000
	// DefaultMaxNamespaceBytes is the default quota of message data in one
	// signed namespace.
	DefaultMaxNamespaceBytes = 256 << 20
	// DefaultMaxInboxMessages is the default bound on the messages of an
	// owner's public inbox.
	DefaultMaxInboxMessages = 50_000
	// DefaultMaxInboxBytes is the default bound on the message data of an
	// owner's public inbox.
	DefaultMaxInboxBytes = 256 << 20
	// DefaultMaxSenderMessages is the default bound on one sender's share
	// of an owner's public inbox: a sixteenth, so that the shares one
	// address gets by storing through each member of a swarm (see
	// snode's sender.go) stay well within the inbox.
	DefaultMaxSenderMessages = 3_000
	// DefaultMaxSenderBytes is the same bound in bytes.
	DefaultMaxSenderBytes = 16 << 20
	// DefaultMaxDatabaseBytes is the default database size cap, the same as
	// Session's storage server (10 GiB).
	DefaultMaxDatabaseBytes = 10 << 30
	// MaxSenderLength is the longest Message.Sender the store keeps.
	MaxSenderLength = 96
	// MaxProofLength is the longest proof (Message.Proof, Tombstone.Proof)
	// the store keeps: a signed store is a few hundred bytes, a signed
	// delete of a thousand hashes about 50 KiB.
	MaxProofLength = 128 << 10
)

// maxPeerTimestampAhead is how far ahead of this node's clock a replicated
// message may be dated: the store tolerance of the node that accepted it,
// plus the clock difference allowed between nodes (70 s) with room to spare.
const maxPeerTimestampAhead = StoreTolerance + 110*time.Second

// maxExpiryAhead is the furthest into the future any expiry may lie. No valid
// request reaches past now + 30 d (+ the store tolerance on the timestamp),
// so longer expiries, which only a buggy or hostile peer could send, are cut
// back to this rather than kept forever.
const maxExpiryAhead = TTLMaximumPrivate + StoreTolerance

// Message is one stored message.
type Message struct {
	// Owner is the account the message is stored for.
	Owner keys.ID
	// Namespace is the namespace within the owner's mailbox.
	Namespace int16
	// Hash is the message ID (network spec §1.5), computed by the caller.
	Hash string
	// Timestamp is the sender's timestamp. The store keeps milliseconds.
	Timestamp time.Time
	// Expiry is when the message disappears. The store keeps milliseconds.
	Expiry time.Time
	// Data is the message body.
	Data []byte
	// Sender names where a message for a public inbox came from: the key
	// of its per-sender share (see Limits in the package documentation).
	// The store treats it as an opaque string of at most MaxSenderLength
	// bytes; empty is a sender of its own ("unknown"). It is kept, and
	// listed for replication, only for public-inbox namespaces.
	Sender string
	// Proof is the owner's signed store that authorised the message, for
	// a namespace that needs one, so that catch-up can pass it on and the
	// peer receiving the message can check it. The store keeps it as
	// opaque bytes (at most MaxProofLength) and lists it with the message;
	// an existing message keeps the proof it was first stored with.
	Proof []byte
}

func (m *Message) validate() error {
	if m.Hash == "" {
		return fmt.Errorf("%w: empty hash", ErrInvalidMessage)
	}
	if len(m.Hash) > MaxHashLength {
		return fmt.Errorf("%w: hash of %d bytes (max %d)", ErrInvalidMessage, len(m.Hash), MaxHashLength)
	}
	if len(m.Data) > MaxMessageSize {
		return fmt.Errorf("%w: data of %d bytes (max %d)", ErrInvalidMessage, len(m.Data), MaxMessageSize)
	}
	if len(m.Proof) > MaxProofLength {
		return fmt.Errorf("%w: proof of %d bytes (max %d)", ErrInvalidMessage, len(m.Proof), MaxProofLength)
	}
	if len(m.Sender) > MaxSenderLength {
		return fmt.Errorf("%w: sender of %d bytes (max %d)", ErrInvalidMessage, len(m.Sender), MaxSenderLength)
	}
	return nil
}

// Outcome says what a store did.
type Outcome int

const (
	// Stored means the message was new and is now stored.
	Stored Outcome = iota
	// Extended means the message was already stored, and its expiry was
	// moved later to the new one.
	Extended
	// Unchanged means the message was already stored with an expiry at
	// least as late as the new one.
	Unchanged
	// Obsolete means the message was for a public outbox that already holds
	// a message at least as recent, so it was dropped.
	Obsolete
	// Expired means the message's expiry had already passed, so it was
	// dropped.
	Expired
	// Buried means the message was replicated from a peer but its owner had
	// deleted it: a tombstone names it, so it was dropped rather than
	// brought back. Only Replicate reports it.
	Buried
	// Evicted means the message was for a public inbox that was full, and
	// it was the oldest of the share it counts in, so it was stored and at
	// once evicted to keep within the limits.
	Evicted
	// OverQuota means the message was replicated from a peer into a signed
	// namespace that is at its quota here, so it was dropped. Only
	// Replicate reports it; Store fails with ErrQuotaExceeded instead.
	OverQuota
	// Refused means the message was replicated from a peer dated further
	// ahead of this node's clock than any store a node accepts, so it was
	// dropped. Only Replicate reports it.
	Refused
	// Conflict means the message was replicated from a peer but its hash
	// is stored here for another owner or namespace (Session's hash does
	// not separate the namespace from the data, so namespace 0 with data
	// "10"+X and namespace 10 with data X collide): it was dropped. Only
	// Replicate reports it; Store fails with ErrHashConflict instead.
	Conflict
)

// String names the outcome.
func (o Outcome) String() string {
	switch o {
	case Stored:
		return "stored"
	case Extended:
		return "extended"
	case Unchanged:
		return "unchanged"
	case Obsolete:
		return "obsolete"
	case Expired:
		return "expired"
	case Buried:
		return "buried"
	case Evicted:
		return "evicted"
	case OverQuota:
		return "over quota"
	case Refused:
		return "refused"
	case Conflict:
		return "conflict"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// StoreResult is the result of storing one message.
type StoreResult struct {
	// Outcome says what happened.
	Outcome Outcome
	// Expiry is the message's expiry after the store (the existing one if
	// it was later). It is zero for Obsolete, Expired, Buried, Evicted,
	// OverQuota, Refused and Conflict.
	Expiry time.Time

	evicted int // messages this store evicted from the inbox (Stats.Evicted)
}

// New reports whether the message was not stored before this call: the
// storage RPC answers "already": true otherwise, and only new messages are
// pushed to monitor subscribers.
func (r StoreResult) New() bool { return r.Outcome == Stored }

// Ref names one message of an owner by namespace and hash, for the
// operations that span namespaces.
type Ref struct {
	Namespace int16
	Hash      string
}

// Scope selects the namespaces that DeleteAll, DeleteBefore and ExpireAll act
// on: one namespace, or all of them.
type Scope struct {
	ns  int16
	all bool
}

// Namespace returns the scope of a single namespace.
func Namespace(ns int16) Scope { return Scope{ns: ns} }

// AllNamespaces returns the scope of every namespace.
func AllNamespaces() Scope { return Scope{all: true} }

// All reports whether the scope covers every namespace.
func (sc Scope) All() bool { return sc.all }

// Namespace returns the single namespace of the scope, and false if it
// covers all of them.
func (sc Scope) Namespace() (int16, bool) { return sc.ns, !sc.all }

// isPublicInbox reports whether ns is a public inbox namespace (every
// namespace divisible by 10), which anyone may store into without the owner's
// signature (network spec §1.6).
func isPublicInbox(ns int16) bool { return ns%10 == 0 }

// isPublicOutbox reports whether ns is a public outbox namespace (−1, −21, …),
// which holds a single message per owner (network spec §1.6).
func isPublicOutbox(ns int16) bool { return ns < 0 && ns%20 == -1 }

// RetrieveLimits bound one page of Retrieve. A zero field is no limit. At
// least one message is returned whenever one is available, whatever the
// limits.
type RetrieveLimits struct {
	// MaxCount is the most messages in the page.
	MaxCount int
	// MaxSize is the most estimated response bytes in the page, counted as
	// RetrieveMessageOverhead + len(hash) + 4/3 len(data) per message.
	MaxSize int
}

// LimitsFromRequest turns the retrieve RPC's max_count and max_size into
// limits, as Session's storage server does (network spec §1.7): zero means
// unset; with neither set, max_size is −5; a negative max_size −k means
// RetrieveMaxSize/k; and the size is never over RetrieveMaxSize.
func LimitsFromRequest(maxCount, maxSize int64) RetrieveLimits {
	var l RetrieveLimits
	switch {
	case maxCount < 0:
		l.MaxCount = 1
	case maxCount > 0:
		l.MaxCount = int(min(maxCount, int64(^uint32(0)>>1)))
	}
	if maxCount == 0 && maxSize == 0 {
		maxSize = -5
	}
	switch {
	case maxSize < 0:
		// max() keeps −k from overflowing, and keeps the size from
		// rounding down to 0, which would mean no limit at all.
		l.MaxSize = int(RetrieveMaxSize / -max(maxSize, -RetrieveMaxSize))
	case maxSize == 0 || maxSize > RetrieveMaxSize:
		l.MaxSize = RetrieveMaxSize
	default:
		l.MaxSize = int(maxSize)
	}
	return l
}

// responseSize estimates what one message adds to a retrieve response.
func responseSize(hash string, data []byte) int {
	return RetrieveMessageOverhead + len(hash) + len(data)*4/3
}

// ExpireMode says which way Expire may move an expiry.
type ExpireMode int

const (
	// ExpireSet sets the expiry whichever way it moves.
	ExpireSet ExpireMode = iota
	// ExpireExtend only moves expiries later ("extend").
	ExpireExtend
	// ExpireShorten only moves expiries earlier ("shorten").
	ExpireShorten
)

// HashExpiry is a message hash with an expiry.
type HashExpiry struct {
	Hash   string
	Expiry time.Time
}

// ExpireResult is the result of Expire.
type ExpireResult struct {
	// Updated lists the messages whose expiry changed, with the new expiry,
	// in request order.
	Updated []HashExpiry
	// Unchanged maps the requested messages that exist but were not updated
	// to their current expiry (the storage RPC reports these for shorten and
	// extend).
	Unchanged map[string]time.Time
}

// Record is a message with its place in the insertion order, for
// replication.
type Record struct {
	// Seq is the insertion sequence number: unique, increasing in insertion
	// order, and never reused.
	Seq int64
	Message
}

// Stats summarises the store for metrics.
type Stats struct {
	// Owners is the number of accounts with stored messages.
	Owners int64
	// Messages is the number of stored messages, including expired ones
	// not yet swept.
	Messages int64
	// DataBytes is the total size of their data.
	DataBytes int64
	// FileBytes is the size of the main database file (pages in use and
	// free), not counting the WAL.
	FileBytes int64
	// Evicted is the number of messages evicted from public inboxes since
	// the store was opened: by the inbox's limits, or because the database
	// was full. A rate of them is a flood under way.
	Evicted int64
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }
