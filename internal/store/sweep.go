package store

import (
	"context"
	"fmt"
	"time"
)

// sweepBatch is how many rows one sweep transaction deletes. Small batches
// keep the single writer free for stores between them.
const sweepBatch = 2000

// Sweep deletes every message whose expiry is at or before now, the owner
// rows left empty, the tombstones whose messages would have expired by now
// and the signed deletes no tombstone refers to any more, and returns the number of messages deleted. The other methods already
// hide expired messages; sweeping reclaims their space.
func (s *Store) Sweep(ctx context.Context, now time.Time) (int64, error) {
	total, err := s.sweepBatches(ctx, qSweep, now)
	if err != nil {
		return total, fmt.Errorf("store: sweep: %w", err)
	}
	if _, err := s.sweepBatches(ctx, qSweepTombstones, now); err != nil {
		return total, fmt.Errorf("store: sweep tombstones: %w", err)
	}
	err = s.write(ctx, func(tx txn) error {
		r, err := tx.exec(qDeleteEmptyOwners)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n > 0 {
			// Row ids may be handed out again.
			s.hints.ownersDeleted()
		}
		_, err = tx.exec(qSweepDeletions)
		return err
	})
	if err != nil {
		return total, fmt.Errorf("store: sweep: %w", err)
	}
	return total, nil
}

// sweepBatches runs query, a DELETE of at most ?2 rows expired at ?1, in
// transactions of its own until one deletes less than a batch, and returns
// the number of rows deleted.
func (s *Store) sweepBatches(ctx context.Context, query string, now time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.write(ctx, func(tx txn) error {
			r, err := tx.exec(query, ms(now), sweepBatch)
			if err != nil {
				return err
			}
			n, err = r.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < sweepBatch {
			return total, nil
		}
	}
}

// RunSweeper sweeps once at once and then every interval, with the Store's
// clock, until ctx ends. Failures are logged and retried at the next tick.
// It returns when ctx is done; run it in a goroutine that the caller waits for.
func (s *Store) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.Sweep(ctx, s.now())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Warn("expiry sweep failed", "err", err)
		case n > 0:
			s.log.Debug("swept expired messages", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
