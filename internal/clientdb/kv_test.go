package clientdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCursors(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	ns0, ns2 := me(t).String()+"/0", me(t).String()+"/2"
	if h, err := db.Cursor(ctx, ns0); err != nil || h != "" {
		t.Fatalf("unset cursor: %q, %v", h, err)
	}
	db.SetCursor(ctx, ns0, "hashA")
	db.SetCursor(ctx, ns2, "hashX")
	db.SetCursor(ctx, ns0, "hashB")
	db.Close()
	db = openAt(t, path, testKey(1))
	for ns, want := range map[string]string{ns0: "hashB", ns2: "hashX"} {
		if h, err := db.Cursor(ctx, ns); err != nil || h != want {
			t.Errorf("Cursor(%s) = %q, %v; want %q", ns, h, err, want)
		}
	}
	if err := db.SetCursor(ctx, ns0, ""); err != nil {
		t.Fatal(err)
	}
	if h, _ := db.Cursor(ctx, ns0); h != "" {
		t.Errorf("forgotten cursor: %q", h)
	}
	for name, err := range map[string]error{
		"empty namespace": db.SetCursor(ctx, "", "h"),
		"long namespace":  db.SetCursor(ctx, strings.Repeat("n", MaxKeyBytes+1), "h"),
		"long hash":       db.SetCursor(ctx, ns0, strings.Repeat("h", MaxHashBytes+1)),
		"bad hash":        db.SetCursor(ctx, ns0, "\xff"),
	} {
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := db.Cursor(ctx, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Cursor(\"\"): %v", err)
	}
}

func TestSeenHashes(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	t0 := time.UnixMilli(1_750_000_000_000)

	if seen, _ := db.Seen(ctx, "a"); seen {
		t.Fatal("unseen hash reported seen")
	}
	if isNew, err := db.MarkSeen(ctx, "a", t0.Add(time.Hour)); err != nil || !isNew {
		t.Fatalf("first MarkSeen: %v, %v", isNew, err)
	}
	if isNew, err := db.MarkSeen(ctx, "a", t0.Add(time.Minute)); err != nil || isNew {
		t.Fatalf("second MarkSeen: %v, %v", isNew, err)
	}
	db.MarkSeen(ctx, "b", t0.Add(time.Minute))
	db.MarkSeen(ctx, "c", t0.Add(time.Minute))
	db.MarkSeen(ctx, "c", t0.Add(3*time.Hour)) // later expiry wins
	if seen, _ := db.Seen(ctx, "a"); !seen {
		t.Fatal("seen hash not reported")
	}

	n, err := db.PruneSeen(ctx, t0.Add(2*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("PruneSeen = %d, %v; want 1 (b)", n, err)
	}
	n, _ = db.PruneSeen(ctx, t0.Add(2*time.Hour))
	if n != 1 {
		t.Fatalf("second PruneSeen = %d, want 1 (a, kept at its later expiry until now)", n)
	}
	for h, want := range map[string]bool{"a": false, "b": false, "c": true} {
		if seen, _ := db.Seen(ctx, h); seen != want {
			t.Errorf("Seen(%s) = %v, want %v", h, seen, want)
		}
	}
	if _, err := db.MarkSeen(ctx, "", t0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty hash: %v", err)
	}
}

func TestKV(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	if _, err := db.Get(ctx, "nodes"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: %v", err)
	}
	pool := bytes.Repeat([]byte("node;"), 10000)
	db.Put(ctx, "nodes", []byte("old"))
	if err := db.Put(ctx, "nodes", pool); err != nil {
		t.Fatal(err)
	}
	if err := db.Put(ctx, "empty", nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, path, testKey(1))
	if v, err := db.Get(ctx, "nodes"); err != nil || !bytes.Equal(v, pool) {
		t.Fatalf("Get(nodes): %d bytes, %v", len(v), err)
	}
	if v, err := db.Get(ctx, "empty"); err != nil || v == nil || len(v) != 0 {
		t.Fatalf("Get(empty) = %v, %v; want an empty value", v, err)
	}
	if err := db.Delete(ctx, "nodes"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx, "nodes"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted key: %v", err)
	}
	if err := db.Delete(ctx, "nodes"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	for name, err := range map[string]error{
		"empty key":  db.Put(ctx, "", []byte{1}),
		"long key":   db.Put(ctx, strings.Repeat("k", MaxKeyBytes+1), []byte{1}),
		"bad key":    db.Put(ctx, "\xff", []byte{1}),
		"huge value": db.Put(ctx, "k", make([]byte, MaxValueBytes+1)),
	} {
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
}

// TestConcurrentUse writes and reads from many goroutines at once, as the
// network layer and a UI will; run with -race.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	self := me(t)
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, 3*writers*each)
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range each {
				peer := sid(byte(w + 1))
				_, _, err := db.InsertIncoming(ctx, incoming(peer, at(i), fmt.Sprintf("h%d-%d", w, i), "x"))
				errs <- err
				_, err = db.InsertOutgoing(ctx, Message{Conversation: peer, Sender: self, SentAt: at(1000 + i), Body: "y", Payload: []byte{1}})
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			for range each {
				_, err := db.Conversations(ctx, AllConversations)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	cs, _ := db.Conversations(ctx, AllConversations)
	if len(cs) != writers {
		t.Fatalf("%d conversations, want %d", len(cs), writers)
	}
	for _, c := range cs {
		if c.Unread != each {
			t.Errorf("conversation %v: %d unread, want %d", c.ID, c.Unread, each)
		}
	}
	p, _ := db.PendingOutgoing(ctx)
	if len(p) != writers*each {
		t.Errorf("%d pending, want %d", len(p), writers*each)
	}
}
