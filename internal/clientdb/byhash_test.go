package clientdb

import (
	"context"
	"errors"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

// TestGroupLookupsAndDeleteBefore: a group's message is found by its
// hash in that conversation only; MessagesFrom lists a sender's messages
// up to a time; DeleteBefore drops the files, then the messages, sent
// before a time, and returns the files' rows, leaving later ones.
func TestGroupLookupsAndDeleteBefore(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	group := sid(7)
	group.Prefix = keys.PrefixGroup
	bob, carol := sid(1), sid(2)
	file := func(url string) []Attachment {
		return []Attachment{{FileName: "a.txt", ContentType: "text/plain", Size: 1, URL: url, Key: testKey(2), State: AttachmentPending}}
	}
	old := mustInsert(t, db, Message{Conversation: group, Sender: bob, Direction: Incoming, SentAt: at(1), Hash: "g1", Body: "old", Attachments: file("u1")})
	mustInsert(t, db, Message{Conversation: group, Sender: carol, Direction: Incoming, SentAt: at(2), Hash: "g2", Body: "carol"})
	late := mustInsert(t, db, Message{Conversation: group, Sender: bob, Direction: Incoming, SentAt: at(10), Hash: "g3", Body: "late", Attachments: file("u3")})
	mustInsert(t, db, incoming(bob, at(1), "p1", "one to one"))

	if m, err := db.MessageByHash(ctx, group, "g1"); err != nil || m.ID != old || m.Sender != bob {
		t.Fatalf("by hash: %+v %v", m, err)
	}
	if _, err := db.MessageByHash(ctx, group, "p1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a 1:1 message's hash found in the group: %v", err)
	}
	if _, err := db.MessageByHash(ctx, group, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("empty hash: %v", err)
	}
	if refs, err := db.MessagesFrom(ctx, group, bob, at(5), 10); err != nil || len(refs) != 1 || !refs[0].SentAt.Equal(at(1)) {
		t.Fatalf("bob's messages up to 5: %+v %v", refs, err)
	}

	gone, err := db.DeleteBefore(ctx, group, at(5), true)
	if err != nil || len(gone) != 1 || gone[0].URL != "u1" {
		t.Fatalf("files before 5: %+v %v", gone, err)
	}
	if as, _ := db.Attachments(ctx, old, late); len(as[old]) != 0 || len(as[late]) != 1 {
		t.Fatalf("files left: %+v", as)
	}
	if _, err := db.Message(ctx, old); err != nil {
		t.Fatalf("deleting files deleted the message: %v", err)
	}
	if _, err := db.DeleteBefore(ctx, group, at(5), false); err != nil {
		t.Fatal(err)
	}
	ms, _ := db.Messages(ctx, group, 10, MessagePos{})
	if len(ms) != 1 || ms[0].ID != late {
		t.Fatalf("the group after delete before 5: %+v", ms)
	}
	if ms, _ := db.Messages(ctx, bob, 10, MessagePos{}); len(ms) != 1 {
		t.Fatalf("delete before touched another conversation: %+v", ms)
	}
}
