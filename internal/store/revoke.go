package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// RevocationTokenSize is the size of a subaccount token.
const RevocationTokenSize = 36

// MaxRevocations is how many decisions (revocations and unrevocations) the
// store keeps per owner. Past it the unrevocations go first, then the oldest
// revocations. Session's storage server keeps 50 revocations per account.
const MaxRevocations = 100

// Revocation is an owner's decision about one subaccount token: revoked,
// or restored by unrevoke_subaccount.
type Revocation struct {
	// Seq is the decision's place in this node's order of changes
	// (ApplyRevocations ignores it).
	Seq int64
	// Owner is the account whose subaccount it is.
	Owner keys.ID
	// Token is the subaccount token.
	Token [RevocationTokenSize]byte
	// Revoked is true for a revocation, false for an unrevocation.
	Revoked bool
	// At is the signed timestamp of the request; the newest decision wins.
	At time.Time
	// Proof is the owner's signed request, nil if none.
	Proof []byte
}

const (
	qRevocationOf    = `SELECT revoked, at FROM revocations WHERE owner = ? AND token = ?`
	qPutRevocation   = `INSERT OR REPLACE INTO revocations (owner, token, revoked, at, proof) VALUES (?, ?, ?, ?, ?)`
	qTrimRevocations = `
		DELETE FROM revocations WHERE seq IN (
			SELECT seq FROM revocations WHERE owner = ?
			ORDER BY revoked DESC, at DESC, seq DESC LIMIT -1 OFFSET ?)`
	qIsRevoked            = `SELECT revoked FROM revocations WHERE owner = ? AND token = ?`
	qListRevocationsSince = `
		SELECT seq, owner, token, revoked, at, proof FROM revocations
		WHERE seq > ? ORDER BY seq LIMIT ?`
)

// ApplyRevocations records owners' decisions about subaccount tokens, in one
// transaction, and returns how many changed what the store held. A decision
// older than the one held for the same token is ignored (at a tie a
// revocation wins), so applying decisions in any order, or twice, ends in
// the same state: the newest decision per token.
func (s *Store) ApplyRevocations(ctx context.Context, rs []Revocation) (int, error) {
	for i, r := range rs {
		if err := checkProof(r.Proof); err != nil {
			return 0, fmt.Errorf("store: apply revocations: decision %d: %w", i, err)
		}
	}
	if len(rs) == 0 {
		return 0, nil
	}
	changed := 0
	err := s.write(ctx, func(tx txn) error {
		changed = 0
		owners := map[keys.ID]bool{}
		for _, r := range rs {
			var revoked, at int64
			err := tx.scan(qRevocationOf, []any{r.Owner.Bytes(), r.Token[:]}, &revoked, &at)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			default:
				newAt := ms(r.At)
				if at > newAt || (at == newAt && (revoked == 1 || !r.Revoked)) {
					continue
				}
			}
			v := 0
			if r.Revoked {
				v = 1
			}
			var proof any
			if len(r.Proof) > 0 {
				proof = r.Proof
			}
			if _, err := tx.exec(qPutRevocation, r.Owner.Bytes(), r.Token[:], v, ms(r.At), proof); err != nil {
				return err
			}
			owners[r.Owner] = true
			changed++
		}
		for o := range owners {
			if _, err := tx.exec(qTrimRevocations, o.Bytes(), MaxRevocations); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: apply revocations: %w", dbError(err))
	}
	return changed, nil
}

// Revoked reports whether owner revoked token (and did not restore it
// since).
func (s *Store) Revoked(ctx context.Context, owner keys.ID, token [RevocationTokenSize]byte) (bool, error) {
	st, err := s.rq.get(qIsRevoked)
	if err != nil {
		return false, fmt.Errorf("store: revoked: %w", err)
	}
	var v int64
	err = st.QueryRowContext(ctx, owner.Bytes(), token[:]).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: revoked: %w", err)
	}
	return v == 1, nil
}

// ListRevocationsSince returns up to limit decisions changed after sequence
// number after (0 for the start), in the order they changed, for catch-up.
func (s *Store) ListRevocationsSince(ctx context.Context, after int64, limit int) ([]Revocation, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: list revocations: %w: limit %d", ErrInvalidArgument, limit)
	}
	st, err := s.rq.get(qListRevocationsSince)
	if err != nil {
		return nil, fmt.Errorf("store: list revocations: %w", err)
	}
	rows, err := st.QueryContext(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list revocations: %w", err)
	}
	defer rows.Close()
	var out []Revocation
	for rows.Next() {
		var (
			r       Revocation
			pk, tok []byte
			v, at   int64
		)
		if err := rows.Scan(&r.Seq, &pk, &tok, &v, &at, &r.Proof); err != nil {
			return nil, fmt.Errorf("store: list revocations: %w", err)
		}
		if len(pk) != keys.IDSize || len(tok) != RevocationTokenSize {
			return nil, fmt.Errorf("store: list revocations: %w: owner or token of the wrong size", ErrCorrupt)
		}
		r.Owner.Prefix = keys.Prefix(pk[0])
		copy(r.Owner.Key[:], pk[1:])
		copy(r.Token[:], tok)
		r.Revoked, r.At = v == 1, fromMS(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list revocations: %w", err)
	}
	return out, nil
}
