package client

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/msgedit"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// EditWindow is how long after sending a message its author can edit it.
const EditWindow = 15 * time.Minute

// ErrNotEditable means a message cannot be edited: it is someone else's,
// deleted, not delivered, or older than EditWindow.
var ErrNotEditable = errors.New("message cannot be edited")

// MessageEdited reports that a message's text was replaced by an edit (its
// author's, from this device, another one of this account, or the peer).
type MessageEdited struct{ Message Message }

func (MessageEdited) isEvent() {}

// Edit replaces the text of message id, which this account sent less than
// EditWindow ago, with text. Editing is a session-go extension (see
// docs/compatibility.md and package msgedit): the edit is one message, a
// reply to the original whose body is the new text, marked as an edit in a
// field Session does not know. A session-go peer and this account's other
// devices replace the original's text; a Session peer shows a new message
// replying to the original. In a group the edit is posted in the group,
// for every member. If the edit cannot be sent, nothing changes
// here and the error wraps ErrSendFailed: try again.
func (c *Client) Edit(ctx context.Context, id int64, text string) (Message, error) {
	if text == "" {
		return Message{}, ErrEmptyMessage
	}
	if len(text) > MaxMessageBytes {
		return Message{}, fmt.Errorf("%w: %d bytes, the limit is 32 KiB (%d bytes)", ErrMessageTooLong, len(text), MaxMessageBytes)
	}
	if !utf8.ValidString(text) {
		return Message{}, ErrInvalidText
	}
	m, err := c.db.Message(ctx, id)
	if errors.Is(err, clientdb.ErrNotFound) {
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Message{}, err
	}
	if m.Sender != c.id.SessionID() {
		return Message{}, fmt.Errorf("%w: message %d is not yours (only its author can edit a message)", ErrNotAuthor, id)
	}
	if m.Deleted || m.Status == clientdb.StatusSending || m.Status == clientdb.StatusFailed {
		return Message{}, fmt.Errorf("%w: message %d is deleted or not delivered", ErrNotEditable, id)
	}
	if es, err := c.db.Edits(ctx, id); err != nil {
		return Message{}, err
	} else if len(es) >= clientdb.MaxEditsPerMessage {
		return Message{}, fmt.Errorf("%w: message %d was edited %d times already", ErrNotEditable, id, len(es))
	}
	net, err := c.network()
	if err != nil {
		return Message{}, err
	}
	sentAt := c.sentTime(net.Now())
	if sentAt.Sub(m.SentAt) > EditWindow {
		return Message{}, fmt.Errorf("%w: message %d was sent more than %v ago", ErrNotEditable, id, EditWindow)
	}
	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{
		Body:    proto.String(text),
		Profile: c.profile(),
		Quote: &signalpb.DataMessage_Quote{
			Id:     proto.Uint64(uint64(m.SentAt.UnixMilli())),
			Author: proto.String(m.Sender.String()),
		},
	}}
	msgedit.Set(content.DataMessage, m.SentAt)
	setExpiry(content, m.Expiry)
	// A disappearing original's edit goes when the original does.
	ttl, ownTTL := ttlFor(m.Expiry), ownTTL(m.Expiry)
	if !m.Expiry.At.IsZero() {
		left := max(m.Expiry.At.Sub(sentAt), time.Second)
		ttl, ownTTL = min(ttl, left), min(ownTTL, left)
	}
	if m.Conversation.Prefix == keys.PrefixGroup {
		// Posted in the group, where this account's other devices read
		// it too; its hash there is what a delete for everyone names.
		hash, err := c.sendToGroup(ctx, m.Conversation, content, sentAt, ttl)
		if err != nil {
			return Message{}, fmt.Errorf("%w: edit: %v", ErrSendFailed, err)
		}
		if err := c.db.RecordEdit(ctx, id, clientdb.Edit{SentAt: sentAt, OwnHash: hash}); err != nil {
			return Message{}, err
		}
		return c.edited(ctx, m, text, sentAt)
	}
	p, err := c.encode(m.Conversation, content, sentAt)
	if err != nil {
		return Message{}, err
	}
	hash, err := c.store(ctx, m.Conversation, 0, p.Data, ttl)
	if err != nil {
		return Message{}, fmt.Errorf("%w: edit: %v", ErrSendFailed, err)
	}
	// The edit's copy in this account's swarm: its sync copy, or itself
	// in Note to Self. Deleting the message for everyone deletes it too.
	own := hash
	if m.Conversation != c.id.SessionID() {
		own = storagerpc.MessageHash(c.id.SessionID(), 0, p.Sync)
	}
	if err := c.db.RecordEdit(ctx, id, clientdb.Edit{SentAt: sentAt, OwnHash: own}); err != nil {
		return Message{}, err
	}
	if len(p.Sync) > 0 {
		if _, err := c.store(ctx, c.id.SessionID(), 0, p.Sync, ownTTL); err != nil {
			c.log.Warn("edit's sync copy not stored; queued for retry", "message", id, "err", err)
			if qerr := c.queueSync(ctx, p.Sync); qerr != nil {
				return Message{}, qerr
			}
		}
	}
	return c.edited(ctx, m, text, sentAt)
}

