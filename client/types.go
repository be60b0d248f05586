package client

import (
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/keys"
)

// Message is one message of a conversation.
type Message struct {
	// ID is the message's local id, stable on this device.
	ID int64 `json:"id"`
	// Conversation is the Session ID of the other party (yours, for notes to self).
	Conversation string `json:"conversation"`
	// From is the sender's Session ID.
	From string `json:"from"`
	// Outgoing is true for messages this account sent (from any of its devices).
	Outgoing bool `json:"outgoing"`
	// Body is the text.
	Body string `json:"body"`
	// SentAt is the sender's timestamp (Session's message id).
	SentAt time.Time `json:"sent_at"`
	// Status is sending, sent, read (the peer sent a read receipt),
	// failed or received.
	Status string `json:"status"`
	// Error says why a failed message failed.
	Error string `json:"error,omitempty"`
	// Hash is the service-node message hash, once known.
	Hash string `json:"hash,omitempty"`
	// TimeUnverified is set when the sender's timestamp was too far from
	// the time the network stored the message (a far-future or back-dated
	// message): SentAt is then the storage time.
	TimeUnverified bool `json:"time_unverified,omitempty"`
	// Attachments are the message's files (empty for plain text).
	Attachments []Attachment `json:"attachments"`
	// LinkPreview is the preview of a link in the text, as the sender
	// sent it (Session's DataMessage.preview: URL and title), or nil.
	LinkPreview *MessagePreview `json:"link_preview,omitempty"`
	// Quote is the message this one replies to, or nil.
	Quote *Quote `json:"quote"`
	// Deleted is set when the author deleted the message for everyone:
	// Body is then empty (shown as "This message was deleted").
	Deleted bool `json:"deleted"`
	// Reactions are the emojis put on the message, oldest first (filled
	// by Messages, Message and Search; empty elsewhere).
	Reactions []Reaction `json:"reactions"`
	// ExpiresAt is when a disappearing message is deleted; nil for one
	// that does not disappear, or whose after-read timer has not started.
	ExpiresAt *time.Time `json:"expires_at"`
	// Edited is set once the author edited the message (see Client.Edit);
	// EditedAt is when (the latest edit's sent time), nil if never.
	Edited   bool       `json:"edited"`
	EditedAt *time.Time `json:"edited_at"`
	// Kind is "message" for what someone wrote, or "notice" for a line
	// the conversation shows about itself ("Alice added Bob", "Group name
	// is now X"), whose text is Body.
	Kind string `json:"kind"`
}

// Kinds of Message.
const (
	KindMessage = "message"
	KindNotice  = "notice"
)

// Quote is the message a reply quotes. Session's DataMessage.quote names it
// by its author and sent timestamp; its text is the original's, as this
// device has it.
type Quote struct {
	// ID is the quoted message's local id, or 0 when this device does not
	// have it (sent before this device was linked, or deleted).
	ID int64 `json:"id"`
	// From is the quoted message's author.
	From string `json:"from"`
	// Body is the quoted text, "" when ID is 0.
	Body string `json:"body"`
	// SentAt is the quoted message's sent timestamp, Session's id for it.
	SentAt time.Time `json:"sent_at"`
}

func messageFrom(m clientdb.Message) Message {
	out := Message{
		ID: m.ID, Conversation: m.Conversation.String(), From: m.Sender.String(),
		Outgoing: m.Direction == clientdb.Outgoing, Body: m.Body, SentAt: m.SentAt,
		Status: m.Status.String(), Error: m.Error, Hash: m.Hash, TimeUnverified: m.TimeUnverified,
		Attachments: []Attachment{}, Deleted: m.Deleted, Reactions: []Reaction{}, Kind: KindMessage,
	}
	if m.Notice {
		out.Kind = KindNotice
	}
	if !m.Expiry.At.IsZero() {
		at := m.Expiry.At
		out.ExpiresAt = &at
	}
	if !m.EditedAt.IsZero() {
		at := m.EditedAt
		out.Edited, out.EditedAt = true, &at
	}
	if !m.Quote.SentAt.IsZero() {
		out.Quote = &Quote{ID: m.Quote.ID, From: m.Quote.Author.String(), Body: m.Quote.Body, SentAt: m.Quote.SentAt}
	}
	return out
}

