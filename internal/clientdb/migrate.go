package clientdb

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"

	"github.com/session-go/session-go/internal/sqlmigrate"
)

// migrationFS holds the schema: migrations/NNNN_name.sql, numbered from 1
// with no gaps. A released migration is never edited; a change is a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrate brings db's schema up to date with the migrations of fsys (see
// package sqlmigrate).
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	_, _, err := sqlmigrate.Up(ctx, db, fsys, "migrations")
	return err
}
