package sqlmigrate

import "errors"

// The messages carry no package prefix: the packages that use sqlmigrate
// re-export these values as their own sentinels and wrap them with their own
// context ("store: open …: database schema is newer than this program").
var (
	// ErrSchemaTooNew reports a database whose user_version is past the last
	// migration this program has: it was written by a newer version, and
	// this one must not touch a schema it does not know.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
	// ErrInvalidMigrations reports a set of migration files that is not
	// numbered 1, 2, … with no gap or repeat, or a file whose name is not
	// NNNN_name.sql.
	ErrInvalidMigrations = errors.New("invalid set of migrations")
	// ErrMigrationFailed reports a migration whose SQL failed; nothing of
	// that upgrade was kept.
	ErrMigrationFailed = errors.New("migration failed")
)