// edited applies this account's edit of m, sent at sentAt, here.
func (c *Client) edited(ctx context.Context, m clientdb.Message, text string, sentAt time.Time) (Message, error) {
	ref := clientdb.MessageRef{Conversation: m.Conversation, Author: m.Sender, SentAt: m.SentAt}
	if _, _, err := c.db.EditMessage(ctx, ref, text, sentAt); err != nil {
		return Message{}, err
	}
	out, err := c.Message(ctx, m.ID)
	if err != nil {
		return Message{}, err
	}
	c.events.publish(MessageEdited{out})
	return out, nil
}

// applyEdit applies a received edit, if dm's DataMessage is one, to the
// message of conversation conv that author sent. It reports whether dm is
// done with (the edit applied, or stale or of a deleted message); false
// means dm is to be shown as the plain message it also is: it is no edit,
// a malformed or inconsistent one, too late, or of a message this device
// does not have (as a Session client would show it).
func (c *Client) applyEdit(ctx context.Context, conv, author keys.ID, dm *protocol.Message, hash, body string) (bool, error) {
	data := dm.Content.GetDataMessage()
	orig, ok, err := msgedit.Of(data)
	if err != nil {
		c.warnSaved(ctx, fmt.Sprintf("a message from %s carried a damaged edit mark: shown as a new message", ShortID(dm.Sender.String())))
		return false, nil
	}
	if !ok {
		return false, nil
	}
	// The edit must quote the very message it edits, by its author, and
	// come within the window after it: anything else is shown as sent.
	q := data.GetQuote()
	if q.GetId() != uint64(orig.UnixMilli()) || q.GetAuthor() != author.String() ||
		!dm.SentAt.After(orig) || dm.SentAt.Sub(orig) > EditWindow || body == "" {
		return false, nil
	}
	id, applied, err := c.db.EditMessage(ctx, clientdb.MessageRef{Conversation: conv, Author: author, SentAt: orig}, body, dm.SentAt)
	if errors.Is(err, clientdb.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if author == c.id.SessionID() {
		// Made on another device of this account: remembered, so that a
		// delete for everyone from here unsends it too.
		if err := c.db.RecordEdit(ctx, id, clientdb.Edit{SentAt: dm.SentAt, OwnHash: hash}); err != nil && !errors.Is(err, clientdb.ErrLimit) {
			return false, err
		}
	}
	if applied {
		m, err := c.db.Message(ctx, id)
		if err != nil {
			return false, err
		}
		c.publishSaved(ctx, MessageEdited{messageFrom(m)})
	}
	return true, nil
}
