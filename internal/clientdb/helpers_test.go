package clientdb

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// clock is a settable clock for DB.now.
type clock struct {
	mu sync.Mutex
	t  time.Time // guarded by mu
}

func newClock() *clock { return &clock{t: time.UnixMilli(1_750_000_000_000)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testKey is a fixed database key; tests of key handling make their own.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

// openTest opens a database in a fresh directory, closing it at the end of
// the test, and returns it with its path for reopening.
func openTest(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "client.db")
	return openAt(t, path, testKey(1)), path
}

func openAt(t testing.TB, path string, key []byte) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sid returns a distinct Session ID for n.
func sid(n byte) keys.ID {
	id := keys.ID{Prefix: keys.PrefixStandard}
	id.Key[0] = n
	id.Key[31] = 0xee
	return id
}

// me is the test account's Session ID, derived from a seed as the client
// will do.
func me(t testing.TB) keys.ID {
	t.Helper()
	idn, err := keys.NewIdentity(bytes.Repeat([]byte{0x42}, keys.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return idn.SessionID()
}

// at is a sent timestamp n seconds after a fixed instant.
func at(n int) time.Time { return time.UnixMilli(1_700_000_000_000 + int64(n)*1000) }

// incoming builds an incoming one-to-one message from peer.
func incoming(peer keys.ID, sent time.Time, hash, body string) Message {
	return Message{Conversation: peer, Sender: peer, Direction: Incoming, SentAt: sent, Hash: hash, Body: body}
}

// mustInsert inserts m and fails the test unless it was stored.
func mustInsert(t testing.TB, db *DB, m Message) int64 {
	t.Helper()
	id, ok, err := db.InsertIncoming(context.Background(), m)
	if err != nil {
		t.Fatalf("InsertIncoming(%q): %v", m.Hash, err)
	}
	if !ok || id == 0 {
		t.Fatalf("InsertIncoming(%q) = %d, %v; want a new message", m.Hash, id, ok)
	}
	return id
}

// mustOutgoing inserts an outgoing message from me to conv.
func mustOutgoing(t testing.TB, db *DB, from, conv keys.ID, sent time.Time, body string) int64 {
	t.Helper()
	id, err := db.InsertOutgoing(context.Background(), Message{
		Conversation: conv, Sender: from, SentAt: sent, Body: body, Payload: []byte("payload:" + body),
	})
	if err != nil {
		t.Fatalf("InsertOutgoing: %v", err)
	}
	return id
}

func mustConversation(t testing.TB, db *DB, id keys.ID) Conversation {
	t.Helper()
	c, err := db.Conversation(context.Background(), id)
	if err != nil {
		t.Fatalf("Conversation(%v): %v", id, err)
	}
	return c
}

func mustMessage(t testing.TB, db *DB, id int64) Message {
	t.Helper()
	m, err := db.Message(context.Background(), id)
	if err != nil {
		t.Fatalf("Message(%d): %v", id, err)
	}
	return m
}
