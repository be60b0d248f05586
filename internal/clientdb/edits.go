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
