package clientdb

import (
	"context"
	"database/sql"
	"fmt"
	"unicode/utf8"
)

// Limits of a stored link preview.
const (
	MaxPreviewURLBytes   = 2048
	MaxPreviewTitleBytes = 1024
)

// PreviewImageIndex is the Index of a link preview's image among its
// message's attachments: after every file the message may carry, so that
// the files keep their indexes 0…n-1.
const PreviewImageIndex = MaxAttachments

// LinkPreview is a message's link preview, as Session sends it
// (DataMessage.preview): a link in the message's text, the title of its
// page, and a picture. The zero LinkPreview is none.
type LinkPreview struct {
	URL, Title string
	// Image is the picture, if any: stored, downloaded and checked like
	// a file of the message (Index PreviewImageIndex; DB.Attachments
	// returns it last). Only on insert; read it from DB.Attachments.
	Image *Attachment
}

func checkPreview(p LinkPreview) error {
	if p.Image != nil {
		if p.URL == "" {
			return fmt.Errorf("%w: link preview image without a link", ErrInvalidArgument)
		}
		if err := checkAttachment(p.Image); err != nil {
			return err
		}
	}
	switch {
	case p.URL == "" && p.Title == "":
		return nil
	case p.URL == "" || len(p.URL) > MaxPreviewURLBytes || !utf8.ValidString(p.URL):
		return fmt.Errorf("%w: link preview URL", ErrInvalidArgument)
	case len(p.Title) > MaxPreviewTitleBytes || !utf8.ValidString(p.Title):
		return fmt.Errorf("%w: link preview title", ErrInvalidArgument)
	}
	return nil
}

// insertPreview stores message msg's link preview, if it has one.
func insertPreview(ctx context.Context, tx *sql.Tx, msg int64, p LinkPreview) error {
	if p.URL == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO link_previews (message, url, title) VALUES (?, ?, ?)", msg, p.URL, p.Title)
	if err != nil || p.Image == nil {
		return err
	}
	return insertAttachment(ctx, tx, msg, PreviewImageIndex, *p.Image)
}

// LinkPreviews returns the link previews of the given messages, by
// message id (messages without one are absent).
func (db *DB) LinkPreviews(ctx context.Context, messages ...int64) (map[int64]LinkPreview, error) {
	out := map[int64]LinkPreview{}
	err := db.queryMessages(ctx, "SELECT message, url, title FROM link_previews WHERE message", "", messages, func(rows *sql.Rows) error {
		var id int64
		var p LinkPreview
		if err := rows.Scan(&id, &p.URL, &p.Title); err != nil {
			return err
		}
		out[id] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clientdb: link previews: %w", err)
	}
	return out, nil
}
