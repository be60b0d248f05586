package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// ownerID returns the row id of owner, or ok=false if the owner has no row.
func ownerID(tx txn, owner keys.ID) (id int64, ok bool, err error) {
	err = tx.scan(qOwnerID, []any{owner.Bytes()}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// Delete deletes the owner's messages named in hashes and returns the hashes
// it deleted, in request order. Hashes that are not stored, belong to another
// owner or have expired are not reported.
func (s *Store) Delete(ctx context.Context, owner keys.ID, hashes []string) ([]string, error) {
	var deleted []string
	err := s.write(ctx, func(tx txn) error {
		deleted = nil
		id, ok, err := ownerID(tx, owner)
		if err != nil || !ok {
			return err
		}
		nowMS := ms(s.now())
		for _, h := range hashes {
			var exp int64
			err := tx.scan(qDeleteHash, []any{h, id}, &exp)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case exp > nowMS:
				if err := bury(tx, owner, h, exp); err != nil {
					return err
				}
				deleted = append(deleted, h)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: delete: %w", err)
	}
	return deleted, nil
}

// DeleteAll deletes every message of the owner in scope and returns the
// ones it deleted.
func (s *Store) DeleteAll(ctx context.Context, owner keys.ID, scope Scope) ([]Ref, error) {
	refs, err := s.deleteWhere(ctx, owner, scope, qDeleteAll)
	if err != nil {
		return nil, fmt.Errorf("store: delete all: %w", err)
	}
	return refs, nil
}

// DeleteBefore deletes every message of the owner in scope whose timestamp
// is at or before before, and returns the ones it deleted.
func (s *Store) DeleteBefore(ctx context.Context, owner keys.ID, scope Scope, before time.Time) ([]Ref, error) {
	refs, err := s.deleteWhere(ctx, owner, scope, qDeleteBefore, ms(before))
	if err != nil {
		return nil, fmt.Errorf("store: delete before: %w", err)
	}
	return refs, nil
}

// deleteWhere runs query, a DELETE … RETURNING namespace, hash, expiry of
// the owner's messages in scope, with extra arguments from ?4 on. Expired
// rows go too, since they are gone anyway, but only live ones are reported.
func (s *Store) deleteWhere(ctx context.Context, owner keys.ID, scope Scope, query string, extra ...any) ([]Ref, error) {
	var refs []Ref
	err := s.write(ctx, func(tx txn) error {
		refs = nil
		ns, one := scope.Namespace()
		rows, err := tx.query(query, append([]any{owner.Bytes(), !one, ns}, extra...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		nowMS := ms(s.now())
		var exps []int64
		for rows.Next() {
			var (
				r   Ref
				exp int64
			)
			if err := rows.Scan(&r.Namespace, &r.Hash, &exp); err != nil {
				return err
			}
			if exp > nowMS {
				refs = append(refs, r)
				exps = append(exps, exp)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// SQLite has run the whole DELETE by the first row; the cursor is
		// closed before the tombstones go in all the same, so that no
		// statement runs on the connection while another is open.
		if err := rows.Close(); err != nil {
			return err
		}
		for i, r := range refs {
			if err := bury(tx, owner, r.Hash, exps[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return refs, err
}

// bury records the tombstone of the owner's message hash, which expires at
// expiry, in the transaction that deletes it: a delete is never committed
// without the tombstone that lets catch-up carry it to the rest of the swarm.
// Callers skip expired messages, which are gone everywhere already.
func bury(tx txn, owner keys.ID, hash string, expiry int64) error {
	_, err := tx.exec(qInsertTombstone, owner.Bytes(), hash, expiry)
	return err
}
