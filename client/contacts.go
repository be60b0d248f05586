package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
)

// Inbox returns the accepted conversations, latest activity first.
func (c *Client) Inbox(ctx context.Context) ([]Conversation, error) {
	return c.conversations(ctx, clientdb.InboxConversations)
}

// Requests returns the message requests, latest first.
func (c *Client) Requests(ctx context.Context) ([]Conversation, error) {
	return c.conversations(ctx, clientdb.RequestConversations)
}

func (c *Client) conversations(ctx context.Context, f clientdb.ConversationFilter) ([]Conversation, error) {
	c.expireIfDue(ctx)
	cvs, err := c.db.Conversations(ctx, f)
	if err != nil {
		return nil, err
	}
	nm := c.namer(ctx)
	out := make([]Conversation, 0, len(cvs))
	prio := map[string]int64{}
	var groupNames map[string]string
	me := c.id.SessionID()
	for _, cv := range cvs {
		if cv.ID == me {
			// Note to Self: its priority (pinned, hidden) is the
			// UserProfile config's, as in Session.
			p := c.noteToSelfPriority(ctx)
			if p < 0 {
				continue
			}
			v := conversationFrom(cv)
			v.Name, v.NoteToSelf = NoteToSelf, true
			out = append(out, v)
			prio[v.SessionID] = p
			continue
		}
		if cv.Blocked || cv.Priority < 0 {
			continue
		}
		v := conversationFrom(cv)
		if cv.ID.Prefix == keys.PrefixGroup {
			// A group's priority is in the UserGroups config.
			p := c.groupPriority(ctx, cv.ID)
			if p < 0 {
				continue
			}
			if groupNames == nil {
				groupNames = c.groupNames(ctx)
			}
			v.Name = groupNames[v.SessionID]
			out = append(out, v)
			prio[v.SessionID] = p
			continue
		}
		v.NameNote = nm.note(cv.ID, cv.Name, nm.nick[cv.ID])
		out = append(out, v)
		prio[v.SessionID] = cv.Priority
	}
	c.withSettings(ctx, out, prio)
	return out, nil
}

