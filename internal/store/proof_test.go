package store

import (
	"bytes"
	"testing"
	"time"
)

// TestProofsTravelWithRecords: a message's proof is kept and listed for
// replication, survives a duplicate store without one, and Replicate keeps
// the proof it is given.
func TestProofsTravelWithRecords(t *testing.T) {
	c := newClock()
	a, _ := openTest(t, c, nil)
	b, _ := openTest(t, c, nil)
	ctx := t.Context()
	m := newMsg(owner(1), 2, "config", c.Now(), time.Hour)
	m.Proof = []byte(`{"method":"store","params":{}}`)
	mustStore(t, a, m)
	dup := m
	dup.Proof = nil
	mustStore(t, a, dup)
	recs, err := a.ListSince(ctx, 0, 10)
	if err != nil || len(recs) != 1 {
		t.Fatalf("ListSince: %d, %v", len(recs), err)
	}
	if !bytes.Equal(recs[0].Proof, m.Proof) {
		t.Fatalf("listed proof %q, want %q", recs[0].Proof, m.Proof)
	}
	if _, err := b.Replicate(ctx, []Message{recs[0].Message}); err != nil {
		t.Fatal(err)
	}
	recs, _ = b.ListSince(ctx, 0, 10)
	if len(recs) != 1 || !bytes.Equal(recs[0].Proof, m.Proof) {
		t.Fatalf("replica lists %+v, want the proof kept", recs)
	}
	big := newMsg(owner(1), 2, "too big a proof", c.Now(), time.Hour)
	big.Proof = make([]byte, MaxProofLength+1)
	if _, err := a.Store(ctx, big); err == nil {
		t.Error("a proof over MaxProofLength was stored")
	}
}

// TestReplicateSkipsAHashConflict is issue 8 point 6 at the store: namespace
// 0 with data "10"+X and namespace 10 with data X share a hash; a catch-up
// batch holding the other one drops it as Conflict and stores the rest.
func TestReplicateSkipsAHashConflict(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, nil)
	o := owner(1)
	x := "payload"
	held := newMsg(o, 0, "10"+x, c.Now(), time.Hour)
	other := newMsg(o, 10, x, c.Now(), time.Hour)
	if held.Hash != other.Hash {
		t.Fatal("test premise: the two messages should share a hash")
	}
	mustStore(t, s, held)
	after := newMsg(o, 0, "after the conflict", c.Now(), time.Hour)
	res, err := s.Replicate(t.Context(), []Message{other, after})
	if err != nil {
		t.Fatalf("Replicate: %v", err)
	}
	if res[0].Outcome != Conflict || res[1].Outcome != Stored {
		t.Fatalf("outcomes %v, %v; want conflict, stored", res[0].Outcome, res[1].Outcome)
	}
	if got := retrieveAll(t, s, o, 0); !equalStrings(got, []string{held.Hash, after.Hash}) {
		t.Errorf("namespace 0 holds %q", got)
	}
	if got := retrieveAll(t, s, o, 10); len(got) != 0 {
		t.Errorf("namespace 10 holds %q, want nothing", got)
	}
}

