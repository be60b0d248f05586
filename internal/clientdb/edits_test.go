package clientdb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

func TestEditMessage(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	peer := sid(1)
	mustInsert(t, db, incoming(peer, at(1), "h1", "helo wrold"))
	ref := MessageRef{Conversation: peer, Author: peer, SentAt: at(1)}
	id, applied, err := db.EditMessage(ctx, ref, "hello world", at(5))
	if err != nil || !applied {
		t.Fatalf("EditMessage = %v, %v", applied, err)
	}
	m, err := db.Message(ctx, id)
	if err != nil || m.Body != "hello world" || !m.EditedAt.Equal(at(5)) {
		t.Fatalf("after edit: %+v, %v", m, err)
	}
	// An older edit arriving late, or the same one again, changes nothing.
	if _, applied, err := db.EditMessage(ctx, ref, "stale", at(3)); err != nil || applied {
		t.Errorf("older edit: applied %v, %v", applied, err)
	}
	if _, applied, _ := db.EditMessage(ctx, ref, "again", at(5)); applied {
		t.Error("an edit with the applied edit's time was applied again")
	}
	// The search index follows the new text.
	if hits, err := db.Search(ctx, "wrold", keys.ID{}, 10); err != nil || len(hits) != 0 {
		t.Errorf("old text still found: %d hits, %v", len(hits), err)
	}
	if hits, err := db.Search(ctx, "hello", keys.ID{}, 10); err != nil || len(hits) != 1 {
		t.Errorf("new text: %d hits, %v", len(hits), err)
	}
	// Another author's message cannot be named, nor a missing one edited.
	if _, _, err := db.EditMessage(ctx, MessageRef{Conversation: peer, Author: sid(2), SentAt: at(1)}, "x", at(9)); !errors.Is(err, ErrNotFound) {
		t.Errorf("edit under another author: %v, want ErrNotFound", err)
	}
	// A deleted message stays deleted.
	if _, err := db.Unsend(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, applied, err := db.EditMessage(ctx, ref, "back", at(9)); err != nil || applied {
		t.Errorf("edit of a deleted message: applied %v, %v", applied, err)
	}
	if m, _ := db.Message(ctx, id); m.Body != "" || !m.Deleted {
		t.Errorf("deleted message after edit: %+v", m)
	}
}

func TestRecordEdits(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	peer := sid(1)
	id, err := db.InsertOutgoing(ctx, Message{Conversation: peer, Sender: me(t), SentAt: at(1), Body: "x", Payload: []byte("p")})
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("a", 43)
	if err := db.RecordEdit(ctx, id, Edit{SentAt: at(3)}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordEdit(ctx, id, Edit{SentAt: at(3), OwnHash: hash}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordEdit(ctx, id, Edit{SentAt: at(2)}); err != nil {
		t.Fatal(err)
	}
	es, err := db.Edits(ctx, id)
	if err != nil || len(es) != 2 || !es[0].SentAt.Equal(at(2)) || es[1].OwnHash != hash {
		t.Fatalf("Edits = %+v, %v", es, err)
	}
	for i := len(es); i < MaxEditsPerMessage; i++ {
		if err := db.RecordEdit(ctx, id, Edit{SentAt: at(10 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RecordEdit(ctx, id, Edit{SentAt: at(1000)}); !errors.Is(err, ErrLimit) {
		t.Errorf("edit over the cap: %v, want ErrLimit", err)
	}
	// They go with the message.
	if err := db.DeleteMessage(ctx, id); err != nil {
		t.Fatal(err)
	}
	if es, _ := db.Edits(ctx, id); len(es) != 0 {
		t.Errorf("edits outlived their message: %d", len(es))
	}
}
