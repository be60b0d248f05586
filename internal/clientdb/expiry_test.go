package clientdb

import (
	"context"
	"testing"
	"time"
)

func TestExpiry(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	peer := sid(1)
	send := incoming(peer, at(1), "h1", "after send")
	send.Expiry = Expiry{Mode: DisappearingAfterSend, Timer: 30 * time.Second}
	read := incoming(peer, at(2), "h2", "after read")
	read.Expiry = Expiry{Mode: DisappearingAfterRead, Timer: time.Minute}
	idSend, idRead := mustInsert(t, db, send), mustInsert(t, db, read)
	keep := mustInsert(t, db, incoming(peer, at(3), "h3", "stays"))
	if m := mustMessage(t, db, idSend); !m.Expiry.At.Equal(at(31)) || m.Expiry.Mode != DisappearingAfterSend {
		t.Fatalf("after send: %+v", m.Expiry)
	}
	if m := mustMessage(t, db, idRead); !m.Expiry.At.IsZero() {
		t.Fatalf("after read, unread: %+v", m.Expiry)
	}
	if next, _ := db.NextExpiry(ctx); !next.Equal(at(31)) {
		t.Fatalf("next expiry %v", next)
	}
	started, err := db.StartReadTimers(ctx, peer, at(2), at(100))
	if err != nil || len(started) != 1 || started[0].Hash != "h2" || !started[0].At.Equal(at(160)) {
		t.Fatalf("StartReadTimers = %+v, %v (want h2 at 160)", started, err)
	}
	if again, err := db.StartReadTimers(ctx, peer, at(2), at(120)); err != nil || len(again) != 0 {
		t.Fatalf("a running timer was started again: %+v, %v", again, err)
	}
	if m := mustMessage(t, db, idRead); !m.Expiry.At.Equal(at(160)) {
		t.Fatalf("after read, read at 100: %+v", m.Expiry)
	}
	gone, err := db.DeleteExpired(ctx, at(31), 100)
	if err != nil || len(gone) != 1 || gone[0].ID != idSend {
		t.Fatalf("DeleteExpired(31) = %+v, %v", gone, err)
	}
	if gone, _ := db.DeleteExpired(ctx, at(159), 100); len(gone) != 0 {
		t.Fatalf("expired early: %+v", gone)
	}
	if gone, _ := db.DeleteExpired(ctx, at(160), 100); len(gone) != 1 || gone[0].ID != idRead {
		t.Fatalf("DeleteExpired(160) = %+v", gone)
	}
	ms, _ := db.Messages(ctx, peer, 10, MessagePos{})
	if len(ms) != 1 || ms[0].ID != keep {
		t.Fatalf("left: %+v", ms)
	}
	if got, _ := db.Search(ctx, "after", peer, 10); len(got) != 0 {
		t.Fatalf("expired messages still found: %+v", got)
	}
	// Outgoing messages run from their sent time in either mode.
	id, err := db.InsertOutgoing(ctx, Message{Conversation: peer, Sender: me(t), SentAt: at(5), Body: "x", Payload: []byte("p"),
		Expiry: Expiry{Mode: DisappearingAfterRead, Timer: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if m := mustMessage(t, db, id); !m.Expiry.At.Equal(at(15)) {
		t.Fatalf("outgoing after read: %+v", m.Expiry)
	}
}
