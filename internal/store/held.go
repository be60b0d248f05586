package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/session-go/session-go/internal/keys"
)

// Catch-up by summary: a peer lists the hashes it stored since a cursor
// (ListSummarySince), this node keeps the ones it neither holds nor buried
// (Missing), and fetches only those (RecordsByHash), so that a message
// every member already has from the store's push is not sent again.

const (
	qListSummarySince = `
		SELECT m.id, o.pubkey, m.namespace, m.hash
		FROM messages m JOIN owners o ON o.id = m.owner
		WHERE m.id > ? AND m.expiry > ?
		ORDER BY m.id
		LIMIT ?`
	qHeldHash     = `SELECT 1 FROM messages WHERE hash = ? UNION ALL SELECT 1 FROM tombstones WHERE hash = ? LIMIT 1`
	qRecordByHash = `
		SELECT m.id, o.pubkey, m.namespace, m.hash, m.timestamp, m.expiry, m.data, m.sender, m.proof
		FROM messages m JOIN owners o ON o.id = m.owner
		WHERE m.hash = ? AND m.expiry > ?`
)

// ListSummarySince is ListSince without the messages' data, proofs, times
// and senders: the records' Seq, Owner, Namespace and Hash only.
func (s *Store) ListSummarySince(ctx context.Context, after int64, limit int) ([]Record, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: list summary: %w: limit %d", ErrInvalidArgument, limit)
	}
	rows, err := s.r.QueryContext(ctx, qListSummarySince, after, ms(s.now()), limit)
	if err != nil {
		return nil, fmt.Errorf("store: list summary: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var pk []byte
		if err := rows.Scan(&r.Seq, &pk, &r.Namespace, &r.Hash); err != nil {
			return nil, fmt.Errorf("store: list summary: %w", err)
		}
		if err := setOwner(&r, pk); err != nil {
			return nil, fmt.Errorf("store: list summary: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list summary: %w", err)
	}
	return out, nil
}

// Missing returns the hashes of hashes that this node neither holds nor
// holds a tombstone for, in their order.
func (s *Store) Missing(ctx context.Context, hashes []string) ([]string, error) {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: missing: %w", err)
	}
	defer conn.Close()
	st, err := conn.PrepareContext(ctx, qHeldHash)
	if err != nil {
		return nil, fmt.Errorf("store: missing: %w", err)
	}
	defer st.Close()
	var out []string
	for _, h := range hashes {
		var one int
		switch err := st.QueryRowContext(ctx, h, h).Scan(&one); err {
		case nil:
		case sql.ErrNoRows:
			out = append(out, h)
		default:
			return nil, fmt.Errorf("store: missing: %w", err)
		}
	}
	return out, nil
}

// RecordsByHash returns the unexpired records of hashes that this node
// holds, as ListSince does, in the order of hashes.
func (s *Store) RecordsByHash(ctx context.Context, hashes []string) ([]Record, error) {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: records by hash: %w", err)
	}
	defer conn.Close()
	st, err := conn.PrepareContext(ctx, qRecordByHash)
	if err != nil {
		return nil, fmt.Errorf("store: records by hash: %w", err)
	}
	defer st.Close()
	now := ms(s.now())
	var out []Record
	for _, h := range hashes {
		var (
			r       Record
			pk      []byte
			ts, exp int64
		)
		err := st.QueryRowContext(ctx, h, now).Scan(&r.Seq, &pk, &r.Namespace, &r.Hash, &ts, &exp, &r.Data, &r.Sender, &r.Proof)
		if err == sql.ErrNoRows {
			continue
		}
		if err == nil {
			err = setOwner(&r, pk)
		}
		if err != nil {
			return nil, fmt.Errorf("store: records by hash: %w", err)
		}
		r.Timestamp, r.Expiry = fromMS(ts), fromMS(exp)
		out = append(out, r)
	}
	return out, nil
}

// setOwner sets r's owner from its stored form (prefix byte and key).
func setOwner(r *Record, pk []byte) error {
	if len(pk) != keys.IDSize {
		return fmt.Errorf("%w: owner of %d bytes", ErrCorrupt, len(pk))
	}
	r.Owner.Prefix = keys.Prefix(pk[0])
	copy(r.Owner.Key[:], pk[1:])
	return nil
}
