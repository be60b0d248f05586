package clientdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/session-go/session-go/internal/keys"
)

// msgCols are the columns scanMessage reads, qualified so that they can be
// selected beside the search index. The quoted message is looked up by its
// (conversation, sender, sent_ts) key.
const msgCols = "messages.id, messages.conversation, messages.direction, messages.status, messages.sender," +
	" messages.sent_ts, messages.received_ts, messages.body, coalesce(messages.hash, ''), messages.attempts," +
	" messages.error, messages.time_unverified, messages.quote_ts, coalesce(messages.quote_author, '')," +
	" coalesce(q.id, 0), coalesce(q.body, ''), messages.deleted, coalesce(messages.own_hash, '')," +
	" messages.expire_mode, messages.expire_secs, messages.expires_at, messages.edited_ts, messages.notice"

// msgFrom is the FROM clause msgCols go with.
const msgFrom = " FROM messages LEFT JOIN messages q ON messages.quote_ts != 0" +
	" AND q.conversation = messages.conversation AND q.sender = messages.quote_author AND q.sent_ts = messages.quote_ts"

func scanMessage(sc interface{ Scan(...any) error }, payload *[]byte) (Message, error) {
	var m Message
	var conv, sender string
	var sent, received, quoteTS, expireSecs, expiresAt, edited int64
	var quoteAuthor string
	dest := []any{&m.ID, &conv, &m.Direction, &m.Status, &sender, &sent, &received, &m.Body, &m.Hash, &m.Attempts, &m.Error, &m.TimeUnverified,
		&quoteTS, &quoteAuthor, &m.Quote.ID, &m.Quote.Body, &m.Deleted, &m.OwnHash,
		&m.Expiry.Mode, &expireSecs, &expiresAt, &edited, &m.Notice}
	if payload != nil {
		dest = append(dest, payload)
	}
	if err := sc.Scan(dest...); err != nil {
		return Message{}, err
	}
	var err error
	if m.Conversation, err = parseID(conv); err != nil {
		return Message{}, err
	}
	if m.Sender, err = parseID(sender); err != nil {
		return Message{}, err
	}
	m.SentAt, m.ReceivedAt = fromMS(sent), fromMS(received)
	m.EditedAt = fromMS(edited)
	m.Expiry.Timer, m.Expiry.At = time.Duration(expireSecs)*time.Second, fromMS(expiresAt)
	if quoteTS != 0 {
		m.Quote.SentAt = fromMS(quoteTS)
		if m.Quote.Author, err = parseID(quoteAuthor); err != nil {
			return Message{}, err
		}
	} else {
		m.Quote = Quote{}
	}
	return m, nil
}

// checkNew checks the fields of a message to insert that both directions
// share.
func checkNew(m *Message) error {
	if err := checkID("conversation", m.Conversation, 0); err != nil {
		return err
	}
	if err := checkID("sender", m.Sender, keys.PrefixStandard); err != nil {
		return err
	}
	if err := checkTime("sent timestamp", m.SentAt); err != nil {
		return err
	}
	if !m.Quote.SentAt.IsZero() || !m.Quote.Author.IsZero() {
		if err := checkTime("quoted message's timestamp", m.Quote.SentAt); err != nil {
			return err
		}
		if err := checkID("quoted author", m.Quote.Author, keys.PrefixStandard); err != nil {
			return err
		}
	}
	if e := m.Expiry; e.Mode < DisappearingOff || e.Mode > DisappearingAfterSend || e.Timer < 0 || e.Timer/time.Second > MaxDisappearingTimer {
		return fmt.Errorf("%w: disappearing mode %d, timer %v", ErrInvalidArgument, e.Mode, e.Timer)
	}
	return checkBody(m.Body)
}

// expiryArgs are the expire_mode, expire_secs and expires_at values of m:
// the timer of a message sent after send, or sent by this account, runs
// from its sent time; an incoming one's after read waits for the read.
func expiryArgs(m *Message) (int64, int64, int64) {
	e := m.Expiry
	secs := int64(e.Timer / time.Second)
	if e.Mode == DisappearingOff || secs <= 0 {
		return 0, 0, 0
	}
	var at int64
	if e.Mode == DisappearingAfterSend || m.Direction == Outgoing {
		at = ms(m.SentAt) + secs*1000
	}
	return int64(e.Mode), secs, at
}

// quoteArgs are the quote_ts and quote_author values of m.
func quoteArgs(m *Message) (int64, any) {
	if m.Quote.SentAt.IsZero() {
		return 0, nil
	}
	return ms(m.Quote.SentAt), m.Quote.Author.String()
}

