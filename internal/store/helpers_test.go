package store

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/session-go/session-go/internal/keys"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time // guarded by mu
}

func newClock() *clock {
	return &clock{t: time.UnixMilli(1_750_000_000_000)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTest opens a store in a fresh directory with the clock c, closing it at
// the end of the test. It returns the database path too, for reopening.
func openTest(t testing.TB, c *clock, opts *Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "storage.db")
	return openAt(t, path, c, opts), path
}

func openAt(t testing.TB, path string, c *clock, opts *Options) *Store {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if c != nil {
		o.Now = c.Now
	}
	s, err := Open(context.Background(), path, &o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// owner returns a distinct test account ID.
func owner(n byte) keys.ID {
	id := keys.ID{Prefix: keys.PrefixStandard}
	for i := range id.Key {
		id.Key[i] = n + byte(i)
	}
	return id
}

// msgHash computes the message hash as the network spec (§1.5) defines it,
// so that the tests use realistic hashes.
func msgHash(o keys.ID, ns int16, data []byte) string {
	h, _ := blake2b.New256(nil)
	h.Write(o.Bytes())
	if ns != 0 {
		h.Write([]byte(strconv.Itoa(int(ns))))
	}
	h.Write(data)
	return base64.RawStdEncoding.EncodeToString(h.Sum(nil))
}

// newMsg builds a message stored at now with the given TTL.
func newMsg(o keys.ID, ns int16, body string, now time.Time, ttl time.Duration) Message {
	data := []byte(body)
	return Message{
		Owner:     o,
		Namespace: ns,
		Hash:      msgHash(o, ns, data),
		Timestamp: now,
		Expiry:    now.Add(ttl),
		Data:      data,
	}
}

func mustStore(t testing.TB, s *Store, m Message) StoreResult {
	t.Helper()
	r, err := s.Store(context.Background(), m)
	if err != nil {
		t.Fatalf("Store(%q): %v", m.Data, err)
	}
	return r
}

func hashesOf(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Hash)
	}
	return out
}

func refHashes(rs []Ref) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Hash)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameMessage(a, b Message) bool {
	return a.Owner == b.Owner && a.Namespace == b.Namespace && a.Hash == b.Hash &&
		a.Timestamp.UnixMilli() == b.Timestamp.UnixMilli() &&
		a.Expiry.UnixMilli() == b.Expiry.UnixMilli() && string(a.Data) == string(b.Data)
}

type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) next() int64 { return c.n.Add(1) }

// inboxMsg builds a message from sender stored at now for an hour.
func inboxMsg(o keys.ID, ns int16, body string, now time.Time, sender string) Message {
	m := newMsg(o, ns, body, now, time.Hour)
	m.Sender = sender
	return m
}

// retrieveAll returns the hashes of everything o holds in ns, in order.
func retrieveAll(t testing.TB, s *Store, o keys.ID, ns int16) []string {
	t.Helper()
	msgs, _, err := s.Retrieve(context.Background(), o, ns, "", RetrieveLimits{})
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	return hashesOf(msgs)
}

// checkTotals recomputes the running totals the triggers keep (per owner,
// per signed namespace, per inbox sender) from the messages and fails if
// any differs.
func checkTotals(t testing.TB, s *Store) {
	t.Helper()
	for _, q := range []string{
		`SELECT count(*) FROM owners o WHERE msg_count != (SELECT count(*) FROM messages WHERE owner = o.id)
			OR msg_bytes != (SELECT coalesce(sum(length(data)), 0) FROM messages WHERE owner = o.id)
			OR inbox_count != (SELECT count(*) FROM messages WHERE owner = o.id AND namespace % 10 = 0)
			OR inbox_bytes != (SELECT coalesce(sum(length(data)), 0) FROM messages WHERE owner = o.id AND namespace % 10 = 0)`,
		`SELECT count(*) FROM (SELECT owner, namespace, count(*) c, sum(length(data)) b FROM messages
				WHERE namespace % 10 != 0 GROUP BY owner, namespace)
			FULL JOIN namespaces n USING (owner, namespace) WHERE c IS NOT n.msg_count OR b IS NOT n.msg_bytes`,
		`SELECT count(*) FROM (SELECT owner, sender, count(*) c, sum(length(data)) b FROM messages WHERE namespace % 10 = 0 GROUP BY owner, sender)
			FULL JOIN inbox_senders i USING (owner, sender) WHERE c IS NOT i.msg_count OR b IS NOT i.msg_bytes`,
	} {
		var bad int
		if err := s.r.QueryRow(q).Scan(&bad); err != nil {
			t.Fatalf("checking totals: %v", err)
		}
		if bad != 0 {
			t.Errorf("%d running totals out of step with the messages: %s", bad, q)
		}
	}
}
