package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// Conversation features in groups, as Session's groups do them: a reply,
// a reaction and an edit are DataMessages posted in the group (encrypted
// with the group key), seen by every member and by this account's other
// devices, which poll the group too: no sync copy. A delete for everyone
// is GroupUpdateDeleteMemberContentMessage naming the messages' hashes in
// the group's swarm: a member deletes only its own messages (no
// signature), an admin anyone's (signed with the group key); an admin,
// or a member whose token allows deleting, also deletes the hashes from
// the group's swarm. Receivers check both rules.

// Caps on what one group delete can make a receiver do.
const (
	maxDeleteHashes  = 1000
	maxDeleteMembers = groups.MaxMembers
	// maxDeleteFromMember bounds the messages an admin's "everything this
	// member sent" deletes at once.
	maxDeleteFromMember = 10000
)

// sendToGroup posts content, dated sentAt, in group gid and returns its
// hash in the group's swarm.
func (c *Client) sendToGroup(ctx context.Context, gid keys.ID, content *signalpb.Content, sentAt time.Time, ttl time.Duration) (string, error) {
	content = proto.Clone(content).(*signalpb.Content)
	content.SigTimestamp = proto.Uint64(uint64(sentAt.UnixMilli()))
	data, err := c.encryptForGroup(ctx, gid, content, clientdb.Message{SentAt: sentAt})
	if err != nil {
		return "", err
	}
	c.groupMu.Lock()
	g, err := c.joinedGroup(ctx, gid.String())
	c.groupMu.Unlock()
	if err != nil {
		return "", err
	}
	return c.groupStore(ctx, g, groups.NamespaceMessages, data, ttl)
}

// deleteInGroup deletes message m of a group for everyone: its author
// can, and so can an admin. A message that never reached the group's
// swarm goes from here only.
func (c *Client) deleteInGroup(ctx context.Context, m clientdb.Message, files []clientdb.Attachment) error {
	c.groupMu.Lock()
	g, err := c.joinedGroup(ctx, m.Conversation.String())
	c.groupMu.Unlock()
	if err != nil {
		return err
	}
	if m.Sender != c.id.SessionID() && g.admin == nil {
		return fmt.Errorf("%w: message %d is not yours (only its author or a group admin can delete a message for everyone)", ErrNotAuthor, m.ID)
	}
	if m.Deleted {
		return nil
	}
	if m.Hash != "" {
		hashes := []string{m.Hash}
		if m.Sender == c.id.SessionID() {
			// Its edits, which a Session member shows as messages.
			edits, err := c.db.Edits(ctx, m.ID)
			if err != nil {
				return err
			}
			for _, e := range edits {
				if e.OwnHash != "" {
					hashes = append(hashes, e.OwnHash)
				}
			}
		}
		net, err := c.network()
		if err != nil {
			return err
		}
		sentAt := c.sentTime(net.Now())
		del := &signalpb.GroupUpdateDeleteMemberContentMessage{MessageHashes: hashes}
		if g.admin != nil {
			del.AdminSignature = g.admin.Sign(groups.DeleteContentSigned(sentAt.UnixMilli(), nil, hashes))
		}
		content := &signalpb.Content{DataMessage: &signalpb.DataMessage{
			GroupUpdateMessage: &signalpb.GroupUpdateMessage{DeleteMemberContent: del}}}
		if _, err := c.sendToGroup(ctx, g.id, content, sentAt, MessageTTL); err != nil {
			return fmt.Errorf("%w: delete for everyone: %v", ErrSendFailed, err)
		}
		if g.admin != nil || len(g.st.Auth) == groups.AuthDataSize && g.st.Auth[1]&groups.FlagDelete != 0 {
			if err := c.groupDelete(ctx, g, hashes); err != nil {
				// The members delete it on the message; the swarm's copy
				// expires with its TTL.
				c.log.Warn("could not delete a message from the group's swarm", "group", ShortID(g.st.ID), "message", m.ID, "err", err)
			}
		}
	}
	if _, err := c.db.Unsend(ctx, clientdb.MessageRef{Conversation: m.Conversation, Author: m.Sender, SentAt: m.SentAt}); err != nil {
		return err
	}
	c.removeBlobs(files)
	if fresh, err := c.db.Message(ctx, m.ID); err == nil {
		c.events.publish(MessageStatusChanged{messageFrom(fresh)})
	}
	return nil
}

// groupDelete deletes hashes from the group's swarm (an admin, or a
// subaccount with delete permission).
func (c *Client) groupDelete(ctx context.Context, g *groupSession, hashes []string) error {
	net, err := c.network()
	if err != nil {
		return err
	}
	status, body, err := net.SwarmRPC(ctx, g.id, func(time.Time) (string, any, error) {
		r := &storagerpc.Delete{Messages: hashes}
		return storagerpc.MethodDelete, r, c.signGroup(g, r)
	})
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("delete: node answered %d: %.200s", status, body)
	}
	return nil
}