// Messages returns up to limit of the latest messages with who, oldest first.
func (c *Client) Messages(ctx context.Context, who string, limit int) ([]Message, error) {
	id, err := c.resolveConversation(ctx, who)
	if err != nil {
		return nil, err
	}
	c.expireIfDue(ctx)
	ms, err := c.db.Messages(ctx, id, limit, clientdb.MessagePos{})
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

// MarkRead marks every message of a conversation up to now as read.
func (c *Client) MarkRead(ctx context.Context, who string) error {
	id, err := c.resolveConversation(ctx, who)
	if err != nil {
		return err
	}
	latest, err := c.db.Messages(ctx, id, 1, clientdb.MessagePos{})
	if err != nil {
		return err
	}
	if len(latest) == 0 {
		return fmt.Errorf("conversation with %s: %w", id, ErrNotFound)
	}
	upTo := latest[0].SentAt
	before, err := c.db.ConversationState(ctx, id)
	if err != nil {
		if errors.Is(err, clientdb.ErrNotFound) {
			return fmt.Errorf("conversation with %s: %w", id, ErrNotFound)
		}
		return err
	}
	// The database and the config change under cfg.mu, as a merged
	// config's marks are applied (applyConvoMarks): an older mark merged
	// meanwhile cannot be written over this one.
	var started []clientdb.SwarmExpiry
	err = c.editConfigLocal(ctx, func(cs *configs) error {
		if err := c.db.MarkRead(ctx, id, upTo); err != nil {
			return err
		}
		var err error
		if started, err = c.db.StartReadTimers(ctx, id, upTo, time.Now()); err != nil {
			return err
		}
		cv := cs.convos.GetOrConstruct1to1(id)
		if ms := upTo.UnixMilli(); ms > cv.LastRead {
			cv.LastRead = ms
		}
		cv.Unread = false
		return cs.convos.Set1to1(cv)
	})
	if errors.Is(err, clientdb.ErrNotFound) {
		return fmt.Errorf("conversation with %s: %w", id, ErrNotFound)
	} else if err != nil {
		return err
	}
	if id.Prefix != keys.PrefixGroup {
		c.shortenSwarm(ctx, started)                       // this account's swarm: a group's messages are in the group's
		c.sendReadReceipts(ctx, id, before.LastRead, upTo) // groups send no read receipts
	}
	return c.pushEdited(ctx)
}

// Accept accepts a message request: the sender becomes an approved contact
// and is told so (Session's MessageRequestResponse), with this account's
// display name.
// For a group invitation (a group ID or name) it is AcceptGroup.
func (c *Client) Accept(ctx context.Context, who string) error {
	if gid, err := c.resolveConversation(ctx, who); err == nil && gid.Prefix == keys.PrefixGroup {
		return c.AcceptGroup(ctx, gid.String()) // a group invitation
	}
	id, err := c.resolve(ctx, who)
	if err != nil {
		return err
	}
	if err := c.db.AcceptRequest(ctx, id); err != nil && !errors.Is(err, clientdb.ErrNotRequest) {
		if errors.Is(err, clientdb.ErrNotFound) {
			return fmt.Errorf("no message request from %s: %w", id, ErrNotFound)
		}
		return err
	}
	// Their files, held back while they were a stranger, are fetched now.
	if n, err := c.db.FetchRemote(ctx, id, c.now()); err != nil {
		return err
	} else if n > 0 {
		c.kickDownloads()
	}
	syncErr := c.contactEdit(ctx, id, func(ct *config.Contact) { ct.Approved = true; ct.ApprovedMe = true })
	if syncErr != nil && !errors.Is(syncErr, ErrNotSynced) {
		return syncErr
	}
	if err := c.sendControl(ctx, id, &signalpb.Content{MessageRequestResponse: &signalpb.MessageRequestResponse{
		IsApproved: proto.Bool(true), Profile: c.profile(),
	}}); err != nil {
		return fmt.Errorf("%w: %w", ErrNotSynced, err)
	}
	return syncErr
}

// sendControl sends a message that is not shown in the conversation (a
// request response). It is best effort; the contact state changes anyway.
func (c *Client) sendControl(ctx context.Context, to keys.ID, content *signalpb.Content) error {
	net, err := c.network()
	if err != nil {
		return err
	}
	p, err := c.encode(to, content, net.Now().Truncate(time.Millisecond))
	if err != nil {
		return err
	}
	if _, err := c.store(ctx, to, 0, p.Data, MessageTTL); err != nil {
		return fmt.Errorf("telling %s: %w", to, err)
	}
	return nil
}

// Decline deletes a message request and its messages, or forgets a group
// invitation. Nothing is sent.
func (c *Client) Decline(ctx context.Context, who string) error {
	if gid, err := c.resolveConversation(ctx, who); err == nil && gid.Prefix == keys.PrefixGroup {
		// A group invitation: forgotten, the group not told.
		if g, err := c.loadGroup(ctx, gid.String()); err != nil || !g.st.Invited {
			return fmt.Errorf("%w: %s is a group this account is in (leave it instead)", ErrNotRequest, gid)
		}
		return c.LeaveGroup(ctx, gid.String())
	}
	id, err := c.resolve(ctx, who)
	if err != nil {
		return err
	}
	err = c.db.DeclineRequest(ctx, id)
	switch {
	case errors.Is(err, clientdb.ErrNotFound):
		return fmt.Errorf("no message request from %s: %w", id, ErrNotFound)
	case errors.Is(err, clientdb.ErrNotRequest):
		return fmt.Errorf("%w: %s is a contact", ErrNotRequest, id)
	case err != nil:
		return err
	}
	return c.editConfig(ctx, func(cs *configs) error {
		if ct, ok := cs.contacts.Get(id); ok && !ct.Approved && !ct.Blocked {
			cs.contacts.Erase(id)
		}
		return nil
	})
}

// Block drops every later message from who (and removes a pending request).
func (c *Client) Block(ctx context.Context, who string) error {
	id, err := c.resolve(ctx, who)
	if err != nil {
		return err
	}
	if err := c.db.SetBlocked(ctx, id, true); err != nil {
		return err
	}
	if cv, err := c.db.Conversation(ctx, id); err == nil && cv.Request {
		if err := c.db.DeleteConversation(ctx, id); err != nil {
			return err
		}
	}
	return c.contactEdit(ctx, id, func(ct *config.Contact) { ct.Blocked = true })
}

// Unblock lets who's messages through again.
func (c *Client) Unblock(ctx context.Context, who string) error {
	id, err := c.resolve(ctx, who)
	if err != nil {
		return err
	}
	if err := c.db.SetBlocked(ctx, id, false); err != nil {
		return err
	}
	return c.contactEdit(ctx, id, func(ct *config.Contact) { ct.Blocked = false })
}

// Contacts returns every known contact (approved, blocked and requesters).
func (c *Client) Contacts(ctx context.Context) ([]Contact, error) {
	cts, err := c.db.Contacts(ctx, clientdb.AllContacts)
	if err != nil {
		return nil, err
	}
	nm := c.namer(ctx)
	out := make([]Contact, len(cts))
	for i, ct := range cts {
		out[i] = contactFrom(ct)
		out[i].NameNote = nm.note(ct.ID, ct.Name, ct.Nickname)
	}
	return out, nil
}

// SetNickname gives a contact a local name ("" removes it).
func (c *Client) SetNickname(ctx context.Context, who, nickname string) error {
	if err := checkName(nickname); err != nil {
		return err
	}
	id, err := c.resolve(ctx, who)
	if err != nil {
		return err
	}
	if err := c.db.SetNickname(ctx, id, nickname); err != nil {
		return err
	}
	return c.contactEdit(ctx, id, func(ct *config.Contact) { ct.Nickname = nickname })
}

// MarkUnread marks a conversation unread until it is next read, on every
// device of the account.
func (c *Client) MarkUnread(ctx context.Context, who string) error {
	id, err := c.resolveConversation(ctx, who)
	if err != nil {
		return err
	}
	// Under cfg.mu with the config edit, as in MarkRead.
	err = c.editConfig(ctx, func(cs *configs) error {
		if err := c.db.SetMarkedUnread(ctx, id, true); err != nil {
			return err
		}
		cv := cs.convos.GetOrConstruct1to1(id)
		cv.Unread = true
		return cs.convos.Set1to1(cv)
	})
	if errors.Is(err, clientdb.ErrNotFound) {
		return fmt.Errorf("conversation with %s: %w", id, ErrNotFound)
	}
	return err
}