// TestTombstoneProofs: a delete keeps its proof once for all its
// tombstones, lists it with each, a peer applying them keeps it too, and the
// sweeper drops it with the last tombstone.
func TestTombstoneProofs(t *testing.T) {
	c := newClock()
	a, _ := openTest(t, c, nil)
	b, _ := openTest(t, c, nil)
	ctx := t.Context()
	o := owner(1)
	var msgs []Message
	for i := range 3 {
		m := newMsg(o, 0, string(rune('a'+i)), c.Now(), time.Hour)
		msgs = append(msgs, m)
		mustStore(t, a, m)
		mustStore(t, b, m)
	}
	proof := []byte(`{"method":"delete","params":{}}`)
	if _, err := a.Delete(ctx, o, hashesOf(msgs), proof); err != nil {
		t.Fatal(err)
	}
	ts, err := a.ListTombstonesSince(ctx, 0, 10)
	if err != nil || len(ts) != 3 {
		t.Fatalf("tombstones: %d, %v", len(ts), err)
	}
	for _, tb := range ts {
		if !bytes.Equal(tb.Proof, proof) {
			t.Fatalf("tombstone proof %q, want %q", tb.Proof, proof)
		}
	}
	var rows int
	a.r.QueryRow(`SELECT count(*) FROM deletions`).Scan(&rows)
	if rows != 1 {
		t.Errorf("%d deletions rows for one request, want 1", rows)
	}
	n, err := b.ApplyTombstones(ctx, ts, nil)
	if err != nil || n != 3 {
		t.Fatalf("ApplyTombstones = %d, %v", n, err)
	}
	bts, _ := b.ListTombstonesSince(ctx, 0, 10)
	if len(bts) != 3 || !bytes.Equal(bts[2].Proof, proof) {
		t.Fatalf("peer's tombstones %+v, want the proof kept", bts)
	}
	c.Advance(2 * time.Hour)
	if _, err := a.Sweep(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	a.r.QueryRow(`SELECT count(*) FROM deletions`).Scan(&rows)
	if rows != 0 {
		t.Errorf("%d deletions rows after their tombstones expired, want 0", rows)
	}
}

// TestApplyTombstonesCheck: the check sees the held message (namespace and
// timestamp) or nil, and a tombstone it refuses deletes nothing and is not
// recorded.
func TestApplyTombstonesCheck(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, nil)
	ctx := t.Context()
	o := owner(1)
	kept := newMsg(o, 5, "kept", c.Now(), time.Hour)
	gone := newMsg(o, 0, "gone", c.Now(), time.Hour)
	mustStore(t, s, kept)
	mustStore(t, s, gone)
	absent := newMsg(o, 0, "never held", c.Now(), time.Hour)
	var seen []string
	check := func(tb *Tombstone, h *Held) bool {
		switch tb.Hash {
		case kept.Hash:
			if h == nil || h.Namespace != 5 || !h.Timestamp.Equal(c.Now()) {
				t.Errorf("held of kept = %+v", h)
			}
			seen = append(seen, "kept")
			return false
		case gone.Hash:
			if h == nil || h.Namespace != 0 {
				t.Errorf("held of gone = %+v", h)
			}
			seen = append(seen, "gone")
			return true
		default:
			if h != nil {
				t.Errorf("held of a message not held = %+v", h)
			}
			seen = append(seen, "absent")
			return true
		}
	}
	exp := c.Now().Add(time.Hour)
	n, err := s.ApplyTombstones(ctx, []Tombstone{
		{Owner: o, Hash: kept.Hash, Expiry: exp},
		{Owner: o, Hash: gone.Hash, Expiry: exp},
		{Owner: o, Hash: absent.Hash, Expiry: exp},
	}, check)
	if err != nil || n != 1 {
		t.Fatalf("ApplyTombstones = %d, %v; want 1", n, err)
	}
	if !equalStrings(seen, []string{"kept", "gone", "absent"}) {
		t.Errorf("check saw %q", seen)
	}
	if got := retrieveAll(t, s, o, 5); !equalStrings(got, []string{kept.Hash}) {
		t.Errorf("refused tombstone deleted: namespace 5 holds %q", got)
	}
	ts, _ := s.ListTombstonesSince(ctx, 0, 10)
	if len(ts) != 2 || ts[0].Hash != gone.Hash || ts[1].Hash != absent.Hash {
		t.Errorf("tombstones %+v, want gone and absent only", ts)
	}
	checkTotals(t, s)
}

// TestReplicateNeverMovesAnExpiry: a peer's copy of a held message with a
// later expiry changes nothing, so that a peer cannot undo an expiry the
// owner shortened; a store through the RPC still extends it.
func TestReplicateNeverMovesAnExpiry(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, nil)
	ctx := t.Context()
	m := newMsg(owner(1), 0, "shortened by its owner", c.Now(), time.Hour)
	mustStore(t, s, m)
	copy := m
	copy.Expiry = c.Now().Add(20 * 24 * time.Hour)
	res, err := s.Replicate(ctx, []Message{copy})
	if err != nil || res[0].Outcome != Unchanged || !res[0].Expiry.Equal(m.Expiry) {
		t.Fatalf("Replicate with a later expiry = %+v, %v; want Unchanged at %v", res, err, m.Expiry)
	}
	exp, err := s.GetExpiries(ctx, m.Owner, []string{m.Hash})
	if err != nil || !exp[m.Hash].Equal(m.Expiry) {
		t.Fatalf("expiry after the peer's copy = %v, %v; want %v", exp[m.Hash], err, m.Expiry)
	}
	if r := mustStore(t, s, copy); r.Outcome != Extended {
		t.Errorf("a store through the RPC with a later expiry = %v, want Extended", r.Outcome)
	}
}
