package clientdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// convSelect reads conversations with what the inbox shows of them. The
// unread count and the last message come off the (conversation, sent_ts, id)
// index. The 100 is PreviewChars.
const convSelect = `
	SELECT c.id, c.request, c.last_read, c.marked_unread, c.last_activity, c.created,
		(SELECT count(*) FROM messages m
			WHERE m.conversation = c.id AND m.direction = 1 AND m.notice = 0 AND m.sent_ts > c.last_read),
		coalesce(ct.nickname, ''), coalesce(ct.name, ''), coalesce(ct.priority, 0), coalesce(ct.blocked, 0),
		coalesce(l.direction, 0), coalesce(l.sender, ''), coalesce(substr(l.body, 1, 100), ''), coalesce(l.deleted, 0)
	FROM conversations c
	LEFT JOIN contacts ct ON ct.id = c.id
	LEFT JOIN messages l ON l.id = (SELECT id FROM messages
		WHERE conversation = c.id ORDER BY sent_ts DESC, id DESC LIMIT 1)`

func scanConversation(sc interface{ Scan(...any) error }) (Conversation, error) {
	var c Conversation
	var id, sender, nickname, name string
	var lastRead, lastActivity, created int64
	err := sc.Scan(&id, &c.Request, &lastRead, &c.MarkedUnread, &lastActivity, &created, &c.Unread,
		&nickname, &name, &c.Priority, &c.Blocked, &c.LastDirection, &sender, &c.Preview, &c.LastDeleted)
	if err != nil {
		return Conversation{}, err
	}
	if c.ID, err = parseID(id); err != nil {
		return Conversation{}, err
	}
	if sender != "" {
		if c.LastSender, err = parseID(sender); err != nil {
			return Conversation{}, err
		}
	}
	c.Name = Contact{Name: name, Nickname: nickname}.DisplayName()
	c.LastRead, c.LastActivity, c.Created = fromMS(lastRead), fromMS(lastActivity), fromMS(created)
	return c, nil
}

// ConversationState returns the conversation with peer id as the
// conversations table holds it (ID, Request, LastRead, MarkedUnread,
// LastActivity, Created), without what the inbox derives from its messages
// (Unread, Name, the last message), or ErrNotFound. Its cost does not grow
// with the conversation, which Conversation's unread count does: receiving
// uses this for every message.
func (db *DB) ConversationState(ctx context.Context, id keys.ID) (Conversation, error) {
	var c Conversation
	var lastRead, lastActivity, created int64
	err := db.rq(ctx).QueryRowContext(ctx,
		"SELECT request, last_read, marked_unread, last_activity, created FROM conversations WHERE id = ?", id.String()).
		Scan(&c.Request, &lastRead, &c.MarkedUnread, &lastActivity, &created)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("clientdb: conversation %q: %w", id, err)
	}
	c.ID = id
	c.LastRead, c.LastActivity, c.Created = fromMS(lastRead), fromMS(lastActivity), fromMS(created)
	return c, nil
}

// Conversation returns the conversation with peer id, or ErrNotFound.
func (db *DB) Conversation(ctx context.Context, id keys.ID) (Conversation, error) {
	c, err := scanConversation(db.rq(ctx).QueryRowContext(ctx, convSelect+" WHERE c.id = ?", id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("clientdb: conversation %q: %w", id, err)
	}
	return c, nil
}

// Conversations returns the conversations that filter selects, latest
// activity first.
func (db *DB) Conversations(ctx context.Context, filter ConversationFilter) ([]Conversation, error) {
	var where string
	switch filter {
	case AllConversations:
		where = "1"
	case InboxConversations:
		where = "NOT c.request"
	case RequestConversations:
		where = "c.request"
	default:
		return nil, fmt.Errorf("clientdb: conversations: %w: filter %d", ErrInvalidArgument, filter)
	}
	rows, err := db.rq(ctx).QueryContext(ctx, convSelect+" WHERE "+where+" ORDER BY c.last_activity DESC, c.id")
	if err != nil {
		return nil, fmt.Errorf("clientdb: conversations: %w", err)
	}
	defer rows.Close()
	var cs []Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("clientdb: conversations: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clientdb: conversations: %w", err)
	}
	return cs, nil
}

