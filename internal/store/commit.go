package store

import (
	"context"
	"errors"
	"runtime"
	"time"
)

// Group commit. A store is one small transaction, and its cost is mostly
// the commit (the WAL append and, before this, an occasional checkpoint
// inside it), not its statements. Stores that arrive while the writer is
// busy therefore wait in a queue, and the committer runs each queued group
// as one transaction, every store in its own savepoint: a store that fails
// undoes only itself, exactly as its own transaction would. Each store is
// answered only after the group's commit returns, so an acknowledged store
// is as durable as before (see Durability in the package documentation).

// maxGroup bounds the stores committed together, so that a group's
// transaction (and the wait of its first store) stays short.
const maxGroup = 256

// errRunAgain aborts a group commit whose stores must run again, each in
// its savepoint.
var errRunAgain = errors.New("store: run the group again with savepoints")

// storeReq is one Store call waiting for the committer.
type storeReq struct {
	ctx  context.Context
	m    *Message
	res  StoreResult
	err  error
	done chan struct{}
}

// committer runs queued stores in groups until s.stop is closed; then it
// answers what is still queued with ErrClosed.
func (s *Store) committer() {
	defer close(s.committerDone)
	group := make([]*storeReq, 0, maxGroup)
	for {
		select {
		case r := <-s.queue:
			group = append(group[:0], r)
		case <-s.stop:
			for {
				select {
				case r := <-s.queue:
					r.err = ErrClosed
					close(r.done)
				default:
					return
				}
			}
		}
		// Let the callers that the last commit answered (and that are
		// ready to queue their next store) run first: without this the
		// committer took the next group at once, while they were still
		// waking, and a group held 6 stores on average under 64 callers
		// instead of about 40; every commit writes the pages of the
		// messages table, its indexes and the owner totals, whatever
		// the group's size.
		runtime.Gosched()
	fill:
		for len(group) < maxGroup {
			select {
			case r := <-s.queue:
				group = append(group, r)
			default:
				break fill
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup stores group in one transaction and answers each store. A
// store that found the database full is run again on its own through
// writeMakingRoom, which evicts public-inbox messages to make room.
func (s *Store) commitGroup(group []*storeReq) {
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = err // its caller is gone; nothing was written
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		// Alone: its own transaction is all the isolation it needs, and
		// saves the savepoint's two statements.
		r := live[0]
		r.res, r.err = s.storeAlone(r.ctx, r.m)
		close(r.done)
		return
	}
	var full []*storeReq
	// A store for a public inbox cannot fail but for the database itself
	// (no quota refuses it, and its hash, computed here from its owner,
	// namespace and data, cannot be held for another owner): it runs
	// without a savepoint, saving two statements. If one fails all the
	// same, the group runs again with every store in its savepoint, as
	// the others always run (an owner over a quota must not make the
	// group run twice).
	bare := true
	runGroup := func(tx txn) error {
		full = full[:0]
		for _, r := range live {
			if bare && isPublicInbox(r.m.Namespace) {
				if r.res, r.err = s.storeTx(tx, r.m, s.now(), true); r.err != nil {
					return errRunAgain
				}
				continue
			}
			r.res, r.err = s.storeSavepoint(tx, r.m)
			if errors.Is(dbError(r.err), ErrFull) {
				full = append(full, r)
			}
		}
		return nil
	}
	err := s.write(context.Background(), runGroup)
	if errors.Is(err, errRunAgain) {
		bare = false
		err = s.write(context.Background(), runGroup)
	}
	if err != nil {
		// The commit failed: nothing of the group is stored. Each store
		// runs again on its own, so that one store's failure (a full
		// disk, say) reaches only the stores it concerns.
		full = live
	} else {
		for _, r := range live {
			if r.err == nil {
				s.evicted.Add(int64(r.res.evicted))
			}
		}
	}
	for _, r := range full {
		r.res, r.err = s.storeAlone(r.ctx, r.m)
	}
	for _, r := range live {
		close(r.done)
	}
}

// storeSavepoint runs storeTx for m inside a savepoint of tx, undoing
// whatever m wrote if it fails.
func (s *Store) storeSavepoint(tx txn, m *Message) (StoreResult, error) {
	if _, err := tx.exec(qSavepoint); err != nil {
		return StoreResult{}, err
	}
	res, err := s.storeTx(tx, m, s.now(), true)
	if err != nil {
		s.hints.undo()
		if _, rerr := tx.exec(qRollbackTo); rerr != nil {
			return StoreResult{}, errors.Join(err, rerr)
		}
	}
	if _, rerr := tx.exec(qRelease); rerr != nil {
		return StoreResult{}, errors.Join(err, rerr)
	}
	return res, err
}

// storeAlone stores m in a transaction of its own, making room if the
// database is full.
func (s *Store) storeAlone(ctx context.Context, m *Message) (StoreResult, error) {
	var res StoreResult
	err := s.writeMakingRoom(ctx, func(tx txn) error {
		var err error
		res, err = s.storeTx(tx, m, s.now(), true)
		return err
	})
	if err == nil {
		s.evicted.Add(int64(res.evicted))
	}
	return res, err
}

// Checkpoints. The writer connection does not checkpoint the WAL itself
// (wal_autocheckpoint=0): a checkpoint's fsyncs inside a commit stalled
// every store queued behind it. A connection of its own checkpoints
// instead, PASSIVE (it never waits for the writer or the readers), after
// commits, at most every checkpointEvery.
const checkpointEvery = 100 * time.Millisecond

// kickCheckpoint tells the checkpointer that the WAL grew.
func (s *Store) kickCheckpoint() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// checkpointer checkpoints the WAL on its own connection until s.stop is
// closed.
func (s *Store) checkpointer() {
	defer close(s.checkpointerDone)
	t := time.NewTimer(0)
	<-t.C
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		}
		upTo := s.commits.Load()
		if _, err := s.ckpt.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			s.log.Warn("WAL checkpoint failed", "err", err)
		}
		s.checkpointed.Store(upTo)
		t.Reset(checkpointEvery)
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}
