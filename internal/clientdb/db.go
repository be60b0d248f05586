package clientdb

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/ext/fts5"
	_ "github.com/ncruces/go-sqlite3/vfs/adiantum" // registers the "adiantum" VFS
)

// KeySize is the size of a database key.
const KeySize = 32

// busyTimeout is how long a connection waits for a lock held by another
// connection (a WAL checkpoint, or a second process on the same home) before
// failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// readers is the number of read connections. A client reads little at a
// time; a few connections let the UI read while the network layer writes.
const readers = 4

// DB is an open client database. Its methods are safe for concurrent use.
//
// Writes go through a single connection, so that they queue in Go instead of
// contending for SQLite's write lock; reads use a small pool of query-only
// connections that, thanks to WAL, run beside the writer on a consistent
// snapshot each.
type DB struct {
	w   *sql.DB
	r   *sql.DB
	now func() time.Time
}

// Open opens the encrypted database at path with key (KeySize bytes),
// creating it if needed, and brings its schema up to date. It fails with
// ErrWrongKey if the file exists and key does not decrypt it.
func Open(ctx context.Context, path string, key []byte) (*DB, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: want %d bytes, got %d", ErrInvalidKey, KeySize, len(key))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("clientdb: database path %q: %w", path, err)
	}
	// A file: URI so that the driver takes vfs and _txlock; the path is
	// escaped so that '?' or '#' in a directory name is not URI syntax. The
	// key is not a URI parameter: SQLite hands file names around (journal
	// names, error messages), and the key must not travel with them.
	// SQLite creates its files with mode 0666 less the umask: the database
	// is made here, 0600, before SQLite opens it, and an existing one is
	// tightened to 0600 (it may come from an older version or a copy).
	if err := createPrivate(abs); err != nil {
		return nil, fmt.Errorf("clientdb: database %q: %w", path, err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "vfs=adiantum&_txlock=immediate"}
	dsn := u.String()

	// The hex key stays in this closure for as long as the pool may open a
	// connection. A string cannot be wiped, but neither can SQLite's copy.
	hexKey := hex.EncodeToString(key)
	setup := func(c *sqlite3.Conn, extra string) error {
		// The key must be set before anything reads the file.
		if err := c.Exec("PRAGMA hexkey='" + hexKey + "'"); err != nil {
			// Not wrapped as is: the error names no key today, but the
			// statement holds one and the message is SQLite's to change.
			var code sqlite3.ErrorCode
			errors.As(err, &code)
			return fmt.Errorf("setting the database key: %w", code)
		}
		// The first read of page 1. Under a wrong key it decrypts to noise
		// without SQLite's header, and SQLite reports NOTADB.
		if err := c.Exec("SELECT count(*) FROM sqlite_schema"); err != nil {
			return err
		}
		if err := c.BusyTimeout(busyTimeout); err != nil {
			return err
		}
		// FTS5 (message search) is an extension of this SQLite build,
		// registered per connection; without it the schema cannot load.
		if err := fts5.Register(c); err != nil {
			return fmt.Errorf("registering FTS5: %w", err)
		}
		// synchronous=FULL: a message is persisted as sending before it goes
		// out, and that must hold across a power loss too, or a message the
		// network has could vanish from our history. A client writes little,
		// so the fsync per commit is affordable.
		//
		// secure_delete: a declined request or a deleted conversation is
		// overwritten with zeros, so that it is gone even for someone who
		// later learns the key.
		return c.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;" +
			" PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;" + extra)
	}

	db := &DB{now: time.Now}
	db.w, err = driver.Open(dsn, func(c *sqlite3.Conn) error { return setup(c, "") })
	if err != nil {
		return nil, openError(path, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.w.PingContext(ctx); err != nil {
		db.w.Close()
		return nil, openError(path, err)
	}
	if err := db.checkWAL(ctx); err != nil {
		db.w.Close()
		return nil, openError(path, err)
	}
	if err := migrate(ctx, db.w, migrationFS); err != nil {
		db.w.Close()
		return nil, openError(path, err)
	}

	db.r, err = driver.Open(dsn, func(c *sqlite3.Conn) error { return setup(c, " PRAGMA query_only=ON;") })
	if err != nil {
		db.w.Close()
		return nil, openError(path, err)
	}
	db.r.SetMaxOpenConns(readers)
	db.r.SetMaxIdleConns(readers)
	if err := db.r.PingContext(ctx); err != nil {
		db.Close()
		return nil, openError(path, err)
	}
	// The WAL and shared-memory files exist now; SQLite made them 0666
	// less the umask. They live as long as a connection does.
	for _, f := range []string{abs + "-wal", abs + "-shm"} {
		if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			db.Close()
			return nil, fmt.Errorf("clientdb: database %q: %w", path, err)
		}
	}
	return db, nil
}

