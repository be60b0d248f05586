package store

import (
	"context"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// Expire changes the expiry of the owner's messages named in hashes.
// expiries holds either one expiry for all of them or one per hash. mode
// restricts the change to extending or shortening. Only messages that exist,
// belong to the owner and have not expired are touched.
//
// Expiries more than TTLMaximumPrivate + StoreTolerance ahead are cut back to
// that; the storage RPC clamps to now + TTLMaximumPrivate before it gets here
// (network spec §1.4).
func (s *Store) Expire(ctx context.Context, owner keys.ID, hashes []string, expiries []time.Time, mode ExpireMode) (ExpireResult, error) {
	if len(expiries) != 1 && len(expiries) != len(hashes) {
		return ExpireResult{}, fmt.Errorf("store: expire: %w: %d expiries for %d hashes", ErrInvalidArgument, len(expiries), len(hashes))
	}
	var query string
	switch mode {
	case ExpireSet:
		query = qExpireSet
	case ExpireExtend:
		query = qExpireExtend
	case ExpireShorten:
		query = qExpireShorten
	default:
		return ExpireResult{}, fmt.Errorf("store: expire: %w: mode %d", ErrInvalidArgument, mode)
	}

	res := ExpireResult{Unchanged: map[string]time.Time{}}
	err := s.writeMakingRoom(ctx, func(tx txn) error {
		res = ExpireResult{Unchanged: map[string]time.Time{}}
		if len(hashes) == 0 {
			return nil
		}
		id, ok, err := ownerID(tx, owner)
		if err != nil || !ok {
			return err
		}

		now := s.now()
		nowMS, limit := ms(now), ms(now)+maxExpiryAhead.Milliseconds()
		updated := make(map[string]bool, len(hashes))
		for i, h := range hashes {
			exp := expiries[0]
			if len(expiries) > 1 {
				exp = expiries[i]
			} else if updated[h] {
				// With one expiry a repeated hash is one message: report it
				// once, as the storage server does.
				continue
			}
			expMS := min(ms(exp), limit)
			r, err := tx.exec(query, expMS, h, id, nowMS)
			if err != nil {
				return err
			}
			if n, err := r.RowsAffected(); err != nil {
				return err
			} else if n > 0 {
				updated[h] = true
				res.Updated = append(res.Updated, HashExpiry{Hash: h, Expiry: fromMS(expMS)})
			}
		}
		var rest []string
		for _, h := range hashes {
			if !updated[h] {
				rest = append(rest, h)
			}
		}
		return expiriesTx(tx, owner, rest, nowMS, res.Unchanged)
	})
	if err != nil {
		return ExpireResult{}, fmt.Errorf("store: expire: %w", err)
	}
	return res, nil
}

// ExpireAll shortens to expiry the expiry of every message of the owner in
// scope that expires later, and returns those messages. It never extends.
func (s *Store) ExpireAll(ctx context.Context, owner keys.ID, scope Scope, expiry time.Time) ([]Ref, error) {
	var refs []Ref
	err := s.writeMakingRoom(ctx, func(tx txn) error {
		refs = nil
		ns, one := scope.Namespace()
		rows, err := tx.query(qExpireAll, owner.Bytes(), !one, ns, ms(expiry), ms(s.now()))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Ref
			if err := rows.Scan(&r.Namespace, &r.Hash); err != nil {
				return err
			}
			refs = append(refs, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: expire all: %w", err)
	}
	return refs, nil
}
