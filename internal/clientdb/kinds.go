package clientdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/session-go/session-go/internal/keys"
)

// ErrLimit reports a per-sender cap reached (reactions on one message): the
// new entry is not stored.
var ErrLimit = errors.New("clientdb: limit reached")

// Caps on what one sender can make this database keep.
const (
	// MaxEmojiBytes bounds a reaction's emoji (one emoji with modifiers is
	// well under it).
	MaxEmojiBytes = 64
	// MaxReactionsPerReactor bounds the distinct emojis one person keeps on
	// one message.
	MaxReactionsPerReactor = 20
	// MaxUnsentPerAuthor bounds the remembered deletions of one author in
	// one conversation; the oldest are forgotten first.
	MaxUnsentPerAuthor = 10000
)

// MessageRef names a message as Session's protocol does: its conversation,
// its author and its sent timestamp.
type MessageRef struct {
	Conversation keys.ID
	Author       keys.ID
	SentAt       time.Time
}

func (r MessageRef) check() error {
	if err := checkID("conversation", r.Conversation, 0); err != nil {
		return err
	}
	if err := checkID("author", r.Author, 0); err != nil {
		return err
	}
	return checkTime("sent timestamp", r.SentAt)
}

// Reaction is one emoji one person put on a message.
type Reaction struct {
	Message MessageRef
	Reactor keys.ID
	Emoji   string
	// At is the reaction's sent time.
	At time.Time
}

// SetReaction adds (add true) or removes a reaction. Adding one beyond
// MaxReactionsPerReactor fails with ErrLimit; removing one that is not
// there is no error.
func (db *DB) SetReaction(ctx context.Context, r Reaction, add bool) error {
	if err := r.Message.check(); err != nil {
		return fmt.Errorf("clientdb: reaction: %w", err)
	}
	if err := checkID("reactor", r.Reactor, 0); err != nil {
		return fmt.Errorf("clientdb: reaction: %w", err)
	}
	if r.Emoji == "" || len(r.Emoji) > MaxEmojiBytes || !utf8.ValidString(r.Emoji) {
		return fmt.Errorf("clientdb: reaction: %w: emoji %.80q", ErrInvalidArgument, r.Emoji)
	}
	key := []any{r.Message.Conversation.String(), r.Message.Author.String(), ms(r.Message.SentAt), r.Reactor.String()}
	err := db.write(ctx, func(tx *sql.Tx) error {
		if !add {
			_, err := tx.ExecContext(ctx, `DELETE FROM reactions WHERE conversation = ? AND author = ? AND sent_ts = ? AND reactor = ? AND emoji = ?`,
				append(key, r.Emoji)...)
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM reactions WHERE conversation = ? AND author = ? AND sent_ts = ? AND reactor = ? AND emoji != ?`,
			append(key, r.Emoji)...).Scan(&n); err != nil {
			return err
		}
		if n >= MaxReactionsPerReactor {
			return fmt.Errorf("%w: %d reactions on one message", ErrLimit, n)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO reactions (conversation, author, sent_ts, reactor, emoji, reacted) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT DO UPDATE SET reacted = max(reacted, excluded.reacted)`, append(key, r.Emoji, ms(r.At))...)
		return err
	})
	if err != nil {
		return fmt.Errorf("clientdb: reaction: %w", err)
	}
	return nil
}

// Reactions returns the reactions on a message, oldest first.
func (db *DB) Reactions(ctx context.Context, m MessageRef) ([]Reaction, error) {
	rows, err := db.rq(ctx).QueryContext(ctx, `SELECT reactor, emoji, reacted FROM reactions WHERE conversation = ? AND author = ? AND sent_ts = ? ORDER BY reacted, reactor, emoji`,
		m.Conversation.String(), m.Author.String(), ms(m.SentAt))
	if err != nil {
		return nil, fmt.Errorf("clientdb: reactions: %w", err)
	}
	defer rows.Close()
	var out []Reaction
	for rows.Next() {
		var reactor string
		var at int64
		r := Reaction{Message: m}
		if err := rows.Scan(&reactor, &r.Emoji, &at); err != nil {
			return nil, fmt.Errorf("clientdb: reactions: %w", err)
		}
		if r.Reactor, err = parseID(reactor); err != nil {
			return nil, err
		}
		r.At = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarkReadByPeer records that the peer of conversation conv read this
// account's messages sent at sentAts (a read receipt). Only messages this
// account sent in conv are marked; it returns how many were. A later
// receipt does not move an earlier read time.
func (db *DB) MarkReadByPeer(ctx context.Context, conv keys.ID, sentAts []time.Time, readAt time.Time) (int, error) {
	if err := checkID("conversation", conv, 0); err != nil {
		return 0, fmt.Errorf("clientdb: read receipt: %w", err)
	}
	var n int
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, t := range sentAts {
			res, err := tx.ExecContext(ctx, `INSERT INTO read_receipts (conversation, sent_ts, read_at)
				SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM messages WHERE conversation = ?1 AND direction = 2 AND sent_ts = ?2)
				ON CONFLICT DO NOTHING`, conv.String(), ms(t), ms(readAt))
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("clientdb: read receipt: %w", err)
	}
	return n, nil
}

// ReadByPeer returns when the peer read this account's message of conv
// sent at sentAt, and false when no receipt came.
func (db *DB) ReadByPeer(ctx context.Context, conv keys.ID, sentAt time.Time) (time.Time, bool, error) {
	var at int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT read_at FROM read_receipts WHERE conversation = ? AND sent_ts = ?`, conv.String(), ms(sentAt)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("clientdb: read receipt: %w", err)
	}
	return fromMS(at), true, nil
}

// Unsend deletes the message m for everyone (its author asked: Session's
// UnsendRequest): it stays as deleted (see MarkDeleted), and the deletion
// is remembered so that the message arriving late, or again, is not shown.
// It reports whether a stored message was deleted.
func (db *DB) Unsend(ctx context.Context, m MessageRef) (bool, error) {
	if err := m.check(); err != nil {
		return false, fmt.Errorf("clientdb: unsend: %w", err)
	}
	var deleted bool
	conv, author, sent := m.Conversation.String(), m.Author.String(), ms(m.SentAt)
	err := db.write(ctx, func(tx *sql.Tx) error {
		// The message stays, emptied and marked deleted, so that the
		// conversation shows "This message was deleted" where it was (as
		// Session does); its files go with its attachment rows.
		if _, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE message IN
			(SELECT id FROM messages WHERE conversation = ? AND sender = ? AND sent_ts = ?)`, conv, author, sent); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE messages SET body = '', payload = NULL, deleted = 1
			WHERE conversation = ? AND sender = ? AND sent_ts = ? AND deleted = 0`, conv, author, sent)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		deleted = k > 0
		if _, err := tx.ExecContext(ctx, `INSERT INTO unsent (conversation, author, sent_ts, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			conv, author, sent, ms(db.now())); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM reactions WHERE conversation = ? AND author = ? AND sent_ts = ?`, conv, author, sent)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM unsent WHERE conversation = ?1 AND author = ?2 AND sent_ts NOT IN
			(SELECT sent_ts FROM unsent WHERE conversation = ?1 AND author = ?2 ORDER BY at DESC, sent_ts DESC LIMIT ?3)`,
			conv, author, MaxUnsentPerAuthor)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("clientdb: unsend: %w", err)
	}
	return deleted, nil
}

