package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// model is a plain in-memory statement of the store's semantics: rows stay
// until deleted or swept, and "live" means the expiry is after now. The same
// goes for tombstones, which deleting a live message leaves behind until the
// message's expiry.
type model struct {
	now   time.Time
	seq   int
	rows  map[string]*modelRow
	tombs map[tombKey]time.Time // expiry
}

type tombKey struct {
	owner keys.ID
	hash  string
}

// bury records a tombstone, keeping the later expiry if there is one.
func (m *model) bury(o keys.ID, hash string, exp time.Time) {
	k := tombKey{o, hash}
	if old, ok := m.tombs[k]; !ok || exp.After(old) {
		m.tombs[k] = exp
	}
}

func (m *model) buried(o keys.ID, hash string) bool {
	exp, ok := m.tombs[tombKey{o, hash}]
	return ok && exp.After(m.now)
}

// liveTombs lists the unexpired tombstones as "hash expiry-ms".
func (m *model) liveTombs() []string {
	var out []string
	for k, exp := range m.tombs {
		if exp.After(m.now) {
			out = append(out, fmt.Sprint(k.hash, " ", exp.UnixMilli()))
		}
	}
	return out
}

type modelRow struct {
	Message
	seq int
}

func (m *model) live(r *modelRow) bool { return r.Expiry.After(m.now) }

// store is Store (fromClient) or one message of Replicate.
func (m *model) store(msg Message, fromClient bool) Outcome {
	if !msg.Expiry.After(m.now) {
		return Expired
	}
	if fromClient {
		delete(m.tombs, tombKey{msg.Owner, msg.Hash})
	} else if m.buried(msg.Owner, msg.Hash) {
		return Buried
	}
	if r, ok := m.rows[msg.Hash]; ok {
		if m.live(r) {
			if fromClient && msg.Expiry.After(r.Expiry) {
				r.Expiry = msg.Expiry
				return Extended
			}
			return Unchanged
		}
		delete(m.rows, msg.Hash)
	}
	if isPublicOutbox(msg.Namespace) {
		for h, r := range m.rows {
			if r.Owner == msg.Owner && r.Namespace == msg.Namespace {
				if m.live(r) && !msg.Timestamp.After(r.Timestamp) {
					return Obsolete
				}
				delete(m.rows, h)
			}
		}
	}
	m.seq++
	m.rows[msg.Hash] = &modelRow{Message: msg, seq: m.seq}
	return Stored
}

// retrieve lists the live messages of owner/ns after the cursor, which
// counts as a position if any row (live or not) of owner/ns has that hash.
func (m *model) retrieve(o byte, ns int16, cursor string) []string {
	after := 0
	if r, ok := m.rows[cursor]; ok && r.Owner == owner(o) && r.Namespace == ns {
		after = r.seq
	}
	var rs []*modelRow
	for _, r := range m.rows {
		if r.Owner == owner(o) && r.Namespace == ns && r.seq > after && m.live(r) {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].seq < rs[j].seq })
	var out []string
	for _, r := range rs {
		out = append(out, r.Hash)
	}
	return out
}

// deleteIf deletes the owner's rows matching keep and returns the live ones.
func (m *model) deleteIf(o byte, match func(*modelRow) bool) []string {
	var out []string
	for h, r := range m.rows {
		if r.Owner == owner(o) && match(r) {
			if m.live(r) {
				out = append(out, h)
				m.bury(r.Owner, h, r.Expiry)
			}
			delete(m.rows, h)
		}
	}
	return out
}

// TestMatchesModel runs long random sequences of operations against the
// store and the model and compares every answer.
func TestMatchesModel(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			runModel(t, seed, 600)
		})
	}
}