// MarkRead records that the user has read conversation id up to the sent
// timestamp upTo, and clears its marked-unread flag. The read mark never
// moves back: an older upTo leaves it where it is.
func (db *DB) MarkRead(ctx context.Context, id keys.ID, upTo time.Time) error {
	res, err := db.wq(ctx).ExecContext(ctx,
		"UPDATE conversations SET last_read = max(last_read, ?), marked_unread = 0 WHERE id = ?",
		ms(upTo), id.String())
	if err == nil {
		err = mustChange(res, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("clientdb: mark read %q: %w", id, err)
	}
	return nil
}

// SetMarkedUnread sets or clears the flag by which the user marks
// conversation id unread whatever its unread count.
func (db *DB) SetMarkedUnread(ctx context.Context, id keys.ID, unread bool) error {
	res, err := db.wq(ctx).ExecContext(ctx, "UPDATE conversations SET marked_unread = ? WHERE id = ?",
		boolInt(unread), id.String())
	if err == nil {
		err = mustChange(res, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("clientdb: set marked unread %q: %w", id, err)
	}
	return nil
}

// DeleteConversation deletes conversation id with all its messages. The
// contact, if any, stays.
func (db *DB) DeleteConversation(ctx context.Context, id keys.ID) error {
	res, err := db.wq(ctx).ExecContext(ctx, "DELETE FROM conversations WHERE id = ?", id.String())
	if err == nil {
		err = mustChange(res, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("clientdb: delete conversation %q: %w", id, err)
	}
	return nil
}

// AcceptRequest accepts the message request of conversation id: it becomes
// an ordinary conversation and, for a Session ID, its peer an approved
// contact that approved us (by writing first). ErrNotRequest if it is not a
// request, ErrNotFound if there is no such conversation.
func (db *DB) AcceptRequest(ctx context.Context, id keys.ID) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		if err := checkRequest(ctx, tx, id); err != nil {
			return err
		}
		if err := clearRequest(ctx, tx, id); err != nil {
			return err
		}
		if id.Prefix != keys.PrefixStandard {
			return nil
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO contacts (id, approved, approved_me, created) VALUES (?, 1, 1, ?)
			ON CONFLICT (id) DO UPDATE SET approved = 1, approved_me = 1`,
			id.String(), ms(db.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("clientdb: accept request %q: %w", id, err)
	}
	return nil
}

// DeclineRequest declines the message request of conversation id: the
// conversation and its messages are deleted, and so is the contact unless
// it is approved or blocked (decline then SetBlocked to also block). A new
// message from the same sender opens a new request. ErrNotRequest if it is
// not a request, ErrNotFound if there is no such conversation.
func (db *DB) DeclineRequest(ctx context.Context, id keys.ID) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		if err := checkRequest(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM conversations WHERE id = ?", id.String()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM contacts WHERE id = ? AND NOT approved AND NOT blocked", id.String())
		return err
	})
	if err != nil {
		return fmt.Errorf("clientdb: decline request %q: %w", id, err)
	}
	return nil
}

// checkRequest fails unless conversation id exists and is a request.
func checkRequest(ctx context.Context, tx *sql.Tx, id keys.ID) error {
	var request bool
	err := tx.QueryRowContext(ctx, "SELECT request FROM conversations WHERE id = ?", id.String()).Scan(&request)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return err
	case !request:
		return ErrNotRequest
	}
	return nil
}

// touchConversation makes sure conversation conv exists and moves its last
// activity up to sentAt, inside a message insert. A new conversation opened
// by an incoming message is a request unless its peer is an approved
// contact; an outgoing message (from this device or another) accepts a
// request, and approves the peer, as replying does in Session's apps.
func (db *DB) touchConversation(ctx context.Context, tx *sql.Tx, conv, sender keys.ID, dir Direction, sentAt int64) error {
	var request bool
	err := tx.QueryRowContext(ctx, "SELECT request FROM conversations WHERE id = ?", conv.String()).Scan(&request)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		request = false
		// A group's conversation exists once this account joined it (an
		// invitation from a stranger is a request of its own, made by
		// OpenConversation): its messages never open a request.
		if dir == Incoming && conv.Prefix != keys.PrefixGroup {
			var approved bool
			err := tx.QueryRowContext(ctx, "SELECT approved FROM contacts WHERE id = ?", conv.String()).Scan(&approved)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			request = !approved
		}
		_, err = tx.ExecContext(ctx,
			"INSERT INTO conversations (id, request, last_activity, created) VALUES (?, ?, ?, ?)",
			conv.String(), request, sentAt, ms(db.now()))
		if err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		_, err := tx.ExecContext(ctx,
			"UPDATE conversations SET last_activity = max(last_activity, ?) WHERE id = ?", sentAt, conv.String())
		if err != nil {
			return err
		}
	}

	// Only one-to-one conversations with someone else have a contact to
	// update; note-to-self is the conversation whose peer is the sender of
	// our own messages.
	if conv.Prefix != keys.PrefixStandard {
		return nil
	}
	switch {
	case dir == Outgoing && conv != sender:
		if err := clearRequest(ctx, tx, conv); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO contacts (id, approved, created) VALUES (?, 1, ?)
			ON CONFLICT (id) DO UPDATE SET approved = 1 WHERE NOT approved`,
			conv.String(), ms(db.now()))
		return err
	case dir == Incoming && conv == sender:
		// A peer writing to us has accepted us.
		_, err := tx.ExecContext(ctx, "UPDATE contacts SET approved_me = 1 WHERE id = ? AND NOT approved_me", conv.String())
		return err
	}
	return nil
}

// DeclineAllRequests declines every pending message request at once, in one
// transaction (see DeclineRequest), and returns the peers it declined.
// Clearing thousands of requests one by one would take a transaction, and
// a disk flush, each.
func (db *DB) DeclineAllRequests(ctx context.Context) ([]keys.ID, error) {
	ids, err := db.allRequests(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			DELETE FROM contacts WHERE NOT approved AND NOT blocked
				AND id IN (SELECT id FROM conversations WHERE request)`)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM conversations WHERE request")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("clientdb: decline all requests: %w", err)
	}
	return ids, nil
}

// BlockAllRequests blocks the peer of every pending message request and
// deletes the requests, in one transaction, and returns the peers it
// blocked.
func (db *DB) BlockAllRequests(ctx context.Context) ([]keys.ID, error) {
	ids, err := db.allRequests(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO contacts (id, created, blocked)
				SELECT id, ?, 1 FROM conversations WHERE request AND length(id) = 66 AND id LIKE '05%'
			ON CONFLICT (id) DO UPDATE SET blocked = 1`, ms(db.now()))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM conversations WHERE request")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("clientdb: block all requests: %w", err)
	}
	return ids, nil
}

// allRequests lists the pending requests and runs change on them in the
// same transaction.
func (db *DB) allRequests(ctx context.Context, change func(tx *sql.Tx) error) ([]keys.ID, error) {
	var ids []keys.ID
	err := db.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id FROM conversations WHERE request ORDER BY id")
		if err != nil {
			return err
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			id, err := parseID(s)
			if err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return change(tx)
	})
	return ids, err
}

// OpenConversation makes sure conversation id exists, created as a message
// request if request is set, with last activity at (zero: now). An existing
// conversation is left as it is. It reports whether it created one.
func (db *DB) OpenConversation(ctx context.Context, id keys.ID, request bool, at time.Time) (bool, error) {
	if err := checkID("conversation", id, 0); err != nil {
		return false, fmt.Errorf("clientdb: open conversation: %w", err)
	}
	if at.IsZero() {
		at = db.now()
	}
	var created bool
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			"INSERT INTO conversations (id, request, last_activity, created) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
			id.String(), boolInt(request), ms(at), ms(db.now()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		created = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("clientdb: open conversation %q: %w", id, err)
	}
	return created, nil
}