// InsertOutgoing stores a message this device is about to send, as
// StatusSending with payload, the encoded request that sends it, so that it
// can be retried after a failure or a restart. Call it before any network
// I/O. m.Direction and m.Status are ignored; m.Sender is this account.
// It returns the message's id.
//
// A message with the conversation, sender and sent timestamp of one already
// stored fails with ErrDuplicate: a client sending twice in one millisecond
// must move the second timestamp on. Sending in a message request accepts
// it.
func (db *DB) InsertOutgoing(ctx context.Context, m Message) (int64, error) {
	if err := checkNew(&m); err != nil {
		return 0, fmt.Errorf("clientdb: insert outgoing: %w", err)
	}
	if err := checkPreview(m.LinkPreview); err != nil {
		return 0, fmt.Errorf("clientdb: insert outgoing: %w", err)
	}
	if err := checkAttachments(m.Attachments); err != nil {
		return 0, fmt.Errorf("clientdb: insert outgoing: %w", err)
	}
	if len(m.Payload) == 0 {
		return 0, fmt.Errorf("clientdb: insert outgoing: %w: no payload", ErrInvalidArgument)
	}
	if len(m.Payload) > MaxPayloadBytes {
		return 0, fmt.Errorf("clientdb: insert outgoing: %w: payload of %d bytes, limit %d",
			ErrInvalidArgument, len(m.Payload), MaxPayloadBytes)
	}
	received := ms(m.ReceivedAt)
	if received <= 0 {
		received = ms(db.now())
	}
	sent := ms(m.SentAt)
	qts, qauthor := quoteArgs(&m)
	m.Direction = Outgoing
	emode, esecs, eat := expiryArgs(&m)
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		dup, err := sameMessage(ctx, tx, &m)
		if err != nil {
			return err
		}
		if dup != 0 {
			return fmt.Errorf("%w: same conversation, sender and sent timestamp as message %d", ErrDuplicate, dup)
		}
		if err := db.touchConversation(ctx, tx, m.Conversation, m.Sender, Outgoing, sent); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO messages (conversation, direction, status, sender, sent_ts, received_ts, body, payload, quote_ts, quote_author,
				expire_mode, expire_secs, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.Conversation.String(), Outgoing, StatusSending, m.Sender.String(), sent, received, m.Body, m.Payload, qts, qauthor,
			emode, esecs, eat)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := insertAttachments(ctx, tx, id, m.Attachments); err != nil {
			return err
		}
		return insertPreview(ctx, tx, id, m.LinkPreview)
	})
	if err != nil {
		return 0, fmt.Errorf("clientdb: insert outgoing: %w", err)
	}
	return id, nil
}

// sameMessage returns the id of the stored message with m's conversation,
// sender and sent timestamp, or 0.
func sameMessage(ctx context.Context, tx *sql.Tx, m *Message) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM messages WHERE conversation = ? AND sender = ? AND sent_ts = ?",
		m.Conversation.String(), m.Sender.String(), ms(m.SentAt)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// InsertIncoming stores a message retrieved from the network: from a peer
