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
