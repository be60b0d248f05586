// Package sqlmigrate brings a SQLite database's schema up to date from a
// folder of numbered SQL files, such as an embedded migrations/ folder.
//
// A migration is a file NNNN_name.sql; the numbers run 1, 2, … with no gap
// or repeat, and a released file is never edited: a change of schema is a
// new file. The database's PRAGMA user_version is the number of migrations
// it has had. [Apply] runs the missing ones and sets user_version in one
// IMMEDIATE transaction, so that a failure leaves the database exactly as it
// was and two processes opening the same file cannot both apply a step. A
// database with a higher user_version than the program knows is refused with
// [ErrSchemaTooNew] rather than written to.
package sqlmigrate

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one step of a schema.
type Migration struct {
	// Version is the number the file name starts with; the database's
	// user_version is Version once this step has run.
	Version int
	// Name is the file name, NNNN_name.sql, for error messages.
	Name string
	// SQL is the file's content: one or more statements.
	SQL string
}

// Load reads the .sql files of the folder dir in fsys, in the order of their
// numbers, and checks that the numbers run 1, 2, … with no gap or repeat.
// Files not ending in .sql, and subfolders, are ignored.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		if !ok {
			return nil, fmt.Errorf("%w: file %q is not named NNNN_name.sql", ErrInvalidMigrations, name)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%w: file %q does not start with a positive number", ErrInvalidMigrations, name)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	if err := checkNumbers(ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// checkNumbers makes sure that ms[i] is step i+1, which is what lets
// user_version stand for "the first user_version steps have run".
func checkNumbers(ms []Migration) error {
	for i, m := range ms {
		if m.Version != i+1 {
			return fmt.Errorf("%w: file %q has number %d, want %d (numbers run from 1 with no gap or repeat)", ErrInvalidMigrations, m.Name, m.Version, i+1)
		}
	}
	return nil
}

// Apply runs the migrations of ms that the database lacks, that is
// ms[user_version:], and sets user_version to len(ms), all in one
// transaction. It returns the schema version it found and the one it left;
// they are equal when there was nothing to do. On error the database is as
// it was. ms must be numbered as [Load] returns it.
//
// The transaction is IMMEDIATE (the ncruces driver begins a serializable
// transaction that way, whatever the DSN says): it takes the write lock
// before reading user_version, so a second process waits for the first
// upgrade and then finds nothing left to do, instead of running the same
// step again. db's busy timeout decides how long it waits.
func Apply(ctx context.Context, db *sql.DB, ms []Migration) (from, to int, err error) {
	if err := checkNumbers(ms); err != nil {
		return 0, 0, err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return 0, 0, fmt.Errorf("migrations: %w", err)
	}
	defer tx.Rollback()

	var have int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return 0, 0, fmt.Errorf("migrations: %w", err)
	}
	if have > len(ms) {
		return 0, 0, fmt.Errorf("%w: schema version %d, this program knows up to %d", ErrSchemaTooNew, have, len(ms))
	}
	if have == len(ms) {
		return have, have, nil
	}
	for _, m := range ms[have:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return 0, 0, fmt.Errorf("%w: %s: %w", ErrMigrationFailed, m.Name, err)
		}
	}
	// PRAGMA takes no parameters; the value is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(ms))); err != nil {
		return 0, 0, fmt.Errorf("migrations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("migrations: %w", err)
	}
	return have, len(ms), nil
}

// Up loads the migrations of the folder dir in fsys and applies them to db:
// [Load] then [Apply].
func Up(ctx context.Context, db *sql.DB, fsys fs.FS, dir string) (from, to int, err error) {
	ms, err := Load(fsys, dir)
	if err != nil {
		return 0, 0, err
	}
	return Apply(ctx, db, ms)
}
