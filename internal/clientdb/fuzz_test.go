package clientdb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// FuzzInsertIncoming feeds InsertIncoming the fields a retrieved message
// brings from the network. Property: no panic; an error is one of the input
// sentinels; a stored message reads back as given; inserting it again is a
// duplicate.
func FuzzInsertIncoming(f *testing.F) {
	f.Add("hello", "hash1", int64(1_700_000_000_000), byte(1), byte(5), byte(7), false)
	f.Add("", "h", int64(1), byte(2), byte(5), byte(5), true)
	f.Add("\xff", "h2", int64(0), byte(0), byte(3), byte(9), false)
	f.Add("ж€😀", "\x00", int64(-1), byte(1), byte(0x99), byte(1), false)
	f.Add("x", "h3", int64(1<<62), byte(1), byte(0x15), byte(2), true)

	db, _ := openTest(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body, hash string, sentMS int64, dir, convPrefix, key byte, outgoing bool) {
		conv := keys.ID{Prefix: keys.Prefix(convPrefix)}
		conv.Key[0] = key
		sender := conv
		if outgoing {
			sender = me(t)
		}
		var sent time.Time
		if sentMS != 0 {
			sent = time.UnixMilli(sentMS)
		}
		m := Message{Conversation: conv, Sender: sender, Direction: Direction(dir), SentAt: sent, Body: body, Hash: hash}
		id, ok, err := db.InsertIncoming(ctx, m)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) && !errors.Is(err, ErrBodyTooLong) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if !ok {
			return // a duplicate of an earlier input
		}
		got, err := db.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Body != body || got.Hash != hash || !got.SentAt.Equal(sent) || got.Conversation != conv ||
			got.Sender != sender || got.Direction != m.Direction {
			t.Fatalf("stored %+v, gave %+v", got, m)
		}
		if id2, ok, err := db.InsertIncoming(ctx, m); err != nil || ok || id2 != id {
			t.Fatalf("second insert: %d, %v, %v", id2, ok, err)
		}
	})
}