// handleGroupDelete applies a GroupUpdateDeleteMemberContentMessage whose
// signature, if it has one, CheckGroupUpdate verified. Without one it is
// a member deleting its own messages: a hash naming anyone else's is
// refused. Only messages sent before the delete are touched.
func (c *Client) handleGroupDelete(ctx context.Context, g *groupSession, gm *groups.GroupMessage, d *signalpb.GroupUpdateDeleteMemberContentMessage, pg *page) error {
	admin := len(d.GetAdminSignature()) > 0
	from := ShortID(gm.Sender.String())
	hashes := d.GetMessageHashes()
	if len(hashes) > maxDeleteHashes {
		c.log.Warn("a group delete names too many messages; the first are applied", "group", ShortID(g.st.ID), "from", from, "count", len(hashes))
		hashes = hashes[:maxDeleteHashes]
	}
	var refs []clientdb.MessageRef
	refused := 0
	for _, h := range hashes {
		m, err := c.db.MessageByHash(ctx, g.id, h)
		if errors.Is(err, clientdb.ErrNotFound) || errors.Is(err, clientdb.ErrInvalidArgument) {
			continue
		}
		if err != nil {
			return err
		}
		if m.SentAt.After(gm.SentAt) {
			continue
		}
		if !admin && m.Sender != gm.Sender {
			refused++
			continue
		}
		refs = append(refs, clientdb.MessageRef{Conversation: g.id, Author: m.Sender, SentAt: m.SentAt})
	}
	if refused > 0 {
		c.log.Warn("ignored a group delete of messages by someone else, without an admin's signature",
			"group", ShortID(g.st.ID), "from", from, "refused", refused)
	}
	if admin {
		ids := d.GetMemberSessionIds()
		if len(ids) > maxDeleteMembers {
			ids = ids[:maxDeleteMembers]
		}
		for _, s := range ids {
			id, err := keys.ParseSessionID(s)
			if err != nil {
				continue
			}
			more, err := c.db.MessagesFrom(ctx, g.id, id, gm.SentAt, maxDeleteFromMember)
			if err != nil {
				return err
			}
			refs = append(refs, more...)
		}
	}
	for _, ref := range refs {
		if err := c.unsendInGroup(ctx, ref, pg); err != nil {
			return err
		}
	}
	return nil
}

// handleGroupUnsend applies an UnsendRequest posted in a group: its author
// deleting one of its own messages sent before it (Session's groups use
// handleGroupDelete; this is what a 1:1-minded client would send).
func (c *Client) handleGroupUnsend(ctx context.Context, g *groupSession, gm *groups.GroupMessage, u *signalpb.UnsendRequest, pg *page) error {
	author, err := keys.ParseSessionID(u.GetAuthor())
	if err != nil || author != gm.Sender || u.GetTimestamp() == 0 || u.GetTimestamp() > maxTimestampMS ||
		timeMS(u.GetTimestamp()).After(gm.SentAt) {
		return nil
	}
	return c.unsendInGroup(ctx, clientdb.MessageRef{Conversation: g.id, Author: author, SentAt: timeMS(u.GetTimestamp())}, pg)
}

// unsendInGroup marks ref deleted (remembered, so that a late copy does
// not bring it back); its files go once the page is committed.
func (c *Client) unsendInGroup(ctx context.Context, ref clientdb.MessageRef, pg *page) error {
	files, err := c.filesOf(ctx, ref)
	if err != nil {
		return err
	}
	if _, err := c.db.Unsend(ctx, ref); err != nil {
		return err
	}
	pg.blobs = append(pg.blobs, files...)
	pg.events = append(pg.events, MessageUnsent{Conversation: ref.Conversation.String(), Author: ref.Author.String(), SentAt: ref.SentAt})
	return nil
}

// handleGroupReaction stores a reaction posted in a group by its sender
// (a member, or this account from another device) on a member's message.
func (c *Client) handleGroupReaction(ctx context.Context, g *groupSession, gm *groups.GroupMessage, r *signalpb.DataMessage_Reaction, pg *page) error {
	author, err := keys.ParseSessionID(r.GetAuthor())
	if err != nil || r.GetId() == 0 || r.GetId() > maxTimestampMS {
		return nil
	}
	emoji, _ := cleanName(r.GetEmoji())
	ref := clientdb.MessageRef{Conversation: g.id, Author: author, SentAt: timeMS(r.GetId())}
	remove := r.GetAction() == signalpb.DataMessage_Reaction_REMOVE
	err = c.db.SetReaction(ctx, clientdb.Reaction{Message: ref, Reactor: gm.Sender, Emoji: emoji, At: gm.SentAt}, !remove)
	if errors.Is(err, clientdb.ErrLimit) || errors.Is(err, clientdb.ErrInvalidArgument) {
		c.log.Warn("ignored a group reaction", "group", ShortID(g.st.ID), "from", ShortID(gm.Sender.String()), "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	pg.events = append(pg.events, ReactionChanged{Conversation: g.id.String(), Author: author.String(), SentAt: ref.SentAt,
		Reactor: gm.Sender.String(), Emoji: emoji, Removed: remove})
	return nil
}