// (Direction Incoming, stored as StatusReceived), or a sync copy of a message
// this account sent from another device (Direction Outgoing, sender this
// account, conversation the recipient; stored as StatusSent). m.Hash is the
// hash it was retrieved under.
//
// It returns the message's id and true if it was stored. It stores nothing
// and returns the id of the message already there, and false, if a message
// has the same hash, or the same conversation, sender and sent timestamp (a
// copy of the same message that came another way, such as the sync copy of
// a message this device sent). An incoming message from a blocked sender is
// dropped: 0 and false.
//
// The first incoming message of a conversation whose peer is not an
// approved contact opens a message request; see Conversation.Request.
func (db *DB) InsertIncoming(ctx context.Context, m Message) (int64, bool, error) {
	if m.Direction != Incoming && m.Direction != Outgoing {
		return 0, false, fmt.Errorf("clientdb: insert incoming: %w: direction %v", ErrInvalidArgument, m.Direction)
	}
	if err := checkNew(&m); err != nil {
		return 0, false, fmt.Errorf("clientdb: insert incoming: %w", err)
	}
	if err := checkHash(m.Hash); err != nil {
		return 0, false, fmt.Errorf("clientdb: insert incoming: %w", err)
	}
	if err := checkPreview(m.LinkPreview); err != nil {
		return 0, false, fmt.Errorf("clientdb: insert incoming: %w", err)
	}
	if err := checkAttachments(m.Attachments); err != nil {
		return 0, false, fmt.Errorf("clientdb: insert incoming: %w", err)
	}
	received := ms(m.ReceivedAt)
	if received <= 0 {
		received = ms(db.now())
	}
	sent := ms(m.SentAt)
	qts, qauthor := quoteArgs(&m)
	emode, esecs, eat := expiryArgs(&m)
	status := StatusReceived
	if m.Direction == Outgoing {
		status = StatusSent
	}
	var id int64
	var inserted bool
	err := db.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT id FROM messages WHERE hash = ?", m.Hash).Scan(&id)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if m.Direction == Incoming {
			var blocked bool
			err := tx.QueryRowContext(ctx, "SELECT blocked FROM contacts WHERE id = ?", m.Sender.String()).Scan(&blocked)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if blocked {
				return nil
			}
		}
		if id, err = sameMessage(ctx, tx, &m); err != nil || id != 0 {
			return err
		}
		if err := db.touchConversation(ctx, tx, m.Conversation, m.Sender, m.Direction, sent); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO messages (conversation, direction, status, sender, sent_ts, received_ts, body, hash, time_unverified, quote_ts, quote_author,
				expire_mode, expire_secs, expires_at, notice)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.Conversation.String(), m.Direction, status, m.Sender.String(), sent, received, m.Body, m.Hash, boolInt(m.TimeUnverified), qts, qauthor,
			emode, esecs, eat, boolInt(m.Notice))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		inserted = true
		if err := insertAttachments(ctx, tx, id, m.Attachments); err != nil {
			return err
		}
		return insertPreview(ctx, tx, id, m.LinkPreview)
	})
	if err != nil {
		return 0, false, fmt.Errorf("clientdb: insert incoming %q: %w", m.Hash, err)
	}
	return id, inserted, nil
}

// MarkSent records that outgoing message id was stored by the network under
// hash, and drops its payload. It may follow a failure (a late success). On
// a message already sent under the same hash it does nothing; under another
// hash, or on an incoming message, it fails with ErrStatusChange.
func (db *DB) MarkSent(ctx context.Context, id int64, hash string) error {
	if err := checkHash(hash); err != nil {
		return fmt.Errorf("clientdb: mark sent %d: %w", id, err)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var status Status
		var have string
		err := tx.QueryRowContext(ctx, "SELECT status, coalesce(hash, '') FROM messages WHERE id = ?", id).Scan(&status, &have)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case status == StatusSent && have == hash:
			return nil
		case status != StatusSending && status != StatusFailed:
			return fmt.Errorf("%w: message is %v", ErrStatusChange, status)
		}
		var other int64
		err = tx.QueryRowContext(ctx, "SELECT id FROM messages WHERE hash = ?", hash).Scan(&other)
		if err == nil {
			return fmt.Errorf("%w: hash %q already belongs to message %d", ErrDuplicate, hash, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx,
			"UPDATE messages SET status = ?, hash = ?, payload = NULL, error = '' WHERE id = ?",
			StatusSent, hash, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("clientdb: mark sent %d: %w", id, err)
	}
	return nil
}

// MarkFailed records that sending outgoing message id failed, for reason
// (shown to the user; cut to MaxReasonBytes, and it must not hold secrets),
// and counts the attempt. The message keeps its payload and is listed by
// PendingOutgoing until it is sent. A message already sent, or an incoming
// one, fails with ErrStatusChange.
func (db *DB) MarkFailed(ctx context.Context, id int64, reason string) error {
	reason = cut(strings.ToValidUTF8(reason, "\uFFFD"), MaxReasonBytes)
	err := db.setOutgoingStatus(ctx, id, StatusFailed,
		"UPDATE messages SET status = ?, attempts = attempts + 1, error = ? WHERE id = ?",
		StatusFailed, reason, id)
	if err != nil {
		return fmt.Errorf("clientdb: mark failed %d: %w", id, err)
	}
	return nil
}

// RetryOutgoing puts failed message id back to StatusSending, before the
// client sends its payload again. On a message that is sending already it
// does nothing; on one sent, or incoming, it fails with ErrStatusChange.
func (db *DB) RetryOutgoing(ctx context.Context, id int64) error {
	err := db.setOutgoingStatus(ctx, id, StatusSending,
		"UPDATE messages SET status = ? WHERE id = ?", StatusSending, id)
	if err != nil {
		return fmt.Errorf("clientdb: retry %d: %w", id, err)
	}
	return nil
}

// setOutgoingStatus runs update on message id if it is sending or failed.
func (db *DB) setOutgoingStatus(ctx context.Context, id int64, to Status, update string, args ...any) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var status Status
		err := tx.QueryRowContext(ctx, "SELECT status FROM messages WHERE id = ?", id).Scan(&status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case status != StatusSending && status != StatusFailed:
			return fmt.Errorf("%w: message is %v, cannot become %v", ErrStatusChange, status, to)
		}
		_, err = tx.ExecContext(ctx, update, args...)
		return err
	})
}

