package clientdb

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"

	"github.com/session-go/session-go/internal/keys"
)

// SetAccount stores the account's seed (16 or 32 bytes, as
// keys.NewIdentity takes it) and display name. Called again with the same
// seed it only updates the name; a different seed fails with
// ErrAccountExists, since replacing it would lose the identity for good.
func (db *DB) SetAccount(ctx context.Context, seed []byte, displayName string) error {
	if len(seed) != keys.RecoverySeedSize && len(seed) != keys.SeedSize {
		return fmt.Errorf("clientdb: set account: %w: seed of %d bytes, want %d or %d",
			ErrInvalidArgument, len(seed), keys.RecoverySeedSize, keys.SeedSize)
	}
	if err := checkName("display name", displayName); err != nil {
		return fmt.Errorf("clientdb: set account: %w", err)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var have []byte
		err := tx.QueryRowContext(ctx, "SELECT seed FROM account WHERE id = 1").Scan(&have)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx,
				"INSERT INTO account (id, seed, display_name, created) VALUES (1, ?, ?, ?)",
				seed, displayName, ms(db.now()))
			return err
		case err != nil:
			return err
		case subtle.ConstantTimeCompare(have, seed) != 1:
			return ErrAccountExists
		}
		_, err = tx.ExecContext(ctx, "UPDATE account SET display_name = ? WHERE id = 1", displayName)
		return err
	})
	if err != nil {
		return fmt.Errorf("clientdb: set account: %w", err)
	}
	return nil
}

// SetDisplayName changes the account's display name. It fails with
// ErrNoAccount before SetAccount.
func (db *DB) SetDisplayName(ctx context.Context, displayName string) error {
	if err := checkName("display name", displayName); err != nil {
		return fmt.Errorf("clientdb: set display name: %w", err)
	}
	res, err := db.wq(ctx).ExecContext(ctx, "UPDATE account SET display_name = ? WHERE id = 1", displayName)
	if err == nil {
		err = mustChange(res, ErrNoAccount)
	}
	if err != nil {
		return fmt.Errorf("clientdb: set display name: %w", err)
	}
	return nil
}

// Account returns the stored account, or ErrNoAccount.
func (db *DB) Account(ctx context.Context) (Account, error) {
	var a Account
	var created int64
	err := db.rq(ctx).QueryRowContext(ctx, "SELECT seed, display_name, created FROM account WHERE id = 1").
		Scan(&a.Seed, &a.DisplayName, &created)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNoAccount
	}
	if err != nil {
		return Account{}, fmt.Errorf("clientdb: account: %w", err)
	}
	a.Created = fromMS(created)
	return a, nil
}

// mustChange turns an UPDATE or DELETE that touched no row into notFound.
func mustChange(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}
