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
	// Proof is the owner's signed delete that made the tombstone (see
	// Delete), nil if there is none. Tombstones of one request share it;
	// ListTombstonesSince returns the same slice for each of them.
	Proof []byte
}

// Held describes the message a peer's tombstone names, as this node holds
// it, for the check that ApplyTombstones runs before it deletes anything.
type Held struct {
	// Namespace is the message's namespace.
	Namespace int16
	// Timestamp is the message's timestamp.
	Timestamp time.Time
}

// TombstoneCheck decides whether ApplyTombstones may apply t; held is the
// message t names as this node holds it, or nil if it holds none (the
// tombstone then only keeps a copy from coming back). It runs inside the
// write transaction, so it must not block or call the Store.
type TombstoneCheck func(t *Tombstone, held *Held) bool

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
	var (
		out       []Tombstone
		deletions []sql.NullInt64
	)
	for rows.Next() {
		var (
			t   Tombstone
			pk  []byte
			exp int64
			del sql.NullInt64
		)
		if err := rows.Scan(&t.Seq, &pk, &t.Hash, &exp, &del); err != nil {
			return nil, fmt.Errorf("store: list tombstones: %w", err)
		}
		deletions = append(deletions, del)
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
	rows.Close()
	// Each signed delete once, however many tombstones of the page share
	// it. One the sweeper took meanwhile (with its last tombstone) is
	// simply missing.
	proofs := map[int64][]byte{}
	pst, err := s.rq.get(qDeletionProof)
	if err != nil {
		return nil, fmt.Errorf("store: list tombstones: %w", err)
	}
	for i, del := range deletions {
		if !del.Valid {
			continue
		}
		p, seen := proofs[del.Int64]
		if !seen {
			err := pst.QueryRowContext(ctx, del.Int64).Scan(&p)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("store: list tombstones: %w", err)
			}
			proofs[del.Int64] = p
		}
		out[i].Proof = p
	}
	return out, nil
}

// ApplyTombstones carries out deletions that another node of the swarm
// recorded, in one transaction: it deletes each named message of its owner,
// if held, and records the tombstone with its proof, so that Replicate
// refuses the message from then on and ListTombstonesSince passes the
// deletion on. It returns the number of live messages it deleted.
//
// check, if not nil, sees each tombstone with the message it names as this
// node holds it before anything is deleted; a tombstone it refuses is
// skipped. The caller verifies the owner's signed delete there.
//
// Applying a tombstone twice changes nothing the second time; one already
// recorded keeps its place in the order. A tombstone whose expiry has passed
// is skipped, and expiries are cut back as in Store. If this node held the
// message with a later expiry than the peer's, the tombstone takes that one,
// so that it lasts as long as the copy it buried. If any tombstone has an
// empty or oversized hash or an oversized proof, nothing is applied.
func (s *Store) ApplyTombstones(ctx context.Context, ts []Tombstone, check TombstoneCheck) (int, error) {
	for i, t := range ts {
		if t.Hash == "" || len(t.Hash) > MaxHashLength {
			return 0, fmt.Errorf("store: apply tombstones: %w: tombstone %d has a hash of %d bytes", ErrInvalidArgument, i, len(t.Hash))
		}
		if err := checkProof(t.Proof); err != nil {
			return 0, fmt.Errorf("store: apply tombstones: tombstone %d: %w", i, err)
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
		// Tombstones of one request share their proof: keep it once.
		deletions := map[*byte]any{}
		for i := range ts {
			t := &ts[i]
			exp := min(ms(t.Expiry), limit)
			if exp <= nowMS {
				continue
			}
			var (
				id, heldExp, heldTS int64
				h                   Held
			)
			err := tx.scan(qHeldOfPubkey, []any{t.Hash, t.Owner.Bytes()}, &id, &h.Namespace, &heldTS, &heldExp)
			held := err == nil && heldExp > nowMS
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			}
			h.Timestamp = fromMS(heldTS)
			var hp *Held
			if held {
				hp = &h
			}
			if check != nil && !check(t, hp) {
				continue
			}
			if err == nil {
				if _, err := tx.exec(qDeleteByID, id); err != nil {
					return err
				}
			}
			if held {
				deleted++
				exp = max(exp, heldExp)
			}
			var deletion any
			if len(t.Proof) > 0 {
				var seen bool
				if deletion, seen = deletions[&t.Proof[0]]; !seen {
					if deletion, err = recordDeletion(tx, t.Proof); err != nil {
						return err
					}
					deletions[&t.Proof[0]] = deletion
				}
			}
			if err := buryWith(tx, t.Owner, t.Hash, exp, deletion); err != nil {
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
