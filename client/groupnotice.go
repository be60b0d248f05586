package client

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
)

// A group's control messages (an admin's signed member and info changes, a
// member leaving) are shown in the conversation as notices, lines such as
// "Alice added Bob", as Session shows them. The text is made when the
// notice is saved, from the names this device knows then; the state the
// notice describes still comes only from the configs.

// maxNoticeNames is how many members a notice names before "and N others".
const maxNoticeNames = 3

// noticeName is how a notice names id: "You" for this account, else the
// contact's name, the name the group's members config or the member's own
// messages gave, or the short ID.
func (c *Client) noticeName(ctx context.Context, g *groupSession, id keys.ID) string {
	if id == c.id.SessionID() {
		return "You"
	}
	if ct, err := c.db.Contact(ctx, id); err == nil {
		if n := ct.DisplayName(); n != "" {
			return n
		}
	}
	if m, ok := g.members.Get(id); ok && m.Name != "" {
		n, _ := cleanName(m.Name)
		return n
	}
	if n := g.st.Names[id.String()]; n != "" {
		return n
	}
	return ShortID(id.String())
}

// noticeNames names the members of a member change: "Bob", "Bob and
// Carol", "Bob, Carol, Dan and 2 others". IDs that do not parse are left
// out (the change was signed by an admin, but its list is still only text).
func (c *Client) noticeNames(ctx context.Context, g *groupSession, sids []string) string {
	var names []string
	n := 0
	for _, s := range sids {
		id, err := keys.ParseSessionID(s)
		if err != nil {
			continue
		}
		n++
		if len(names) < maxNoticeNames {
			n := c.noticeName(ctx, g, id)
			if id == c.id.SessionID() {
				n = "you" // "Alice made you an admin"
			}
			names = append(names, n)
		}
	}
	switch {
	case n == 0:
		return ""
	case n > len(names):
		return strings.Join(names, ", ") + fmt.Sprintf(" and %d other%s", n-len(names), plural(n-len(names)))
	case n == 1:
		return names[0]
	default:
		return strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// noticeText is the line a control message up from actor shows, or "" for
// one that shows nothing (an invitation's answer, a delete).
func (c *Client) noticeText(ctx context.Context, g *groupSession, actor keys.ID, up *signalpb.GroupUpdateMessage) string {
	who := c.noticeName(ctx, g, actor)
	if mc := up.GetMemberChangeMessage(); mc != nil {
		names := c.noticeNames(ctx, g, mc.GetMemberSessionIds())
		if names == "" {
			return ""
		}
		switch mc.GetType() {
		case signalpb.GroupUpdateMemberChangeMessage_ADDED:
			return who + " added " + names
		case signalpb.GroupUpdateMemberChangeMessage_REMOVED:
			return who + " removed " + names
		case signalpb.GroupUpdateMemberChangeMessage_PROMOTED:
			if len(mc.GetMemberSessionIds()) == 1 {
				return who + " made " + names + " an admin"
			}
			return who + " made " + names + " admins"
		}
		return ""
	}
	if ic := up.GetInfoChangeMessage(); ic != nil {
		switch ic.GetType() {
		case signalpb.GroupUpdateInfoChangeMessage_NAME:
			name := cutUTF8(strings.ToValidUTF8(ic.GetUpdatedName(), "\uFFFD"), config.MaxGroupNameLength)
			if name == "" {
				return ""
			}
			return "Group name is now " + name
		case signalpb.GroupUpdateInfoChangeMessage_AVATAR:
			return who + " changed the group's picture"
		case signalpb.GroupUpdateInfoChangeMessage_DISAPPEARING_MESSAGES:
			if ic.GetUpdatedExpiration() == 0 {
				return who + " turned off disappearing messages"
			}
			return who + " set messages to disappear " + timerText(time.Duration(ic.GetUpdatedExpiration())*time.Second) + " after they are sent"
		}
		return ""
	}
	if up.GetMemberLeftMessage() != nil || up.GetMemberLeftNotificationMessage() != nil {
		if who == "You" {
			return "You left the group"
		}
		return who + " left the group"
	}
	return ""
}

// timerText says a disappearing timer in the largest whole unit: "1 day",
// "12 hours", "30 seconds".
func timerText(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{7 * 24 * time.Hour, "week"}, {24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}} {
		if d >= u.d && d%u.d == 0 {
			n := int(d / u.d)
			return fmt.Sprintf("%d %s%s", n, u.name, plural(n))
		}
	}
	n := int(d / time.Second)
	return fmt.Sprintf("%d second%s", n, plural(n))
}

// saveNotice stores text as a notice in group g from sender under hash (the
// control message's; a notice made on this device alone has a hash of
// its own making) and returns it as a Message, ok false if it was there
// already.
func (c *Client) saveNotice(ctx context.Context, g *groupSession, sender keys.ID, sentAt time.Time, hash, text string) (Message, bool, error) {
	dir := clientdb.Incoming
	if sender == c.id.SessionID() {
		dir = clientdb.Outgoing
	}
	id, inserted, err := c.db.InsertIncoming(ctx, clientdb.Message{
		Conversation: g.id, Sender: sender, Direction: dir, SentAt: sentAt, ReceivedAt: c.now(),
		Body: text, Hash: hash, Notice: true,
	})
	if err != nil || !inserted {
		return Message{}, false, err
	}
	stored, err := c.db.Message(ctx, id)
	if err != nil {
		return Message{}, false, err
	}
	return messageFrom(stored), true, nil
}

// groupNotice saves the notice control message up shows, if any; the
// caller checked its signature. A member-left notice needs none: only a
// member (or one who was) can write to the group's swarm, and the
// message's own signature says who they are.
func (c *Client) groupNotice(ctx context.Context, g *groupSession, gm *groups.GroupMessage, hash string, up *signalpb.GroupUpdateMessage, pg *page) error {
	text := c.noticeText(ctx, g, gm.Sender, up)
	if text == "" {
		return nil
	}
	m, ok, err := c.saveNotice(ctx, g, gm.Sender, gm.SentAt, hash, text)
	if err != nil || !ok {
		return err
	}
	pg.events = append(pg.events, MessageReceived{m})
	return nil
}
