package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ncruces/go-sqlite3/driver"
)

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := driver.Open("file:" + filepath.ToSlash(path) + "?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func userVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func migrations(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys["migrations/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

func TestEmbeddedMigrationsAreNumbered(t *testing.T) {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].name != "0001_init.sql" {
		t.Fatalf("embedded migrations: %+v", ms)
	}
}

func TestOpenTwiceAppliesSchemaOnce(t *testing.T) {
	c := newClock()
	s, path := openTest(t, c, nil)
	mustStore(t, s, newMsg(owner(1), 0, "kept", c.Now(), time.Minute))
	s.Close()

	db := rawDB(t, path)
	var objects int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&objects); err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations(migrationFS)
	if v := userVersion(t, db); v != len(ms) {
		t.Fatalf("user_version = %d, want %d", v, len(ms))
	}
	db.Close()

	for range 2 {
		s = openAt(t, path, c, nil)
		s.Close()
	}
	db = rawDB(t, path)
	var again int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&again); err != nil {
		t.Fatal(err)
	}
	if again != objects || userVersion(t, db) != len(ms) {
		t.Errorf("reopening changed the schema: %d objects (was %d), user_version %d", again, objects, userVersion(t, db))
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM messages").Scan(&n); err != nil || n != 1 {
		t.Errorf("messages after reopening: %d, %v", n, err)
	}
}

func TestMigrateAppliesOnlyMissingSteps(t *testing.T) {
	ctx := t.Context()
	db := rawDB(t, filepath.Join(t.TempDir(), "m.db"))
	v1 := migrations(map[string]string{"0001_a.sql": "CREATE TABLE a (x);"})
	if err := migrate(ctx, db, v1, discard()); err != nil {
		t.Fatal(err)
	}
	if userVersion(t, db) != 1 || !tableExists(t, db, "a") {
		t.Fatal("first migration not applied")
	}
	// Re-running step 1 would fail (the table exists), so success means it
	// was skipped.
	v2 := migrations(map[string]string{
		"0001_a.sql": "CREATE TABLE a (x);",
		"0002_b.sql": "CREATE TABLE b (y); INSERT INTO a VALUES (1);",
	})
	if err := migrate(ctx, db, v2, discard()); err != nil {
		t.Fatal(err)
	}
	if userVersion(t, db) != 2 || !tableExists(t, db, "b") {
		t.Fatal("second migration not applied")
	}
	if err := migrate(ctx, db, v2, discard()); err != nil {
		t.Fatalf("migrating an up-to-date database: %v", err)
	}
	var n int
	db.QueryRow("SELECT count(*) FROM a").Scan(&n)
	if n != 1 {
		t.Errorf("step 2 ran %d times", n)
	}
	if err := migrate(ctx, db, v1, discard()); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("older program on a newer database: %v, want ErrSchemaTooNew", err)
	}
}

func TestFailedMigrationLeavesNoTrace(t *testing.T) {
	ctx := t.Context()
	db := rawDB(t, filepath.Join(t.TempDir(), "m.db"))
	broken := migrations(map[string]string{
		"0001_a.sql": "CREATE TABLE a (x);",
		"0002_b.sql": "CREATE TABLE b (y); CREATE TABLE broken (",
	})
	if err := migrate(ctx, db, broken, discard()); err == nil {
		t.Fatal("a broken migration succeeded")
	}
	if userVersion(t, db) != 0 || tableExists(t, db, "a") || tableExists(t, db, "b") {
		t.Error("a failed upgrade left part of its work behind")
	}
}

func TestLoadMigrationsRejectsBadSets(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"a gap":                 {"0001_a.sql": "", "0003_c.sql": ""},
		"a repeated number":     {"0001_a.sql": "", "0001_b.sql": ""},
		"a name with no number": {"0001_a.sql": "", "init.sql": ""},
		"number zero":           {"0000_a.sql": ""},
		"no number before _":    {"x_a.sql": ""},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := loadMigrations(migrations(files)); err == nil {
				t.Error("accepted")
			}
		})
	}
	ms, err := loadMigrations(migrations(map[string]string{"0002_b.sql": "2", "0001_a.sql": "1", "README.md": ""}))
	if err != nil || len(ms) != 2 || ms[0].sql != "1" || ms[1].sql != "2" {
		t.Errorf("two files out of order: %+v, %v", ms, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, path := openTest(t, newClock(), nil)
	s.Close()
	db := rawDB(t, path)
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(context.Background(), path, nil)
	if err == nil {
		s.Close()
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open of a newer database: %v, want ErrSchemaTooNew", err)
	}
}
