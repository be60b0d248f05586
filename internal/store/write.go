package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// Store stores m for its owner, enforcing the owner's quota.
//
// If m.Hash is already stored the call succeeds without storing a second
// copy, and the stored expiry moves to m.Expiry if that is later (Extended)
// or stays (Unchanged). A message for a public outbox replaces the one held
// there if it is newer by timestamp, and is dropped as Obsolete otherwise. A
// message whose expiry has already passed is dropped as Expired. Expiries
// more than TTLMaximumPrivate + StoreTolerance ahead are cut back to that.
//
// A store through the RPC is newer than any earlier deletion of the same
// message and overrides it: the tombstone goes, so that catch-up spreads the
// message again.
//
// A nil error means the write is committed (see Durability in the package
// documentation). Errors wrap ErrQuotaExceeded, ErrFull, ErrInvalidMessage
// or ErrHashConflict where they apply.
func (s *Store) Store(ctx context.Context, m Message) (StoreResult, error) {
	if err := m.validate(); err != nil {
		return StoreResult{}, fmt.Errorf("store: store %q: %w", m.Hash, err)
	}
	var res StoreResult
	err := s.write(ctx, func(tx txn) error {
		var err error
		res, err = s.storeTx(tx, &m, s.now(), true)
		return err
	})
	if err != nil {
		return StoreResult{}, fmt.Errorf("store: store %q: %w", m.Hash, err)
	}
	return res, nil
}

