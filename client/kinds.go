package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
)

// This file receives what Session's apps send besides text: deletions for
// everyone (UnsendRequest), reactions, read receipts, typing indicators,
// and disappearing-message timer updates (flags 2). (Group invitations are
// in groups.go, attachments in attachments.go.) Each is stored (or, for typing, published) so that the features that show
// them can be built on it; none is dropped.

// maxReceiptTimestamps bounds the messages one read receipt can mark.
const maxReceiptTimestamps = 1000

// TypingChanged reports that the peer of a conversation started or stopped
// typing. Nothing is stored: an indicator lasts seconds.
type TypingChanged struct {
	Conversation string
	Typing       bool
}

// ReactionChanged reports a reaction added to or removed from a message.
type ReactionChanged struct {
	Conversation string
	// Author and SentAt name the message reacted to.
	Author  string
	SentAt  time.Time
	Reactor string
	Emoji   string
	Removed bool
}

// MessageUnsent reports that the author of a message deleted it for
// everyone; it is gone from the database.
type MessageUnsent struct {
	Conversation string
	Author       string
	SentAt       time.Time
}

// MessagesReadByPeer reports that the peer read messages this account sent.
type MessagesReadByPeer struct {
	Conversation string
	SentAt       []time.Time
	ReadAt       time.Time
}

// DisappearingChanged reports a conversation's new disappearing-messages
// setting.
type DisappearingChanged struct {
	Conversation string
	// Mode is "off", "after-read" or "after-send".
	Mode  string
	Timer time.Duration
}

func (TypingChanged) isEvent()       {}
func (ReactionChanged) isEvent()     {}
func (MessageUnsent) isEvent()       {}
func (MessagesReadByPeer) isEvent()  {}
func (DisappearingChanged) isEvent() {}

func modeName(m clientdb.DisappearingMode) string {
	switch m {
	case clientdb.DisappearingAfterRead:
		return "after-read"
	case clientdb.DisappearingAfterSend:
		return "after-send"
	}
	return "off"
}

// handleKinds handles the kinds of message above, from a sender other than
// this account. inConversation says whether this account has a
// conversation (or contact) with the sender: from anyone else these kinds
// leave no trace. It reports whether the message was one of these
// kinds (then it is done with); an error means it was not saved.
func (c *Client) handleKinds(ctx context.Context, dm *protocol.Message, inConversation bool) (bool, error) {
	content := dm.Content
	data := content.GetDataMessage()
	sender := dm.Sender
	switch {
	case content.GetUnsendRequest() != nil:
		u := content.GetUnsendRequest()
		// Only the author can delete a message for everyone, and only
		// in the conversation with them.
		author, err := keys.ParseSessionID(u.GetAuthor())
		if err != nil || author != sender || u.GetTimestamp() == 0 || u.GetTimestamp() > 1<<62 || !inConversation {
			return true, nil
		}
		ref := clientdb.MessageRef{Conversation: sender, Author: sender, SentAt: time.UnixMilli(int64(u.GetTimestamp()))}
		files, err := c.filesOf(ctx, ref)
		if err != nil {
			return true, err
		}
		if _, err := c.db.Unsend(ctx, ref); err != nil {
			return true, err
		}
		c.removeBlobsSaved(ctx, files) // the files go with the message
		c.publishSaved(ctx, MessageUnsent{Conversation: sender.String(), Author: sender.String(), SentAt: ref.SentAt})
		return true, nil

	case data.GetReaction() != nil && data.GetBody() == "":
		r := data.GetReaction()
		author, err := keys.ParseSessionID(r.GetAuthor())
		// A reaction is to a message of this conversation: the sender's or
		// this account's.
		if err != nil || author != sender && author != c.id.SessionID() || r.GetId() == 0 || r.GetId() > 1<<62 || !inConversation {
			return true, nil
		}
		emoji, _ := cleanName(r.GetEmoji())
		ref := clientdb.MessageRef{Conversation: sender, Author: author, SentAt: time.UnixMilli(int64(r.GetId()))}
		remove := r.GetAction() == signalpb.DataMessage_Reaction_REMOVE
		err = c.db.SetReaction(ctx, clientdb.Reaction{Message: ref, Reactor: sender, Emoji: emoji, At: dm.SentAt}, !remove)
		if errors.Is(err, clientdb.ErrLimit) || errors.Is(err, clientdb.ErrInvalidArgument) {
			c.warnSaved(ctx, fmt.Sprintf("ignored a reaction from %s: %v", ShortID(sender.String()), err))
			return true, nil
		}
		if err != nil {
			return true, err
		}
		c.publishSaved(ctx, ReactionChanged{Conversation: sender.String(), Author: author.String(), SentAt: ref.SentAt,
			Reactor: sender.String(), Emoji: emoji, Removed: remove})
		return true, nil

	case content.GetReceiptMessage() != nil:
		rm := content.GetReceiptMessage()
		if rm.GetType() != signalpb.ReceiptMessage_READ || !inConversation {
			return true, nil
		}
		var ts []time.Time
		for _, t := range rm.GetTimestamp() {
			if t > 0 && t <= 1<<62 && len(ts) < maxReceiptTimestamps {
				ts = append(ts, time.UnixMilli(int64(t)))
			}
		}
		if len(ts) == 0 {
			return true, nil
		}
		n, err := c.db.MarkReadByPeer(ctx, sender, ts, dm.SentAt)
		if err != nil {
			return true, err
		}
		if n > 0 {
			c.publishSaved(ctx, MessagesReadByPeer{Conversation: sender.String(), SentAt: ts, ReadAt: dm.SentAt})
		}
		return true, nil

	case content.GetTypingMessage() != nil:
		if inConversation {
			c.publishSaved(ctx, TypingChanged{Conversation: sender.String(),
				Typing: content.GetTypingMessage().GetAction() == signalpb.TypingMessage_STARTED})
		}
		return true, nil

	case data.GetFlags()&uint32(signalpb.DataMessage_EXPIRATION_TIMER_UPDATE) != 0 && data.GetBody() == "":
		if !inConversation {
			return true, nil
		}
		d := clientdb.Disappearing{Mode: clientdb.DisappearingMode(content.GetExpirationType()),
			Timer: time.Duration(content.GetExpirationTimer()) * time.Second, Updated: dm.SentAt}
		if d.Timer == 0 {
			d.Mode = clientdb.DisappearingOff // Session: a zero timer turns it off
		}
		if d.Mode == clientdb.DisappearingOff {
			d.Timer = 0
		}
		changed, err := c.db.SetDisappearing(ctx, sender, d)
		if errors.Is(err, clientdb.ErrInvalidArgument) {
			return true, nil
		}
		if err != nil {
			return true, err
		}
		if changed {
			c.publishSaved(ctx, DisappearingChanged{Conversation: sender.String(), Mode: modeName(d.Mode), Timer: d.Timer})
		}
		return true, nil

	}
	return false, nil
}

