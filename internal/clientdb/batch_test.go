package clientdb

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
)

func TestBatchCommitsTogetherAndReadsItsOwnWrites(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	err := db.Batch(ctx, func(ctx context.Context) error {
		for i, h := range []string{"h1", "h2"} {
			if _, ok, err := db.InsertIncoming(ctx, incoming(sid(1), at(i), h, "body")); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
		// Inside the batch, reads see the batch's writes...
		c, err := db.Conversation(ctx, sid(1))
		if err != nil || c.Unread != 2 {
			t.Fatalf("inside the batch: unread %d, %v", c.Unread, err)
		}
		// ...and a reader outside it does not, until the commit.
		if _, err := db.Conversation(context.Background(), sid(1)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("outside the batch before commit: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conversation(ctx, sid(1))
	if err != nil || c.Unread != 2 {
		t.Fatalf("after commit: unread %d, %v", c.Unread, err)
	}
}

func TestBatchErrorSavesNothing(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.Batch(ctx, func(ctx context.Context) error {
		if _, ok, err := db.InsertIncoming(ctx, incoming(sid(1), at(1), "h1", "body")); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if _, err := db.MarkSeen(ctx, "h1", at(100)); err != nil {
			t.Fatal(err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Batch = %v, want boom", err)
	}
	if _, err := db.Conversation(ctx, sid(1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("conversation after a failed batch: %v, want ErrNotFound", err)
	}
	if seen, err := db.Seen(ctx, "h1"); err != nil || seen {
		t.Fatalf("hash seen after a failed batch: %v %v", seen, err)
	}
}

func TestBatchFailedWriteInsideIsUndoneAlone(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	err := db.Batch(ctx, func(ctx context.Context) error {
		if _, ok, err := db.InsertIncoming(ctx, incoming(sid(1), at(1), "h1", "body")); err != nil || !ok {
			t.Fatal(ok, err)
		}
		// A write that fails half way leaves nothing of itself behind.
		werr := db.write(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO kv(key, value) VALUES ('half', x'00')"); err != nil {
				return err
			}
			return errors.New("second statement failed")
		})
		if werr == nil {
			t.Fatal("the failing write reported no error")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx, "half"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("half a write survived: %v", err)
	}
	if c, err := db.Conversation(ctx, sid(1)); err != nil || c.Unread != 1 {
		t.Fatalf("the rest of the batch: unread %d, %v", c.Unread, err)
	}
}

func TestUnreadCountIsIndexOnly(t *testing.T) {
	db, _ := openTest(t)
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+convSelect+" WHERE c.id = ?", sid(1).String())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "COVERING INDEX messages_unread") {
		t.Fatalf("the unread count does not come off the index alone:\n%s", strings.Join(plan, "\n"))
	}
}
