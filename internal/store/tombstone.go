package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// Tombstone records that an owner deleted a message, so that catch-up can
// carry the deletion to the swarm members that missed it, and so that no
// peer brings the message back.
type Tombstone struct {
	// Seq is the tombstone's place in this node's order of tombstones:
	// unique, increasing, never reused, and unrelated to the messages'
	// sequence numbers. ApplyTombstones ignores it.
	Seq int64
	// Owner is the account whose message was deleted.
	Owner keys.ID
	// Hash is the deleted message's hash.
	Hash string
	// Expiry is the deleted message's expiry, after which the tombstone has
	// nothing left to bury and the sweeper drops it. The store keeps
	// milliseconds.
	Expiry time.Time
}

// ListTombstonesSince returns up to limit unexpired tombstones recorded after
// sequence number after (0 for the start), in the order they were recorded.
// Pass the Seq of the last one to get the next page; an empty page means the
// end. The sequence is the tombstones' own, separate from ListSince's.
func (s *Store) ListTombstonesSince(ctx context.Context, after int64, limit int) ([]Tombstone, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: list tombstones: %w: limit %d", ErrInvalidArgument, limit)
	}
	st, err := s.rq.get(qListTombstonesSince)
	if err != nil {
		return nil, fmt.Errorf("store: list tombstones: %w", err)
	}
	rows, err := st.QueryContext(ctx, after, ms(s.now()), limit)
	if err != nil {
		return nil, fmt.Errorf("store: list tombstones: %w", err)
	}
	defer rows.Close()
	var out []Tombstone
	for rows.Next() {
		var (
			t   Tombstone
			pk  []byte
			exp int64
		)
		if err := rows.Scan(&t.Seq, &pk, &t.Hash, &exp); err != nil {
			return nil, fmt.Errorf("store: list tombstones: %w", err)
		}
		if len(pk) != keys.IDSize {
			return nil, fmt.Errorf("store: list tombstones: %w: owner of %d bytes", ErrCorrupt, len(pk))
		}
		t.Owner.Prefix = keys.Prefix(pk[0])
		copy(t.Owner.Key[:], pk[1:])
		t.Expiry = fromMS(exp)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list tombstones: %w", err)
	}
	return out, nil
}

// ApplyTombstones carries out deletions that another node of the swarm
// recorded, in one transaction: it deletes each named message of its owner,
// if held, and records the tombstone, so that Replicate refuses the message
// from then on and ListTombstonesSince passes the deletion on. It returns the
// number of live messages it deleted.
//
// Applying a tombstone twice changes nothing the second time; one already
// recorded keeps its place in the order. A tombstone whose expiry has passed
// is skipped, and expiries are cut back as in Store. If this node held the
// message with a later expiry than the peer's, the tombstone takes that one,
// so that it lasts as long as the copy it buried. If any tombstone has an
// empty or oversized hash, nothing is applied.
func (s *Store) ApplyTombstones(ctx context.Context, ts []Tombstone) (int, error) {
	for i, t := range ts {
		if t.Hash == "" || len(t.Hash) > MaxHashLength {
			return 0, fmt.Errorf("store: apply tombstones: %w: tombstone %d has a hash of %d bytes", ErrInvalidArgument, i, len(t.Hash))
		}
	}
	if len(ts) == 0 {
		return 0, nil
	}
	var deleted int
	err := s.write(ctx, func(tx txn) error {
		deleted = 0
		nowMS := ms(s.now())
		limit := nowMS + maxExpiryAhead.Milliseconds()
		for _, t := range ts {
			exp := min(ms(t.Expiry), limit)
			if exp <= nowMS {
				continue
			}
			var held int64
			err := tx.scan(qDeleteHashOfPubkey, []any{t.Hash, t.Owner.Bytes()}, &held)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case held > nowMS:
				deleted++
				exp = max(exp, held)
			}
			if err := bury(tx, t.Owner, t.Hash, exp); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: apply tombstones: %w", err)
	}
	return deleted, nil
}
