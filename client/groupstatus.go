package client

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
)

// Member status, as Session's clients keep it. An admin lists an invited
// member as "invite sent" in the Members config; the invitee, once joined
// and holding the group's keys, posts a GroupUpdateInviteResponseMessage
// (approved, with its profile) in the group, and an admin who reads it
// marks the member accepted and pushes the Members config. An admin also
// takes a visible message from a member still listed as invited for an
// acceptance (an invitee whose response was lost, or a client that does
// not send one), as Session desktop does. A promoted member, once it holds
// the group's seed, marks its own promotion accepted and pushes the
// config itself, as libsession's set_promotion_accepted.
//
// Both halves run once a poll has read the group's backlog (settleMembers;
// an acceptance followed by a signed removal notice is dropped, as a
// member-left message is), with what is still to do kept in the group's
// state, so that a failure or a crash is retried by the next poll.

// noteAccepted records, for an admin, that member id answered its
// invitation (or wrote in the group while listed as invited): acted on by
// settleMembers. Only a member the Members config lists as invited counts.
// Call with groupMu held (a page being saved).
func (c *Client) noteAccepted(g *groupSession, id keys.ID) {
	if g.admin == nil {
		return
	}
	m, ok := g.members.Get(id)
	if !ok || m.Invite == 0 {
		return
	}
	if s := id.String(); !slices.Contains(g.st.Accepted, s) && len(g.st.Accepted) < groups.MaxMembers {
		g.st.Accepted = append(g.st.Accepted, s) // saved with the page
	}
}

// handleInviteResponse takes a member's answer to its invitation, posted
// in the group. It carries no admin signature (it claims nothing but the
// sender's own acceptance, and the sender is authenticated by the group
// message itself).
func (c *Client) handleInviteResponse(g *groupSession, gm *groups.GroupMessage, r *signalpb.GroupUpdateInviteResponseMessage, dm *signalpb.DataMessage) {
	if !r.GetIsApproved() {
		return
	}
	if name, _ := cleanName(dm.GetProfile().GetDisplayName()); name != "" && gm.Sender != c.id.SessionID() {
		if _, ok := g.members.Get(gm.Sender); ok {
			if g.st.Names == nil {
				g.st.Names = map[string]string{}
			}
			if _, known := g.st.Names[gm.Sender.String()]; known || len(g.st.Names) < maxGroupNames {
				g.st.Names[gm.Sender.String()] = name
			}
		}
	}
	c.noteAccepted(g, gm.Sender)
}

// settleMembers does what the member statuses still need after a poll of
// group gid: the invite response this account owes the group, and, as an
// admin, the acceptances read and its own promotion to record in the
// Members config.
func (c *Client) settleMembers(ctx context.Context, gid keys.ID) {
	c.groupMu.Lock()
	g, err := c.joinedGroup(ctx, gid.String())
	need := err == nil && (g.st.Respond || g.admin != nil && (len(g.st.Accepted) > 0 || ownPromotionPending(g, c.id.SessionID())))
	c.groupMu.Unlock()
	if !need {
		return
	}
	// The profile takes the config lock: before the group lock.
	profile, pic := c.profile(), c.profilePic()
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	if g, err = c.joinedGroup(ctx, gid.String()); err != nil {
		return
	}
	if g.st.Respond {
		if err := c.sendInviteResponse(ctx, g, profile, pic); err != nil {
			c.log.Warn("telling the group this account joined waits for the next poll", "group", ShortID(g.st.ID), "err", err)
		} else {
			g.st.Respond = false
			if err := c.saveGroup(ctx, g); err != nil {
				c.log.Warn("saving a group failed", "group", ShortID(g.st.ID), "err", err)
			}
		}
	}
	if g.admin == nil || len(g.st.Accepted) == 0 && !ownPromotionPending(g, c.id.SessionID()) {
		return
	}
	if err := c.syncGroup(ctx, g); err != nil {
		c.log.Warn("recording member statuses waits for the next poll", "group", ShortID(g.st.ID), "err", err)
		return
	}
	changed := false
	for _, s := range g.st.Accepted {
		id, err := keys.ParseSessionID(s)
		if err != nil {
			continue
		}
		m, ok := g.members.Get(id)
		if !ok || m.Invite == 0 {
			continue // removed meanwhile, or another admin recorded it
		}
		m.Invite, m.Supplement = 0, false // libsession's set_invite_accepted
		if m.Name == "" {
			m.Name = g.st.Names[s]
		}
		if err := g.members.Set(m); err != nil {
			c.log.Warn("recording a member's acceptance failed", "group", ShortID(g.st.ID), "err", err)
			continue
		}
		changed = true
	}
	if me, ok := g.members.Get(c.id.SessionID()); ok && (!me.Admin || me.Promotion != 0 || me.Invite != 0) {
		me.Admin, me.Promotion, me.Invite = true, 0, 0 // libsession's set_promotion_accepted
		if me.Name == "" {
			me.Name = c.DisplayName()
		}
		if err := g.members.Set(me); err == nil {
			changed = true
		}
	}
	if changed {
		if err := c.pushGroup(ctx, g, nil); err != nil {
			c.log.Warn("recording member statuses waits for the next poll", "group", ShortID(g.st.ID), "err", err)
			return
		}
	}
	g.st.Accepted = nil
	if err := c.saveGroup(ctx, g); err != nil {
		c.log.Warn("saving a group failed", "group", ShortID(g.st.ID), "err", err)
	}
}

// ownPromotionPending reports whether the Members config still lists this
// admin (who holds the seed) as invited or promoted but not accepted.
func ownPromotionPending(g *groupSession, me keys.ID) bool {
	m, ok := g.members.Get(me)
	return ok && g.admin != nil && (!m.Admin || m.Promotion != 0 || m.Invite != 0)
}

// sendInviteResponse posts this account's acceptance of its invitation in
// the group, with its profile (groupMu held).
func (c *Client) sendInviteResponse(ctx context.Context, g *groupSession, profile *signalpb.LokiProfile, pic config.ProfilePic) error {
	if err := c.syncGroup(ctx, g); err != nil {
		return err
	}
	key, ok := g.ring.EncryptionKey()
	if !ok {
		return errors.New("no group key received yet")
	}
	sentAt := c.sentTime(c.now())
	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{Profile: profile,
		GroupUpdateMessage: &signalpb.GroupUpdateMessage{
			InviteResponse: &signalpb.GroupUpdateInviteResponseMessage{IsApproved: proto.Bool(true)}}},
		SigTimestamp: proto.Uint64(uint64(sentAt.UnixMilli()))}
	if pic.IsSet() {
		content.DataMessage.ProfileKey = pic.Key
	}
	data, err := groups.EncodeGroupMessage(rand.Reader, key, c.id, g.id, content, sentAt)
	if err != nil {
		return err
	}
	_, err = c.groupStore(ctx, g, groups.NamespaceMessages, data, MessageTTL)
	return err
}
