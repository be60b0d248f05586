package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
)

// Options configure a Store. The zero value is the defaults.
type Options struct {
	// Now is the clock for expiry decisions. Nil means time.Now.
	Now func() time.Time
	// Logger receives the sweeper's and the migrations' reports. Nil
	// discards them.
	Logger *slog.Logger
	// MaxOwnerMessages is the per-owner quota of messages in the
	// namespaces that need the owner's signature, all together: 0 means
	// DefaultMaxOwnerMessages, negative means no quota. (For this and the
	// limits below, 0 means the default and negative means none.)
	MaxOwnerMessages int64
	// MaxOwnerBytes is the same quota in bytes of message data
	// (DefaultMaxOwnerBytes).
	MaxOwnerBytes int64
	// MaxNamespaceMessages is the quota of messages in each one namespace
	// that needs the owner's signature (DefaultMaxNamespaceMessages).
	MaxNamespaceMessages int64
	// MaxNamespaceBytes is the same quota in bytes
	// (DefaultMaxNamespaceBytes).
	MaxNamespaceBytes int64
	// MaxInboxMessages bounds the messages of one owner's public-inbox
	// namespaces together (DefaultMaxInboxMessages). Past it the oldest
	// message of the sender holding the most is evicted.
	MaxInboxMessages int64
	// MaxInboxBytes is the same bound in bytes (DefaultMaxInboxBytes).
	MaxInboxBytes int64
	// MaxSenderMessages bounds what one sender (Message.Sender) holds in
	// one owner's public inbox (DefaultMaxSenderMessages). Past it the
	// sender's own oldest message is evicted.
	MaxSenderMessages int64
	// MaxSenderBytes is the same bound in bytes (DefaultMaxSenderBytes).
	MaxSenderBytes int64
	// MaxDatabaseBytes caps the database file: 0 means
	// DefaultMaxDatabaseBytes, negative means no cap.
	MaxDatabaseBytes int64
	// FullSync makes every commit fsync (synchronous=FULL), so acknowledged
	// writes also survive an operating-system crash or power loss. Without
	// it (synchronous=NORMAL) they survive the process being killed.
	FullSync bool
	// Readers is the number of read connections: 0 means 4.
	Readers int
}

// busyTimeout is how long a connection waits for a lock held by another
// connection (another process on the same file, or a WAL checkpoint) before
// failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Store is an open message database. Its methods are safe for concurrent use.
//
// Writes go through a single connection, so they are serialised in Go rather
// than contending for SQLite's write lock; reads use a pool of connections
// that, thanks to WAL, run alongside the writer and each other, each on a
// consistent snapshot.
type Store struct {
	w   *sql.DB // one connection: every write transaction
	r   *sql.DB // query_only connections: reads
	wq  *stmtCache
	rq  *stmtCache
	now func() time.Time
	log *slog.Logger

	limits limits

	evicted atomic.Int64 // Stats.Evicted

	hints *hints // what the writer knows without asking (hints.go)

	// Group commit and background checkpoints (commit.go).
	queue            chan *storeReq // unbuffered: the stores waiting now
	ckpt             *sql.DB        // one connection: WAL checkpoints
	kick             chan struct{}
	stop             chan struct{}
	closeOnce        sync.Once
	committerDone    chan struct{}
	checkpointerDone chan struct{}
	// commits counts write transactions, checkpointed how many of them
	// the last checkpoint started after (for tests).
	commits, checkpointed atomic.Int64
}

// limits are the quotas in force; <= 0 is none.
type limits struct {
	ownerMessages, ownerBytes   int64 // signed namespaces, together
	nsMessages, nsBytes         int64 // each signed namespace
	inboxMessages, inboxBytes   int64 // public-inbox namespaces, together
	senderMessages, senderBytes int64 // one sender's share of them
}

