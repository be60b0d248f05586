package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/keys"
)

// Conversation priorities as Session's Contacts config keeps them.
const (
	priorityNormal = 0
	priorityPinned = 1
)

// Pin pins the conversation with who (pinned true) to the top of the inbox,
// or unpins it, on every device: Session's Contacts config priority.
// Unpinning a hidden conversation leaves it hidden.
func (c *Client) Pin(ctx context.Context, who string, pinned bool) error {
	return c.setPriority(ctx, who, func(p int64) int64 {
		switch {
		case pinned:
			return priorityPinned
		case p > 0:
			return priorityNormal
		}
		return p
	})
}

// Hide hides the conversation with who from the inbox (Session's priority
// -1) on every device; a message sent to them shows it again, as does
// Unhide.
func (c *Client) Hide(ctx context.Context, who string) error {
	return c.setPriority(ctx, who, func(int64) int64 { return clientdb.PriorityHidden })
}

// Unhide shows a hidden conversation again (unpinned).
func (c *Client) Unhide(ctx context.Context, who string) error {
	return c.setPriority(ctx, who, func(p int64) int64 {
		if p < 0 {
			return priorityNormal
		}
		return p
	})
}

func (c *Client) setPriority(ctx context.Context, who string, next func(int64) int64) error {
	id, err := c.resolveConversation(ctx, who)
	if err != nil {
		return err
	}
	if _, err := c.db.ConversationState(ctx, id); errors.Is(err, clientdb.ErrNotFound) {
		return fmt.Errorf("conversation with %s: %w", id, ErrNotFound)
	} else if err != nil {
		return err
	}
	if id.Prefix == keys.PrefixGroup { // see groups.go
		return c.editGroupEntry(ctx, id, func(e *config.Group) { e.Priority = next(e.Priority) })
	}
	if id == c.id.SessionID() {
		// Note to Self's priority is in the UserProfile config (Session's
		// "+p"), not in the contacts.
		return c.editConfig(ctx, func(cs *configs) error {
			cs.profile.SetNoteToSelfPriority(next(cs.profile.NoteToSelfPriority()))
			return nil
		})
	}
	cur, err := c.db.Contact(ctx, id)
	if err != nil && !errors.Is(err, clientdb.ErrNotFound) {
		return err
	}
	p := next(cur.Priority)
	if err := c.db.SetPriority(ctx, id, p); err != nil {
		return err
	}
	return c.contactEdit(ctx, id, func(ct *config.Contact) { ct.Priority = p })
}

// Forever is the mute duration that mutes until unmuted.
const Forever time.Duration = -1

// Mute silences notifications of the conversation with who for d (Forever:
// until Unmute), on every device: Session's Contacts config notification
// mode and mute-until time. d 0 unmutes.
func (c *Client) Mute(ctx context.Context, who string, d time.Duration) error {
	id, err := c.resolveConversation(ctx, who)
	if err != nil {
		return err
	}
	if id.Prefix == keys.PrefixGroup && (d >= 0 || d == Forever) { // see groups.go
		return c.editGroupEntry(ctx, id, func(e *config.Group) {
			e.Notifications, e.MuteUntil = muteSetting(d)
		})
	}
	if id == c.id.SessionID() {
		return fmt.Errorf("%w: Note to Self has no notifications to mute (as in Session)", ErrNotSupported)
	}
	if d < 0 && d != Forever {
		return fmt.Errorf("%w: negative mute duration %v", ErrInvalidDuration, d)
	}
	return c.contactEdit(ctx, id, func(ct *config.Contact) { ct.Notifications, ct.MuteUntil = muteSetting(d) })
}

// muteSetting is the notification mode and mute-until time (Unix
// seconds) of a mute for d: 0 unmutes, Forever mutes until unmuted.
func muteSetting(d time.Duration) (config.NotifyMode, int64) {
	switch {
	case d == 0:
		return config.NotifyDefault, 0
	case d == Forever:
		// Session's "mute" without an end: notifications disabled.
		return config.NotifyDisabled, 0
	}
	return config.NotifyDefault, time.Now().Add(d).Unix()
}

// Unmute lets notifications of the conversation with who through again.
func (c *Client) Unmute(ctx context.Context, who string) error { return c.Mute(ctx, who, 0) }

// withSettings fills the pinned and muted state of cvs from the Contacts
// config, and moves pinned conversations to the top (higher priority
// first), keeping the order of the rest.
func (c *Client) withSettings(ctx context.Context, cvs []Conversation, prio map[string]int64) {
	now := time.Now().Unix()
	c.lockCfg(ctx)
	for i := range cvs {
		cvs[i].Pinned = prio[cvs[i].SessionID] > 0
		id, err := keys.ParseID(cvs[i].SessionID)
		if err != nil {
			continue
		}
		var mode config.NotifyMode
		var until int64
		if id.Prefix == keys.PrefixGroup {
			if e, ok := c.cfg.groups.Group(id); ok {
				mode, until = e.Notifications, e.MuteUntil
			}
		} else if ct, ok := c.cfg.contacts.Get(id); ok {
			mode, until = ct.Notifications, ct.MuteUntil
		}
		switch {
		case mode == config.NotifyDisabled:
			cvs[i].Muted = true
		case until > now:
			cvs[i].Muted = true
			cvs[i].MutedUntil = time.Unix(until, 0)
		}
	}
	c.unlockCfg(ctx)
	slices.SortStableFunc(cvs, func(a, b Conversation) int {
		pa, pb := max(prio[a.SessionID], 0), max(prio[b.SessionID], 0)
		switch {
		case pa > pb:
			return -1
		case pa < pb:
			return 1
		}
		return 0
	})
}

// NoteToSelf is the name the conversation with this account itself goes
// by, as in Session.
const NoteToSelf = "Note to Self"

// noteToSelfPriority is Note to Self's priority in the UserProfile config:
// 0 normal, above 0 pinned, below 0 hidden.
func (c *Client) noteToSelfPriority(ctx context.Context) int64 {
	c.lockCfg(ctx)
	defer c.unlockCfg(ctx)
	return c.cfg.profile.NoteToSelfPriority()
}
