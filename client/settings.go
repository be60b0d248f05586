package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
)

// Settings are the privacy settings of this device. As in Session, both
// are off until the user turns them on, and each device has its own.
type Settings struct {
	// ReadReceipts: reading a conversation tells its peer which of their
	// messages were read (Session's ReceiptMessage).
	ReadReceipts bool `json:"read_receipts"`
	// TypingIndicators: typing tells the peer (Session's TypingMessage).
	TypingIndicators bool `json:"typing_indicators"`
}

// The keys of the settings in the database.
const (
	kvReadReceipts     = "setting_read_receipts"
	kvTypingIndicators = "setting_typing_indicators"
)

// maxReceiptBatch bounds the timestamps one ReceiptMessage carries;
// more are sent in several.
const maxReceiptBatch = 100

// Settings returns this device's privacy settings.
func (c *Client) Settings(ctx context.Context) (Settings, error) {
	var s Settings
	var err error
	if s.ReadReceipts, err = c.flag(ctx, kvReadReceipts); err != nil {
		return Settings{}, err
	}
	if s.TypingIndicators, err = c.flag(ctx, kvTypingIndicators); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// SetSettings changes this device's privacy settings.
func (c *Client) SetSettings(ctx context.Context, s Settings) error {
	return c.db.Batch(ctx, func(ctx context.Context) error {
		if err := c.setFlag(ctx, kvReadReceipts, s.ReadReceipts); err != nil {
			return err
		}
		return c.setFlag(ctx, kvTypingIndicators, s.TypingIndicators)
	})
}

func (c *Client) flag(ctx context.Context, key string) (bool, error) {
	b, err := c.db.Get(ctx, key)
	if errors.Is(err, clientdb.ErrNotFound) {
		return false, nil
	}
	return string(b) == "1", err
}

func (c *Client) setFlag(ctx context.Context, key string, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	return c.db.Put(ctx, key, []byte(v))
}

// SetTyping tells who that this account started (typing true) or stopped
// typing to them, when typing indicators are on; otherwise it sends
// nothing. Requests and blocked contacts are never told.
func (c *Client) SetTyping(ctx context.Context, who string, typing bool) error {
	on, err := c.flag(ctx, kvTypingIndicators)
	if err != nil || !on {
		return err
	}
	id, err := c.resolve(ctx, who)
	if err != nil {
		return err
	}
	if !c.mayTell(ctx, id) {
		return nil
	}
	net, err := c.network()
	if err != nil {
		return err
	}
	action := signalpb.TypingMessage_STOPPED
	if typing {
		action = signalpb.TypingMessage_STARTED
	}
	now := net.Now().Truncate(time.Millisecond)
	return c.sendControlTTL(ctx, id, &signalpb.Content{TypingMessage: &signalpb.TypingMessage{
		Timestamp: proto.Uint64(uint64(now.UnixMilli())), Action: action.Enum(),
	}}, now, TypingTTL)
}

// TypingTTL is how long a typing message stays in the peer's swarm, as
// Session stores it (TTL_DEFAULT.TYPING_MESSAGE): a typing state is resent
// every few seconds while it holds, so an older one only misleads a device
// that polls later, and two weeks of them would fill the peer's quota.
const TypingTTL = 20 * time.Second

// mayTell reports whether the peer id may learn what this account does
// (read, type): an accepted, unblocked conversation with someone else.
func (c *Client) mayTell(ctx context.Context, id keys.ID) bool {
	if id == c.id.SessionID() {
		return false
	}
	cv, err := c.db.ConversationState(ctx, id)
	if err != nil || cv.Request {
		return false
	}
	ct, err := c.db.Contact(ctx, id)
	return err == nil && !ct.Blocked
}

// sendReadReceipts tells the peer of conversation id, when read receipts
// are on, that their messages sent after the read mark after and up to
// upTo were read. Receipts are advisory: one that cannot be sent is
// reported as a warning, not retried.
func (c *Client) sendReadReceipts(ctx context.Context, id keys.ID, after, upTo time.Time) {
	on, err := c.flag(ctx, kvReadReceipts)
	if err != nil || !on || !c.mayTell(ctx, id) {
		return
	}
	ts, err := c.db.IncomingBetween(ctx, id, after, upTo, 10*maxReceiptBatch)
	if err != nil || len(ts) == 0 {
		return
	}
	net, err := c.network()
	if err != nil {
		return
	}
	for len(ts) > 0 {
		n := min(len(ts), maxReceiptBatch)
		r := &signalpb.ReceiptMessage{Type: signalpb.ReceiptMessage_READ.Enum()}
		for _, t := range ts[:n] {
			r.Timestamp = append(r.Timestamp, uint64(t.UnixMilli()))
		}
		ts = ts[n:]
		if err := c.sendControlAt(ctx, id, &signalpb.Content{ReceiptMessage: r}, c.sentTime(net.Now())); err != nil {
			c.warn(fmt.Sprintf("could not send a read receipt to %s: %v", ShortID(id.String()), err))
			return
		}
	}
}