func runModel(t *testing.T, seed uint64, steps int) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(seed, 42))
	c := newClock()
	s, _ := openTest(t, c, &Options{MaxOwnerMessages: -1, MaxOwnerBytes: -1})
	m := &model{now: c.Now(), rows: map[string]*modelRow{}, tombs: map[tombKey]time.Time{}}
	namespaces := []int16{0, 3, -1}
	var known []string // every hash ever stored, for cursors and targets
	sent := map[string]Message{}
	pick := func() string {
		if len(known) == 0 || rng.IntN(10) == 0 {
			return "never-stored"
		}
		return known[rng.IntN(len(known))]
	}
	ttls := []time.Duration{5 * time.Second, 10 * time.Second, 30 * time.Second, time.Hour}
	hashesOfOwner := func(o byte) []string {
		var hs []string
		for range rng.IntN(4) + 1 {
			hs = append(hs, pick())
		}
		return hs
	}

	nonEmpty, buried, tombLists := 0, 0, 0
	for step := range steps {
		o := byte(rng.IntN(3))
		ns := namespaces[rng.IntN(len(namespaces))]
		switch op := rng.IntN(17); op {
		case 0, 1, 2, 3:
			body := fmt.Sprint("body ", rng.IntN(12))
			// Whole seconds everywhere, so that expiries often fall exactly
			// on the clock and the boundaries get exercised.
			msg := newMsg(owner(o), ns, body, m.now.Add(time.Duration(rng.IntN(3))*time.Second), ttls[rng.IntN(len(ttls))])
			want := m.store(msg, true)
			r, err := s.Store(ctx, msg)
			if err != nil {
				t.Fatalf("step %d: store: %v", step, err)
			}
			if r.Outcome != want {
				t.Fatalf("step %d: store %q/%d: %v, model says %v", step, body, ns, r.Outcome, want)
			}
			known = append(known, msg.Hash)
			sent[msg.Hash] = msg
		case 4:
			hs := hashesOfOwner(o)
			want := m.deleteIf(o, func(r *modelRow) bool { return slices.Contains(hs, r.Hash) })
			got, err := s.Delete(ctx, owner(o), hs, nil)
			if err != nil || !sameSet(got, want) {
				t.Fatalf("step %d: delete %q: %q, %v; model says %q", step, hs, got, err, want)
			}
		case 5:
			before := m.now.Add(time.Duration(rng.IntN(5)-2) * time.Second)
			want := m.deleteIf(o, func(r *modelRow) bool { return r.Namespace == ns && !r.Timestamp.After(before) })
			got, err := s.DeleteBefore(ctx, owner(o), Namespace(ns), before, nil)
			if err != nil || !sameSet(refHashes(got), want) {
				t.Fatalf("step %d: delete before: %q, %v; model says %q", step, refHashes(got), err, want)
			}
		case 6:
			if rng.IntN(4) != 0 {
				continue // delete_all is drastic; keep it rare
			}
			want := m.deleteIf(o, func(*modelRow) bool { return true })
			got, err := s.DeleteAll(ctx, owner(o), AllNamespaces(), nil)
			if err != nil || !sameSet(refHashes(got), want) {
				t.Fatalf("step %d: delete all: %q, %v; model says %q", step, refHashes(got), err, want)
			}
		case 7:
			hs := hashesOfOwner(o)
			exp := m.now.Add(time.Duration(rng.IntN(60)) * time.Second)
			mode := ExpireMode(rng.IntN(3))
			var want []string
			for _, h := range hs {
				r, ok := m.rows[h]
				if !ok || r.Owner != owner(o) || !m.live(r) || slices.Contains(want, h) {
					continue
				}
				if mode == ExpireSet || (mode == ExpireExtend && exp.After(r.Expiry)) || (mode == ExpireShorten && exp.Before(r.Expiry)) {
					r.Expiry = exp
					want = append(want, h)
				}
			}
			res, err := s.Expire(ctx, owner(o), hs, []time.Time{exp}, mode)
			var got []string
			for _, u := range res.Updated {
				got = append(got, u.Hash)
			}
			if err != nil || !sameSet(got, want) {
				t.Fatalf("step %d: expire %v: %q, %v; model says %q", step, mode, got, err, want)
			}
		case 8:
			exp := m.now.Add(time.Duration(rng.IntN(60)) * time.Second)
			var want []string
			for h, r := range m.rows {
				if r.Owner == owner(o) && r.Namespace == ns && m.live(r) && r.Expiry.After(exp) {
					r.Expiry = exp
					want = append(want, h)
				}
			}
			got, err := s.ExpireAll(ctx, owner(o), Namespace(ns), exp)
			if err != nil || !sameSet(refHashes(got), want) {
				t.Fatalf("step %d: expire all: %q, %v; model says %q", step, refHashes(got), err, want)
			}
		case 9:
			d := []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}[rng.IntN(3)]
			c.Advance(d)
			m.now = c.Now()
		case 10:
			if _, err := s.Sweep(ctx, m.now); err != nil {
				t.Fatal(err)
			}
			for h, r := range m.rows {
				if !m.live(r) {
					delete(m.rows, h)
				}
			}
			for k, exp := range m.tombs {
				if !exp.After(m.now) {
					delete(m.tombs, k)
				}
			}
		case 14:
			// A copy from a peer of a message sent before, maybe with a
			// new expiry: deleted ones must stay deleted.
			msg, ok := sent[pick()]
			if !ok {
				continue
			}
			if rng.IntN(2) == 0 {
				msg.Expiry = m.now.Add(ttls[rng.IntN(len(ttls))])
			}
			want := m.store(msg, false)
			buried += boolInt(want == Buried)
			res, err := s.Replicate(ctx, []Message{msg})
			if err != nil || len(res) != 1 || res[0].Outcome != want {
				t.Fatalf("step %d: replicate %q: %v, %v; model says %v", step, msg.Data, res, err, want)
			}
		case 15:
			// A peer's tombstone, perhaps for a message held under
			// another owner, which must not touch it.
			h := pick()
			to := owner(byte(rng.IntN(3)))
			exp := m.now.Add(time.Duration(rng.IntN(60)-10) * time.Second)
			want := 0
			if exp.After(m.now) {
				if r, ok := m.rows[h]; ok && r.Owner == to {
					if m.live(r) {
						want++
						exp = later(exp, r.Expiry)
					}
					delete(m.rows, h)
				}
				m.bury(to, h, exp)
			}
			got, err := s.ApplyTombstones(ctx, []Tombstone{{Owner: to, Hash: h, Expiry: exp}}, nil)
			if err != nil || got != want {
				t.Fatalf("step %d: apply tombstone %q: %d, %v; model says %d", step, h, got, err, want)
			}
		case 16:
			ts, err := s.ListTombstonesSince(ctx, 0, 1<<20)
			var got []string
			for _, tb := range ts {
				got = append(got, fmt.Sprint(tb.Hash, " ", tb.Expiry.UnixMilli()))
			}
			tombLists += min(len(got), 1)
			if want := m.liveTombs(); err != nil || !sameSet(got, want) {
				t.Fatalf("step %d: tombstones %q, %v; model says %q", step, got, err, want)
			}
		case 11, 12, 13:
			cursor := ""
			if rng.IntN(2) == 0 {
				cursor = pick()
			}
			want := m.retrieve(o, ns, cursor)
			got, _, err := s.Retrieve(ctx, owner(o), ns, cursor, RetrieveLimits{})
			nonEmpty += min(len(want), 1)
			if err != nil || !equalStrings(hashesOf(got), want) {
				t.Fatalf("step %d: retrieve %d/%d after %q: %q, %v; model says %q", step, o, ns, cursor, hashesOf(got), err, want)
			}
		}
	}
	// A model run whose retrieves all come back empty checks nothing.
	if nonEmpty < steps/40 {
		t.Errorf("only %d retrieves had messages", nonEmpty)
	}
	if buried == 0 || tombLists == 0 {
		t.Errorf("%d replicated copies were buried and %d tombstone lists had any; the run checks none", buried, tombLists)
	}
	// Finally everything, everywhere.
	for o := range byte(3) {
		for _, ns := range namespaces {
			want := m.retrieve(o, ns, "")
			got, _, err := s.Retrieve(ctx, owner(o), ns, "", RetrieveLimits{})
			if err != nil || !equalStrings(hashesOf(got), want) {
				t.Errorf("final %d/%d: %q, %v; model says %q", o, ns, hashesOf(got), err, want)
			}
		}
	}
	if err := s.Check(ctx); err != nil {
		t.Error(err)
	}
}
