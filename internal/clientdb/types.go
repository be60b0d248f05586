package clientdb

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/session-go/session-go/internal/keys"
)

// Limits on what the database accepts.
const (
	// MaxBodyBytes bounds a message body: 64 KiB of UTF-8 text, well above
	// what Session's apps let a user type and below what fits in one
	// storage server message once encrypted.
	MaxBodyBytes = 64 << 10
	// MaxNameBytes bounds display names and nicknames, as Session's config
	// messages do (100 bytes).
	MaxNameBytes = 100
	// MaxPayloadBytes bounds the encoded request kept for retrying an
	// outgoing message. It leaves room for more than one request (to the
	// recipient and the sync copy) around a full-size body.
	MaxPayloadBytes = 1 << 20
	// MaxHashBytes bounds a storage server message hash (43 characters of
	// unpadded base64 today).
	MaxHashBytes = 128
	// MaxKeyBytes bounds a key/value key and a cursor namespace.
	MaxKeyBytes = 256
	// MaxValueBytes bounds a key/value value.
	MaxValueBytes = 16 << 20
	// MaxReasonBytes bounds the failure reason kept with a failed message;
	// longer reasons are cut.
	MaxReasonBytes = 1024
)

// Direction says whether a message was sent by this account or to it.
type Direction int

// The directions. The zero value is no message, as in a conversation
// without any.
const (
	// Incoming messages were sent by someone else.
	Incoming Direction = 1
	// Outgoing messages were sent by this account, from this device or
	// (sync copies) from another one.
	Outgoing Direction = 2
)