// unsent reports whether the author deleted the message for everyone
// before it arrived here.
func (c *Client) unsent(ctx context.Context, conv, author keys.ID, sentAt time.Time) (bool, error) {
	return c.db.Unsent(ctx, clientdb.MessageRef{Conversation: conv, Author: author, SentAt: sentAt})
}

// warnSaved is warn for the receive path: the warning is published once
// the page being saved is committed.
func (c *Client) warnSaved(ctx context.Context, text string) {
	c.log.Warn(text)
	c.publishSaved(ctx, Warning{Text: text})
}

// unhide shows a hidden conversation again (Session: priority < 0 hides
// it; a new message in it, or a send to it, brings it back at priority 0,
// on this device and, through the contacts config, on the others). Inside
// a receive page the config lock is held already and the poll pushes the
// change at its end; otherwise the change is pushed now, and a failed push
// is retried by the next poll.
func (c *Client) unhide(ctx context.Context, id keys.ID) error {
	if id == c.id.SessionID() {
		return c.unhideNoteToSelf(ctx)
	}
	ct, err := c.db.Contact(ctx, id)
	if errors.Is(err, clientdb.ErrNotFound) || err == nil && ct.Priority >= 0 {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.db.SetPriority(ctx, id, 0); err != nil {
		return err
	}
	edit := func(cs *configs) error {
		cur, ok := cs.contacts.Get(id)
		if !ok || cur.Priority >= 0 {
			return nil
		}
		cur.Priority = 0
		return cs.contacts.Set(cur)
	}
	if _, inPage := ctx.Value(pageKey{}).(*page); inPage {
		return edit(c.cfg)
	}
	if err := c.editConfig(ctx, edit); err != nil && !errors.Is(err, ErrNotSynced) {
		return err
	}
	return nil
}

// profileIsNewer reports whether a profile sent by id and updated at
// updated (seconds; Session's lastProfileUpdateSeconds) is to be applied:
// as in Session, one older than the profile already applied is not, so
// that an old message arriving late does not bring back an old name. A
// profile without a time (older clients) is applied and leaves the
// recorded time alone.
func (c *Client) profileIsNewer(ctx context.Context, id keys.ID, updated uint64) (bool, error) {
	if updated == 0 {
		return true, nil
	}
	key := "profile_updated/" + id.String()
	var held uint64
	if b, err := c.db.Get(ctx, key); err == nil {
		held, _ = strconv.ParseUint(string(b), 10, 64)
	} else if !errors.Is(err, clientdb.ErrNotFound) {
		return false, err
	}
	if updated < held {
		return false, nil
	}
	if updated > held {
		if err := c.db.Put(ctx, key, []byte(strconv.FormatUint(updated, 10))); err != nil {
			return false, err
		}
	}
	return true, nil
}

// unhideNoteToSelf is unhide for Note to Self, whose priority is in the
// UserProfile config.
func (c *Client) unhideNoteToSelf(ctx context.Context) error {
	if c.noteToSelfPriority(ctx) >= 0 {
		return nil
	}
	edit := func(cs *configs) error {
		if cs.profile.NoteToSelfPriority() < 0 {
			cs.profile.SetNoteToSelfPriority(0)
		}
		return nil
	}
	if _, inPage := ctx.Value(pageKey{}).(*page); inPage {
		return edit(c.cfg)
	}
	if err := c.editConfig(ctx, edit); err != nil && !errors.Is(err, ErrNotSynced) {
		return err
	}
	return nil
}

// filesOf returns the attachments of the message ref names, if this device
// has it.
func (c *Client) filesOf(ctx context.Context, ref clientdb.MessageRef) ([]clientdb.Attachment, error) {
	ids, err := c.db.MessagesAt(ctx, ref.Author, ref.SentAt)
	if err != nil {
		return nil, err
	}
	var files []clientdb.Attachment
	for _, id := range ids {
		m, err := c.db.Message(ctx, id)
		if err != nil {
			return nil, err
		}
		if m.Conversation != ref.Conversation {
			continue
		}
		as, err := c.db.Attachments(ctx, id)
		if err != nil {
			return nil, err
		}
		files = append(files, as[id]...)
	}
	return files, nil
}