// Open opens the database at path, creating it if needed, and brings its
// schema up to date.
func Open(ctx context.Context, path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	s := &Store{
		now:   o.Now,
		log:   o.Logger,
		hints: newHints(),
		limits: limits{
			ownerMessages:  orDefault(o.MaxOwnerMessages, DefaultMaxOwnerMessages),
			ownerBytes:     orDefault(o.MaxOwnerBytes, DefaultMaxOwnerBytes),
			nsMessages:     orDefault(o.MaxNamespaceMessages, DefaultMaxNamespaceMessages),
			nsBytes:        orDefault(o.MaxNamespaceBytes, DefaultMaxNamespaceBytes),
			inboxMessages:  orDefault(o.MaxInboxMessages, DefaultMaxInboxMessages),
			inboxBytes:     orDefault(o.MaxInboxBytes, DefaultMaxInboxBytes),
			senderMessages: orDefault(o.MaxSenderMessages, DefaultMaxSenderMessages),
			senderBytes:    orDefault(o.MaxSenderBytes, DefaultMaxSenderBytes),
		},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	maxDBBytes := orDefault(o.MaxDatabaseBytes, DefaultMaxDatabaseBytes)
	readers := o.Readers
	if readers <= 0 {
		readers = 4
	}

	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: database path %q: %w", path, err)
	}
	// A file: URI so that the driver takes _txlock; the path is escaped so
	// that '?' or '#' in a directory name cannot be read as URI syntax.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "_txlock=immediate"}
	dsn := u.String()

	sync := "NORMAL"
	if o.FullSync {
		sync = "FULL"
	}
	setup := func(c *sqlite3.Conn, extra string) error {
		if err := c.BusyTimeout(busyTimeout); err != nil {
			return err
		}
		err := c.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=" + sync +
			"; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;" + extra)
		if err != nil {
			return err
		}
		if maxDBBytes > 0 {
			return setMaxPageCount(c, maxDBBytes)
		}
		return nil
	}

	// The writer never checkpoints: the checkpointer's connection does,
	// outside the stores' commits (commit.go).
	s.w, err = driver.Open(dsn, func(c *sqlite3.Conn) error { return setup(c, " PRAGMA wal_autocheckpoint=0;") })
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	if err := s.checkWAL(ctx); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	if err := migrate(ctx, s.w, migrationFS, s.log); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}

	s.r, err = driver.Open(dsn, func(c *sqlite3.Conn) error { return setup(c, " PRAGMA query_only=ON;") })
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	if s.wq, err = prepareAll(ctx, s.w, writeQueries()); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	if s.rq, err = prepareAll(ctx, s.r, readQueries()); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	s.ckpt, err = driver.Open(dsn, func(c *sqlite3.Conn) error { return setup(c, "") })
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	s.ckpt.SetMaxOpenConns(1)
	s.ckpt.SetMaxIdleConns(1)
	s.queue = make(chan *storeReq)
	s.kick = make(chan struct{}, 1)
	s.stop = make(chan struct{})
	s.committerDone = make(chan struct{})
	s.checkpointerDone = make(chan struct{})
	go s.committer()
	go s.checkpointer()
	return s, nil
}

func orDefault(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}

// setMaxPageCount caps the database at limit bytes. It is a per-connection
// setting and depends on the page size of the file, hence a query first.
func setMaxPageCount(c *sqlite3.Conn, limit int64) error {
	st, _, err := c.Prepare("PRAGMA page_size")
	if err != nil {
		return err
	}
	defer st.Close()
	if !st.Step() {
		if err := st.Err(); err != nil {
			return err
		}
		return errors.New("PRAGMA page_size returned nothing")
	}
	pageSize := st.ColumnInt64(0)
	if pageSize <= 0 {
		return fmt.Errorf("PRAGMA page_size returned %d", pageSize)
	}
	return c.Exec(fmt.Sprintf("PRAGMA max_page_count=%d", max(limit/pageSize, 1)))
}

// checkWAL makes sure the database really is in WAL mode: SQLite silently
// keeps the old journal mode where WAL is impossible, and the durability and
// read concurrency of this package rest on it.
func (s *Store) checkWAL(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, not WAL", mode)
	}
	return nil
}

// Close closes the database. Once every connection is closed SQLite
// checkpoints the WAL into the main file.
func (s *Store) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.committerDone
			<-s.checkpointerDone
		}
		if s.ckpt != nil {
			errs = append(errs, s.ckpt.Close())
		}
	})
	if s.rq != nil {
		errs = append(errs, s.rq.close())
	}
	if s.wq != nil {
		errs = append(errs, s.wq.close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	return errors.Join(append(errs, s.w.Close())...)
}

// write runs fn in an IMMEDIATE transaction on the writer connection and
// commits it. The commit returning nil is the point at which the write is
// durable (see the package documentation).
func (s *Store) write(ctx context.Context, fn func(w txn) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err)
	}
	w := txn{ctx: ctx, tx: tx, cache: s.wq}
	var version int64
	if err := w.scan(qDataVersion, nil, &version); err != nil {
		tx.Rollback()
		return dbError(err)
	}
	s.hints.begin(version)
	if err := fn(w); err != nil {
		tx.Rollback()
		s.hints.end(false)
		return dbError(err)
	}
	err = tx.Commit()
	s.hints.end(err == nil)
	s.commits.Add(1)
	// Every commit grows the WAL, and the writer never checkpoints it
	// (commit.go): stores, copies from peers, deletions and sweeps alike
	// wake the checkpointer.
	s.kickCheckpoint()
	return dbError(err)
}

// dbError turns SQLite's "database or disk is full" into ErrFull; anything
// else passes through.
func dbError(err error) error {
	if err != nil && errors.Is(err, sqlite3.FULL) && !errors.Is(err, ErrFull) {
		return fmt.Errorf("%w: %w", ErrFull, err)
	}
	return err
}

// Check runs SQLite's integrity check over the whole database and returns
// ErrCorrupt with SQLite's first findings if it fails.
func (s *Store) Check(ctx context.Context) error {
	rows, err := s.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" && len(problems) < 10 {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %q", ErrCorrupt, problems)
	}
	return nil
}

// Stats reports the totals for metrics.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.r.QueryRowContext(ctx, `
		SELECT count(*), coalesce(sum(msg_count), 0), coalesce(sum(msg_bytes), 0),
		       (SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size())
		FROM owners WHERE msg_count > 0`).Scan(&st.Owners, &st.Messages, &st.DataBytes, &st.FileBytes)
	if err != nil {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	st.Evicted = s.evicted.Load()
	return st, nil
}
