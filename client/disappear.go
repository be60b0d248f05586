package client

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
)

// Limits of a disappearing timer: from 10 seconds (the app offers
// Session's fixed choices, from 5 minutes to 2 weeks) to the wire's
// uint32 of seconds.
const (
	MinDisappearingTimer = 10 * time.Second
	MaxDisappearingTimer = clientdb.MaxDisappearingTimer * time.Second
)

// The disappearing modes Disappear takes.
const (
	DisappearOff       = "off"
	DisappearAfterRead = "read"
	DisappearAfterSend = "send"
)

// Disappear sets the disappearing-messages setting of the conversation
// with who: off, or messages deleted timer after they are read ("read") or
// sent ("send"). The change goes to the peer as Session's timer update
// (a DataMessage with the EXPIRATION_TIMER_UPDATE flag and the setting on
// the Content), to this account's other devices (its sync copy and the
// Contacts config), and applies to every later message either side sends.
// In a group (admins only) it is "send" or off, kept in the group's Info
// config as Session's groups do.
func (c *Client) Disappear(ctx context.Context, who, mode string, timer time.Duration) error {
	d := clientdb.Disappearing{}
	switch mode {
	case DisappearOff:
		timer = 0
	case DisappearAfterRead:
		d.Mode = clientdb.DisappearingAfterRead
	case DisappearAfterSend:
		d.Mode = clientdb.DisappearingAfterSend
	default:
		return fmt.Errorf("%w: mode %q (off, read or send)", ErrInvalidDuration, mode)
	}
	if d.Mode != clientdb.DisappearingOff && (timer < MinDisappearingTimer || timer > MaxDisappearingTimer || timer%time.Second != 0) {
		return fmt.Errorf("%w: %v (whole seconds, from %v)", ErrInvalidDuration, timer, MinDisappearingTimer)
	}
	d.Timer = timer
	id, err := c.resolveConversation(ctx, who)
	if err != nil {
		return err
	}
	if id.Prefix == keys.PrefixGroup {
		return c.disappearGroup(ctx, id, d) // see groupconvo.go
	}
	if id == c.id.SessionID() {
		return fmt.Errorf("%w: disappearing Note to Self", ErrNotSupported)
	}
	net, err := c.network()
	if err != nil {
		return err
	}
	sentAt := c.sentTime(net.Now())
	d.Updated = sentAt
	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{
		Flags:   proto.Uint32(uint32(signalpb.DataMessage_EXPIRATION_TIMER_UPDATE)),
		Profile: c.profile(),
	}}
	setExpiry(content, clientdb.Expiry{Mode: d.Mode, Timer: d.Timer})
	p, err := c.encode(id, content, sentAt)
	if err != nil {
		return err
	}
	if _, err := c.store(ctx, id, 0, p.Data, MessageTTL); err != nil {
		return fmt.Errorf("%w: disappearing setting: %v", ErrSendFailed, err)
	}
	if _, err := c.store(ctx, c.id.SessionID(), 0, p.Sync, MessageTTL); err != nil {
		if qerr := c.queueSync(ctx, p.Sync); qerr != nil {
			return qerr
		}
	}
	if _, err := c.db.SetDisappearing(ctx, id, d); err != nil {
		return err
	}
	c.events.publish(DisappearingChanged{Conversation: id.String(), Mode: modeName(d.Mode), Timer: d.Timer})
	return c.contactEdit(ctx, id, func(ct *config.Contact) {
		ct.ExpirationMode, ct.ExpirationTimer = configMode(d.Mode), d.Timer
	})
}

// configMode is mode as the Contacts config numbers it (after send 1,
// after read 2: not the protobuf's order).
func configMode(m clientdb.DisappearingMode) config.ExpirationMode {
	switch m {
	case clientdb.DisappearingAfterSend:
		return config.ExpirationAfterSend
	case clientdb.DisappearingAfterRead:
		return config.ExpirationAfterRead
	}
	return config.ExpirationNone
}

// setExpiry puts e on content as Session carries it on every message.
func setExpiry(content *signalpb.Content, e clientdb.Expiry) {
	if e.Mode == clientdb.DisappearingOff || e.Timer <= 0 {
		return
	}
	content.ExpirationType = signalpb.Content_ExpirationType(e.Mode).Enum()
	content.ExpirationTimer = proto.Uint32(uint32(e.Timer / time.Second))
}