// Unsent reports whether the author of m deleted it for everyone.
func (db *DB) Unsent(ctx context.Context, m MessageRef) (bool, error) {
	var one int
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT 1 FROM unsent WHERE conversation = ? AND author = ? AND sent_ts = ?`,
		m.Conversation.String(), m.Author.String(), ms(m.SentAt)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("clientdb: unsent: %w", err)
	}
	return true, nil
}

// DisappearingMode is Session's disappearing-messages mode
// (Content.expirationType).
type DisappearingMode int

// The modes, with Session's numbers.
const (
	DisappearingOff       DisappearingMode = 0
	DisappearingAfterRead DisappearingMode = 1
	DisappearingAfterSend DisappearingMode = 2
)

// Disappearing is a conversation's disappearing-messages setting.
type Disappearing struct {
	Mode DisappearingMode
	// Timer is how long messages last (whole seconds); zero when Off.
	Timer time.Duration
	// Updated is the sent time of the update that set it.
	Updated time.Time
}

// MaxDisappearingTimer bounds a disappearing timer (Session offers up to
// two weeks; a uint32 of seconds is the wire's limit).
const MaxDisappearingTimer = 1<<32 - 1

// SetDisappearing sets conv's disappearing-messages setting unless a later
// update already set it; it reports whether it changed.
func (db *DB) SetDisappearing(ctx context.Context, conv keys.ID, d Disappearing) (bool, error) {
	if err := checkID("conversation", conv, 0); err != nil {
		return false, fmt.Errorf("clientdb: disappearing: %w", err)
	}
	secs := int64(d.Timer / time.Second)
	if d.Mode < DisappearingOff || d.Mode > DisappearingAfterSend || secs < 0 || secs > MaxDisappearingTimer || d.Mode == DisappearingOff && secs != 0 {
		return false, fmt.Errorf("clientdb: disappearing: %w: mode %d, %d s", ErrInvalidArgument, d.Mode, secs)
	}
	if err := checkTime("update time", d.Updated); err != nil {
		return false, fmt.Errorf("clientdb: disappearing: %w", err)
	}
	res, err := db.wq(ctx).ExecContext(ctx, `INSERT INTO disappearing (conversation, mode, seconds, updated) VALUES (?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET mode = excluded.mode, seconds = excluded.seconds, updated = excluded.updated
		WHERE excluded.updated > disappearing.updated`, conv.String(), int(d.Mode), secs, ms(d.Updated))
	if err != nil {
		return false, fmt.Errorf("clientdb: disappearing: %w", err)
	}
	k, _ := res.RowsAffected()
	return k > 0, nil
}

// DisappearingSetting returns conv's disappearing-messages setting (Off
// when none was set).
func (db *DB) DisappearingSetting(ctx context.Context, conv keys.ID) (Disappearing, error) {
	var mode int
	var secs, updated int64
	err := db.rq(ctx).QueryRowContext(ctx, `SELECT mode, seconds, updated FROM disappearing WHERE conversation = ?`, conv.String()).Scan(&mode, &secs, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Disappearing{}, nil
	}
	if err != nil {
		return Disappearing{}, fmt.Errorf("clientdb: disappearing: %w", err)
	}
	return Disappearing{Mode: DisappearingMode(mode), Timer: time.Duration(secs) * time.Second, Updated: fromMS(updated)}, nil
}
