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

// Store stores m for its owner, enforcing the quotas (see Limits in the
// package documentation).
//
// If m.Hash is already stored the call succeeds without storing a second
// copy, and the stored expiry moves to m.Expiry if that is later (Extended)
// or stays (Unchanged). A message for a public outbox replaces the one held
// there if it is newer by timestamp, and is dropped as Obsolete otherwise. A
// message whose expiry has already passed is dropped as Expired. Expiries
// more than TTLMaximumPrivate + StoreTolerance ahead are cut back to that.
//
// A message for a public inbox is never refused for lack of room: older
// messages are evicted instead, and the message itself only if it is the
// oldest of the share it counts in (Evicted). A message for any other
// namespace (one that needs the owner's signature) past its quota is refused
// with ErrQuotaExceeded; what strangers store in the inbox never counts
// against it.
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
	// Stores queue for the committer, which commits those waiting
	// together (commit.go) and answers each after the commit.
	r := &storeReq{ctx: ctx, m: &m, done: make(chan struct{})}
	select {
	case s.queue <- r:
	case <-ctx.Done():
		return StoreResult{}, fmt.Errorf("store: store %q: %w", m.Hash, ctx.Err())
	case <-s.stop:
		return StoreResult{}, fmt.Errorf("store: store %q: %w", m.Hash, ErrClosed)
	}
	<-r.done
	if r.err != nil {
		return StoreResult{}, fmt.Errorf("store: store %q: %w", m.Hash, dbError(r.err))
	}
	return r.res, nil
}