// groupEdit applies an edit posted in a group (edit.go: its author's,
// within the window); it reports whether the message was one.
func (c *Client) groupEdit(ctx context.Context, g *groupSession, gm *groups.GroupMessage, hash, body string) (bool, error) {
	return c.applyEdit(ctx, g.id, gm.Sender, &protocol.Message{Sender: gm.Sender, SentAt: gm.SentAt, Content: gm.Content}, hash, body)
}

// groupExpiry is the disappearing setting of a message received in g.
// Session's groups have one setting, "after send" with the timer the
// admins put in the Info config; a message that carries a setting keeps
// it (as after send), one that carries none gets the group's.
func groupExpiry(g *groupSession, content *signalpb.Content) clientdb.Expiry {
	e := expiryOf(content)
	if e.Mode != clientdb.DisappearingOff {
		e.Mode = clientdb.DisappearingAfterSend
		return e
	}
	if t := g.info.ExpiryTimer(); t > 0 {
		return clientdb.Expiry{Mode: clientdb.DisappearingAfterSend, Timer: t}
	}
	return clientdb.Expiry{}
}

// disappearGroup sets group gid's disappearing timer (admins only): Session's
// groups have "after send" only, kept in the Info config every member
// reads, and announced with a signed info-change notice.
func (c *Client) disappearGroup(ctx context.Context, gid keys.ID, d clientdb.Disappearing) error {
	if d.Mode == clientdb.DisappearingAfterRead {
		return fmt.Errorf("%w: a group's messages disappear after send only, as in Session", ErrNotSupported)
	}
	c.groupMu.Lock()
	g, err := c.adminGroup(ctx, gid.String())
	if err == nil {
		err = c.syncGroup(ctx, g)
	}
	if err == nil {
		g.info.SetExpiryTimer(d.Timer)
		err = c.pushGroup(ctx, g, nil)
	}
	c.groupMu.Unlock()
	if err != nil {
		return err
	}
	c.events.publish(DisappearingChanged{Conversation: gid.String(), Mode: modeName(d.Mode), Timer: d.Timer})
	net, err := c.network()
	if err != nil {
		return err
	}
	sentAt := c.sentTime(net.Now())
	kind := signalpb.GroupUpdateInfoChangeMessage_DISAPPEARING_MESSAGES
	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{GroupUpdateMessage: &signalpb.GroupUpdateMessage{
		InfoChangeMessage: &signalpb.GroupUpdateInfoChangeMessage{
			Type:              kind.Enum(),
			UpdatedExpiration: proto.Uint32(uint32(d.Timer / time.Second)),
			AdminSignature:    g.admin.Sign(groups.InfoChangeSigned(int(kind), sentAt.UnixMilli())),
		}}}}
	if _, err := c.sendToGroup(ctx, gid, content, sentAt, MessageTTL); err != nil {
		// The setting is in the Info config already; the notice only
		// tells the members' apps to show it.
		c.log.Warn("the disappearing setting's notice was not posted in the group", "group", ShortID(gid.String()), "err", err)
	}
	return nil
}

// groupDisappearing is group gid's disappearing setting, from its Info
// config.
func (c *Client) groupDisappearing(ctx context.Context, gid keys.ID) (DisappearingSetting, error) {
	c.groupMu.Lock()
	g, err := c.loadGroup(ctx, gid.String())
	c.groupMu.Unlock()
	if err != nil {
		return DisappearingSetting{}, err
	}
	if t := g.info.ExpiryTimer(); t > 0 {
		return DisappearingSetting{Mode: DisappearAfterSend, Timer: t}, nil
	}
	return DisappearingSetting{Mode: DisappearOff}, nil
}

// MessagesCleared reports that a group's admins deleted, for everyone,
// its messages (or, with FilesOnly, only their files) sent before Before:
// Session's "delete before" in the group's Info config.
type MessagesCleared struct {
	Conversation string
	Before       time.Time
	FilesOnly    bool
}

func (MessagesCleared) isEvent() {}

// applyDeleteBefore applies the Info config's "delete before" and "delete
// attachments before" times once each time an admin moves them: the
// group's messages (or files) sent before go from this device.
func (c *Client) applyDeleteBefore(ctx context.Context, g *groupSession, pg *page) error {
	for _, x := range []struct {
		at    int64
		done  *int64
		files bool
	}{{g.info.DeleteBefore(), &g.st.DeletedBefore, false}, {g.info.DeleteAttachBefore(), &g.st.FilesDeletedBefore, true}} {
		if x.at <= *x.done {
			continue
		}
		before := time.Unix(x.at, 0)
		gone, err := c.db.DeleteBefore(ctx, g.id, before, x.files)
		if err != nil {
			return err
		}
		*x.done = x.at // saved with the page
		pg.blobs = append(pg.blobs, gone...)
		pg.events = append(pg.events, MessagesCleared{Conversation: g.id.String(), Before: before, FilesOnly: x.files})
	}
	return nil
}
