package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// Retrieve returns the owner's messages in namespace ns stored after the
// message lastHash, in insertion order, as many as lim allows, and whether
// more follow. An empty or unknown lastHash reads from the start. Expired
// messages are never returned.
func (s *Store) Retrieve(ctx context.Context, owner keys.ID, ns int16, lastHash string, lim RetrieveLimits) ([]Message, bool, error) {
	limit := -1
	if lim.MaxCount > 0 {
		limit = lim.MaxCount + 1 // one more, to learn whether more follow
	}
	st, err := s.rq.get(qRetrieve)
	if err != nil {
		return nil, false, fmt.Errorf("store: retrieve: %w", err)
	}
	rows, err := st.QueryContext(ctx, owner.Bytes(), ns, lastHash, ms(s.now()), limit)
	if err != nil {
		return nil, false, fmt.Errorf("store: retrieve: %w", err)
	}
	defer rows.Close()

	var (
		out  []Message
		more bool
		size int
	)
	for rows.Next() {
		m := Message{Owner: owner, Namespace: ns}
		var ts, exp int64
		if err := rows.Scan(&m.Hash, &ts, &exp, &m.Data); err != nil {
			return nil, false, fmt.Errorf("store: retrieve: %w", err)
		}
		if lim.MaxCount > 0 && len(out) >= lim.MaxCount {
			more = true
			break
		}
		if lim.MaxSize > 0 {
			size += responseSize(m.Hash, m.Data)
			if len(out) > 0 && size > lim.MaxSize {
				more = true
				break
			}
		}
		m.Timestamp, m.Expiry = fromMS(ts), fromMS(exp)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("store: retrieve: %w", err)
	}
	return out, more, nil
}

// GetExpiries returns the expiry of each of the owner's messages named in
// hashes. Hashes that are not stored, belong to another owner or have
// expired are left out.
func (s *Store) GetExpiries(ctx context.Context, owner keys.ID, hashes []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(hashes))
	if len(hashes) == 0 {
		return out, nil
	}
	// A read transaction gives every lookup the same snapshot.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: get expiries: %w", err)
	}
	defer tx.Rollback()
	if err := expiriesTx(txn{ctx: ctx, tx: tx, cache: s.rq}, owner, hashes, ms(s.now()), out); err != nil {
		return nil, fmt.Errorf("store: get expiries: %w", err)
	}
	return out, nil
}

// expiriesTx adds the live expiry of each hash of owner to out. It looks
// the hashes up one by one on the unique hash index, which stays fast
// however many messages the owner has.
func expiriesTx(tx txn, owner keys.ID, hashes []string, nowMS int64, out map[string]time.Time) error {
	pk := owner.Bytes()
	for _, h := range hashes {
		var exp int64
		err := tx.scan(qExpiryOf, []any{h, pk, nowMS}, &exp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			out[h] = fromMS(exp)
		}
	}
	return nil
}

// ListSince returns up to limit unexpired messages of every owner stored
// after sequence number after (0 for the start), in insertion order. Pass
// the Seq of the last record to get the next page; an empty page means the
// end. Replication uses it to send a peer everything this node holds.
func (s *Store) ListSince(ctx context.Context, after int64, limit int) ([]Record, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: list: %w: limit %d", ErrInvalidArgument, limit)
	}
	st, err := s.rq.get(qListSince)
	if err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	rows, err := st.QueryContext(ctx, after, ms(s.now()), limit)
	if err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var (
			r       Record
			pk      []byte
			ts, exp int64
		)
		if err := rows.Scan(&r.Seq, &pk, &r.Namespace, &r.Hash, &ts, &exp, &r.Data, &r.Sender, &r.Proof); err != nil {
			return nil, fmt.Errorf("store: list: %w", err)
		}
		if len(pk) != keys.IDSize {
			return nil, fmt.Errorf("store: list: %w: owner of %d bytes", ErrCorrupt, len(pk))
		}
		r.Owner.Prefix = keys.Prefix(pk[0])
		copy(r.Owner.Key[:], pk[1:])
		r.Timestamp, r.Expiry = fromMS(ts), fromMS(exp)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	return out, nil
}

// LastSeq returns the sequence number of the newest stored message, or 0 if
// there is none. A catch-up that lists up to it has seen everything stored
// before the call.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM messages`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: last seq: %w", err)
	}
	return seq, nil
}
