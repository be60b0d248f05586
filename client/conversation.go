package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
)

// Reply sends text in the conversation of message replyTo, quoting it as
// Session does (DataMessage.quote: the quoted message's author and sent
// timestamp; the receiver shows its own copy of the text), with files
// attached as SendFile does. Otherwise it is SendFile.
func (c *Client) Reply(ctx context.Context, replyTo int64, text string, paths ...string) (Message, error) {
	orig, err := c.db.Message(ctx, replyTo)
	if errors.Is(err, clientdb.ErrNotFound) {
		return Message{}, fmt.Errorf("message %d: %w", replyTo, ErrNotFound)
	}
	if err != nil {
		return Message{}, err
	}
	if orig.Status == clientdb.StatusSending || orig.Status == clientdb.StatusFailed {
		// The other side has not got it: a quote would name nothing.
		return Message{}, fmt.Errorf("%w: message %d is %s, not yet delivered", ErrNotQuotable, replyTo, orig.Status)
	}
	return c.send(ctx, orig.Conversation.String(), text, clientdb.Quote{SentAt: orig.SentAt, Author: orig.Sender}, paths...)
}

// Message returns message id.
func (c *Client) Message(ctx context.Context, id int64) (Message, error) {
	m, err := c.db.Message(ctx, id)
	if errors.Is(err, clientdb.ErrNotFound) {
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Message{}, err
	}
	out := []Message{c.messageWithFiles(ctx, messageFrom(m))}
	if err := c.withReactions(ctx, out); err != nil {
		return Message{}, err
	}
	return out[0], nil
}

// quoteOf reads the quote of a received DataMessage: the zero Quote if it
// has none or it does not name a message (a timestamp and a Session ID).
func quoteOf(dm *signalpb.DataMessage) clientdb.Quote {
	q := dm.GetQuote()
	if q == nil || q.GetId() == 0 || q.GetId() > maxTimestampMS {
		return clientdb.Quote{}
	}
	author, err := keys.ParseSessionID(q.GetAuthor())
	if err != nil {
		return clientdb.Quote{}
	}
	return clientdb.Quote{SentAt: timeMS(q.GetId()), Author: author}
}

// maxTimestampMS bounds a timestamp naming another message (a quoted or
// reacted-to one): far beyond any real time, far within int64.
const maxTimestampMS = 1 << 53

// timeMS is the time of a millisecond timestamp that passed maxTimestampMS.
func timeMS(v uint64) time.Time { return time.UnixMilli(int64(v)) }

// MaxSearchResults is the most messages one Search returns.
const MaxSearchResults = clientdb.MaxSearchResults

// Search finds the messages, newest first, whose text holds every word of
// text (as the start of a word, case and accents ignored), in every
// conversation or, when in is not "", in the conversation with in (a
// Session ID or a contact's name). limit (1 to MaxSearchResults) bounds
// the results. The index lives in the encrypted database, beside the
// messages.
func (c *Client) Search(ctx context.Context, text, in string, limit int) ([]Message, error) {
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("%w: nothing to search for", ErrInvalidSearch)
	}
	var conv keys.ID
	if in != "" {
		var err error
		if conv, err = c.resolveConversation(ctx, in); err != nil {
			return nil, err
		}
	}
	c.expireIfDue(ctx)
	ms, err := c.db.Search(ctx, text, conv, limit)
	if errors.Is(err, clientdb.ErrInvalidArgument) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSearch, err)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = messageFrom(m)
	}
	if err := c.withAttachments(ctx, out); err != nil {
		return nil, err
	}
	if err := c.withReactions(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}
