package client

import (
	"context"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/keys"
)

// DisappearingSetting is a conversation's disappearing-messages setting, as
// Disappear sets it.
type DisappearingSetting struct {
	// Mode is DisappearOff, DisappearAfterRead or DisappearAfterSend.
	Mode string
	// Timer is how long a message lasts (0 when off).
	Timer time.Duration
	// Updated is when the setting last changed (the sent time of the
	// change, from either side or another device); zero if it never did.
	Updated time.Time
}

// Disappearing returns the disappearing-messages setting of the
// conversation with who (off when never set).
func (c *Client) Disappearing(ctx context.Context, who string) (DisappearingSetting, error) {
	id, err := c.resolveConversation(ctx, who)
	if err != nil {
		return DisappearingSetting{}, err
	}
	if id.Prefix == keys.PrefixGroup {
		return c.groupDisappearing(ctx, id)
	}
	d, err := c.db.DisappearingSetting(ctx, id)
	if err != nil {
		return DisappearingSetting{}, err
	}
	s := DisappearingSetting{Mode: DisappearOff, Timer: d.Timer, Updated: d.Updated}
	switch d.Mode {
	case clientdb.DisappearingAfterRead:
		s.Mode = DisappearAfterRead
	case clientdb.DisappearingAfterSend:
		s.Mode = DisappearAfterSend
	default:
		s.Timer = 0
	}
	return s, nil
}
