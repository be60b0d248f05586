package client

import (
	"context"
	"sync"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/onionreq"
)

// FileProgress reports how far a file of a message has gone to or from
// the file server: Done of Total bytes on the wire (the encrypted file in
// its onion layers, a little more than the file). It is published as the
// bytes go, at most once per percent, and ends with Done == Total when the
// transfer completes. A transfer retried through another path starts
// again from 0.
type FileProgress struct {
	// Message and Index name the file (Index counts from 0).
	Message int64
	Index   int
	// Conversation is the message's conversation, for uploads ("" for
	// downloads).
	Conversation string
	// FileName is the file's name, as the message shows it.
	FileName string
	// Upload is true for a file being sent, false for one being fetched.
	Upload bool
	// Done and Total count bytes; Total is never 0.
	Done, Total int64
	// Stored is set on the last event of a download: the file is checked
	// and kept on this device (the message's attachment now says
	// Downloaded).
	Stored bool
}

func (FileProgress) isEvent() {}

// withFileProgress returns ctx reporting the progress of a's transfer as
// FileProgress events. expect estimates the total of a download whose
// answer announces no length.
func (c *Client) withFileProgress(ctx context.Context, a clientdb.Attachment, conversation string, upload bool, expect int64) context.Context {
	var mu sync.Mutex
	lastPct := int64(-1)
	return onionreq.WithProgress(ctx, func(p onionreq.Progress) {
		done, total := p.Sent, p.SendTotal
		if !upload {
			done, total = p.Received, p.ReceiveTotal
			if total <= 0 {
				total = max(expect, done)
			}
			if p.ReceiveTotal < 0 && done == 0 {
				return // the request going out: a download's bar starts with the answer
			}
		}
		if total <= 0 {
			return
		}
		pct := done * 100 / total
		mu.Lock()
		skip := pct == lastPct
		lastPct = pct
		mu.Unlock()
		if skip {
			return
		}
		c.events.publish(FileProgress{Message: a.Message, Index: a.Index, Conversation: conversation,
			FileName: a.FileName, Upload: upload, Done: done, Total: total})
	})
}