// String returns "incoming" or "outgoing".
func (d Direction) String() string {
	switch d {
	case 0:
		return "none"
	case Incoming:
		return "incoming"
	case Outgoing:
		return "outgoing"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// Status is where a message stands.
type Status int

// The statuses. An outgoing message starts as StatusSending and ends as
// StatusSent, possibly by way of StatusFailed; an incoming one, and a sync
// copy of an outgoing one, is stored as received or sent respectively.
const (
	// StatusSending: stored, not yet acknowledged by the network.
	StatusSending Status = 1
	// StatusSent: stored by the recipient's swarm.
	StatusSent Status = 2
	// StatusFailed: the client gave up for now; the user may retry.
	StatusFailed Status = 3
	// StatusReceived: an incoming message.
	StatusReceived Status = 4
)

// String returns the lowercase name of the status.
func (s Status) String() string {
	switch s {
	case StatusSending:
		return "sending"
	case StatusSent:
		return "sent"
	case StatusFailed:
		return "failed"
	case StatusReceived:
		return "received"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Message is one message of a conversation.
type Message struct {
	// ID is the local id the database assigned. Ignored on insert.
	ID int64
	// Conversation is the conversation's peer ID (see Conversation.ID).
	Conversation keys.ID
	// Sender is who wrote the message: the peer, or this account for an
	// outgoing message.
	Sender keys.ID
	// Direction and Status: see their types. Status is set by the database.
	Direction Direction
	Status    Status
	// SentAt is the sender's timestamp, which orders the conversation and,
	// with the conversation and sender, identifies the message. It is kept
	// to the millisecond, as Session's protocol carries it.
	SentAt time.Time
	// ReceivedAt is when this database stored the message; on insert, zero
	// means now.
	ReceivedAt time.Time
	// Body is the message text, at most MaxBodyBytes of UTF-8.
	Body string
	// Hash is the storage server's hash: the one retrieved for an incoming
	// message, the one the store answered for a sent one, "" before.
	Hash string
	// Payload is the encoded request that (re)sends an outgoing message,
	// opaque to this package. It is dropped once the message is sent and
	// read back only by Message and PendingOutgoing.
	Payload []byte
	// Attempts counts the failed send attempts (MarkFailed calls).
	Attempts int
	// Error is the reason of the last failure, for the user.
	Error string
	// TimeUnverified marks an incoming message whose sender's timestamp
	// could not be trusted: SentAt is then the time the network stored it.
	TimeUnverified bool
	// Attachments are stored with the message by InsertOutgoing and
	// InsertIncoming, in the same transaction; read them with
	// DB.Attachments (Message and Messages leave them out).
	Attachments []Attachment
	// LinkPreview is stored with the message like Attachments; read it
	// with DB.LinkPreviews.
	LinkPreview LinkPreview
	// Quote is the message this one replies to; the zero Quote if none.
	Quote Quote
	// Expiry is the disappearing-messages setting the message carries,
	// and when it expires (Expiry.At, zero until its timer runs).
	Expiry Expiry
	// Deleted marks a message deleted for everyone: its body is empty.
	// Set by MarkDeleted; ignored on insert.
	Deleted bool
	// OwnHash is the hash of the message's copy in this account's own
	// swarm when it is not Hash (see SetOwnHash); ignored on insert.
	OwnHash string
	// EditedAt is the sent time of the latest edit applied to Body (see
	// EditMessage), zero if never edited; ignored on insert.
	EditedAt time.Time
	// Notice marks a line the conversation shows about itself ("Alice
	// added Bob") rather than a message someone wrote: Body is its text.
	// Stored by InsertIncoming; a notice is not counted unread.
	Notice bool
}

// Expiry is a message's disappearing setting: Session's expirationType and
// expirationTimer. At is set by the database: for a message disappearing
// after send, or sent by this account, its sent time plus Timer; for an
// incoming one after read, when StartReadTimers covers it.
type Expiry struct {
	Mode  DisappearingMode
	Timer time.Duration
	At    time.Time
}

// Quote is the message a reply quotes, named as Session's DataMessage.quote
// names it: by its sent timestamp and author.
type Quote struct {
	// SentAt and Author name the quoted message; both zero: not a reply.
	SentAt time.Time
	Author keys.ID
	// ID and Body are the quoted message's local id and text, read back
	// from the original when this device has it (0 and "" otherwise, and
	// ignored on insert).
	ID   int64
	Body string
}

// Pos returns the position of m, for paging with Messages.
func (m Message) Pos() MessagePos { return MessagePos{SentAt: m.SentAt, ID: m.ID} }

// MessagePos is a place in a conversation's order (sent timestamp, then
// local id). The zero value is the end of the conversation.
type MessagePos struct {
	SentAt time.Time
	ID     int64
}

// Contact is a Session ID this account knows, with the fields of Session's
// Contacts config message.
type Contact struct {
	// ID is the contact's Session ID (prefix 05).
	ID keys.ID
	// Name is the display name from the contact's own profile.
	Name string
	// Nickname is the name this account gave the contact; it wins over
	// Name where both are set.
	Nickname string
	// Approved: this account accepted the contact (or messaged it first).
	Approved bool
	// ApprovedMe: the contact accepted this account (or messaged it).
	ApprovedMe bool
	// Blocked: messages from the contact are dropped.
	Blocked bool
	// Priority orders the conversation: 0 ordinary, > 0 pinned (higher
	// first), < 0 hidden (PriorityHidden).
	Priority int64
	// Created is when the contact was added; on insert, zero means now.
	Created time.Time
}

// PriorityHidden is the priority Session gives a hidden conversation.
const PriorityHidden = -1

// DisplayName is what to call the contact: the nickname, else the profile
// name, else "".
func (c Contact) DisplayName() string {
	if c.Nickname != "" {
		return c.Nickname
	}
	return c.Name
}

// ContactFilter selects contacts.
type ContactFilter int

// The contact filters.
const (
	// AllContacts selects every contact.
	AllContacts ContactFilter = iota
	// ApprovedContacts selects approved contacts that are not blocked.
	ApprovedContacts
	// BlockedContacts selects blocked contacts.
	BlockedContacts
)

// Conversation is a conversation as the inbox shows it.
type Conversation struct {
	// ID is the peer: the other Session ID of a one-to-one conversation,
	// this account's own for note-to-self.
	ID keys.ID
	// Request: a message request, opened by an unknown sender and not yet
	// accepted.
	Request bool
	// Unread counts the incoming messages sent after LastRead.
	Unread int
	// MarkedUnread: the user marked the conversation unread.
	MarkedUnread bool
	// LastRead is the sent timestamp up to which the user has read.
	LastRead time.Time
	// LastActivity is the sent timestamp of the latest message, or the
	// creation time of an empty conversation.
	LastActivity time.Time
	// Created is when the conversation was created locally.
	Created time.Time
	// Name is the contact's display name ("" if none), Priority and
	// Blocked its flags (zero if there is no contact).
	Name     string
	Priority int64
	Blocked  bool
	// The latest message: its direction (0 if the conversation has no
	// messages), its sender and up to PreviewChars characters of its body.
	LastDirection Direction
	LastSender    keys.ID
	Preview       string
	// LastDeleted: the latest message was deleted for everyone (Preview
	// is then empty).
	LastDeleted bool
}

// PreviewChars is the number of characters of the last message that
// Conversation.Preview holds.
const PreviewChars = 100

// ConversationFilter selects conversations.
type ConversationFilter int

// The conversation filters.
const (
	// AllConversations selects every conversation.
	AllConversations ConversationFilter = iota
	// InboxConversations selects the conversations that are not requests.
	InboxConversations
	// RequestConversations selects message requests.
	RequestConversations
)

// Account is the account this database belongs to.
//
// It holds the seed: it prints without it, and callers should not log it
// otherwise.
type Account struct {
	// Seed is the 16-byte recovery seed or the 32-byte Ed25519 seed, as
	// keys.NewIdentity takes it.
	Seed        []byte
	DisplayName string
	Created     time.Time
}

// String describes the account without its seed.
func (a Account) String() string {
	return fmt.Sprintf("account %q created %s", a.DisplayName, a.Created.UTC().Format(time.RFC3339))
}

// GoString is String, so that %#v does not print the seed either.
func (a Account) GoString() string { return a.String() }

// checkID checks that id is an ID with a known prefix, which is what can be
// stored and read back. want, if non-zero, is the one prefix accepted.
func checkID(what string, id keys.ID, want keys.Prefix) error {
	if id.IsZero() {
		return fmt.Errorf("%w: no %s ID", ErrInvalidArgument, what)
	}
	if _, err := keys.ParseID(id.String()); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidArgument, what, err)
	}
	if want != 0 && id.Prefix != want {
		return fmt.Errorf("%w: %s ID %q is a %s, want a %s", ErrInvalidArgument, what, id, id.Prefix, want)
	}
	return nil
}

// checkName checks a display name or nickname. Names are not quoted in
// errors: they are what the user wrote, and errors end up in logs.
func checkName(what, s string) error {
	if len(s) > MaxNameBytes {
		return fmt.Errorf("%w: %s of %d bytes, limit %d", ErrNameTooLong, what, len(s), MaxNameBytes)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalidArgument, what)
	}
	return nil
}

// checkBody checks a message body, without ever quoting it.
func checkBody(s string) error {
	if len(s) > MaxBodyBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLong, len(s), MaxBodyBytes)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: body is not UTF-8", ErrInvalidArgument)
	}
	return nil
}

