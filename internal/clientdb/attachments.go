package clientdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/session-go/session-go/internal/keys"
)

// Attachment limits.
const (
	// MaxAttachments is the most files one message may carry.
	MaxAttachments = 32
	// MaxFileNameBytes bounds an attachment's file name.
	MaxFileNameBytes = 255
	// MaxContentTypeBytes bounds its MIME type.
	MaxContentTypeBytes = 128
	// MaxURLBytes bounds its URL.
	MaxURLBytes = 2048
)

// AttachmentState is where an attachment's bytes are.
type AttachmentState int

// The states.
const (
	// AttachmentRemote: on the file server only, fetched when the user
	// asks (a message request's files).
	AttachmentRemote AttachmentState = 1
	// AttachmentPending: to be downloaded (NextTry says when).
	AttachmentPending AttachmentState = 2
	// AttachmentStored: the encrypted blob is in the home (Blob).
	AttachmentStored AttachmentState = 3
	// AttachmentFailed: a download failed for good (the blob failed its
	// checks, or is gone from the server); Error says why.
	AttachmentFailed AttachmentState = 4
	// AttachmentUpload: an outgoing file encrypted in the home, not yet
	// uploaded (URL empty).
	AttachmentUpload AttachmentState = 5
)

// String returns the lowercase name of the state.
func (s AttachmentState) String() string {
	switch s {
	case AttachmentRemote:
		return "remote"
	case AttachmentPending:
		return "pending"
	case AttachmentStored:
		return "stored"
	case AttachmentFailed:
		return "failed"
	case AttachmentUpload:
		return "upload"
	}
	return fmt.Sprintf("AttachmentState(%d)", int(s))
}

// Attachment is one file of a message: what Session's AttachmentPointer
// says about it, and where this device keeps it.
type Attachment struct {
	// ID is the database's id; Message and Index place it (ignored on
	// insert, which numbers them in order).
	ID      int64
	Message int64
	Index   int
	// FileName, ContentType and Size (of the plaintext) are the sender's.
	FileName    string
	ContentType string
	Size        int64
	// URL is where the blob is on a file server ("" before the upload).
	URL string
	// Key decrypts the blob: 32 bytes (deterministic) or 64 (legacy).
	Key []byte
	// Digest is the legacy format's SHA-256 of the blob.
	Digest []byte
	// Width and Height are an image's or video's, 0 when unknown.
	Width, Height int
	// State, Blob (the encrypted blob's file name in the home), and the
	// download bookkeeping.
	State    AttachmentState
	Blob     string
	Attempts int
	NextTry  time.Time
	Error    string
}

func checkAttachment(a *Attachment) error {
	switch {
	case len(a.FileName) > MaxFileNameBytes || !utf8.ValidString(a.FileName):
		return fmt.Errorf("%w: attachment file name", ErrInvalidArgument)
	case len(a.ContentType) > MaxContentTypeBytes || !utf8.ValidString(a.ContentType):
		return fmt.Errorf("%w: attachment content type", ErrInvalidArgument)
	case len(a.URL) > MaxURLBytes:
		return fmt.Errorf("%w: attachment URL", ErrInvalidArgument)
	case len(a.Key) != 32 && len(a.Key) != 64:
		return fmt.Errorf("%w: attachment key of %d bytes", ErrInvalidArgument, len(a.Key))
	case len(a.Digest) > 64:
		return fmt.Errorf("%w: attachment digest", ErrInvalidArgument)
	case a.Size < 0 || a.Width < 0 || a.Height < 0:
		return fmt.Errorf("%w: attachment size", ErrInvalidArgument)
	case a.State < AttachmentRemote || a.State > AttachmentUpload:
		return fmt.Errorf("%w: attachment state %d", ErrInvalidArgument, a.State)
	case len(a.Blob) > 255 || strings.ContainsAny(a.Blob, "/\\") || a.Blob == "." || a.Blob == "..":
		return fmt.Errorf("%w: attachment blob name", ErrInvalidArgument)
	}
	return nil
}

func checkAttachments(as []Attachment) error {
	if len(as) > MaxAttachments {
		return fmt.Errorf("%w: %d attachments, limit %d", ErrInvalidArgument, len(as), MaxAttachments)
	}
	for i := range as {
		if err := checkAttachment(&as[i]); err != nil {
			return err
		}
	}
	return nil
}

// insertAttachments stores a new message's attachments in its transaction.
func insertAttachments(ctx context.Context, tx *sql.Tx, msg int64, as []Attachment) error {
	for i, a := range as {
		if err := insertAttachment(ctx, tx, msg, i, a); err != nil {
			return err
		}
	}
	return nil
}

// insertAttachment stores one attachment of message msg as number idx.
func insertAttachment(ctx context.Context, tx *sql.Tx, msg int64, idx int, a Attachment) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO attachments (message, idx, file_name, content_type, size, url, key, digest, width, height, state, blob, next_try)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		msg, idx, a.FileName, a.ContentType, a.Size, a.URL, a.Key, a.Digest, a.Width, a.Height, a.State, a.Blob, ms(a.NextTry))
	return err
}

