package client

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
)

// DefaultReactions are the emojis Session offers first; any other emoji
// can be sent too.
var DefaultReactions = [...]string{"😂", "🥰", "😢", "😡", "😮", "😈"}

// Reaction is one emoji someone put on a message.
type Reaction struct {
	Emoji string `json:"emoji"`
	// From is who reacted.
	From string `json:"from"`
}

// React puts emoji on message id (remove false) or takes it off, in
// Session's format (DataMessage.reaction: the message's sent timestamp and
// author, the emoji, react or remove), for the conversation's peer and this
// account's other devices; in a group, posted in the group. It is saved here once the network has it; if it
// could not be sent, nothing changes and the error wraps ErrSendFailed.
func (c *Client) React(ctx context.Context, id int64, emoji string, remove bool) error {
	if emoji == "" || len(emoji) > clientdb.MaxEmojiBytes {
		return fmt.Errorf("%w: an emoji is 1 to %d bytes", ErrInvalidReaction, clientdb.MaxEmojiBytes)
	}
	if !plainEmoji(emoji) {
		return fmt.Errorf("%w: not a plain emoji", ErrInvalidReaction)
	}
	m, err := c.db.Message(ctx, id)
	if errors.Is(err, clientdb.ErrNotFound) {
		return fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if m.Deleted || m.Status == clientdb.StatusSending || m.Status == clientdb.StatusFailed {
		return fmt.Errorf("%w: message %d is deleted or not delivered", ErrInvalidReaction, id)
	}
	ref := clientdb.MessageRef{Conversation: m.Conversation, Author: m.Sender, SentAt: m.SentAt}
	net, err := c.network()
	if err != nil {
		return err
	}
	action := signalpb.DataMessage_Reaction_REACT
	if remove {
		action = signalpb.DataMessage_Reaction_REMOVE
	}
	sentAt := c.sentTime(net.Now())
	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{
		Reaction: &signalpb.DataMessage_Reaction{
			Id:     proto.Uint64(uint64(m.SentAt.UnixMilli())),
			Author: proto.String(m.Sender.String()),
			Emoji:  proto.String(emoji),
			Action: action.Enum(),
		},
		Profile: c.profile(),
	}}
	if m.Conversation.Prefix == keys.PrefixGroup {
		// Posted in the group: every member and this account's other
		// devices read it there.
		if _, err := c.sendToGroup(ctx, m.Conversation, content, sentAt, MessageTTL); err != nil {
			return fmt.Errorf("%w: reaction: %v", ErrSendFailed, err)
		}
	} else if err := c.sendReaction(ctx, id, m.Conversation, content, sentAt); err != nil {
		return err
	}
	err = c.db.SetReaction(ctx, clientdb.Reaction{Message: ref, Reactor: c.id.SessionID(), Emoji: emoji, At: sentAt}, !remove)
	if errors.Is(err, clientdb.ErrLimit) {
		return fmt.Errorf("%w: %v", ErrInvalidReaction, err)
	}
	return err
}

// sendReaction sends a reaction to a 1:1 conversation's peer and its sync
// copy to this account's other devices.
func (c *Client) sendReaction(ctx context.Context, id int64, to keys.ID, content *signalpb.Content, sentAt time.Time) error {
	p, err := c.encode(to, content, sentAt)
	if err != nil {
		return err
	}
	if _, err := c.store(ctx, to, 0, p.Data, MessageTTL); err != nil {
		return fmt.Errorf("%w: reaction: %v", ErrSendFailed, err)
	}
	if len(p.Sync) > 0 {
		if _, err := c.store(ctx, c.id.SessionID(), 0, p.Sync, MessageTTL); err != nil {
			c.log.Warn("reaction's sync copy not stored; queued for retry", "message", id, "err", err)
			if qerr := c.queueSync(ctx, p.Sync); qerr != nil {
				return qerr
			}
		}
	}
	return nil
}

// plainEmoji reports whether s holds no spaces, controls or invisible
// format characters, but those emoji sequences are built with: the
// zero-width joiner and the tag characters of subdivision flags.
func plainEmoji(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\u200d', r >= 0xE0020 && r <= 0xE007F:
		case unicode.IsSpace(r), unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return false
		}
	}
	return true
}

// reactOwn applies a reaction this account sent from another device, in
// the conversation target.
func (c *Client) reactOwn(ctx context.Context, target keys.ID, r *signalpb.DataMessage_Reaction, at time.Time) error {
	author, err := keys.ParseSessionID(r.GetAuthor())
	if err != nil || author != target && author != c.id.SessionID() || r.GetId() == 0 || r.GetId() > maxTimestampMS {
		return nil
	}
	emoji, _ := cleanName(r.GetEmoji())
	ref := clientdb.MessageRef{Conversation: target, Author: author, SentAt: timeMS(r.GetId())}
	remove := r.GetAction() == signalpb.DataMessage_Reaction_REMOVE
	err = c.db.SetReaction(ctx, clientdb.Reaction{Message: ref, Reactor: c.id.SessionID(), Emoji: emoji, At: at}, !remove)
	if errors.Is(err, clientdb.ErrLimit) || errors.Is(err, clientdb.ErrInvalidArgument) {
		return nil
	}
	if err == nil {
		c.publishSaved(ctx, ReactionChanged{Conversation: target.String(), Author: author.String(), SentAt: ref.SentAt,
			Reactor: c.id.SessionID().String(), Emoji: emoji, Removed: remove})
	}
	return err
}

// withReactions fills the reactions of ms, and marks read (Status "read")
// this account's messages that the peer's read receipts cover.
func (c *Client) withReactions(ctx context.Context, ms []Message) error {
	for i := range ms {
		ms[i].Reactions = []Reaction{}
		if ms[i].Deleted {
			continue
		}
		conv, err1 := keys.ParseID(ms[i].Conversation)
		from, err2 := keys.ParseSessionID(ms[i].From)
		if err1 != nil || err2 != nil {
			continue
		}
		if ms[i].Outgoing && ms[i].Status == "sent" {
			// A read receipt from the peer makes it read.
			if _, read, err := c.db.ReadByPeer(ctx, conv, ms[i].SentAt); err != nil {
				return err
			} else if read {
				ms[i].Status = "read"
			}
		}
		rs, err := c.db.Reactions(ctx, clientdb.MessageRef{Conversation: conv, Author: from, SentAt: ms[i].SentAt})
		if err != nil {
			return err
		}
		for _, r := range rs {
			ms[i].Reactions = append(ms[i].Reactions, Reaction{Emoji: r.Emoji, From: r.Reactor.String()})
		}
	}
	return nil
}