// Replicate stores messages received from another node of the swarm (a
// forwarded store, or a catch-up batch) in one transaction, keeping their
// hash, timestamp and expiry. Duplicates, outboxes and expiries behave as in
// Store, but the per-owner quota is not applied: the entry node applied it,
// and a node that refused part of what its swarm holds would answer
// retrieves differently from its peers. The database size cap still holds.
//
// A message this node holds a tombstone for (its owner deleted it) is dropped
// as Buried: a peer that missed the deletion must not bring it back.
//
// The results are in the order of msgs. If any message is invalid, or its
// hash is stored for another owner or namespace (ErrHashConflict), nothing is
// stored.
func (s *Store) Replicate(ctx context.Context, msgs []Message) ([]StoreResult, error) {
	for i := range msgs {
		if err := msgs[i].validate(); err != nil {
			return nil, fmt.Errorf("store: replicate message %d (%q): %w", i, msgs[i].Hash, err)
		}
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	res := make([]StoreResult, len(msgs))
	err := s.write(ctx, func(tx txn) error {
		now := s.now()
		for i := range msgs {
			r, err := s.storeTx(tx, &msgs[i], now, false)
			if err != nil {
				return fmt.Errorf("message %d (%q): %w", i, msgs[i].Hash, err)
			}
			res[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: replicate: %w", err)
	}
	return res, nil
}

// storeTx stores m. fromClient marks a store through the RPC (Store), as
// opposed to a copy from a peer (Replicate): it is held to the quota, and it
// overrides a tombstone where a copy is refused.
func (s *Store) storeTx(tx txn, m *Message, now time.Time, fromClient bool) (StoreResult, error) {
	nowMS := ms(now)
	exp := min(ms(m.Expiry), nowMS+maxExpiryAhead.Milliseconds())
	if exp <= nowMS {
		return StoreResult{Outcome: Expired}, nil
	}

	if fromClient {
		if _, err := tx.exec(qDeleteTombstone, m.Hash, m.Owner.Bytes()); err != nil {
			return StoreResult{}, err
		}
	} else {
		var one int
		err := tx.scan(qTombstoned, []any{m.Hash, m.Owner.Bytes(), nowMS}, &one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return StoreResult{}, err
		default:
			return StoreResult{Outcome: Buried}, nil
		}
	}

	// The same hash already stored?
	var (
		oldID, oldExp int64
		oldOwner      []byte
		oldNS         int16
	)
	err := tx.scan(qFindHash, []any{m.Hash}, &oldID, &oldOwner, &oldNS, &oldExp)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return StoreResult{}, err
	case !bytes.Equal(oldOwner, m.Owner.Bytes()) || oldNS != m.Namespace:
		return StoreResult{}, ErrHashConflict
	case oldExp > nowMS:
		if exp <= oldExp {
			return StoreResult{Outcome: Unchanged, Expiry: fromMS(oldExp)}, nil
		}
		if _, err := tx.exec(qSetExpiryByID, exp, oldID); err != nil {
			return StoreResult{}, err
		}
		return StoreResult{Outcome: Extended, Expiry: fromMS(exp)}, nil
	default:
		// Expired but not yet swept: it is gone as far as anyone can see,
		// so this store is new, and must get a fresh place in the order.
		if _, err := tx.exec(qDeleteByID, oldID); err != nil {
			return StoreResult{}, err
		}
	}

	owner, err := ownerIDForWrite(tx, m.Owner)
	if err != nil {
		return StoreResult{}, err
	}

	if isPublicOutbox(m.Namespace) {
		var curID, curTS, curExp int64
		err := tx.scan(qOutbox, []any{owner, m.Namespace}, &curID, &curTS, &curExp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return StoreResult{}, err
		case curExp > nowMS && curTS >= ms(m.Timestamp):
			return StoreResult{Outcome: Obsolete}, nil
		default:
			// Delete and insert rather than update in place, so that the
			// replacement gets a new place in the insertion order and
			// replication sees it.
			if _, err := tx.exec(qDeleteByID, curID); err != nil {
				return StoreResult{}, err
			}
		}
	}

	if fromClient {
		if err := s.checkQuota(tx, owner, len(m.Data), nowMS); err != nil {
			return StoreResult{}, err
		}
	}

	data := m.Data
	if data == nil {
		data = []byte{} // the column is NOT NULL; an empty body is a valid message
	}
	_, err = tx.exec(qInsertMessage, owner, m.Namespace, m.Hash, ms(m.Timestamp), exp, data)
	if err != nil {
		return StoreResult{}, err
	}
	return StoreResult{Outcome: Stored, Expiry: fromMS(exp)}, nil
}

// ownerIDForWrite returns the row id of owner, creating the row if needed.
func ownerIDForWrite(tx txn, owner keys.ID) (int64, error) {
	var id int64
	err := tx.scan(qOwnerID, []any{owner.Bytes()}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.scan(qInsertOwner, []any{owner.Bytes()}, &id)
	}
	return id, err
}

// checkQuota fails with ErrQuotaExceeded if one more message of size n would
// take the owner past a quota. The totals count expired messages the sweeper
// has not reached yet, so before refusing it deletes those of this owner and
// looks again.
func (s *Store) checkQuota(tx txn, owner int64, n int, nowMS int64) error {
	if s.maxOwnerMessages <= 0 && s.maxOwnerBytes <= 0 {
		return nil
	}
	for attempt := 0; ; attempt++ {
		var count, size int64
		err := tx.scan(qOwnerUsage, []any{owner}, &count, &size)
		if err != nil {
			return err
		}
		overCount := s.maxOwnerMessages > 0 && count+1 > s.maxOwnerMessages
		overBytes := s.maxOwnerBytes > 0 && size+int64(n) > s.maxOwnerBytes
		if !overCount && !overBytes {
			return nil
		}
		if attempt > 0 {
			if overCount {
				return fmt.Errorf("%w: owner holds %d messages (limit %d)", ErrQuotaExceeded, count, s.maxOwnerMessages)
			}
			return fmt.Errorf("%w: owner holds %d bytes, message has %d (limit %d)", ErrQuotaExceeded, size, n, s.maxOwnerBytes)
		}
		if _, err := tx.exec(qDeleteOwnerExpire, owner, nowMS); err != nil {
			return err
		}
	}
}
