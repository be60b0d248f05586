package clientdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// EditMessage replaces the body of message m with body, an edit its author
// sent at editedAt, and returns the message's id. It reports applied false,
// and changes nothing, when the message is deleted or already shows an edit
// sent at or after editedAt (edits that arrive out of order leave the
// newest text). A message this device does not have is ErrNotFound. The
// search index follows the new body.
func (db *DB) EditMessage(ctx context.Context, m MessageRef, body string, editedAt time.Time) (id int64, applied bool, err error) {
	if err := m.check(); err != nil {
		return 0, false, fmt.Errorf("clientdb: edit: %w", err)
	}
	if err := checkTime("edit timestamp", editedAt); err != nil {
		return 0, false, fmt.Errorf("clientdb: edit: %w", err)
	}
	if err := checkBody(body); err != nil {
		return 0, false, fmt.Errorf("clientdb: edit: %w", err)
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		var deleted bool
		var edited int64
		err := tx.QueryRowContext(ctx, `SELECT id, deleted, edited_ts FROM messages WHERE conversation = ? AND sender = ? AND sent_ts = ?`,
			m.Conversation.String(), m.Author.String(), ms(m.SentAt)).Scan(&id, &deleted, &edited)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if deleted || edited >= ms(editedAt) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE messages SET body = ?, edited_ts = ? WHERE id = ?", body, ms(editedAt), id); err != nil {
			return err
		}
		applied = true
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("clientdb: edit: %w", err)
	}
	return id, applied, nil
}

// MaxEditsPerMessage bounds the edits remembered for one message.
const MaxEditsPerMessage = 100

// Edit is an edit this account made to one of its messages: its sent time
// and the hash of its copy in this account's swarm ("" if unknown).
type Edit struct {
	SentAt  time.Time
	OwnHash string
}

// RecordEdit remembers an edit this account made to its message id, so
// that deleting the message for everyone can unsend the edit too. Past
// MaxEditsPerMessage it fails with ErrLimit; the same edit twice is one.
func (db *DB) RecordEdit(ctx context.Context, id int64, e Edit) error {
	if err := checkTime("edit timestamp", e.SentAt); err != nil {
		return fmt.Errorf("clientdb: record edit: %w", err)
	}
	var hash any
	if e.OwnHash != "" {
		if err := checkHash(e.OwnHash); err != nil {
			return fmt.Errorf("clientdb: record edit: %w", err)
		}
		hash = e.OwnHash
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM message_edits WHERE message = ?", id).Scan(&n); err != nil {
			return err
		}
		if n >= MaxEditsPerMessage {
			return fmt.Errorf("%w: %d edits of message %d", ErrLimit, n, id)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO message_edits (message, sent_ts, own_hash) VALUES (?, ?, ?)
			ON CONFLICT DO UPDATE SET own_hash = coalesce(excluded.own_hash, own_hash)`, id, ms(e.SentAt), hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("clientdb: record edit: %w", err)
	}
	return nil
}

// Edits returns the edits recorded for message id, oldest first.
func (db *DB) Edits(ctx context.Context, id int64) ([]Edit, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, "SELECT sent_ts, coalesce(own_hash, '') FROM message_edits WHERE message = ? ORDER BY sent_ts", id)
	if err != nil {
		return nil, fmt.Errorf("clientdb: edits of %d: %w", id, err)
	}
	defer rows.Close()
	var out []Edit
	for rows.Next() {
		var e Edit
		var t int64
		if err := rows.Scan(&t, &e.OwnHash); err != nil {
			return nil, fmt.Errorf("clientdb: edits of %d: %w", id, err)
		}
		e.SentAt = fromMS(t)
		out = append(out, e)
	}
	return out, rows.Err()
}