// createPrivate creates the file at path with mode 0600 if it does not
// exist, and sets an existing one to 0600.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// openError maps SQLite's "not a database", which is what a wrong key looks
// like, to ErrWrongKey.
func openError(path string, err error) error {
	if errors.Is(err, sqlite3.NOTADB) {
		return fmt.Errorf("clientdb: open %q: %w", path, ErrWrongKey)
	}
	return fmt.Errorf("clientdb: open %q: %w", path, err)
}

// checkWAL makes sure the database really is in WAL mode: SQLite silently
// keeps the old journal mode where WAL is impossible, and the concurrent
// reads of this package rest on it.
func (db *DB) checkWAL(ctx context.Context) error {
	var mode string
	if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, not WAL", mode)
	}
	return nil
}

// Close closes the database. Once every connection is closed SQLite
// checkpoints the WAL into the main file.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	return errors.Join(append(errs, db.w.Close())...)
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// batchKey is the context key under which [DB.Batch] keeps its transaction;
// the key holds the DB, so that a batch of one database never leaks into
// another.
type batchKey struct{ db *DB }

// batchTx returns the transaction of the batch ctx runs in, or nil.
func (db *DB) batchTx(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(batchKey{db}).(*sql.Tx)
	return tx
}

// wq is where a write goes: the batch's transaction, or the writer.
func (db *DB) wq(ctx context.Context) querier {
	if tx := db.batchTx(ctx); tx != nil {
		return tx
	}
	return db.w
}

// rq is where a read goes: inside a batch, its transaction, so that the
// batch reads what it wrote; otherwise the reader pool.
func (db *DB) rq(ctx context.Context) querier {
	if tx := db.batchTx(ctx); tx != nil {
		return tx
	}
	return db.r
}

// Batch runs fn with a context under which every call on db shares one
// IMMEDIATE transaction, committed once fn returns nil and rolled back if
// it returns an error: a page of received messages then costs one fsync,
// not two or three per message, and is saved entirely or not at all.
// Calls under other contexts wait for the batch, as for any write, so fn
// must not wait for another goroutine that writes to db. A Batch inside a
// batch joins it.
func (db *DB) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if db.batchTx(ctx) != nil {
		return fn(ctx)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("clientdb: batch: %w", err)
	}
	if err := fn(context.WithValue(ctx, batchKey{db}, tx)); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("clientdb: batch: %w", err)
	}
	return nil
}

// write runs fn in an IMMEDIATE transaction on the writer connection and
// commits it; inside a [DB.Batch] it runs fn in the batch's transaction.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if tx := db.batchTx(ctx); tx != nil {
		// A savepoint keeps this write all or nothing inside the batch,
		// as its own transaction would have been.
		if _, err := tx.ExecContext(ctx, "SAVEPOINT write"); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			tx.ExecContext(ctx, "ROLLBACK TO write")
			tx.ExecContext(ctx, "RELEASE write")
			return err
		}
		_, err := tx.ExecContext(ctx, "RELEASE write")
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ms is t in milliseconds since the Unix epoch; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms: 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// boolInt is b as SQLite stores a flag.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
