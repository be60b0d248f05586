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
	"github.com/session-go/session-go/internal/protocol"
)

// Delete deletes message id. For me (everyone false) it goes from this
// device only. For everyone, which only the author can do, Session's
// UnsendRequest goes to the other side and to this account's other
// devices, the message's copy in this account's swarm is deleted (an
// authenticated swarm delete), and the message stays here as deleted
// ("This message was deleted"). In a group, Session's way: the author,
// or an admin for anyone's message, posts a delete naming its hash in the
// group (see groupconvo.go). If the request cannot be sent, nothing
// changes and the error wraps ErrSendFailed: try again.
func (c *Client) Delete(ctx context.Context, id int64, everyone bool) error {
	m, err := c.db.Message(ctx, id)
	if errors.Is(err, clientdb.ErrNotFound) {
		return fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	files, err := c.db.Attachments(ctx, id)
	if err != nil {
		return err
	}
	if !everyone {
		if err := c.db.DeleteMessage(ctx, id); err != nil {
			return err
		}
		c.removeBlobs(files[id])
		return nil
	}
	if m.Conversation.Prefix == keys.PrefixGroup {
		return c.deleteInGroup(ctx, m, files[id]) // see groupconvo.go
	}
	if m.Sender != c.id.SessionID() {
		return fmt.Errorf("%w: message %d is not yours (only its author can delete a message for everyone)", ErrNotAuthor, id)
	}
	if m.Deleted {
		return nil
	}
	if m.Status == clientdb.StatusSent {
		if err := c.sendUnsend(ctx, m); err != nil {
			return fmt.Errorf("%w: delete for everyone: %v", ErrSendFailed, err)
		}
	}
	// A message never sent (failed, or still sending) reached no one: it
	// goes from here, and its payload with it, so no retry sends it.
	if _, err := c.db.Unsend(ctx, clientdb.MessageRef{Conversation: m.Conversation, Author: m.Sender, SentAt: m.SentAt}); err != nil {
		return err
	}
	c.removeBlobs(files[id])
	if fresh, err := c.db.Message(ctx, id); err == nil {
		c.events.publish(MessageStatusChanged{messageFrom(fresh)})
	}
	return nil
}

// sendUnsend sends Session's UnsendRequest for m (this account's message)
// to the conversation's peer and to this account's own swarm (its other
// devices), then deletes m's copy in this account's swarm.
func (c *Client) sendUnsend(ctx context.Context, m clientdb.Message) error {
	net, err := c.network()
	if err != nil {
		return err
	}
	// The message, and each edit of it (an edit is a message of its own,
	// which a Session peer shows as one): each is unsent by its time.
	edits, err := c.db.Edits(ctx, m.ID)
	if err != nil {
		return err
	}
	stamps := []time.Time{m.SentAt}
	var hashes []string
	for _, e := range edits {
		stamps = append(stamps, e.SentAt)
		if e.OwnHash != "" {
			hashes = append(hashes, e.OwnHash)
		}
	}
	me := c.id.SessionID()
	for _, ts := range stamps {
		content := &signalpb.Content{UnsendRequest: &signalpb.UnsendRequest{
			Timestamp: proto.Uint64(uint64(ts.UnixMilli())),
			Author:    proto.String(me.String()),
		}}
		sentAt := c.sentTime(net.Now())
		if m.Conversation != me {
			if err := c.sendControlAt(ctx, m.Conversation, content, sentAt); err != nil {
				return err
			}
		}
		if err := c.sendControlAt(ctx, me, content, sentAt); err != nil {
			return err
		}
	}
	// The copy in this account's swarm: the sync copy of a message sent
	// from this device (own_hash), else the message's own hash (a sync
	// copy received from another device, or a note to self); and its
	// edits' copies. A hash that is in no swarm of ours deletes nothing.
	if h := m.OwnHash; h != "" {
		hashes = append(hashes, h)
	} else if m.Hash != "" {
		hashes = append(hashes, m.Hash)
	}
	if len(hashes) > 0 {
		if err := c.deleteOwn(ctx, hashes); err != nil {
			// The other devices delete it on the UnsendRequest; the
			// swarm's copy expires with its TTL.
			c.log.Warn("could not delete a message's copy from this account's swarm", "message", m.ID, "err", err)
		}
	}
	return nil
}

// sendControlAt stores content, dated sentAt, in to's swarm.
func (c *Client) sendControlAt(ctx context.Context, to keys.ID, content *signalpb.Content, sentAt time.Time) error {
	return c.sendControlTTL(ctx, to, content, sentAt, MessageTTL)
}

// sendControlTTL is sendControlAt with the swarm lifetime ttl, for control
// messages that mean nothing after a short while (typing).
func (c *Client) sendControlTTL(ctx context.Context, to keys.ID, content *signalpb.Content, sentAt time.Time, ttl time.Duration) error {
	content = proto.Clone(content).(*signalpb.Content)
	content.SigTimestamp = proto.Uint64(uint64(sentAt.UnixMilli()))
	data, err := protocol.EncodeMessage(c.id, to, content, sentAt)
	if err != nil {
		return err
	}
	if _, err := c.store(ctx, to, 0, data, ttl); err != nil {
		return fmt.Errorf("telling %s: %w", ShortID(to.String()), err)
	}
	return nil
}

// unsendOwn applies an UnsendRequest from another device of this account:
// this account's message it names becomes deleted here too.
func (c *Client) unsendOwn(ctx context.Context, u *signalpb.UnsendRequest) error {
	author, err := keys.ParseSessionID(u.GetAuthor())
	if err != nil || author != c.id.SessionID() || u.GetTimestamp() == 0 || u.GetTimestamp() > maxTimestampMS {
		return nil
	}
	ids, err := c.db.MessagesAt(ctx, author, timeMS(u.GetTimestamp()))
	if err != nil {
		return err
	}
	for _, id := range ids {
		m, err := c.db.Message(ctx, id)
		if err != nil {
			return err
		}
		files, err := c.db.Attachments(ctx, id)
		if err != nil {
			return err
		}
		// Remembered, as for a peer's unsend, so that a late copy does
		// not bring it back.
		if _, err := c.db.Unsend(ctx, clientdb.MessageRef{Conversation: m.Conversation, Author: author, SentAt: m.SentAt}); err != nil {
			return err
		}
		c.removeBlobsSaved(ctx, files[id])
		if m, err := c.db.Message(ctx, id); err == nil {
			c.publishSaved(ctx, MessageStatusChanged{messageFrom(m)})
		}
	}
	return nil
}
