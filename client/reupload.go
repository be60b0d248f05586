package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/fileclient"
)

// ErrReupload: a file could not be put back on its file server under the
// address its message gave.
var ErrReupload = errors.New("cannot upload the file again")

// Reupload puts the files of a message this account sent back on the file
// server, from the encrypted copies kept in the home: for when recipients
// cannot download them because the server's copy expired, was lost, or was
// damaged (they see a clear error on that file). The encrypted bytes are
// the same, so the server files them under the same content address and
// the message's pointers stay good; a damaged copy is replaced. Recipients
// then fetch them with a new try (the app's "Try again", session save).
func (c *Client) Reupload(ctx context.Context, id int64) (Message, error) {
	m, err := c.db.Message(ctx, id)
	if errors.Is(err, clientdb.ErrNotFound) {
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Message{}, err
	}
	if m.Direction != clientdb.Outgoing {
		return Message{}, fmt.Errorf("%w: message %d was not sent by this account", ErrReupload, id)
	}
	if err := c.putBack(ctx, m, true); err != nil {
		return Message{}, err
	}
	return c.messageWithFiles(ctx, messageFrom(m)), nil
}

// putBack uploads again the files of message m that were uploaded before:
// all of them with force, otherwise only those the server no longer has
// (a retry long after the upload: the copy may have expired meanwhile).
func (c *Client) putBack(ctx context.Context, m clientdb.Message, force bool) error {
	all, err := c.db.Attachments(ctx, m.ID)
	if err != nil {
		return err
	}
	net, err := c.network()
	if err != nil {
		return err
	}
	for _, a := range all[m.ID] {
		if a.URL == "" {
			continue // not uploaded yet: the send uploads it
		}
		srv, id, err := fileclient.ParseFileURL(a.URL)
		if err != nil {
			return fmt.Errorf("file %q: %w", a.FileName, err)
		}
		if !force {
			if _, _, err := fileclient.Info(ctx, net, srv, id); !errors.Is(err, fileclient.ErrNotFound) {
				continue // there, or the server cannot say: the send goes on
			}
		}
		if a.Blob == "" {
			return fmt.Errorf("%w: file %q is not on this device", ErrReupload, a.FileName)
		}
		blob, err := c.readBlob(a.Blob)
		if err != nil {
			return fmt.Errorf("file %q: %w", a.FileName, err)
		}
		got, _, err := fileclient.Upload(c.withFileProgress(ctx, a, m.Conversation.String(), true, 0), net, srv, blob, 0)
		if err != nil {
			return fmt.Errorf("uploading %q again: %w", a.FileName, err)
		}
		if got != id {
			return fmt.Errorf("%w: the server filed %q under another address; send it again", ErrReupload, a.FileName)
		}
	}
	return nil
}