// Replicate stores messages received from another node of the swarm (a
// forwarded store, or a catch-up batch) in one transaction, keeping their
// hash, timestamp, expiry and sender. Duplicates, outboxes, expiries and the
// public inbox's eviction behave as in Store, so that every member of the
// swarm holds the same messages. A message for a signed namespace past its
// quota is dropped as OverQuota rather than failing the batch: the entry node
// refused such a store, so only a peer whose totals differ from ours (or a
// hostile one) sends it. The database size cap still holds.
//
// A message this node holds a tombstone for (its owner deleted it) is dropped
// as Buried: a peer that missed the deletion must not bring it back. A
// message dated more than maxPeerTimestampAhead past this node's clock is
// dropped as Refused: no entry node accepts such a store.
//
// A copy of a message held here changes nothing (Unchanged), even with a
// later expiry: expiries move only by the owner's signed requests, which
// reach every member by push, so a peer cannot undo an expiry the owner
// shortened.
//
// A message whose hash is stored here for another owner or namespace is
// dropped as Conflict and the others are stored: one colliding record must
// not stall a catch-up.
//
// The results are in the order of msgs. If any message is invalid, nothing
// is stored.
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
	err := s.writeMakingRoom(ctx, func(tx txn) error {
		now := s.now()
		for i := range msgs {
			r, err := s.storeTx(tx, &msgs[i], now, false)
			if errors.Is(err, ErrHashConflict) {
				// Found before any message was written (an owner
				// row may have been, which the sweeper removes if
				// it stays empty): skip this one and go on, so that
				// one colliding record never stalls a catch-up.
				res[i] = StoreResult{Outcome: Conflict}
				continue
			}
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
	for _, r := range res {
		s.evicted.Add(int64(r.evicted))
	}
	return res, nil
}

// pressureBatch is how many public-inbox messages writeMakingRoom evicts at
// a time when the database is full, and pressureRounds how many times it
// does before giving up: enough for the largest message, however small the
// evicted ones.
const (
	pressureBatch  = 256
	pressureRounds = 8
)

// writeMakingRoom runs fn as write does, and while the database is full,
// evicts the public-inbox messages nearest their expiry, node-wide, and runs
// fn again: what strangers stored must not keep out an owner's own stores and
// deletions (nor, once it is the inbox that fills the node, new inbox
// messages). fn must start from scratch each time. If there is nothing left
// to evict, the database is full of signed messages and ErrFull stands.
// Unlike the per-owner eviction this is a last resort of one node, not a rule
// the swarm agrees on; an operator whose node gets here needs a larger
// MaxDatabaseBytes.
func (s *Store) writeMakingRoom(ctx context.Context, fn func(w txn) error) error {
	err := s.write(ctx, fn)
	for range pressureRounds {
		if !errors.Is(err, ErrFull) {
			return err
		}
		var n int64
		if rerr := s.write(ctx, func(tx txn) error {
			r, err := tx.exec(qEvictInboxNearestExpiry, pressureBatch)
			if err != nil {
				return err
			}
			n, err = r.RowsAffected()
			return err
		}); rerr != nil || n == 0 {
			return err
		}
		s.evicted.Add(n)
		s.log.Warn("database full: evicted public-inbox messages nearest their expiry", "count", n)
		err = s.write(ctx, fn)
	}
	return err
}

// storeTx stores m. fromClient marks a store through the RPC (Store), as
// opposed to a copy from a peer (Replicate): a store over a signed quota is
// an error where a copy is dropped, and it overrides a tombstone where a copy
// is refused.
func (s *Store) storeTx(tx txn, m *Message, now time.Time, fromClient bool) (StoreResult, error) {
	nowMS := ms(now)
	exp := min(ms(m.Expiry), nowMS+maxExpiryAhead.Milliseconds())
	if exp <= nowMS {
		return StoreResult{Outcome: Expired}, nil
	}
	if !fromClient && ms(m.Timestamp) > nowMS+maxPeerTimestampAhead.Milliseconds() {
		// No store an entry node accepted is dated this far ahead; one
		// that was would outlast every honest message in an eviction
		// order by timestamp.
		return StoreResult{Outcome: Refused}, nil
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

	inbox := isPublicInbox(m.Namespace)
	data := m.Data
	if data == nil {
		data = []byte{} // the column is NOT NULL; an empty body is a valid message
	}
	var proof any // NULL when there is none
	if len(m.Proof) > 0 {
		proof = m.Proof
	}

	if inbox {
		// Most stores are new messages for a public inbox (nothing to
		// replace, no quota): try the insert first, and look for the
		// hash only if it is taken.
		owner, err := s.ownerIDForWrite(tx, m.Owner)
		if err != nil {
			return StoreResult{}, err
		}
		r, err := tx.exec(qInsertMessageNew, owner, m.Namespace, m.Hash, ms(m.Timestamp), exp, data, m.Sender, proof)
		if err != nil {
			return StoreResult{}, err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return StoreResult{}, err
		}
		if n == 0 {
			res, done, err := s.held(tx, m, exp, nowMS, fromClient)
			if err != nil || done {
				return res, err
			}
			if _, err := tx.exec(qInsertMessage, owner, m.Namespace, m.Hash, ms(m.Timestamp), exp, data, m.Sender, proof); err != nil {
				return StoreResult{}, err
			}
		}
		s.hints.inserted(owner, m.Namespace, len(data))
		self, evicted, err := s.makeRoom(tx, owner, m.Sender, m.Hash, nowMS)
		if err != nil {
			return StoreResult{}, err
		}
		if self {
			return StoreResult{Outcome: Evicted, evicted: evicted}, nil
		}
		return StoreResult{Outcome: Stored, Expiry: fromMS(exp), evicted: evicted}, nil
	}

	res, done, err := s.held(tx, m, exp, nowMS, fromClient)
	if err != nil || done {
		return res, err
	}

	owner, err := s.ownerIDForWrite(tx, m.Owner)
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

	if err := s.checkQuota(tx, owner, m.Namespace, len(m.Data), nowMS); err != nil {
		if fromClient || !errors.Is(err, ErrQuotaExceeded) {
			return StoreResult{}, err
		}
		return StoreResult{Outcome: OverQuota}, nil
	}

	// Sender is only kept for the public inbox.
	if _, err := tx.exec(qInsertMessage, owner, m.Namespace, m.Hash, ms(m.Timestamp), exp, data, "", proof); err != nil {
		return StoreResult{}, err
	}
	s.hints.inserted(owner, m.Namespace, len(data))
	return StoreResult{Outcome: Stored, Expiry: fromMS(exp)}, nil
}

// held handles a store of a hash that may be stored already. done reports
// that res is the store's outcome (a copy is held); otherwise nothing is
// held under the hash (an expired copy not yet swept was deleted) and the
// store goes on. A hash held for another owner or namespace is
// ErrHashConflict.
func (s *Store) held(tx txn, m *Message, exp, nowMS int64, fromClient bool) (res StoreResult, done bool, err error) {
	var (
		oldID, oldExp int64
		oldOwner      []byte
		oldNS         int16
	)
	err = tx.scan(qFindHash, []any{m.Hash}, &oldID, &oldOwner, &oldNS, &oldExp)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return StoreResult{}, false, nil
	case err != nil:
		return StoreResult{}, false, err
	case !bytes.Equal(oldOwner, m.Owner.Bytes()) || oldNS != m.Namespace:
		return StoreResult{}, false, ErrHashConflict
	case oldExp > nowMS:
		// A peer's copy never moves a held message's expiry: expiries
		// change by the owner's signed requests only, so that a peer
		// cannot undo an expiry the owner shortened.
		if exp <= oldExp || !fromClient {
			return StoreResult{Outcome: Unchanged, Expiry: fromMS(oldExp)}, true, nil
		}
		if _, err := tx.exec(qSetExpiryByID, exp, oldID); err != nil {
			return StoreResult{}, false, err
		}
		return StoreResult{Outcome: Extended, Expiry: fromMS(exp)}, true, nil
	default:
		// Expired but not yet swept: it is gone as far as anyone can see,
		// so this store is new, and must get a fresh place in the order.
		if _, err := tx.exec(qDeleteByID, oldID); err != nil {
			return StoreResult{}, false, err
		}
		return StoreResult{}, false, nil
	}
}

// ownerIDForWrite returns the row id of owner, creating the row if needed.
func (s *Store) ownerIDForWrite(tx txn, owner keys.ID) (int64, error) {
	if id, ok := s.hints.owner(owner); ok {
		return id, nil
	}
	var id int64
	err := tx.scan(qOwnerID, []any{owner.Bytes()}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.scan(qInsertOwner, []any{owner.Bytes()}, &id)
	}
	if err != nil {
		return 0, err
	}
	s.hints.learnOwner(owner, id)
	return id, nil
}

// checkQuota fails with ErrQuotaExceeded if one more message of size n in
// namespace ns, which needs the owner's signature, would take the owner past
// the quota of that namespace or of all their signed namespaces together.
// Public-inbox namespaces count for neither: what strangers store there can
// never take the owner's room. The totals count expired messages the sweeper
// has not reached yet, so before refusing it deletes those of this owner and
// looks again.
func (s *Store) checkQuota(tx txn, owner int64, ns int16, n int, nowMS int64) error {
	l := s.limits
	if l.ownerMessages <= 0 && l.ownerBytes <= 0 && l.nsMessages <= 0 && l.nsBytes <= 0 {
		return nil
	}
	if s.hints.signedWithin(owner, ns, n, l) {
		return nil // the query below would find room
	}
	for attempt := 0; ; attempt++ {
		var count, size, nsCount, nsSize int64
		if err := tx.scan(qSignedUsage, []any{owner, ns}, &count, &size, &nsCount, &nsSize); err != nil {
			return err
		}
		s.hints.setSigned(owner, ns, usage{count, size}, usage{nsCount, nsSize})
		var why string
		switch {
		case over(nsCount+1, l.nsMessages):
			why = fmt.Sprintf("namespace %d holds %d messages (limit %d)", ns, nsCount, l.nsMessages)
		case over(nsSize+int64(n), l.nsBytes):
			why = fmt.Sprintf("namespace %d holds %d bytes, message has %d (limit %d)", ns, nsSize, n, l.nsBytes)
		case over(count+1, l.ownerMessages):
			why = fmt.Sprintf("owner holds %d signed messages (limit %d)", count, l.ownerMessages)
		case over(size+int64(n), l.ownerBytes):
			why = fmt.Sprintf("owner holds %d signed bytes, message has %d (limit %d)", size, n, l.ownerBytes)
		default:
			return nil
		}
		if attempt > 0 {
			return fmt.Errorf("%w: %s", ErrQuotaExceeded, why)
		}
		if _, err := tx.exec(qDeleteOwnerExpire, owner, nowMS); err != nil {
			return err
		}
	}
}

// over reports whether v is past limit; a limit of 0 or less is none.
func over(v, limit int64) bool { return limit > 0 && v > limit }

// makeRoom brings the owner's public inbox back within its limits after a
// message from sender went in: first the sender's own share (a sender over it
// loses its own oldest messages, nobody else's), then the inbox as a whole
// (its oldest message goes). Expired messages go first. Oldest is by
// (timestamp, hash), which every node of the swarm computes the same way: what
// a node keeps is the newest of each sender's newest, a function of the
// messages it was offered and not of their order, so that eviction agrees
// across the swarm and a catch-up that offers an evicted message again sees
// it evicted again rather than displacing a newer one (exactly for the
// message limits; see Limits in the package documentation for the byte
// limits). (Evicting from the
// sender holding the most would be fairer to a single honest sender, but
// would depend on the order of arrival.) It reports whether the message hash
// itself was evicted, and how many messages were.
func (s *Store) makeRoom(tx txn, owner int64, sender, hash string, nowMS int64) (self bool, n int, err error) {
	l := s.limits
	if s.hints.inboxWithin(owner, l) {
		return false, 0, nil // the query below would find nothing over
	}
	purged := false
	for {
		var sc, sb, ic, ib int64
		if err := tx.scan(qInboxUsage, []any{owner, sender}, &sc, &sb, &ic, &ib); err != nil {
			return false, 0, err
		}
		var q string
		args := []any{owner}
		switch {
		case over(sc, l.senderMessages) || over(sb, l.senderBytes):
			q, args = qEvictSenderOldest, append(args, sender)
		case over(ic, l.inboxMessages) || over(ib, l.inboxBytes):
			q = qEvictInboxOldest
		default:
			s.hints.setInbox(owner, usage{ic, ib})
			return self, n, nil
		}
		if !purged {
			purged = true
			if _, err := tx.exec(qDeleteOwnerExpire, owner, nowMS); err != nil {
				return false, 0, err
			}
			continue
		}
		var evicted string
		if err := tx.scan(q, args, &evicted); err != nil {
			return false, 0, err
		}
		n++
		if evicted == hash {
			self = true
		}
	}
}
