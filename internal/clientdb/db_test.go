package clientdb

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
)

// secretBody is a message body that must never appear on disk in the clear.
const secretBody = "the eagle lands at midnight: plaintext-canary-7f3a9c"

var secretSeed = bytes.Repeat([]byte{0xa5, 0x5a, 0xc3, 0x3c}, 8)

// plaintextFindings checks every file in dir (database, WAL, shared memory)
// for the canaries and for SQLite's plaintext header and schema, and says
// what it found where.
func plaintextFindings(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	checked := 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for what, canary := range map[string][]byte{
			"SQLite header": []byte("SQLite format 3"),
			"message body":  []byte(secretBody),
			"account seed":  secretSeed,
			"schema":        []byte("CREATE TABLE"),
		} {
			if bytes.Contains(b, canary) {
				found = append(found, e.Name()+": "+what)
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no files in %s", dir)
	}
	return found
}

func assertNoPlaintext(t *testing.T, dir string) {
	t.Helper()
	if found := plaintextFindings(t, dir); len(found) > 0 {
		t.Errorf("plaintext on disk: %q", found)
	}
}

// TestPlaintextFindings is the control for TestEncryptedAtRest: the same
// check does find the canaries in an unencrypted database.
func TestPlaintextFindings(t *testing.T) {
	dir := t.TempDir()
	plain, err := driver.Open(filepath.Join(dir, "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Exec("PRAGMA journal_mode=WAL; CREATE TABLE t (body TEXT, seed BLOB)"); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Exec("INSERT INTO t VALUES (?, ?)", secretBody, secretSeed); err != nil {
		t.Fatal(err)
	}
	found := strings.Join(plaintextFindings(t, dir), "\n")
	for _, want := range []string{"SQLite header", "message body", "account seed", "schema"} {
		if !strings.Contains(found, want) {
			t.Errorf("the check misses the %s of a plaintext database; found:\n%s", want, found)
		}
	}
}

func TestEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "client.db")
	db, err := Open(ctx, path, testKey(7))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAccount(ctx, secretSeed, "Alice"); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, db, incoming(sid(1), at(1), "h1", secretBody))
	mustOutgoing(t, db, me(t), sid(1), at(2), secretBody+" (reply)")

	// While open, the data sits in the WAL.
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no WAL file while open: %v", err)
	}
	assertNoPlaintext(t, dir)

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// After close, it has been checkpointed into the main file.
	assertNoPlaintext(t, dir)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 4096 {
		t.Fatalf("database file is %d bytes: the data is not in it", len(b))
	}

	// The same data reads back with the key.
	db = openAt(t, path, testKey(7))
	msgs, err := db.Messages(ctx, sid(1), 10, MessagePos{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Body != secretBody {
		t.Fatalf("after reopen: %+v", msgs)
	}
}

func TestWrongKey(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	mustInsert(t, db, incoming(sid(1), at(1), "h1", "hello"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for _, key := range [][]byte{testKey(2), testKey(0), append(testKey(1)[:31], 0)} {
		db2, err := Open(ctx, path, key)
		if !errors.Is(err, ErrWrongKey) {
			if db2 != nil {
				db2.Close()
			}
			t.Fatalf("Open with key %x: %v, want ErrWrongKey", key[:4], err)
		}
		if strings.Contains(err.Error(), hex.EncodeToString(key)) || strings.Contains(err.Error(), hex.EncodeToString(testKey(1))) {
			t.Errorf("error names a key: %v", err)
		}
	}

	// The failed attempts changed nothing.
	db = openAt(t, path, testKey(1))
	m, err := db.Messages(ctx, sid(1), 10, MessagePos{})
	if err != nil || len(m) != 1 || m[0].Body != "hello" {
		t.Fatalf("after wrong keys: %+v, %v", m, err)
	}
}

func TestPlaintextDatabaseIsWrongKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.db")
	plain, err := driver.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	plain.Close()
	db, err := Open(context.Background(), path, testKey(1))
	if !errors.Is(err, ErrWrongKey) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("Open of a plaintext database: %v, want ErrWrongKey", err)
	}
}

func TestInvalidKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client.db")
	for _, n := range []int{0, 16, 31, 33, 64} {
		db, err := Open(context.Background(), path, make([]byte, n))
		if !errors.Is(err, ErrInvalidKey) {
			if db != nil {
				db.Close()
			}
			t.Errorf("Open with a %d-byte key: %v, want ErrInvalidKey", n, err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused key created the file: %v", err)
	}
}

func TestOpenSettings(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	for _, c := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"temp_store", "2"}, // MEMORY
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
		{"secure_delete", "1"},
	} {
		for _, conn := range []struct {
			name string
			q    func(string) (string, error)
		}{
			{"writer", func(p string) (s string, err error) { err = db.w.QueryRowContext(ctx, "PRAGMA "+p).Scan(&s); return }},
			{"reader", func(p string) (s string, err error) { err = db.r.QueryRowContext(ctx, "PRAGMA "+p).Scan(&s); return }},
		} {
			got, err := conn.q(c.pragma)
			if err != nil {
				t.Fatalf("%s PRAGMA %s: %v", conn.name, c.pragma, err)
			}
			if got != c.want {
				t.Errorf("%s PRAGMA %s = %q, want %q", conn.name, c.pragma, got, c.want)
			}
		}
	}
	var v int
	files, _ := fs.Glob(migrationFS, "migrations/*.sql")
	if err := db.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != len(files) {
		t.Errorf("user_version = %d, %v; want %d (one per migration)", v, err, len(files))
	}
	// Readers cannot write.
	if _, err := db.r.ExecContext(ctx, "INSERT INTO kv (key, value) VALUES ('x', x'')"); err == nil {
		t.Error("a reader connection wrote")
	}
}

func TestSchemaTooNew(t *testing.T) {
	db, path := openTest(t)
	if _, err := db.w.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := Open(context.Background(), path, testKey(1))
	if !errors.Is(err, ErrSchemaTooNew) {
		if db2 != nil {
			db2.Close()
		}
		t.Fatalf("Open: %v, want ErrSchemaTooNew", err)
	}
}

func TestCancelledContext(t *testing.T) {
	db, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := db.InsertIncoming(ctx, incoming(sid(1), at(1), "h", "x")); err == nil {
		t.Error("InsertIncoming with a cancelled context succeeded")
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), testKey(1)); err == nil {
		t.Error("Open with a cancelled context succeeded")
	}
	// Nothing was stored.
	if _, err := db.Conversation(context.Background(), sid(1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Conversation: %v, want ErrNotFound", err)
	}
}

func TestOpenError(t *testing.T) {
	if errors.Is(openError("x.db", sqlite3.CANTOPEN), ErrWrongKey) {
		t.Error("CANTOPEN became ErrWrongKey")
	}
	if !errors.Is(openError("x.db", sqlite3.NOTADB), ErrWrongKey) {
		t.Error("NOTADB is not ErrWrongKey")
	}
}

// The database and SQLite's side files are private to the user whatever the
// umask, and an existing database made readable by others is tightened.
func TestFileModes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "loose.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // as an older version left it
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, filepath.Join(dir, "fresh.db")} {
		db, err := Open(ctx, p, testKey(1))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Put(ctx, "k", []byte("v")); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{p, p + "-wal", p + "-shm"} {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("%s has mode %o, want 600", filepath.Base(f), m)
			}
		}
		db.Close()
	}
}
