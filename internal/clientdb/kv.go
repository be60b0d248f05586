package clientdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Cursor returns the last hash retrieved from namespace ns (a name of the
// caller's choosing, such as "<swarm pubkey>/<namespace>"), or "" if none
// was recorded.
func (db *DB) Cursor(ctx context.Context, ns string) (string, error) {
	if err := checkKey("namespace", ns); err != nil {
		return "", fmt.Errorf("clientdb: cursor: %w", err)
	}
	var hash string
	err := db.r.QueryRowContext(ctx, "SELECT hash FROM cursors WHERE namespace = ?", ns).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("clientdb: cursor %q: %w", ns, err)
	}
	return hash, nil
}

// SetCursor records hash as the last retrieved from namespace ns; "" forgets
// the cursor, so that the next retrieve starts from the beginning.
func (db *DB) SetCursor(ctx context.Context, ns, hash string) error {
	if err := checkKey("namespace", ns); err != nil {
		return fmt.Errorf("clientdb: set cursor: %w", err)
	}
	var err error
	if hash == "" {
		_, err = db.w.ExecContext(ctx, "DELETE FROM cursors WHERE namespace = ?", ns)
	} else if err = checkHash(hash); err == nil {
		_, err = db.w.ExecContext(ctx,
			"INSERT INTO cursors (namespace, hash) VALUES (?, ?) ON CONFLICT (namespace) DO UPDATE SET hash = excluded.hash",
			ns, hash)
	}
	if err != nil {
		return fmt.Errorf("clientdb: set cursor %q: %w", ns, err)
	}
	return nil
}

// MarkSeen records that the message with hash was processed, whatever it
// held, until expires (the storage server's expiry: after it the hash cannot
// come back). It reports whether the hash is new. Use it for every retrieved
// message, including those that store nothing, such as receipts and config
// messages, so that a repeated retrieve does not process them twice. A hash
// seen again keeps the later of its expiries.
func (db *DB) MarkSeen(ctx context.Context, hash string, expires time.Time) (bool, error) {
	if err := checkHash(hash); err != nil {
		return false, fmt.Errorf("clientdb: mark seen: %w", err)
	}
	var isNew bool
	err := db.write(ctx, func(tx *sql.Tx) error {
		var have int64
		err := tx.QueryRowContext(ctx, "SELECT expires FROM seen_hashes WHERE hash = ?", hash).Scan(&have)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			isNew = true
			_, err = tx.ExecContext(ctx, "INSERT INTO seen_hashes (hash, expires) VALUES (?, ?)", hash, ms(expires))
			return err
		case err != nil:
			return err
		case ms(expires) > have:
			_, err = tx.ExecContext(ctx, "UPDATE seen_hashes SET expires = ? WHERE hash = ?", ms(expires), hash)
			return err
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("clientdb: mark seen %q: %w", hash, err)
	}
	return isNew, nil
}

// Seen reports whether hash was recorded by MarkSeen and not pruned.
func (db *DB) Seen(ctx context.Context, hash string) (bool, error) {
	var one int
	err := db.r.QueryRowContext(ctx, "SELECT 1 FROM seen_hashes WHERE hash = ?", hash).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("clientdb: seen %q: %w", hash, err)
	}
	return true, nil
}

// PruneSeen forgets the seen hashes that expired before now and returns
// how many.
func (db *DB) PruneSeen(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, "DELETE FROM seen_hashes WHERE expires < ?", ms(now))
	if err != nil {
		return 0, fmt.Errorf("clientdb: prune seen: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("clientdb: prune seen: %w", err)
	}
	return n, nil
}

// Get returns the value stored under key, or ErrNotFound.
func (db *DB) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey("key", key); err != nil {
		return nil, fmt.Errorf("clientdb: get: %w", err)
	}
	var v []byte
	err := db.r.QueryRowContext(ctx, "SELECT value FROM kv WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("clientdb: get %q: %w", key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// Put stores value (at most MaxValueBytes; empty is allowed) under key,
// replacing what was there.
func (db *DB) Put(ctx context.Context, key string, value []byte) error {
	if err := checkKey("key", key); err != nil {
		return fmt.Errorf("clientdb: put: %w", err)
	}
	if len(value) > MaxValueBytes {
		return fmt.Errorf("clientdb: put %q: %w: value of %d bytes, limit %d", key, ErrInvalidArgument, len(value), MaxValueBytes)
	}
	if value == nil {
		value = []byte{} // NOT NULL: nil would bind as NULL
	}
	_, err := db.w.ExecContext(ctx,
		"INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	if err != nil {
		return fmt.Errorf("clientdb: put %q: %w", key, err)
	}
	return nil
}

// Delete removes key; removing a missing key is not an error.
func (db *DB) Delete(ctx context.Context, key string) error {
	if _, err := db.w.ExecContext(ctx, "DELETE FROM kv WHERE key = ?", key); err != nil {
		return fmt.Errorf("clientdb: delete %q: %w", key, err)
	}
	return nil
}
