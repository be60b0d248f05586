package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/blake2b"

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
//
// proof is the owner's signed request that asked for the deletion: the
// tombstones keep it (once, however many they are), so that catch-up can
// show it to the peers that missed the deletion. It may be nil (no peer will
// then act on the tombstones) and is at most MaxProofLength bytes. The same
// holds for DeleteAll and DeleteBefore.
func (s *Store) Delete(ctx context.Context, owner keys.ID, hashes []string, proof []byte) ([]string, error) {
	if err := checkProof(proof); err != nil {
		return nil, fmt.Errorf("store: delete: %w", err)
	}
	var deleted []string
	err := s.writeMakingRoom(ctx, func(tx txn) error {
		deleted = nil
		id, ok, err := ownerID(tx, owner)
		if err != nil || !ok {
			return err
		}
		var (
			deletion any
			recorded bool // the proof is kept, once, at the first deletion
		)
		bury := func(tx txn, owner keys.ID, hash string, exp int64) error {
			if !recorded {
				if deletion, err = recordDeletion(tx, proof); err != nil {
					return err
				}
				recorded = true
			}
			return buryWith(tx, owner, hash, exp, deletion)
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
func (s *Store) DeleteAll(ctx context.Context, owner keys.ID, scope Scope, proof []byte) ([]Ref, error) {
	refs, err := s.deleteWhere(ctx, owner, scope, proof, qDeleteAll)
	if err != nil {
		return nil, fmt.Errorf("store: delete all: %w", err)
	}
	return refs, nil
}

// DeleteBefore deletes every message of the owner in scope whose timestamp
// is at or before before, and returns the ones it deleted.
func (s *Store) DeleteBefore(ctx context.Context, owner keys.ID, scope Scope, before time.Time, proof []byte) ([]Ref, error) {
	refs, err := s.deleteWhere(ctx, owner, scope, proof, qDeleteBefore, ms(before))
	if err != nil {
		return nil, fmt.Errorf("store: delete before: %w", err)
	}
	return refs, nil
}

// deleteWhere runs query, a DELETE … RETURNING namespace, hash, expiry of
// the owner's messages in scope, with extra arguments from ?4 on. Expired
// rows go too, since they are gone anyway, but only live ones are reported.
func (s *Store) deleteWhere(ctx context.Context, owner keys.ID, scope Scope, proof []byte, query string, extra ...any) ([]Ref, error) {
	if err := checkProof(proof); err != nil {
		return nil, err
	}
	var refs []Ref
	err := s.writeMakingRoom(ctx, func(tx txn) error {
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
		if len(refs) == 0 {
			return nil
		}
		deletion, err := recordDeletion(tx, proof)
		if err != nil {
			return err
		}
		for i, r := range refs {
			if err := buryWith(tx, owner, r.Hash, exps[i], deletion); err != nil {
				return err
			}
		}
		return nil
	})
	return refs, err
}

// buryWith records the tombstone of the owner's message hash, which expires
// at expiry, in the transaction that deletes it: a delete is never committed
// without the tombstone that lets catch-up carry it to the rest of the swarm.
// deletion is the deletions row of the owner's signed delete, or nil.
// Callers skip expired messages, which are gone everywhere already.
func buryWith(tx txn, owner keys.ID, hash string, expiry int64, deletion any) error {
	_, err := tx.exec(qInsertTombstone, owner.Bytes(), hash, expiry, deletion)
	return err
}

// recordDeletion keeps proof, an owner's signed delete, once, and returns
// its deletions row id, or nil (SQL NULL) for an empty proof.
func recordDeletion(tx txn, proof []byte) (any, error) {
	if len(proof) == 0 {
		return nil, nil
	}
	digest := blake2b.Sum256(proof)
	var id int64
	if err := tx.scan(qInsertDeletion, []any{digest[:], proof}, &id); err != nil {
		return nil, err
	}
	return id, nil
}

func checkProof(proof []byte) error {
	if len(proof) > MaxProofLength {
		return fmt.Errorf("%w: proof of %d bytes (max %d)", ErrInvalidArgument, len(proof), MaxProofLength)
	}
	return nil
}