// PendingOutgoing returns the outgoing messages not yet sent (sending or
// failed), with their payloads, oldest first. After a restart, those still
// sending were interrupted and are to be sent again.
func (db *DB) PendingOutgoing(ctx context.Context) ([]Message, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, "SELECT "+msgCols+", messages.payload"+msgFrom+" WHERE messages.status IN (?, ?) ORDER BY messages.id",
		StatusSending, StatusFailed)
	if err != nil {
		return nil, fmt.Errorf("clientdb: pending outgoing: %w", err)
	}
	defer rows.Close()
	var msgs []Message
	for rows.Next() {
		var payload []byte
		m, err := scanMessage(rows, &payload)
		if err != nil {
			return nil, fmt.Errorf("clientdb: pending outgoing: %w", err)
		}
		m.Payload = payload
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clientdb: pending outgoing: %w", err)
	}
	return msgs, nil
}

// Message returns message id with its payload, or ErrNotFound.
func (db *DB) Message(ctx context.Context, id int64) (Message, error) {
	var payload []byte
	m, err := scanMessage(db.rq(ctx).QueryRowContext(ctx, "SELECT "+msgCols+", messages.payload"+msgFrom+" WHERE messages.id = ?", id), &payload)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("clientdb: message %d: %w", id, err)
	}
	m.Payload = payload
	return m, nil
}

