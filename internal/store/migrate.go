package store

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"
	"log/slog"

	"github.com/session-go/session-go/internal/sqlmigrate"
)

// migrationFS holds the schema: migrations/NNNN_name.sql, numbered from 1
// with no gaps. A released migration is never edited; a change is a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrate brings db's schema up to date with the migrations of fsys (see
// package sqlmigrate) and logs an upgrade, which an operator may want to
// know happened before looking at a node's database by hand.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS, log *slog.Logger) error {
	from, to, err := sqlmigrate.Up(ctx, db, fsys, "migrations")
	if err != nil {
		return err
	}
	if from != to {
		log.Info("database schema upgraded", "from", from, "to", to)
	}
	return nil
}
