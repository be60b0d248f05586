package fileserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"

	"github.com/session-go/session-go/internal/blake2param"
	"github.com/session-go/session-go/internal/sqlmigrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// idSalt is the salt of Session's file server's content address.
const idSalt = "SessionFileSvr\x00\x00"

// IDLen is the length of a file id: urlsafe base64 of 33 bytes.
const IDLen = 44

// FileID returns the id Session's file server gives to data.
func FileID(data []byte) string {
	h := blake2param.New(33, nil, []byte(idSalt), nil)
	h.Write(data)
	return base64.URLEncoding.EncodeToString(h.Sum())
}

// validID reports whether id can be a file id, which also makes it safe as
// a file name.
func validID(id string) bool {
	if len(id) != IDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// fileInfo is one row of the files table.
type fileInfo struct {
	Size     int64
	Uploaded float64
	Expires  float64
}

// store is the files folder and its database.
type store struct {
	dir string
	db  *sql.DB
}

func openStore(ctx context.Context, dir string) (*store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "files"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStorage, err)
		}
	}
	abs, err := filepath.Abs(filepath.Join(dir, "fileserver.db"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "_txlock=immediate"}
	db, err := driver.Open(u.String(), func(c *sqlite3.Conn) error {
		if err := c.BusyTimeout(5 * time.Second); err != nil {
			return err
		}
		return c.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
	})
	if err != nil {
		return nil, fmt.Errorf("%w: open database: %w", ErrStorage, err)
	}
	db.SetMaxOpenConns(1) // one writer; the server's queries are tiny
	if _, _, err := sqlmigrate.Up(ctx, db, migrationFS, "migrations"); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	s := &store{dir: dir, db: db}
	if err := s.reconcile(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *store) close() error { return s.db.Close() }

func (s *store) path(id string) string { return filepath.Join(s.dir, "files", id) }

// reconcile makes disk and database agree after a crash: it removes
// half-written uploads, files without a row and rows without a file.
func (s *store) reconcile(ctx context.Context) error {
	tmp, _ := os.ReadDir(filepath.Join(s.dir, "tmp"))
	for _, e := range tmp {
		os.Remove(filepath.Join(s.dir, "tmp", e.Name()))
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM files")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStorage, err)
	}
	known := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("%w: %w", ErrStorage, err)
		}
		known[id] = true
	}
	rows.Close()
	entries, err := os.ReadDir(filepath.Join(s.dir, "files"))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStorage, err)
	}
	for _, e := range entries {
		if !known[e.Name()] {
			os.Remove(filepath.Join(s.dir, "files", e.Name()))
			continue
		}
		delete(known, e.Name())
	}
	for id := range known {
		if _, err := s.db.ExecContext(ctx, "DELETE FROM files WHERE id = ?", id); err != nil {
			return fmt.Errorf("%w: %w", ErrStorage, err)
		}
	}
	return nil
}

func (s *store) info(ctx context.Context, id string, now float64) (fileInfo, bool, error) {
	var fi fileInfo
	err := s.db.QueryRowContext(ctx, "SELECT size, uploaded, expires FROM files WHERE id = ? AND expires > ?", id, now).
		Scan(&fi.Size, &fi.Uploaded, &fi.Expires)
	if errors.Is(err, sql.ErrNoRows) {
		return fi, false, nil
	}
	if err != nil {
		return fi, false, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return fi, true, nil
}

func (s *store) totalBytes(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT coalesce(sum(size), 0) FROM files").Scan(&n); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return n, nil
}

// put stores data under id: written to tmp/, synced, renamed into files/,
// then recorded. An id already stored only has its expiry pushed out,
// unless its file on disk differs from data (damaged, or changed by
// someone with access to the disk): the upload then repairs it, which is
// how a sender mends a copy its recipients refused.
func (s *store) put(ctx context.Context, id string, data []byte, now, expires float64) (float64, error) {
	if fi, ok, err := s.info(ctx, id, now); err != nil {
		return 0, err
	} else if ok && sameFile(s.path(id), data) {
		exp := max(fi.Expires, expires)
		_, err := s.db.ExecContext(ctx, "UPDATE files SET expires = ? WHERE id = ?", exp, id)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		return exp, nil
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(s.dir, "tmp", hex.EncodeToString(rnd[:]))
	if err := writeSynced(tmp, data); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	if err := os.Rename(tmp, s.path(id)); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	if d, err := os.Open(filepath.Join(s.dir, "files")); err == nil {
		d.Sync()
		d.Close()
	}
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO files (id, size, uploaded, expires) VALUES (?, ?, ?, ?) "+
			"ON CONFLICT (id) DO UPDATE SET size = excluded.size, uploaded = excluded.uploaded, expires = excluded.expires",
		id, len(data), now, expires)
	if err != nil {
		os.Remove(s.path(id))
		return 0, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return expires, nil
}

// sameFile reports whether the file at path holds exactly data, reading
// it a piece at a time.
func sameFile(path string, data []byte) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != int64(len(data)) {
		return false
	}
	buf := make([]byte, 64<<10)
	for off := 0; off < len(data); {
		n, err := io.ReadFull(f, buf[:min(len(buf), len(data)-off)])
		if err != nil || !bytes.Equal(buf[:n], data[off:off+n]) {
			return false
		}
		off += n
	}
	return true
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (s *store) extend(ctx context.Context, id string, now, expires float64) (fileInfo, bool, error) {
	fi, ok, err := s.info(ctx, id, now)
	if err != nil || !ok {
		return fi, ok, err
	}
	fi.Expires = max(fi.Expires, expires)
	if _, err := s.db.ExecContext(ctx, "UPDATE files SET expires = ? WHERE id = ?", fi.Expires, id); err != nil {
		return fi, false, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return fi, true, nil
}

// open returns the stored file if it has not expired.
func (s *store) open(ctx context.Context, id string, now float64) (*os.File, fileInfo, error) {
	fi, ok, err := s.info(ctx, id, now)
	if err != nil || !ok {
		return nil, fi, err
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		return nil, fi, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	return f, fi, nil
}

// sweep deletes every expired file: the row first, so that a crash in
// between leaves a file that reconcile removes, never a row without data.
func (s *store) sweep(ctx context.Context, now float64) (int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM files WHERE expires <= ? LIMIT 1000", now)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	n := 0
	for _, id := range ids {
		if _, err := s.db.ExecContext(ctx, "DELETE FROM files WHERE id = ? AND expires <= ?", id, now); err != nil {
			return n, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		n++
	}
	return n, nil
}
