package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

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
