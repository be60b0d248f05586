package clientdb

import (
	"context"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

// A notice is stored and read back as one, shows as the conversation's last
// line, and is not counted unread; a message beside it is.
func TestNotice(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	group := sid(5)
	group.Prefix = keys.PrefixGroup
	alice := sid(1)

	n := mustInsert(t, db, Message{Conversation: group, Sender: alice, Direction: Incoming, SentAt: at(1), Hash: "n1",
		Body: "Alice added Bob", Notice: true})
	m := mustInsert(t, db, Message{Conversation: group, Sender: alice, Direction: Incoming, SentAt: at(2), Hash: "m1", Body: "hi"})
	if got := mustMessage(t, db, n); !got.Notice || got.Body != "Alice added Bob" {
		t.Errorf("notice read back as %+v", got)
	}
	if got := mustMessage(t, db, m); got.Notice {
		t.Errorf("message read back as a notice: %+v", got)
	}
	if c := mustConversation(t, db, group); c.Unread != 1 {
		t.Errorf("unread = %d, want 1 (the notice is not unread)", c.Unread)
	}
	msgs, err := db.Messages(ctx, group, 10, MessagePos{})
	if err != nil || len(msgs) != 2 || !msgs[0].Notice || msgs[1].Notice {
		t.Fatalf("Messages = %+v, %v", msgs, err)
	}
	db.Close()
	db = openAt(t, path, testKey(1))
	if got := mustMessage(t, db, n); !got.Notice {
		t.Errorf("after reopening, the notice is %+v", got)
	}
}