// expiryOf reads the disappearing setting a received message carries.
func expiryOf(content *signalpb.Content) clientdb.Expiry {
	mode := clientdb.DisappearingMode(content.GetExpirationType())
	secs := content.GetExpirationTimer()
	if mode != clientdb.DisappearingAfterRead && mode != clientdb.DisappearingAfterSend || secs == 0 {
		return clientdb.Expiry{}
	}
	return clientdb.Expiry{Mode: mode, Timer: time.Duration(secs) * time.Second}
}

// expiryFor is the setting a message sent now to conv carries.
func (c *Client) expiryFor(ctx context.Context, conv keys.ID) (clientdb.Expiry, error) {
	if conv.Prefix == keys.PrefixGroup {
		// A group's setting is its admins', in the Info config: after send.
		c.groupMu.Lock()
		g, err := c.loadGroup(ctx, conv.String())
		c.groupMu.Unlock()
		if err != nil {
			return clientdb.Expiry{}, err
		}
		if t := g.info.ExpiryTimer(); t > 0 {
			return clientdb.Expiry{Mode: clientdb.DisappearingAfterSend, Timer: t}, nil
		}
		return clientdb.Expiry{}, nil
	}
	d, err := c.db.DisappearingSetting(ctx, conv)
	if err != nil {
		return clientdb.Expiry{}, err
	}
	return clientdb.Expiry{Mode: d.Mode, Timer: d.Timer}, nil
}

// ttlFor is how long the swarm keeps a message with e: an after-send
// message no longer than its timer.
func ttlFor(e clientdb.Expiry) time.Duration {
	if e.Mode == clientdb.DisappearingAfterSend && e.Timer > 0 && e.Timer < MessageTTL {
		return e.Timer
	}
	return MessageTTL
}

// ownTTL is how long this account's swarm keeps its own copy (the sync
// copy) of a message it sent with e: its timer runs from the send in
// either mode.
func ownTTL(e clientdb.Expiry) time.Duration {
	if e.Mode != clientdb.DisappearingOff && e.Timer > 0 && e.Timer < MessageTTL {
		return e.Timer
	}
	return MessageTTL
}

// expireDue deletes the disappearing messages whose time has come and
// reports them.
func (c *Client) expireDue(ctx context.Context) {
	for {
		gone, err := c.db.DeleteExpired(ctx, time.Now(), 500)
		if err != nil {
			c.log.Warn("deleting expired messages", "err", err)
			return
		}
		for _, m := range gone {
			c.removeBlobs(m.Attachments)
			c.events.publish(MessageExpired{ID: m.ID, Conversation: m.Conversation.String()})
		}
		if len(gone) < 500 {
			return
		}
	}
}

// expireIfDue deletes the messages due, if any (a read first: most calls
// find none and write nothing).
func (c *Client) expireIfDue(ctx context.Context) {
	if next, err := c.db.NextExpiry(ctx); err == nil && !next.IsZero() && !next.After(time.Now()) {
		c.expireDue(ctx)
	}
}

// timerOwn applies a disappearing setting this account changed on another
// device (its sync copy), in the conversation target.
func (c *Client) timerOwn(ctx context.Context, target keys.ID, content *signalpb.Content, at time.Time) error {
	if target == c.id.SessionID() {
		return nil
	}
	e := expiryOf(content)
	d := clientdb.Disappearing{Mode: e.Mode, Timer: e.Timer, Updated: at}
	changed, err := c.db.SetDisappearing(ctx, target, d)
	if err != nil || !changed {
		return nil
	}
	c.publishSaved(ctx, DisappearingChanged{Conversation: target.String(), Mode: modeName(d.Mode), Timer: d.Timer})
	return nil
}

// expiryLoop deletes disappearing messages on time while Run runs.
func (c *Client) expiryLoop(ctx context.Context) {
	for ctx.Err() == nil {
		c.expireDue(ctx)
		wait := 30 * time.Second
		if next, err := c.db.NextExpiry(ctx); err == nil && !next.IsZero() {
			wait = min(wait, max(time.Until(next), 50*time.Millisecond))
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// MessageExpired reports a disappearing message deleted on time.
type MessageExpired struct {
	ID           int64
	Conversation string
}

func (MessageExpired) isEvent() {}
