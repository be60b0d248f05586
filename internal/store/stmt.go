package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// stmtCache holds the prepared statements of one pool, so the hot paths do
// not parse their SQL on every call (preparing was a third of a store's CPU
// time).
//
// Every statement is prepared when the Store opens, never on first use:
// preparing on a *sql.DB takes a connection from the pool, and a caller that
// already holds one (an open transaction on the single writer connection, or
// on every reader at once) would wait for itself. Afterwards the map is only
// read, so it needs no lock. database/sql prepares a statement again on each
// pool connection the first time it runs there, on that connection.
type stmtCache struct {
	m map[string]*sql.Stmt
}

func prepareAll(ctx context.Context, db *sql.DB, queries []string) (*stmtCache, error) {
	c := &stmtCache{m: make(map[string]*sql.Stmt, len(queries))}
	for _, q := range queries {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			c.close()
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		c.m[q] = st
	}
	return c, nil
}

// get returns the statement of query, which must be one of those prepared.
func (c *stmtCache) get(query string) (*sql.Stmt, error) {
	st, ok := c.m[query]
	if !ok {
		return nil, fmt.Errorf("statement not prepared: %q", query)
	}
	return st, nil
}

func (c *stmtCache) close() error {
	var errs []error
	for _, st := range c.m {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// txn is a transaction that runs cached statements.
type txn struct {
	ctx   context.Context
	tx    *sql.Tx
	cache *stmtCache
}

func (w txn) stmt(query string) (*sql.Stmt, error) {
	st, err := w.cache.get(query)
	if err != nil {
		return nil, err
	}
	// Bound to the transaction's connection, where it is prepared after
	// the first use; closed with the transaction.
	return w.tx.StmtContext(w.ctx, st), nil
}

func (w txn) exec(query string, args ...any) (sql.Result, error) {
	st, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w txn) query(query string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(w.ctx, args...)
}

// scan runs a one-row query into dest; sql.ErrNoRows if there is no row.
func (w txn) scan(query string, args []any, dest ...any) error {
	st, err := w.stmt(query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(w.ctx, args...).Scan(dest...)
}