// Conversation is a one-to-one or a group conversation.
type Conversation struct {
	// SessionID is the other party, or the group ID (03…).
	SessionID string `json:"session_id"`
	// Kind is "direct" (one-to-one, or Note to Self) or "group".
	Kind string `json:"kind"`
	// Name is the contact's nickname, else their display name; or the
	// group's name.
	Name string `json:"name"`
	// Request is true while this is a message request not yet accepted.
	Request bool `json:"request"`
	// Unread counts incoming messages after the last read one.
	Unread int `json:"unread"`
	// MarkedUnread is set when the user marked the conversation unread.
	MarkedUnread bool `json:"marked_unread,omitempty"`
	// LastActivity is the time of the latest message.
	LastActivity time.Time `json:"last_activity"`
	// Preview is the start of the latest message.
	Preview string `json:"preview"`
	// NameNote says why Name should not be trusted at a glance (it looks
	// like a Session ID, equals another contact's name, has hidden
	// characters, mixes alphabets), or is empty.
	NameNote string `json:"name_note,omitempty"`
	// NoteToSelf marks the conversation with this account itself (Name
	// is then "Note to Self").
	NoteToSelf bool `json:"note_to_self,omitempty"`
	// Pinned conversations come first in the inbox.
	Pinned bool `json:"pinned"`
	// Muted is set while notifications are silenced, until MutedUntil
	// (the zero time: until unmuted).
	Muted      bool      `json:"muted"`
	MutedUntil time.Time `json:"muted_until,omitzero"`
}

// DeletedText is what shows in place of a message deleted for everyone,
// as in Session.
const DeletedText = "This message was deleted"

func conversationFrom(cv clientdb.Conversation) Conversation {
	kind := "direct"
	if cv.ID.Prefix == keys.PrefixGroup {
		kind = "group"
	}
	v := Conversation{
		SessionID: cv.ID.String(), Kind: kind, Name: cv.Name, Request: cv.Request, Unread: cv.Unread,
		MarkedUnread: cv.MarkedUnread, LastActivity: cv.LastActivity, Preview: cv.Preview,
	}
	if cv.LastDeleted {
		v.Preview = DeletedText
	}
	return v
}

// Contact is someone this account knows.
type Contact struct {
	SessionID string `json:"session_id"`
	// Name is the display name they chose.
	Name string `json:"name"`
	// Nickname is the local name this account gave them.
	Nickname string `json:"nickname"`
	// Approved is true once this account accepted them (or wrote to them).
	Approved bool `json:"approved"`
	// ApprovedMe is true once they accepted this account.
	ApprovedMe bool `json:"approved_me"`
	// Blocked drops their messages.
	Blocked bool `json:"blocked"`
	// NameNote says why Name should not be trusted at a glance; see
	// Conversation.NameNote.
	NameNote string `json:"name_note,omitempty"`
}

func contactFrom(ct clientdb.Contact) Contact {
	return Contact{SessionID: ct.ID.String(), Name: ct.Name, Nickname: ct.Nickname,
		Approved: ct.Approved, ApprovedMe: ct.ApprovedMe, Blocked: ct.Blocked}
}

// Event is something that happened: a message arrived or changed status,
// a message request came in, or Run lost or regained the network. Events are notifications; the state they talk
// about is already in the database when they are delivered.
type Event interface{ isEvent() }

// MessageReceived reports a new message: incoming, or sent by another device
// of this account (Outgoing set); or a new notice (Kind "notice"), this
// device's own included.
type MessageReceived struct{ Message Message }

// MessageStatusChanged reports a sent message becoming sent or failed.
type MessageStatusChanged struct{ Message Message }

// RequestReceived reports a first message from someone unknown.
type RequestReceived struct{ Conversation Conversation }

// ConnectionChanged reports that Run lost the network (Connected false:
// a poll failed; Err says why, and Run retries with backoff, the next
// attempt in RetryIn) or got it back (Connected true). It is published
// once per change, not for every failed retry.
type ConnectionChanged struct {
	Connected bool
	Err       error
	RetryIn   time.Duration
}

func (MessageReceived) isEvent()      {}
func (MessageStatusChanged) isEvent() {}
func (RequestReceived) isEvent()      {}
func (ConnectionChanged) isEvent()    {}