// Messages returns up to limit messages of conversation conv that come
// before the position before (the zero MessagePos: the latest), in the
// conversation's order: by sent timestamp, then local id. To page back,
// pass the Pos of the first message returned. Payloads are left out.
func (db *DB) Messages(ctx context.Context, conv keys.ID, limit int, before MessagePos) ([]Message, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("clientdb: messages of %q: %w: limit %d", conv, ErrInvalidArgument, limit)
	}
	q := "SELECT " + msgCols + msgFrom + " WHERE messages.conversation = ?"
	args := []any{conv.String()}
	if before != (MessagePos{}) {
		q += " AND (messages.sent_ts, messages.id) < (?, ?)"
		args = append(args, ms(before.SentAt), before.ID)
	}
	q += " ORDER BY messages.sent_ts DESC, messages.id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("clientdb: messages of %q: %w", conv, err)
	}
	defer rows.Close()
	var msgs []Message
	for rows.Next() {
		m, err := scanMessage(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("clientdb: messages of %q: %w", conv, err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clientdb: messages of %q: %w", conv, err)
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// DeleteMessage deletes message id from this device.
func (db *DB) DeleteMessage(ctx context.Context, id int64) error {
	res, err := db.wq(ctx).ExecContext(ctx, "DELETE FROM messages WHERE id = ?", id)
	if err == nil {
		err = mustChange(res, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("clientdb: delete message %d: %w", id, err)
	}
	return nil
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// MarkDeleted empties message id and marks it deleted (deleted for
// everyone: the conversation shows where it was). Its body, payload and
// attachment rows go (the caller removes the attachments' files, read with
// Attachments first), and with the body its words leave the search index.
// Deleting a deleted message does nothing.
func (db *DB) MarkDeleted(ctx context.Context, id int64) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE messages SET body = '', payload = NULL, deleted = 1 WHERE id = ?", id)
		if err != nil {
			return err
		}
		if err := mustChange(res, ErrNotFound); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM attachments WHERE message = ?", id)
		return err
	})
	if err != nil {
		return fmt.Errorf("clientdb: mark deleted %d: %w", id, err)
	}
	return nil
}

// SetOwnHash records the hash of message id's copy in this account's own
// swarm (the sync copy of a message sent from this device).
func (db *DB) SetOwnHash(ctx context.Context, id int64, hash string) error {
	if err := checkHash(hash); err != nil {
		return fmt.Errorf("clientdb: own hash of %d: %w", id, err)
	}
	res, err := db.wq(ctx).ExecContext(ctx, "UPDATE messages SET own_hash = ? WHERE id = ?", hash, id)
	if err == nil {
		err = mustChange(res, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("clientdb: own hash of %d: %w", id, err)
	}
	return nil
}

// MessagesAt returns the ids of the messages sender sent at sentAt, in any
// conversation (a sender's timestamps are unique per conversation, and in
// practice across them).
func (db *DB) MessagesAt(ctx context.Context, sender keys.ID, sentAt time.Time) ([]int64, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, "SELECT id FROM messages WHERE sender = ? AND sent_ts = ?", sender.String(), ms(sentAt))
	if err != nil {
		return nil, fmt.Errorf("clientdb: messages at %v: %w", sentAt, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("clientdb: messages at %v: %w", sentAt, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// IncomingBetween returns the sent timestamps of up to limit incoming
// messages of conversation conv sent after after and up to upTo, oldest
// first: the messages a read mark moving from after to upTo covers.
func (db *DB) IncomingBetween(ctx context.Context, conv keys.ID, after, upTo time.Time, limit int) ([]time.Time, error) {
	rows, err := db.rq(ctx).QueryContext(ctx,
		"SELECT sent_ts FROM messages WHERE conversation = ? AND direction = ? AND sent_ts > ? AND sent_ts <= ? AND deleted = 0 ORDER BY sent_ts LIMIT ?",
		conv.String(), Incoming, ms(after), ms(upTo), limit)
	if err != nil {
		return nil, fmt.Errorf("clientdb: incoming of %q: %w", conv, err)
	}
	defer rows.Close()
	var ts []time.Time
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("clientdb: incoming of %q: %w", conv, err)
		}
		ts = append(ts, fromMS(v))
	}
	return ts, rows.Err()
}

// SwarmExpiry is when a message's copy in the swarm should expire: a
// disappearing message should not outlive its timer there either.
type SwarmExpiry struct {
	Hash string
	At   time.Time
}

// StartReadTimers starts the timers of the incoming disappear-after-read
// messages of conversation conv sent up to upTo, read at now, and returns
// those that have a hash with their new expiry, for the caller to shorten
// their swarm copies.
func (db *DB) StartReadTimers(ctx context.Context, conv keys.ID, upTo, now time.Time) ([]SwarmExpiry, error) {
	rows, err := db.wq(ctx).QueryContext(ctx, `UPDATE messages SET expires_at = ? + expire_secs * 1000
		WHERE conversation = ? AND direction = ? AND expire_mode = ? AND expires_at = 0 AND sent_ts <= ?
		RETURNING coalesce(hash, ''), expires_at`,
		ms(now), conv.String(), Incoming, DisappearingAfterRead, ms(upTo))
	if err != nil {
		return nil, fmt.Errorf("clientdb: start read timers of %q: %w", conv, err)
	}
	defer rows.Close()
	var out []SwarmExpiry
	for rows.Next() {
		var e SwarmExpiry
		var at int64
		if err := rows.Scan(&e.Hash, &at); err != nil {
			return nil, fmt.Errorf("clientdb: start read timers of %q: %w", conv, err)
		}
		if e.Hash != "" {
			e.At = fromMS(at)
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clientdb: start read timers of %q: %w", conv, err)
	}
	return out, nil
}

// DeleteExpired deletes the disappearing messages whose time came by now,
// and returns them (without bodies; with the Blob of each attachment that
// has a file) so that the caller can tell and remove the files; at most
// limit at a time.
func (db *DB) DeleteExpired(ctx context.Context, now time.Time, limit int) ([]Message, error) {
	var out []Message
	err := db.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+msgCols+msgFrom+" WHERE messages.expires_at > 0 AND messages.expires_at <= ? LIMIT ?", ms(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			m, err := scanMessage(rows, nil)
			if err != nil {
				rows.Close()
				return err
			}
			m.Body = ""
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, m := range out {
			// The files' names, for the caller to remove.
			brows, err := tx.QueryContext(ctx, "SELECT blob FROM attachments WHERE message = ? AND blob != ''", m.ID)
			if err != nil {
				return err
			}
			for brows.Next() {
				var a Attachment
				if err := brows.Scan(&a.Blob); err != nil {
					brows.Close()
					return err
				}
				out[i].Attachments = append(out[i].Attachments, a)
			}
			brows.Close()
			if _, err := tx.ExecContext(ctx, "DELETE FROM messages WHERE id = ?", m.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clientdb: delete expired: %w", err)
	}
	return out, nil
}

// NextExpiry returns when the next disappearing message expires, or the
// zero time if none is due to.
func (db *DB) NextExpiry(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	if err := db.rq(ctx).QueryRowContext(ctx, "SELECT min(expires_at) FROM messages WHERE expires_at > 0").Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("clientdb: next expiry: %w", err)
	}
	return fromMS(v.Int64), nil
}
