package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/session-go/session-go/internal/sqlmigrate"
)

// TestOpenAppliesSchemaOnce checks what package sqlmigrate's tests cannot:
// the embedded schema, the log line an operator sees when a new version of
// the node upgrades its database, and that reopening keeps the messages
// and neither changes the schema nor logs again.
func TestOpenAppliesSchemaOnce(t *testing.T) {
	ms, err := sqlmigrate.Load(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var logs recordLog
	opts := &Options{Logger: slog.New(&logs)}
	c := newClock()
	s, path := openTest(t, c, opts)
	mustStore(t, s, newMsg(owner(1), 0, "kept", c.Now(), time.Minute))
	want := fmt.Sprintf("database schema upgraded from=0 to=%d", len(ms))
	if got := logs.find("database schema upgraded"); len(got) != 1 || got[0] != want {
		t.Fatalf("first Open logged %q, want [%q]", got, want)
	}
	version, objects := schemaOf(t, s)
	if version != len(ms) {
		t.Fatalf("user_version = %d, want %d", version, len(ms))
	}
	s.Close()

	for range 2 {
		s = openAt(t, path, c, opts)
		v, n := schemaOf(t, s)
		if v != version || n != objects {
			t.Errorf("reopening changed the schema: user_version %d, %d objects (was %d, %d)", v, n, version, objects)
		}
		var msgs int
		if err := s.w.QueryRow("SELECT count(*) FROM messages").Scan(&msgs); err != nil || msgs != 1 {
			t.Errorf("messages after reopening: %d, %v", msgs, err)
		}
		s.Close()
	}
	if got := logs.find("database schema upgraded"); len(got) != 1 {
		t.Errorf("reopening an up-to-date database logged an upgrade: %q", got)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, path := openTest(t, newClock(), nil)
	if _, err := s.w.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := Open(context.Background(), path, nil)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open of a newer database: %v, want ErrSchemaTooNew", err)
	}
}

// schemaOf returns the database's user_version and number of schema objects.
func schemaOf(t *testing.T, s *Store) (version, objects int) {
	t.Helper()
	if err := s.w.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&objects); err != nil {
		t.Fatal(err)
	}
	return version, objects
}

// recordLog is a slog.Handler that keeps every record as "msg k=v …".
type recordLog struct {
	mu      sync.Mutex
	records []string // guarded by mu
}

func (*recordLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordLog) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h *recordLog) WithGroup(string) slog.Handler          { return h }

func (h *recordLog) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, line)
	return nil
}

// find returns the records whose message is msg.
func (h *recordLog) find(msg string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r == msg || strings.HasPrefix(r, msg+" ") {
			out = append(out, r)
		}
	}
	return out
}

// Migration 0006 stops keeping per-namespace totals for the public inbox: a
// database of version 5 holding inbox and signed messages comes out with
// the signed totals it had, none for the inbox, and triggers that keep it
// that way.
func TestMigrationDropsInboxNamespaceTotals(t *testing.T) {
	ctx := t.Context()
	ms, err := sqlmigrate.Load(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "storage.db")
	db, err := driver.Open("file:" + filepath.ToSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sqlmigrate.Apply(ctx, db, ms[:5]); err != nil {
		t.Fatal(err)
	}
	o := owner(1)
	for i, ns := range []int{0, 0, 2, 2, 2, -10, 13} {
		if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO owners (pubkey) VALUES (?)`, o.Bytes()); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO messages (owner, namespace, hash, timestamp, expiry, data)
			VALUES ((SELECT id FROM owners WHERE pubkey = ?), ?, ?, 1, 4102444800000, ?)`,
			o.Bytes(), ns, fmt.Sprint("hash", i), strings.Repeat("x", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	c := newClock()
	s := openAt(t, path, c, nil)
	checkTotals(t, s)
	var inboxRows, signed int
	if err := s.r.QueryRow(`SELECT count(*) FROM namespaces WHERE namespace % 10 = 0`).Scan(&inboxRows); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow(`SELECT msg_count FROM namespaces WHERE namespace = 2`).Scan(&signed); err != nil {
		t.Fatal(err)
	}
	if inboxRows != 0 || signed != 3 {
		t.Fatalf("after the migration: %d inbox namespace rows (want 0), namespace 2 counts %d (want 3)", inboxRows, signed)
	}
	// The new triggers keep it so, for inserts and deletions alike.
	mustStore(t, s, newMsg(o, 0, "new inbox", c.Now(), time.Hour))
	mustStore(t, s, newMsg(o, 2, "new signed", c.Now(), time.Hour))
	if _, err := s.Sweep(ctx, time.UnixMilli(4102444800001)); err != nil {
		t.Fatal(err)
	}
	checkTotals(t, s)
}