// checkHash checks a storage server message hash.
func checkHash(h string) error {
	if h == "" {
		return fmt.Errorf("%w: empty hash", ErrInvalidArgument)
	}
	if len(h) > MaxHashBytes {
		return fmt.Errorf("%w: hash of %d bytes, limit %d", ErrInvalidArgument, len(h), MaxHashBytes)
	}
	if !utf8.ValidString(h) {
		return fmt.Errorf("%w: hash %q is not UTF-8", ErrInvalidArgument, h)
	}
	return nil
}

// checkKey checks a key/value key or cursor namespace.
func checkKey(what, k string) error {
	if k == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidArgument, what)
	}
	if len(k) > MaxKeyBytes {
		return fmt.Errorf("%w: %s of %d bytes, limit %d", ErrInvalidArgument, what, len(k), MaxKeyBytes)
	}
	if !utf8.ValidString(k) {
		return fmt.Errorf("%w: %s %q is not UTF-8", ErrInvalidArgument, what, k)
	}
	return nil
}

// checkTime checks a timestamp that must be set and fit in milliseconds
// since the epoch.
func checkTime(what string, t time.Time) error {
	if v := ms(t); v <= 0 {
		return fmt.Errorf("%w: %s %v is not after the Unix epoch", ErrInvalidArgument, what, t)
	}
	return nil
}

// parseID reads an ID the database stored.
func parseID(s string) (keys.ID, error) {
	id, err := keys.ParseID(s)
	if err != nil {
		return keys.ID{}, fmt.Errorf("clientdb: stored ID: %w", err)
	}
	return id, nil
}
