package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/session-go/session-go/internal/sqlmigrate"
)

// TestDeletedMessagesAreNotReplicatedBack checks every kind of delete: a
// copy of a deleted message from a peer that missed the deletion is dropped
// as Buried, and stays deleted.
func TestDeletedMessagesAreNotReplicatedBack(t *testing.T) {
	o := owner(1)
	deletes := map[string]func(ctx context.Context, s *Store, m Message) error{
		"delete": func(ctx context.Context, s *Store, m Message) error {
			got, err := s.Delete(ctx, o, []string{m.Hash}, nil)
			if err == nil && !equalStrings(got, []string{m.Hash}) {
				t.Errorf("Delete reported %q", got)
			}
			return err
		},
		"delete_all": func(ctx context.Context, s *Store, m Message) error {
			_, err := s.DeleteAll(ctx, o, AllNamespaces(), nil)
			return err
		},
		"delete_all of a namespace": func(ctx context.Context, s *Store, m Message) error {
			_, err := s.DeleteAll(ctx, o, Namespace(m.Namespace), nil)
			return err
		},
		"delete_before": func(ctx context.Context, s *Store, m Message) error {
			_, err := s.DeleteBefore(ctx, o, Namespace(m.Namespace), m.Timestamp, nil)
			return err
		},
	}
	for name, del := range deletes {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			c := newClock()
			s, _ := openTest(t, c, nil)
			m := newMsg(o, 3, "deleted", c.Now(), time.Hour)
			mustStore(t, s, m)
			if err := del(ctx, s, m); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Second)
			// The peer may have extended it: a later expiry must not help.
			for _, exp := range []time.Time{m.Expiry, m.Expiry.Add(time.Hour)} {
				cp := m
				cp.Expiry = exp
				res, err := s.Replicate(ctx, []Message{cp})
				if err != nil || len(res) != 1 || res[0].Outcome != Buried || !res[0].Expiry.IsZero() {
					t.Fatalf("Replicate of a deleted message: %+v, %v; want Buried", res, err)
				}
			}
			if got, _, err := s.Retrieve(ctx, o, m.Namespace, "", RetrieveLimits{}); err != nil || len(got) != 0 {
				t.Errorf("after the replicate, Retrieve = %q, %v; want nothing", hashesOf(got), err)
			}
			recs, err := s.ListSince(ctx, 0, 10)
			if err != nil || len(recs) != 0 {
				t.Errorf("ListSince = %d records, %v; want none", len(recs), err)
			}
		})
	}
}

func TestBuriedString(t *testing.T) {
	if got := Buried.String(); got != "buried" {
		t.Errorf("Buried.String() = %q", got)
	}
	if got := Expired.String(); got != "expired" {
		t.Errorf("Expired.String() = %q", got)
	}
}

// TestReplicateBuriesOnlyTheDeletedMessage: a batch with a deleted message
// stores the rest, and a tombstone is per owner.
func TestReplicateBuriesOnlyTheDeletedMessage(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	dead := newMsg(owner(1), 0, "dead", c.Now(), time.Hour)
	alive := newMsg(owner(1), 0, "alive", c.Now(), time.Hour)
	mustStore(t, s, dead)
	if _, err := s.Delete(ctx, owner(1), []string{dead.Hash}, nil); err != nil {
		t.Fatal(err)
	}
	// A peer's tombstone naming another owner with the hash of alive: it
	// must neither delete alive nor stop its replication.
	if n, err := s.ApplyTombstones(ctx, []Tombstone{{Owner: owner(2), Hash: alive.Hash, Expiry: alive.Expiry}}, nil); err != nil || n != 0 {
		t.Fatalf("ApplyTombstones for another owner = %d, %v", n, err)
	}
	res, err := s.Replicate(ctx, []Message{dead, alive})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != Buried || res[1].Outcome != Stored {
		t.Errorf("Replicate outcomes %v, %v; want buried, stored", res[0].Outcome, res[1].Outcome)
	}
	got, _, _ := s.Retrieve(ctx, owner(1), 0, "", RetrieveLimits{})
	if !equalStrings(hashesOf(got), []string{alive.Hash}) {
		t.Errorf("Retrieve = %q, want only the live message", hashesOf(got))
	}
}

// TestStoreOverridesTombstone: the owner's side storing a deleted message
// again is newer than the deletion, so peers may replicate it again.
func TestStoreOverridesTombstone(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	m := newMsg(owner(1), 0, "again", c.Now(), time.Hour)
	mustStore(t, s, m)
	if _, err := s.Delete(ctx, owner(1), []string{m.Hash}, nil); err != nil {
		t.Fatal(err)
	}
	if r := mustStore(t, s, m); r.Outcome != Stored {
		t.Fatalf("Store after delete: %v, want stored", r.Outcome)
	}
	ts, err := s.ListTombstonesSince(ctx, 0, 10)
	if err != nil || len(ts) != 0 {
		t.Errorf("tombstones after the new store: %+v, %v; want none", ts, err)
	}
	if _, err := s.Delete(ctx, owner(1), []string{m.Hash}, nil); err != nil {
		t.Fatal(err)
	}
	if res, err := s.Replicate(ctx, []Message{m}); err != nil || res[0].Outcome != Buried {
		t.Errorf("Replicate after the second delete: %v, %v; want buried", res, err)
	}
}

