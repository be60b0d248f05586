package client

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
)

// resolveConversation names a conversation: a group by its ID (03…) or
// name, or a person as resolve does. A name that is both a contact's and
// a group's is ambiguous.
func (c *Client) resolveConversation(ctx context.Context, who string) (keys.ID, error) {
	who = strings.TrimSpace(who)
	if id, err := keys.ParseID(who); err == nil && id.Prefix == keys.PrefixGroup {
		if c.IsGroup(ctx, who) {
			return id, nil
		}
		if _, err := c.db.ConversationState(ctx, id); err == nil {
			return id, nil // a group left: its history stays readable
		}
		return keys.ID{}, fmt.Errorf("%w: %q", ErrUnknownGroup, who)
	}
	id, err := c.resolve(ctx, who)
	if _, perr := keys.ParseID(who); perr == nil {
		return id, err // an ID is never a group's name
	}
	g, gerr := c.loadGroup(ctx, who)
	switch {
	case gerr != nil:
		return id, err
	case err == nil:
		return keys.ID{}, fmt.Errorf("%w %q: a contact and a group have that name; use the Session ID (%s) or the group ID (%s)",
			ErrAmbiguousContact, who, id, g.st.ID)
	case errors.Is(err, ErrUnknownContact):
		return g.id, nil
	}
	return id, err
}

// deliverGroup stores a sending group message in the group's swarm and
// marks it sent, or failed. The message is encrypted at its first attempt,
// with the newest group key then, and the bytes kept for retries.
func (c *Client) deliverGroup(ctx context.Context, m clientdb.Message, gid keys.ID, p outgoingPayload) (Message, error) {
	if len(p.Data) == 0 {
		if len(p.Content) == 0 {
			return c.fail(ctx, m, errors.New("message has no stored payload"))
		}
		content := &signalpb.Content{}
		if err := proto.Unmarshal(p.Content, content); err != nil || content.DataMessage == nil {
			return c.fail(ctx, m, errors.New("message has a damaged stored payload"))
		}
		as, err := c.uploadAttachments(ctx, m.ID, gid.String())
		if err != nil {
			return c.fail(ctx, m, err)
		}
		setPointers(content.DataMessage, as)
		content.SigTimestamp = proto.Uint64(uint64(m.SentAt.UnixMilli()))
		data, err := c.encryptForGroup(ctx, gid, content, m)
		if err != nil {
			return c.fail(ctx, m, err)
		}
		p = outgoingPayload{To: gid.String(), Data: data}
		pb, err := json.Marshal(p)
		if err != nil {
			return c.fail(ctx, m, err)
		}
		if err := c.db.SetPayload(ctx, m.ID, pb); err != nil {
			return Message{}, err
		}
	}
	c.groupMu.Lock()
	g, err := c.loadGroup(ctx, gid.String())
	c.groupMu.Unlock()
	if err != nil {
		return c.fail(ctx, m, err)
	}
	hash, err := c.groupStore(ctx, g, groups.NamespaceMessages, p.Data, ttlFor(m.Expiry))
	if err != nil {
		return c.fail(ctx, m, err)
	}
	if err := c.db.MarkSent(ctx, m.ID, hash); err != nil {
		return Message{}, err
	}
	sent, err := c.db.Message(ctx, m.ID)
	if err != nil {
		return Message{}, err
	}
	out := c.messageWithFiles(ctx, messageFrom(sent))
	c.events.publish(MessageStatusChanged{out})
	return out, nil
}

// encryptForGroup encrypts content for the group with the newest key its
// swarm holds: the key messages are fetched first, so that a member added
// a moment ago (who holds only the newest key) can read it.
func (c *Client) encryptForGroup(ctx context.Context, gid keys.ID, content *signalpb.Content, m clientdb.Message) ([]byte, error) {
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	g, err := c.joinedGroup(ctx, gid.String())
	if err != nil {
		return nil, err
	}
	km, err := c.groupRetrieve(ctx, g, groups.NamespaceKeys)
	if err != nil {
		return nil, err
	}
	for _, x := range km {
		if _, err := g.ring.Load(x.Hash, x.Data, x.Timestamp); err != nil {
			c.log.Warn("ignored a group key message", "group", ShortID(g.st.ID), "hash", x.Hash, "err", err)
		}
	}
	g.info.SetKeys(g.ring.Keys(), false)
	g.members.SetKeys(g.ring.Keys(), false)
	if err := c.saveGroup(ctx, g); err != nil {
		return nil, err
	}
	key, ok := g.ring.EncryptionKey()
	if !ok {
		return nil, errors.New("no group key received yet")
	}
	return groups.EncodeGroupMessage(rand.Reader, key, c.id, g.id, content, m.SentAt)
}

// postGroupControl posts an admin's control message in the group (build
// gets its sent time, in ms, which the admin signature covers), as
// Session's admins do so that every member's app can show the change
// ("Alice removed Carol"). It is a notice, best effort: the change itself
// is in the configs and key messages, already stored. Call with groupMu
// held, as an admin.
func (c *Client) postGroupControl(ctx context.Context, g *groupSession, build func(ms int64) *signalpb.GroupUpdateMessage) {
	key, ok := g.ring.EncryptionKey()
	if !ok || g.admin == nil {
		return
	}
	sentAt := c.sentTime(c.now())
	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{GroupUpdateMessage: build(sentAt.UnixMilli())},
		SigTimestamp: proto.Uint64(uint64(sentAt.UnixMilli()))}
	data, err := groups.EncodeGroupMessage(rand.Reader, key, c.id, g.id, content, sentAt)
	var hash string
	if err == nil {
		hash, err = c.groupStore(ctx, g, groups.NamespaceMessages, data, MessageTTL)
	}
	if err != nil {
		c.log.Warn("the group was not told of an admin change (the change itself is saved)", "group", ShortID(g.st.ID), "err", err)
		return
	}
	// This device's own line for the change; the poll reading the
	// message back finds it by its hash.
	up := content.GetDataMessage().GetGroupUpdateMessage()
	if text := c.noticeText(ctx, g, c.id.SessionID(), up); text != "" {
		m, ok, err := c.saveNotice(ctx, g, c.id.SessionID(), sentAt, hash, text)
		if err != nil {
			c.log.Warn("saving a group notice failed", "group", ShortID(g.st.ID), "err", err)
		} else if ok {
			c.events.publish(MessageReceived{m}) // the open conversation shows it
		}
	}
}

// postMemberChange posts a signed member change (added, removed,
// promoted) naming ids.
func (c *Client) postMemberChange(ctx context.Context, g *groupSession, t signalpb.GroupUpdateMemberChangeMessage_Type, ids []keys.ID) {
	var sids []string
	for _, id := range ids {
		sids = append(sids, id.String())
	}
	c.postGroupControl(ctx, g, func(ms int64) *signalpb.GroupUpdateMessage {
		return &signalpb.GroupUpdateMessage{MemberChangeMessage: &signalpb.GroupUpdateMemberChangeMessage{
			Type: t.Enum(), MemberSessionIds: sids, AdminSignature: g.admin.Sign(groups.MemberChangeSigned(int(t), ms))}}
	})
}