const attCols = "id, message, idx, file_name, content_type, size, url, key, coalesce(digest, x''), width, height, state, blob, attempts, next_try, error"

func scanAttachment(sc interface{ Scan(...any) error }) (Attachment, error) {
	var a Attachment
	var next int64
	err := sc.Scan(&a.ID, &a.Message, &a.Index, &a.FileName, &a.ContentType, &a.Size, &a.URL, &a.Key, &a.Digest,
		&a.Width, &a.Height, &a.State, &a.Blob, &a.Attempts, &next, &a.Error)
	a.NextTry = fromMS(next)
	if len(a.Digest) == 0 {
		a.Digest = nil
	}
	return a, err
}

// Attachments returns the attachments of the given messages, by message id,
// each message's in order.
func (db *DB) Attachments(ctx context.Context, messages ...int64) (map[int64][]Attachment, error) {
	out := map[int64][]Attachment{}
	err := db.queryMessages(ctx, "SELECT "+attCols+" FROM attachments WHERE message", " ORDER BY message, idx", messages, func(rows *sql.Rows) error {
		a, err := scanAttachment(rows)
		if err != nil {
			return err
		}
		out[a.Message] = append(out[a.Message], a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clientdb: attachments: %w", err)
	}
	return out, nil
}

// queryMessages runs head+" IN (?,…)"+tail over the given message ids and
// calls row for each row. The ids go in batches of at most 500, below
// SQLite's limit on a statement's parameters; the readers of a page of
// messages' files and link previews share this so both batch alike.
func (db *DB) queryMessages(ctx context.Context, head, tail string, messages []int64, row func(*sql.Rows) error) error {
	for len(messages) > 0 {
		n := min(len(messages), 500)
		batch := messages[:n]
		messages = messages[n:]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := db.r.QueryContext(ctx, head+" IN (?"+strings.Repeat(",?", len(batch)-1)+")"+tail, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := row(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// DueDownloads returns up to limit attachments waiting to be downloaded
// whose next try is due at now.
func (db *DB) DueDownloads(ctx context.Context, now time.Time, limit int) ([]Attachment, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+attCols+" FROM attachments WHERE state = ? AND next_try <= ? ORDER BY next_try, id LIMIT ?",
		AttachmentPending, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("clientdb: due downloads: %w", err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, fmt.Errorf("clientdb: due downloads: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAttachment saves a's URL, state, blob and download bookkeeping.
func (db *DB) UpdateAttachment(ctx context.Context, a Attachment) error {
	if err := checkAttachment(&a); err != nil {
		return fmt.Errorf("clientdb: update attachment %d: %w", a.ID, err)
	}
	if len(a.Error) > MaxReasonBytes {
		a.Error = a.Error[:MaxReasonBytes]
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE attachments SET url = ?, state = ?, blob = ?, attempts = ?, next_try = ?, error = ? WHERE id = ?",
			a.URL, a.State, a.Blob, a.Attempts, ms(a.NextTry), a.Error, a.ID)
		if err != nil {
			return fmt.Errorf("clientdb: update attachment %d: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("clientdb: update attachment %d: %w", a.ID, ErrNotFound)
		}
		return nil
	})
}

// SetPayload replaces the payload of an outgoing message still sending
// (after its files were uploaded, the request that sends it changes).
func (db *DB) SetPayload(ctx context.Context, id int64, payload []byte) error {
	if len(payload) == 0 || len(payload) > MaxPayloadBytes {
		return fmt.Errorf("clientdb: set payload %d: %w: %d bytes", id, ErrInvalidArgument, len(payload))
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE messages SET payload = ? WHERE id = ? AND direction = ? AND status = ?",
			payload, id, Outgoing, StatusSending)
		if err != nil {
			return fmt.Errorf("clientdb: set payload %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("clientdb: set payload %d: %w", id, ErrStatusChange)
		}
		return nil
	})
}

// AttachmentBlobs returns the names of every blob an attachment refers to.
func (db *DB) AttachmentBlobs(ctx context.Context) (map[string]bool, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT blob FROM attachments WHERE blob != ''")
	if err != nil {
		return nil, fmt.Errorf("clientdb: attachment blobs: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("clientdb: attachment blobs: %w", err)
		}
		out[b] = true
	}
	return out, rows.Err()
}

// FetchRemote makes the files of conversation conv that wait for the
// user's word (AttachmentRemote: a message request's) due for download at
// now, once the user accepted the conversation. It returns how many.
func (db *DB) FetchRemote(ctx context.Context, conv keys.ID, now time.Time) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE attachments SET state = ?, next_try = ?, attempts = 0
			WHERE state = ? AND message IN (SELECT id FROM messages WHERE conversation = ?)`,
			AttachmentPending, ms(now), AttachmentRemote, conv.String())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("clientdb: fetch remote attachments: %w", err)
	}
	return n, nil
}
