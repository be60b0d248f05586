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
	err := db.rq(ctx).QueryRowContext(ctx, "SELECT hash FROM cursors WHERE namespace = ?", ns).Scan(&hash)
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
		_, err = db.wq(ctx).ExecContext(ctx, "DELETE FROM cursors WHERE namespace = ?", ns)
	} else if err = checkHash(hash); err == nil {
		_, err = db.wq(ctx).ExecContext(ctx,
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
	news, err := db.MarkSeenAll(ctx, expires, hash)
	if err != nil {
		return false, err
	}
	return news[0], nil
}

// MarkSeenAll is MarkSeen for several hashes in one transaction (one disk
// flush), such as a message's hash and the key of its content. It reports
// for each hash whether it is new.
func (db *DB) MarkSeenAll(ctx context.Context, expires time.Time, hashes ...string) ([]bool, error) {
	for _, h := range hashes {
		if err := checkHash(h); err != nil {
			return nil, fmt.Errorf("clientdb: mark seen: %w", err)
		}
	}
	news := make([]bool, len(hashes))
	err := db.write(ctx, func(tx *sql.Tx) error {
		for i, hash := range hashes {
			isNew, err := markSeen(ctx, tx, hash, expires)
			if err != nil {
				return err
			}
			news[i] = isNew
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("clientdb: mark seen %q: %w", hashes, err)
	}
	return news, nil
}

// markSeen records one hash in tx.
func markSeen(ctx context.Context, tx *sql.Tx, hash string, expires time.Time) (bool, error) {
	var isNew bool
	err := func() error {
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
	}()
	return isNew, err
}

// Seen reports whether hash was recorded by MarkSeen and not pruned.
func (db *DB) Seen(ctx context.Context, hash string) (bool, error) {
	var one int
	err := db.rq(ctx).QueryRowContext(ctx, "SELECT 1 FROM seen_hashes WHERE hash = ?", hash).Scan(&one)
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
	res, err := db.wq(ctx).ExecContext(ctx, "DELETE FROM seen_hashes WHERE expires < ?", ms(now))
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
	err := db.rq(ctx).QueryRowContext(ctx, "SELECT value FROM kv WHERE key = ?", key).Scan(&v)
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
	_, err := db.wq(ctx).ExecContext(ctx,
		"INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	if err != nil {
		return fmt.Errorf("clientdb: put %q: %w", key, err)
	}
	return nil
}

// Delete removes key; removing a missing key is not an error.
func (db *DB) Delete(ctx context.Context, key string) error {
	if _, err := db.wq(ctx).ExecContext(ctx, "DELETE FROM kv WHERE key = ?", key); err != nil {
		return fmt.Errorf("clientdb: delete %q: %w", key, err)
	}
	return nil
}