func TestTombstonesListApplySweep(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	a, _ := openTest(t, c, nil) // the node that deletes
	b, _ := openTest(t, c, nil) // a member that missed the deletes
	o := owner(1)
	var msgs []Message
	for i := range 7 {
		msgs = append(msgs, newMsg(o, int16(i%2), string(rune('a'+i)), c.Now(), time.Duration(i+1)*time.Minute))
	}
	expired := newMsg(o, 0, "soon gone", c.Now(), time.Second)
	msgs = append(msgs, expired)
	for _, s := range []*Store{a, b} {
		if _, err := s.Replicate(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	// b holds message 0 longer than a does.
	if _, err := b.Expire(ctx, o, []string{msgs[0].Hash}, []time.Time{c.Now().Add(2 * time.Hour)}, ExpireExtend); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Second) // expired is expired, not yet swept

	if _, err := a.Delete(ctx, o, []string{msgs[0].Hash, msgs[1].Hash, expired.Hash}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DeleteAll(ctx, o, Namespace(1), nil); err != nil { // 1, 3, 5
		t.Fatal(err)
	}
	if _, err := a.DeleteBefore(ctx, o, Namespace(0), c.Now(), nil); err != nil { // 2, 4, 6
		t.Fatal(err)
	}

	// Page through a's tombstones: one per live deleted message, in order.
	var all []Tombstone
	after := int64(0)
	for {
		page, err := a.ListTombstonesSince(ctx, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 3 {
			t.Fatalf("page of %d, limit 3", len(page))
		}
		for _, tb := range page {
			if tb.Seq <= after {
				t.Fatalf("seq %d after %d: not increasing", tb.Seq, after)
			}
			after = tb.Seq
		}
		all = append(all, page...)
	}
	if len(all) != 7 {
		t.Fatalf("%d tombstones, want 7 (the expired message gets none)", len(all))
	}
	byHash := map[string]Tombstone{}
	for _, tb := range all {
		byHash[tb.Hash] = tb
	}
	for _, m := range msgs[:7] {
		tb, ok := byHash[m.Hash]
		if !ok || tb.Owner != o || !tb.Expiry.Equal(m.Expiry) {
			t.Errorf("tombstone of %q: %+v, want owner and expiry %v", m.Data, tb, m.Expiry)
		}
	}
	if _, err := a.ListTombstonesSince(ctx, 0, 0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ListTombstonesSince with limit 0: %v, want ErrInvalidArgument", err)
	}

	// b applies them: its copies go, and applying again changes nothing.
	n, err := b.ApplyTombstones(ctx, all, nil)
	if err != nil || n != 7 {
		t.Fatalf("ApplyTombstones = %d, %v; want 7", n, err)
	}
	for _, ns := range []int16{0, 1} {
		if got, _, _ := b.Retrieve(ctx, o, ns, "", RetrieveLimits{}); len(got) != 0 {
			t.Errorf("b still holds %q in namespace %d", hashesOf(got), ns)
		}
	}
	first, err := b.ListTombstonesSince(ctx, 0, 100)
	if err != nil || len(first) != 7 {
		t.Fatalf("b's tombstones: %d, %v", len(first), err)
	}
	for _, tb := range first {
		if tb.Hash == msgs[0].Hash && !tb.Expiry.Equal(c.Now().Add(-2*time.Second).Add(2*time.Hour)) {
			t.Errorf("b's tombstone of the message it held longer expires at %v, want b's expiry", tb.Expiry)
		}
	}
	if n, err := b.ApplyTombstones(ctx, all, nil); err != nil || n != 0 {
		t.Errorf("ApplyTombstones again = %d, %v; want 0", n, err)
	}
	again, _ := b.ListTombstonesSince(ctx, 0, 100)
	if len(again) != len(first) {
		t.Fatalf("applying twice: %d tombstones, then %d", len(first), len(again))
	}
	for i := range again {
		if !reflect.DeepEqual(again[i], first[i]) {
			t.Errorf("applying twice changed tombstone %d: %+v, then %+v", i, first[i], again[i])
		}
	}
	if res, err := b.Replicate(ctx, msgs[:7]); err != nil {
		t.Fatal(err)
	} else {
		for i, r := range res {
			if r.Outcome != Buried {
				t.Errorf("b replicating message %d after the tombstones: %v", i, r.Outcome)
			}
		}
	}

	// Expired and bad tombstones.
	if n, err := b.ApplyTombstones(ctx, []Tombstone{{Owner: o, Hash: "old", Expiry: c.Now()}}, nil); err != nil || n != 0 {
		t.Errorf("expired tombstone: %d, %v", n, err)
	}
	if got, _ := b.ListTombstonesSince(ctx, 0, 100); len(got) != 7 {
		t.Errorf("an expired tombstone was recorded: %d tombstones", len(got))
	}
	if _, err := b.ApplyTombstones(ctx, []Tombstone{{Owner: o, Hash: "", Expiry: c.Now().Add(time.Hour)}}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("tombstone with an empty hash: %v, want ErrInvalidArgument", err)
	}

	// Tombstones last until their message's expiry, then the sweeper drops
	// them: a's after 7 min, b's of message 0 after 2 h.
	c.Advance(7*time.Minute - 2*time.Second)
	if got, _ := a.ListTombstonesSince(ctx, 0, 100); len(got) != 0 {
		t.Errorf("a lists %d tombstones past their expiry", len(got))
	}
	if _, err := a.Sweep(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Sweep(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	if n := tombstoneRows(t, a); n != 0 {
		t.Errorf("a has %d tombstone rows after the sweep, want 0", n)
	}
	if n := tombstoneRows(t, b); n != 1 {
		t.Errorf("b has %d tombstone rows after the sweep, want 1 (its longer copy)", n)
	}
	c.Advance(2 * time.Hour)
	if _, err := b.Sweep(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	if n := tombstoneRows(t, b); n != 0 {
		t.Errorf("b has %d tombstone rows after the last sweep, want 0", n)
	}
}

func tombstoneRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.w.QueryRow("SELECT count(*) FROM tombstones").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigrationFrom0001KeepsMessages opens a database file written by the
// first schema, with messages in it, and checks they survive the upgrade
// and that deletions then leave tombstones.
func TestMigrationFrom0001KeepsMessages(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	path := filepath.Join(t.TempDir(), "storage.db")

	first, err := fs.ReadFile(migrationFS, "migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	old := fstest.MapFS{"migrations/0001_init.sql": {Data: first}}
	db, err := driver.Open("file:" + filepath.ToSlash(path) + "?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, old, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	msgs := []Message{
		newMsg(owner(1), 0, "one", c.Now(), time.Hour),
		newMsg(owner(1), 2, "two", c.Now(), time.Hour),
		newMsg(owner(2), 0, "three", c.Now(), 2*time.Hour),
	}
	for _, m := range msgs {
		var id int64
		err := db.QueryRowContext(ctx, `INSERT INTO owners (pubkey) VALUES (?) ON CONFLICT DO UPDATE SET pubkey = pubkey RETURNING id`, m.Owner.Bytes()).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.ExecContext(ctx, `INSERT INTO messages (owner, namespace, hash, timestamp, expiry, data) VALUES (?, ?, ?, ?, ?, ?)`,
			id, m.Namespace, m.Hash, m.Timestamp.UnixMilli(), m.Expiry.UnixMilli(), m.Data)
		if err != nil {
			t.Fatal(err)
		}
	}
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != 1 {
		t.Fatalf("old database at user_version %d, %v; want 1", version, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	all, err := sqlmigrate.Load(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	latest := len(all)
	var logs recordLog
	s := openAt(t, path, c, &Options{Logger: slog.New(&logs)})
	if got, want := logs.find("database schema upgraded"), fmt.Sprintf("database schema upgraded from=1 to=%d", latest); len(got) != 1 || got[0] != want {
		t.Errorf("upgrade logged %q, want %q", got, want)
	}
	if v, _ := schemaOf(t, s); v != latest {
		t.Errorf("user_version after Open = %d, want %d", v, latest)
	}
	checkTotals(t, s) // migration 0003 computed its totals from the rows
	recs, err := s.ListSince(ctx, 0, 10)
	if err != nil || len(recs) != len(msgs) {
		t.Fatalf("ListSince after the upgrade: %d records, %v; want %d", len(recs), err, len(msgs))
	}
	for i, r := range recs {
		if !sameMessage(r.Message, msgs[i]) {
			t.Errorf("record %d after the upgrade: %+v, want %+v", i, r.Message, msgs[i])
		}
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Messages != 3 || st.Owners != 2 {
		t.Errorf("Stats after the upgrade: %+v, %v", st, err)
	}
	if got, err := s.Delete(ctx, owner(1), []string{msgs[1].Hash}, nil); err != nil || len(got) != 1 {
		t.Fatalf("Delete after the upgrade: %q, %v", got, err)
	}
	ts, err := s.ListTombstonesSince(ctx, 0, 10)
	if err != nil || len(ts) != 1 || ts[0].Hash != msgs[1].Hash {
		t.Errorf("tombstones after a delete: %+v, %v", ts, err)
	}
	if err := s.Check(ctx); err != nil {
		t.Error(err)
	}
}
