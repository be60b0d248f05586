package clientdb

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/session-go/session-go/internal/keys"
)

// Limits on a search.
const (
	// MaxSearchBytes bounds the text of a search.
	MaxSearchBytes = 256
	// MaxSearchTerms bounds the words of a search: each one is a lookup in
	// the index.
	MaxSearchTerms = 16
	// MaxSearchResults bounds the messages one search returns.
	MaxSearchResults = 500
)

// Search returns up to limit messages whose body contains every word of
// text (each word matching the start of a word of the body, case and
// accents ignored: "bonj" finds "Bonjour", "cafe" finds "Café"), newest
// stored first. A non-zero conv limits the search to that conversation.
// Text without any word (only spaces or punctuation) finds nothing.
func (db *DB) Search(ctx context.Context, text string, conv keys.ID, limit int) ([]Message, error) {
	if limit <= 0 || limit > MaxSearchResults {
		return nil, fmt.Errorf("clientdb: search: %w: limit %d (1 to %d)", ErrInvalidArgument, limit, MaxSearchResults)
	}
	if len(text) > MaxSearchBytes {
		return nil, fmt.Errorf("clientdb: search: %w: %d bytes, limit %d", ErrInvalidArgument, len(text), MaxSearchBytes)
	}
	match, err := ftsQuery(text)
	if err != nil {
		return nil, fmt.Errorf("clientdb: search: %w", err)
	}
	if match == "" {
		return nil, nil
	}
	// The index is read newest row first and the join stops at limit
	// matches: the cost follows the number of results, not of messages.
	q := "SELECT " + msgCols + msgFrom + " JOIN messages_fts ON messages_fts.rowid = messages.id WHERE messages_fts MATCH ?"
	args := []any{match}
	if !conv.IsZero() {
		q += " AND messages.conversation = ?"
		args = append(args, conv.String())
	}
	q += " ORDER BY messages_fts.rowid DESC LIMIT ?"
	args = append(args, limit)
	rows, err := db.rq(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("clientdb: search: %w", err)
	}
	defer rows.Close()
	var msgs []Message
	for rows.Next() {
		m, err := scanMessage(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("clientdb: search: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clientdb: search: %w", err)
	}
	return msgs, nil
}

// ftsQuery turns what the user typed into an FTS5 query: every word a
// quoted prefix term, all of them required. Nothing the user types is FTS5
// syntax (no operators, columns or NEAR), so no input can make the query
// fail or widen it.
func ftsQuery(text string) (string, error) {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
	})
	if len(words) > MaxSearchTerms {
		return "", fmt.Errorf("%w: %d words, limit %d", ErrInvalidArgument, len(words), MaxSearchTerms)
	}
	terms := make([]string, len(words))
	for i, w := range words {
		// The words hold no quote (only letters, digits and marks), so
		// quoting them is enough.
		terms[i] = `"` + w + `"*`
	}
	return strings.Join(terms, " "), nil
}
