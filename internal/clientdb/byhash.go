package clientdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// MessageByHash returns the message of conversation conv stored under
// hash (its storage-server hash), or ErrNotFound. Session's groups name
// messages by hash when they delete them for everyone.
func (db *DB) MessageByHash(ctx context.Context, conv keys.ID, hash string) (Message, error) {
	if err := checkHash(hash); err != nil {
		return Message{}, fmt.Errorf("clientdb: message by hash: %w", err)
	}
	m, err := scanMessage(db.rq(ctx).QueryRowContext(ctx, "SELECT "+msgCols+msgFrom+
		" WHERE messages.hash = ? AND messages.conversation = ?", hash, conv.String()), nil)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("clientdb: message by hash %.70q: %w", hash, err)
	}
	return m, nil
}

// MessagesFrom returns up to limit messages of conversation conv that
// sender sent up to upTo and that are not deleted, oldest first: what a
// group admin's "delete everything this member sent" covers.
func (db *DB) MessagesFrom(ctx context.Context, conv, sender keys.ID, upTo time.Time, limit int) ([]MessageRef, error) {
	rows, err := db.rq(ctx).QueryContext(ctx,
		"SELECT sent_ts FROM messages WHERE conversation = ? AND sender = ? AND sent_ts <= ? AND deleted = 0 ORDER BY sent_ts LIMIT ?",
		conv.String(), sender.String(), ms(upTo), limit)
	if err != nil {
		return nil, fmt.Errorf("clientdb: messages from %s: %w", sender, err)
	}
	defer rows.Close()
	var out []MessageRef
	for rows.Next() {
		var ts int64
		if err := rows.Scan(&ts); err != nil {
			return nil, fmt.Errorf("clientdb: messages from %s: %w", sender, err)
		}
		out = append(out, MessageRef{Conversation: conv, Author: sender, SentAt: fromMS(ts)})
	}
	return out, rows.Err()
}

// DeleteBefore deletes the messages of conversation conv sent before
// before (with files false), or only their files' rows (files true),
// and returns the attachments it deleted, whose files the caller removes:
// a group admin's "delete before" and "delete attachments before" of
// Session's group Info config.
func (db *DB) DeleteBefore(ctx context.Context, conv keys.ID, before time.Time, files bool) ([]Attachment, error) {
	var gone []Attachment
	err := db.write(ctx, func(tx *sql.Tx) error {
		// Read in the transaction: inside a batch, the messages saved
		// with the same page count too.
		rows, err := tx.QueryContext(ctx, "SELECT "+attCols+" FROM attachments WHERE message IN"+
			" (SELECT id FROM messages WHERE conversation = ? AND sent_ts < ?)", conv.String(), ms(before))
		if err != nil {
			return err
		}
		for rows.Next() {
			a, err := scanAttachment(rows)
			if err != nil {
				rows.Close()
				return err
			}
			gone = append(gone, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if files {
			_, err = tx.ExecContext(ctx, "DELETE FROM attachments WHERE message IN (SELECT id FROM messages WHERE conversation = ? AND sent_ts < ?)",
				conv.String(), ms(before))
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM messages WHERE conversation = ? AND sent_ts < ?", conv.String(), ms(before))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("clientdb: delete before %v in %s: %w", before, conv, err)
	}
	return gone, nil
}
