package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStoreThenRetrieveInInsertionOrder(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	alice, bob := owner(1), owner(2)

	var want []Message
	for _, body := range []string{"one", "two", "three"} {
		m := newMsg(alice, 0, body, c.Now(), time.Hour)
		if r := mustStore(t, s, m); !r.New() || r.Outcome != Stored || !r.Expiry.Equal(m.Expiry) {
			t.Fatalf("Store(%q) = %+v, want a new message expiring at %v", body, r, m.Expiry)
		}
		want = append(want, m)
		c.Advance(time.Millisecond)
	}
	other := newMsg(alice, 2, "config", c.Now(), time.Hour)
	mustStore(t, s, other)
	mustStore(t, s, newMsg(bob, 0, "bob's", c.Now(), time.Hour))

	got, more, err := s.Retrieve(ctx, alice, 0, "", RetrieveLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if more || len(got) != len(want) {
		t.Fatalf("Retrieve from start: %d messages, more=%v; want %d, false", len(got), more, len(want))
	}
	for i := range want {
		if !sameMessage(got[i], want[i]) {
			t.Errorf("message %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	cases := []struct {
		name   string
		ns     int16
		cursor string
		want   []string
	}{
		{"after the first message comes the rest", 0, want[0].Hash, hashesOf(want[1:])},
		{"after the last message comes nothing", 0, want[2].Hash, nil},
		{"an unknown cursor reads from the start", 0, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", hashesOf(want)},
		{"a cursor from another namespace reads from the start", 0, other.Hash, hashesOf(want)},
		{"another namespace holds only its own", 2, "", []string{other.Hash}},
		{"an empty namespace is empty", 3, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := s.Retrieve(ctx, alice, tc.ns, tc.cursor, RetrieveLimits{})
			if err != nil {
				t.Fatal(err)
			}
			if !equalStrings(hashesOf(got), tc.want) {
				t.Errorf("got %q, want %q", hashesOf(got), tc.want)
			}
		})
	}

	got, _, err = s.Retrieve(ctx, owner(9), 0, "", RetrieveLimits{})
	if err != nil || len(got) != 0 {
		t.Errorf("unknown owner: %d messages, err %v; want none", len(got), err)
	}
}

func TestStoreDuplicateExtendsOnlyLater(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	m := newMsg(owner(1), 0, "hello", c.Now(), time.Hour)
	mustStore(t, s, m)

	again := m
	if r := mustStore(t, s, again); r.New() || r.Outcome != Unchanged || !r.Expiry.Equal(m.Expiry) {
		t.Errorf("same message again = %+v, want Unchanged at %v", r, m.Expiry)
	}
	later := m
	later.Expiry = m.Expiry.Add(time.Hour)
	if r := mustStore(t, s, later); r.Outcome != Extended || !r.Expiry.Equal(later.Expiry) {
		t.Errorf("later expiry = %+v, want Extended to %v", r, later.Expiry)
	}
	earlier := m
	earlier.Expiry = m.Expiry.Add(-30 * time.Minute)
	if r := mustStore(t, s, earlier); r.Outcome != Unchanged || !r.Expiry.Equal(later.Expiry) {
		t.Errorf("earlier expiry = %+v, want Unchanged at %v", r, later.Expiry)
	}

	got, _, err := s.Retrieve(ctx, m.Owner, 0, "", RetrieveLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Expiry.Equal(later.Expiry) {
		t.Fatalf("retrieve after duplicates: %+v, want one message expiring at %v", got, later.Expiry)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 1 || st.DataBytes != int64(len(m.Data)) || st.Owners != 1 {
		t.Errorf("Stats = %+v, want 1 owner, 1 message of %d bytes", st, len(m.Data))
	}
}

func TestStoreRejectsHashOfAnotherOwner(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, nil)
	m := newMsg(owner(1), 0, "mine", c.Now(), time.Hour)
	mustStore(t, s, m)

	for _, tc := range []struct {
		name string
		edit func(*Message)
	}{
		{"another owner", func(m *Message) { m.Owner = owner(2) }},
		{"another namespace", func(m *Message) { m.Namespace = 5 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := m
			tc.edit(&bad)
			_, err := s.Store(t.Context(), bad)
			if !errors.Is(err, ErrHashConflict) {
				t.Errorf("err = %v, want ErrHashConflict", err)
			}
		})
	}
}

func TestStoreValidatesMessage(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, &Options{MaxOwnerBytes: -1})
	base := newMsg(owner(1), 0, "x", c.Now(), time.Hour)
	for _, tc := range []struct {
		name string
		edit func(*Message)
		ok   bool
	}{
		{"an empty hash is refused", func(m *Message) { m.Hash = "" }, false},
		{"an overlong hash is refused", func(m *Message) { m.Hash = strings.Repeat("a", MaxHashLength+1) }, false},
		{"data over the maximum is refused", func(m *Message) { m.Data = make([]byte, MaxMessageSize+1); m.Hash = "big" }, false},
		{"data of exactly the maximum is stored", func(m *Message) { m.Data = make([]byte, MaxMessageSize); m.Hash = "max" }, true},
		{"empty data is stored", func(m *Message) { m.Data = nil; m.Hash = "empty" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base
			tc.edit(&m)
			_, err := s.Store(t.Context(), m)
			if tc.ok && err != nil {
				t.Errorf("err = %v, want success", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("err = %v, want ErrInvalidMessage", err)
			}
		})
	}
	got, _, err := s.Retrieve(t.Context(), base.Owner, 0, "", RetrieveLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(hashesOf(got), []string{"max", "empty"}) {
		t.Errorf("stored %q, want the two valid messages", hashesOf(got))
	}
	if got[1].Data == nil || len(got[1].Data) != 0 {
		t.Errorf("empty message data = %v, want empty", got[1].Data)
	}
}

func TestRetrieveLimits(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	o := owner(1)
	var all []string
	for i := range 5 {
		m := newMsg(o, 0, strings.Repeat(string(rune('a'+i)), 300), c.Now(), time.Hour)
		mustStore(t, s, m)
		all = append(all, m.Hash)
	}
	one := responseSize(all[0], make([]byte, 300)) // every message has the same size

	for _, tc := range []struct {
		name     string
		cursor   string
		lim      RetrieveLimits
		want     []string
		wantMore bool
	}{
		{"no limits return everything", "", RetrieveLimits{}, all, false},
		{"a count limit cuts the page", "", RetrieveLimits{MaxCount: 2}, all[:2], true},
		{"a count limit equal to what is left", all[2], RetrieveLimits{MaxCount: 2}, all[3:], false},
		{"a size limit cuts the page", "", RetrieveLimits{MaxSize: 3*one + one/2}, all[:3], true},
		{"a size limit of exactly two messages", "", RetrieveLimits{MaxSize: 2 * one}, all[:2], true},
		{"one message is returned even over the size limit", "", RetrieveLimits{MaxSize: 1}, all[:1], true},
		{"both limits: the tighter wins", all[0], RetrieveLimits{MaxCount: 3, MaxSize: 2 * one}, all[1:3], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, more, err := s.Retrieve(ctx, o, 0, tc.cursor, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			if !equalStrings(hashesOf(got), tc.want) || more != tc.wantMore {
				t.Errorf("got %d messages more=%v, want %d more=%v", len(got), more, len(tc.want), tc.wantMore)
			}
		})
	}
}

func TestLimitsFromRequest(t *testing.T) {
	for _, tc := range []struct {
		count, size int64
		want        RetrieveLimits
	}{
		{0, 0, RetrieveLimits{MaxSize: RetrieveMaxSize / 5}},
		{10, 0, RetrieveLimits{MaxCount: 10, MaxSize: RetrieveMaxSize}},
		{0, -1, RetrieveLimits{MaxSize: RetrieveMaxSize}},
		{0, -4, RetrieveLimits{MaxSize: RetrieveMaxSize / 4}},
		{0, 1000, RetrieveLimits{MaxSize: 1000}},
		{0, RetrieveMaxSize + 1, RetrieveLimits{MaxSize: RetrieveMaxSize}},
		{3, 500, RetrieveLimits{MaxCount: 3, MaxSize: 500}},
		{-2, 500, RetrieveLimits{MaxCount: 1, MaxSize: 500}},
		{0, -RetrieveMaxSize * 10, RetrieveLimits{MaxSize: 1}},
		{0, -1 << 63, RetrieveLimits{MaxSize: 1}},
	} {
		if got := LimitsFromRequest(tc.count, tc.size); got != tc.want {
			t.Errorf("LimitsFromRequest(%d, %d) = %+v, want %+v", tc.count, tc.size, got, tc.want)
		}
	}
}

func TestExpiredMessagesVanishBeforeSweep(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	o := owner(1)
	short := newMsg(o, 0, "short", c.Now(), 20*time.Second)
	long := newMsg(o, 0, "long", c.Now(), time.Hour)
	mustStore(t, s, short)
	mustStore(t, s, long)

	visible := func() []string {
		t.Helper()
		got, _, err := s.Retrieve(ctx, o, 0, "", RetrieveLimits{})
		if err != nil {
			t.Fatal(err)
		}
		return hashesOf(got)
	}

	c.Advance(20*time.Second - time.Millisecond)
	if got := visible(); len(got) != 2 {
		t.Fatalf("1 ms before expiry: %d messages, want 2", len(got))
	}
	c.Advance(time.Millisecond)
	if got := visible(); !equalStrings(got, []string{long.Hash}) {
		t.Fatalf("at expiry: %q, want only the long one", got)
	}
	exp, err := s.GetExpiries(ctx, o, []string{short.Hash, long.Hash})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := exp[short.Hash]; ok || len(exp) != 1 {
		t.Errorf("GetExpiries after expiry = %v, want only the long one", exp)
	}
	recs, err := s.ListSince(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Hash != long.Hash {
		t.Errorf("ListSince after expiry: %d records, want only the long one", len(recs))
	}
	if del, err := s.Delete(ctx, o, []string{short.Hash}, nil); err != nil || len(del) != 0 {
		t.Errorf("Delete of an expired message reported %q (err %v), want nothing", del, err)
	}
	// The cursor at an expired, unswept message is still a position.
	if got, _, _ := s.Retrieve(ctx, o, 0, short.Hash, RetrieveLimits{}); !equalStrings(hashesOf(got), []string{long.Hash}) {
		t.Errorf("retrieve after an expired cursor: %q", hashesOf(got))
	}

	// The row was still there (Delete above removed it); store and expire
	// another to see the sweeper count it.
	third := newMsg(o, 0, "third", c.Now(), 15*time.Second)
	mustStore(t, s, third)
	st, _ := s.Stats(ctx)
	if st.Messages != 2 {
		t.Fatalf("Stats.Messages = %d, want 2", st.Messages)
	}
	c.Advance(time.Minute)
	n, err := s.Sweep(ctx, c.Now())
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1 deleted", n, err)
	}
	c.Advance(time.Hour)
	if n, err := s.Sweep(ctx, c.Now()); err != nil || n != 1 {
		t.Fatalf("second Sweep = %d, %v; want 1 deleted", n, err)
	}
	st, _ = s.Stats(ctx)
	if st != (Stats{FileBytes: st.FileBytes}) {
		t.Errorf("Stats after sweeping everything = %+v, want zero counts", st)
	}
}

func TestStoreOfExpiredOrFarFutureMessages(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	o := owner(1)

	dead := newMsg(o, 0, "dead", c.Now().Add(-time.Minute), 30*time.Second)
	if r := mustStore(t, s, dead); r.Outcome != Expired {
		t.Errorf("already expired message: %v, want Expired", r.Outcome)
	}
	far := newMsg(o, 0, "far", c.Now(), 365*24*time.Hour)
	r := mustStore(t, s, far)
	wantExp := c.Now().Add(TTLMaximumPrivate + StoreTolerance)
	if !r.Expiry.Equal(wantExp) {
		t.Errorf("a year's TTL was stored to %v, want the cap %v", r.Expiry, wantExp)
	}
	got, _, _ := s.Retrieve(ctx, o, 0, "", RetrieveLimits{})
	if len(got) != 1 || got[0].Hash != far.Hash || !got[0].Expiry.Equal(wantExp) {
		t.Errorf("retrieve = %+v, want only the capped message", got)
	}

	// A message that expired but was not swept comes back as new, after
	// everything stored in between.
	brief := newMsg(o, 0, "brief", c.Now(), 10*time.Second)
	mustStore(t, s, brief)
	mid := newMsg(o, 0, "mid", c.Now(), time.Hour)
	mustStore(t, s, mid)
	c.Advance(11 * time.Second)
	again := newMsg(o, 0, "brief", c.Now(), 10*time.Second)
	if r := mustStore(t, s, again); r.Outcome != Stored {
		t.Errorf("re-store after expiry: %v, want Stored", r.Outcome)
	}
	got, _, _ = s.Retrieve(ctx, o, 0, far.Hash, RetrieveLimits{})
	if !equalStrings(hashesOf(got), []string{mid.Hash, again.Hash}) {
		t.Errorf("after re-store: %q, want mid then brief", hashesOf(got))
	}
}

func TestDelete(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	alice, bob := owner(1), owner(2)
	a1 := newMsg(alice, 0, "a1", c.Now(), time.Hour)
	a2 := newMsg(alice, 3, "a2", c.Now(), time.Hour)
	a3 := newMsg(alice, 0, "a3", c.Now(), time.Hour)
	b1 := newMsg(bob, 0, "b1", c.Now(), time.Hour)
	for _, m := range []Message{a1, a2, a3, b1} {
		mustStore(t, s, m)
	}
	del, err := s.Delete(ctx, alice, []string{a3.Hash, "unknown", b1.Hash, a2.Hash, a3.Hash}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(del, []string{a3.Hash, a2.Hash}) {
		t.Errorf("deleted %q, want a3 and a2 in request order", del)
	}
	got, _, _ := s.Retrieve(ctx, alice, 0, "", RetrieveLimits{})
	if !equalStrings(hashesOf(got), []string{a1.Hash}) {
		t.Errorf("alice's namespace 0 after delete: %q", hashesOf(got))
	}
	got, _, _ = s.Retrieve(ctx, bob, 0, "", RetrieveLimits{})
	if len(got) != 1 {
		t.Errorf("bob lost his message to alice's delete")
	}
	if del, err := s.Delete(ctx, owner(7), []string{a1.Hash}, nil); err != nil || len(del) != 0 {
		t.Errorf("delete by an unknown owner: %q, %v", del, err)
	}
}

func TestDeleteAllAndBefore(t *testing.T) {
	c := newClock()
	alice, bob := owner(1), owner(2)
	t0 := c.Now()
	msgs := []Message{
		newMsg(alice, 0, "a0-1", t0.Add(-3*time.Second), time.Hour),
		newMsg(alice, 0, "a0-2", t0.Add(-2*time.Second), time.Hour),
		newMsg(alice, 5, "a5-1", t0.Add(-3*time.Second), time.Hour),
		newMsg(alice, 5, "a5-2", t0.Add(-1*time.Second), time.Hour),
		newMsg(bob, 0, "b0", t0.Add(-3*time.Second), time.Hour),
	}
	h := func(i ...int) []string {
		var out []string
		for _, j := range i {
			out = append(out, msgs[j].Hash)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		op      func(*Store) ([]Ref, error)
		deleted []string
		left    []string // alice's hashes left in 0 then 5
	}{
		{"delete_all of one namespace", func(s *Store) ([]Ref, error) {
			return s.DeleteAll(t.Context(), alice, Namespace(5), nil)
		}, h(2, 3), h(0, 1)},
		{"delete_all of every namespace", func(s *Store) ([]Ref, error) {
			return s.DeleteAll(t.Context(), alice, AllNamespaces(), nil)
		}, h(0, 1, 2, 3), nil},
		{"delete_before is inclusive", func(s *Store) ([]Ref, error) {
			return s.DeleteBefore(t.Context(), alice, AllNamespaces(), t0.Add(-2*time.Second), nil)
		}, h(0, 1, 2), h(3)},
		{"delete_before in one namespace", func(s *Store) ([]Ref, error) {
			return s.DeleteBefore(t.Context(), alice, Namespace(0), t0, nil)
		}, h(0, 1), h(2, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t, c, nil)
			for _, m := range msgs {
				mustStore(t, s, m)
			}
			refs, err := tc.op(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := refHashes(refs); !sameSet(got, tc.deleted) {
				t.Errorf("deleted %q, want %q", got, tc.deleted)
			}
			for _, r := range refs {
				for _, m := range msgs {
					if m.Hash == r.Hash && m.Namespace != r.Namespace {
						t.Errorf("ref %q has namespace %d, want %d", r.Hash, r.Namespace, m.Namespace)
					}
				}
			}
			var left []string
			for _, ns := range []int16{0, 5} {
				got, _, err := s.Retrieve(t.Context(), alice, ns, "", RetrieveLimits{})
				if err != nil {
					t.Fatal(err)
				}
				left = append(left, hashesOf(got)...)
			}
			if !equalStrings(left, tc.left) {
				t.Errorf("left %q, want %q", left, tc.left)
			}
			if got, _, _ := s.Retrieve(t.Context(), bob, 0, "", RetrieveLimits{}); len(got) != 1 {
				t.Errorf("bob's message was touched")
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestExpire(t *testing.T) {
	c := newClock()
	o := owner(1)
	now := c.Now()
	m1 := newMsg(o, 0, "m1", now, time.Hour)   // expires now+1h
	m2 := newMsg(o, 0, "m2", now, 3*time.Hour) // expires now+3h
	other := newMsg(owner(2), 0, "other", now, time.Hour)
	at := func(d time.Duration) time.Time { return now.Add(d) }

	for _, tc := range []struct {
		name      string
		hashes    []string
		expiries  []time.Time
		mode      ExpireMode
		updated   map[string]time.Time
		unchanged map[string]time.Time
		after     map[string]time.Time // expiries afterwards
	}{
		{
			name: "set moves both ways", hashes: []string{m1.Hash, m2.Hash},
			expiries: []time.Time{at(2 * time.Hour)}, mode: ExpireSet,
			updated:   map[string]time.Time{m1.Hash: at(2 * time.Hour), m2.Hash: at(2 * time.Hour)},
			unchanged: map[string]time.Time{},
			after:     map[string]time.Time{m1.Hash: at(2 * time.Hour), m2.Hash: at(2 * time.Hour)},
		},
		{
			name: "extend only moves later", hashes: []string{m1.Hash, m2.Hash, "unknown"},
			expiries: []time.Time{at(2 * time.Hour)}, mode: ExpireExtend,
			updated:   map[string]time.Time{m1.Hash: at(2 * time.Hour)},
			unchanged: map[string]time.Time{m2.Hash: at(3 * time.Hour)},
			after:     map[string]time.Time{m1.Hash: at(2 * time.Hour), m2.Hash: at(3 * time.Hour)},
		},
		{
			name: "shorten only moves earlier", hashes: []string{m1.Hash, m2.Hash},
			expiries: []time.Time{at(2 * time.Hour)}, mode: ExpireShorten,
			updated:   map[string]time.Time{m2.Hash: at(2 * time.Hour)},
			unchanged: map[string]time.Time{m1.Hash: at(time.Hour)},
			after:     map[string]time.Time{m1.Hash: at(time.Hour), m2.Hash: at(2 * time.Hour)},
		},
		{
			name: "an equal expiry is no extension", hashes: []string{m1.Hash},
			expiries: []time.Time{at(time.Hour)}, mode: ExpireExtend,
			updated:   map[string]time.Time{},
			unchanged: map[string]time.Time{m1.Hash: at(time.Hour)},
			after:     map[string]time.Time{m1.Hash: at(time.Hour), m2.Hash: at(3 * time.Hour)},
		},
		{
			name: "an equal expiry is no shortening", hashes: []string{m2.Hash},
			expiries: []time.Time{at(3 * time.Hour)}, mode: ExpireShorten,
			updated:   map[string]time.Time{},
			unchanged: map[string]time.Time{m2.Hash: at(3 * time.Hour)},
			after:     map[string]time.Time{m1.Hash: at(time.Hour), m2.Hash: at(3 * time.Hour)},
		},
		{
			name: "one expiry per hash", hashes: []string{m1.Hash, m2.Hash},
			expiries: []time.Time{at(5 * time.Hour), at(30 * time.Minute)}, mode: ExpireSet,
			updated:   map[string]time.Time{m1.Hash: at(5 * time.Hour), m2.Hash: at(30 * time.Minute)},
			unchanged: map[string]time.Time{},
			after:     map[string]time.Time{m1.Hash: at(5 * time.Hour), m2.Hash: at(30 * time.Minute)},
		},
		{
			name: "another owner's message is untouched", hashes: []string{other.Hash},
			expiries: []time.Time{at(5 * time.Hour)}, mode: ExpireSet,
			updated:   map[string]time.Time{},
			unchanged: map[string]time.Time{},
			after:     map[string]time.Time{m1.Hash: at(time.Hour), m2.Hash: at(3 * time.Hour)},
		},
		{
			name: "expiries are capped", hashes: []string{m1.Hash},
			expiries: []time.Time{at(100 * 24 * time.Hour)}, mode: ExpireExtend,
			updated:   map[string]time.Time{m1.Hash: at(TTLMaximumPrivate + StoreTolerance)},
			unchanged: map[string]time.Time{},
			after:     map[string]time.Time{m1.Hash: at(TTLMaximumPrivate + StoreTolerance), m2.Hash: at(3 * time.Hour)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t, c, nil)
			for _, m := range []Message{m1, m2, other} {
				mustStore(t, s, m)
			}
			res, err := s.Expire(t.Context(), o, tc.hashes, tc.expiries, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Updated) != len(tc.updated) {
				t.Errorf("updated %v, want %v", res.Updated, tc.updated)
			}
			for _, u := range res.Updated {
				if want, ok := tc.updated[u.Hash]; !ok || !want.Equal(u.Expiry) {
					t.Errorf("updated %q to %v, want %v (listed: %v)", u.Hash, u.Expiry, want, ok)
				}
			}
			checkExpiries(t, "unchanged", res.Unchanged, tc.unchanged)
			got, err := s.GetExpiries(t.Context(), o, []string{m1.Hash, m2.Hash, other.Hash})
			if err != nil {
				t.Fatal(err)
			}
			checkExpiries(t, "afterwards", got, tc.after)
		})
	}

	t.Run("a repeated hash with one expiry is reported once", func(t *testing.T) {
		s, _ := openTest(t, c, nil)
		mustStore(t, s, m1)
		res, err := s.Expire(t.Context(), o, []string{m1.Hash, m1.Hash}, []time.Time{at(2 * time.Hour)}, ExpireSet)
		if err != nil || len(res.Updated) != 1 {
			t.Errorf("Expire = %+v, %v; want one update", res, err)
		}
	})
	t.Run("mismatched expiries are refused", func(t *testing.T) {
		s, _ := openTest(t, c, nil)
		_, err := s.Expire(t.Context(), o, []string{m1.Hash, m2.Hash, "x"}, []time.Time{now, now}, ExpireSet)
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("err = %v, want ErrInvalidArgument", err)
		}
	})
	t.Run("shortening into the past deletes", func(t *testing.T) {
		s, _ := openTest(t, c, nil)
		mustStore(t, s, m1)
		if _, err := s.Expire(t.Context(), o, []string{m1.Hash}, []time.Time{now.Add(-time.Second)}, ExpireShorten); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := s.Retrieve(t.Context(), o, 0, "", RetrieveLimits{}); len(got) != 0 {
			t.Errorf("message still retrievable after its expiry was set in the past")
		}
	})
}

func checkExpiries(t *testing.T, what string, got, want map[string]time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %v, want %v", what, got, want)
		return
	}
	for h, w := range want {
		if g, ok := got[h]; !ok || !g.Equal(w) {
			t.Errorf("%s: %q at %v, want %v", what, h, g, w)
		}
	}
}

func TestExpireAllOnlyShortens(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	o := owner(1)
	now := c.Now()
	short := newMsg(o, 0, "short", now, time.Hour)
	long := newMsg(o, 0, "long", now, 5*time.Hour)
	long2 := newMsg(o, 2, "long2", now, 5*time.Hour)
	bobs := newMsg(owner(2), 0, "bob", now, 5*time.Hour)
	for _, m := range []Message{short, long, long2, bobs} {
		mustStore(t, s, m)
	}
	target := now.Add(2 * time.Hour)
	refs, err := s.ExpireAll(ctx, o, Namespace(0), target)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(refHashes(refs), []string{long.Hash}) {
		t.Errorf("ExpireAll(ns 0) updated %q, want only the long one", refHashes(refs))
	}
	refs, err = s.ExpireAll(ctx, o, AllNamespaces(), target)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0] != (Ref{Namespace: 2, Hash: long2.Hash}) {
		t.Errorf("ExpireAll(all) updated %+v, want only long2 in namespace 2", refs)
	}
	got, _ := s.GetExpiries(ctx, o, []string{short.Hash, long.Hash, long2.Hash})
	checkExpiries(t, "after", got, map[string]time.Time{short.Hash: short.Expiry, long.Hash: target, long2.Hash: target})
	got, _ = s.GetExpiries(ctx, owner(2), []string{bobs.Hash})
	checkExpiries(t, "bob", got, map[string]time.Time{bobs.Hash: bobs.Expiry})
}

func TestPublicOutboxHoldsOneMessage(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	o := owner(1)
	now := c.Now()
	for _, ns := range []int16{-1, -21} {
		first := newMsg(o, ns, "first", now, time.Hour)
		newer := newMsg(o, ns, "newer", now.Add(time.Second), time.Hour)
		stale := newMsg(o, ns, "stale", now.Add(500*time.Millisecond), time.Hour)
		tie := newMsg(o, ns, "tie", now.Add(time.Second), time.Hour)
		if r := mustStore(t, s, first); r.Outcome != Stored {
			t.Fatalf("ns %d first: %v", ns, r.Outcome)
		}
		if r := mustStore(t, s, newer); r.Outcome != Stored {
			t.Fatalf("ns %d newer: %v, want Stored", ns, r.Outcome)
		}
		if r := mustStore(t, s, stale); r.Outcome != Obsolete {
			t.Fatalf("ns %d older: %v, want Obsolete", ns, r.Outcome)
		}
		if r := mustStore(t, s, tie); r.Outcome != Obsolete {
			t.Fatalf("ns %d same timestamp: %v, want Obsolete (only a newer message replaces)", ns, r.Outcome)
		}
		if r := mustStore(t, s, newer); r.Outcome != Unchanged {
			t.Fatalf("ns %d newer again: %v, want Unchanged", ns, r.Outcome)
		}
		got, _, err := s.Retrieve(ctx, o, ns, "", RetrieveLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if !equalStrings(hashesOf(got), []string{newer.Hash}) {
			t.Errorf("ns %d holds %q, want only the newest", ns, hashesOf(got))
		}
	}
	// -2 and -20 are not outboxes.
	for _, ns := range []int16{-2, -20} {
		mustStore(t, s, newMsg(o, ns, "a", now, time.Hour))
		mustStore(t, s, newMsg(o, ns, "b", now.Add(-time.Second), time.Hour))
		if got, _, _ := s.Retrieve(ctx, o, ns, "", RetrieveLimits{}); len(got) != 2 {
			t.Errorf("ns %d holds %d messages, want 2", ns, len(got))
		}
	}
}

func TestQuota(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	t.Run("message count", func(t *testing.T) {
		s, _ := openTest(t, c, &Options{MaxOwnerMessages: 3})
		o := owner(1)
		var ms []Message
		for i := range 3 {
			m := newMsg(o, int16(i+1), "m", c.Now(), time.Duration(i+1)*time.Minute)
			mustStore(t, s, m)
			ms = append(ms, m)
		}
		fourth := newMsg(o, 5, "fourth", c.Now(), time.Hour)
		if _, err := s.Store(ctx, fourth); !errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("fourth store: %v, want ErrQuotaExceeded", err)
		}
		if r, err := s.Store(ctx, ms[2]); err != nil || r.Outcome != Unchanged {
			t.Errorf("a duplicate at the quota: %v, %v; want Unchanged", r.Outcome, err)
		}
		mustStore(t, s, newMsg(owner(2), 1, "bob", c.Now(), time.Hour))
		if _, err := s.Delete(ctx, o, []string{ms[1].Hash}, nil); err != nil {
			t.Fatal(err)
		}
		mustStore(t, s, fourth)
		fifth := newMsg(o, 5, "fifth", c.Now(), time.Hour)
		if _, err := s.Store(ctx, fifth); !errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("fifth store: %v, want ErrQuotaExceeded", err)
		}
		// The first message expires; no sweep has run, yet it no longer
		// counts.
		c.Advance(time.Minute)
		mustStore(t, s, fifth)
		// A peer's copy past the quota is dropped, not an error that
		// would fail its whole batch.
		res, err := s.Replicate(ctx, []Message{newMsg(o, 9, "replicated", c.Now(), time.Hour)})
		if err != nil || len(res) != 1 || res[0].Outcome != OverQuota {
			t.Errorf("replicating past the quota: %+v, %v; want OverQuota", res, err)
		}
		checkTotals(t, s)
	})
	t.Run("bytes", func(t *testing.T) {
		s, _ := openTest(t, c, &Options{MaxOwnerBytes: 100})
		o := owner(1)
		mustStore(t, s, newMsg(o, 2, strings.Repeat("a", 60), c.Now(), time.Hour))
		if _, err := s.Store(ctx, newMsg(o, 3, strings.Repeat("b", 41), c.Now(), time.Hour)); !errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("store past the byte quota: %v, want ErrQuotaExceeded", err)
		}
		mustStore(t, s, newMsg(o, 3, strings.Repeat("c", 40), c.Now(), time.Hour))
	})
	t.Run("per namespace", func(t *testing.T) {
		s, _ := openTest(t, c, &Options{MaxNamespaceMessages: 2, MaxNamespaceBytes: 50})
		o := owner(1)
		mustStore(t, s, newMsg(o, 11, "group message 1", c.Now(), time.Hour))
		mustStore(t, s, newMsg(o, 11, "group message 2", c.Now(), time.Hour))
		if _, err := s.Store(ctx, newMsg(o, 11, "group message 3", c.Now(), time.Hour)); !errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("third message in a namespace of 2: %v, want ErrQuotaExceeded", err)
		}
		// A full namespace takes no room from the owner's others.
		mustStore(t, s, newMsg(o, 12, "keys", c.Now(), time.Hour))
		mustStore(t, s, newMsg(o, 14, "members", c.Now(), time.Hour))
		if _, err := s.Store(ctx, newMsg(o, 13, strings.Repeat("i", 51), c.Now(), time.Hour)); !errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("51 bytes in a namespace of 50: %v, want ErrQuotaExceeded", err)
		}
		checkTotals(t, s)
	})
	t.Run("negative means none", func(t *testing.T) {
		s, _ := openTest(t, c, &Options{MaxOwnerMessages: -1, MaxOwnerBytes: -1})
		for i := range 50 {
			mustStore(t, s, newMsg(owner(1), 2, strings.Repeat("x", i), c.Now(), time.Hour))
		}
	})
}

// TestInboxFloodLeavesOwnerRoom is the store half of the inbox flood of issue
// 8: a stranger storing without a signature as fast as it likes into an
// owner's public inbox never makes a store of the owner's own (a config) fail,
// never makes a new message fail, and only ever evicts its own messages while
// other senders stay within their share.
func TestInboxFloodLeavesOwnerRoom(t *testing.T) {
	c := newClock()
	// The owner quota is as small as the inbox: before namespaces had
	// quotas of their own, this flood took all of it.
	s, _ := openTest(t, c, &Options{
		MaxOwnerMessages: 20, MaxInboxMessages: 20, MaxSenderMessages: 5,
	})
	o := owner(1)
	honest := inboxMsg(o, 0, "honest hello", c.Now(), "ip:192.0.2.1")
	mustStore(t, s, honest)
	var flood []Message
	for i := range 200 {
		c.Advance(time.Millisecond)
		m := inboxMsg(o, 0, fmt.Sprintf("junk %d", i), c.Now(), "ip:198.51.100.7")
		if r := mustStore(t, s, m); r.Outcome != Stored {
			t.Fatalf("flood message %d: %v, want Stored (new messages are never refused)", i, r.Outcome)
		}
		flood = append(flood, m)
	}
	if st, err := s.Stats(t.Context()); err != nil || st.Evicted != 195 {
		t.Errorf("Stats: %d evicted, %v; want 195", st.Evicted, err)
	}
	got := retrieveAll(t, s, o, 0)
	want := append([]string{honest.Hash}, hashesOf(flood[len(flood)-5:])...)
	if !equalStrings(got, want) {
		t.Errorf("inbox after the flood holds %d messages, want the honest one and the flood's newest 5", len(got))
	}
	// The owner's own devices still sync: a signed namespace has its own
	// room, whatever the inbox holds.
	c.Advance(time.Millisecond)
	mustStore(t, s, newMsg(o, 2, "profile config", c.Now(), time.Hour))
	// A message from someone else still arrives.
	c.Advance(time.Millisecond)
	second := inboxMsg(o, 0, "second honest", c.Now(), "node:aa")
	if r := mustStore(t, s, second); r.Outcome != Stored {
		t.Fatalf("honest store after the flood: %v", r.Outcome)
	}
	checkTotals(t, s)
}

// TestInboxEvictsTheOldest fills an inbox from several senders, each within
// its share, and checks that each new message past the inbox's limit evicts
// the oldest, across the owner's public-inbox namespaces.
func TestInboxEvictsTheOldest(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, &Options{MaxInboxMessages: 6, MaxSenderMessages: 4})
	o := owner(1)
	var a []Message
	for i := range 4 {
		c.Advance(time.Millisecond)
		a = append(a, inboxMsg(o, 0, fmt.Sprintf("a%d", i), c.Now(), "a"))
		mustStore(t, s, a[i])
	}
	c.Advance(time.Millisecond)
	b := inboxMsg(o, 10, "b0", c.Now(), "b") // another public inbox, the same budget
	mustStore(t, s, b)
	c.Advance(time.Millisecond)
	c1 := inboxMsg(o, 0, "c0", c.Now(), "c")
	mustStore(t, s, c1)
	c.Advance(time.Millisecond)
	c2 := inboxMsg(o, 0, "c1", c.Now(), "c")
	mustStore(t, s, c2) // 7 > 6: a0, the oldest, goes
	want := []string{a[1].Hash, a[2].Hash, a[3].Hash, c1.Hash, c2.Hash}
	if got := retrieveAll(t, s, o, 0); !equalStrings(got, want) {
		t.Errorf("namespace 0 holds %q, want %q", got, want)
	}
	if got := retrieveAll(t, s, o, 10); !equalStrings(got, []string{b.Hash}) {
		t.Errorf("namespace 10 holds %q, want b0 alone", got)
	}
	checkTotals(t, s)

	t.Run("bytes", func(t *testing.T) {
		s, _ := openTest(t, c, &Options{MaxInboxBytes: 100, MaxSenderBytes: 60})
		big := inboxMsg(o, 0, strings.Repeat("x", 50), c.Now(), "x")
		mustStore(t, s, big)
		c.Advance(time.Millisecond)
		mustStore(t, s, inboxMsg(o, 0, strings.Repeat("y", 40), c.Now(), "y"))
		c.Advance(time.Millisecond)
		// 50 + 40 + 20 > 100: x's message is the oldest and goes.
		mustStore(t, s, inboxMsg(o, 0, strings.Repeat("z", 20), c.Now(), "z"))
		if got := retrieveAll(t, s, o, 0); len(got) != 2 || slices.Contains(got, big.Hash) {
			t.Errorf("inbox holds %d messages (x's among them: %v), want y's and z's", len(got), slices.Contains(got, big.Hash))
		}
		checkTotals(t, s)
	})
}

// TestEvictionAgreesAcrossTheSwarm stores the same messages into two nodes
// in different orders, as the members of a swarm receive them, and checks
// that both keep the same ones; a catch-up that offers an evicted message
// again gets Evicted and displaces nothing.
func TestEvictionAgreesAcrossTheSwarm(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	opts := &Options{MaxInboxMessages: 8, MaxSenderMessages: 3}
	one, _ := openTest(t, c, opts)
	two, _ := openTest(t, c, opts)
	o := owner(1)
	var msgs []Message
	for i := range 30 {
		msgs = append(msgs, inboxMsg(o, 0, fmt.Sprintf("m%d", i), c.Now().Add(time.Duration(i%7)*time.Millisecond), fmt.Sprintf("s%d", i%5)))
	}
	for _, m := range msgs {
		mustStore(t, one, m)
	}
	a := retrieveAll(t, one, o, 0)
	slices.Sort(a)
	if len(a) != 8 {
		t.Fatalf("a node keeps %d messages, want 8", len(a))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		shuffled := slices.Clone(msgs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		other, _ := openTest(t, c, opts)
		for _, m := range shuffled {
			if _, err := other.Replicate(ctx, []Message{m}); err != nil {
				t.Fatal(err)
			}
		}
		b := retrieveAll(t, other, o, 0)
		slices.Sort(b)
		if !equalStrings(a, b) {
			t.Fatalf("two nodes that received the same messages in other orders keep different ones: %q vs %q", a, b)
		}
	}
	if _, err := two.Replicate(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	// Catch-up offers everything again: nothing changes on either side.
	for _, s := range []*Store{one, two} {
		res, err := s.Replicate(ctx, msgs)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			held := slices.Contains(a, msgs[i].Hash)
			if held && r.Outcome != Unchanged || !held && r.Outcome != Evicted {
				t.Errorf("offering %s again: %v (held: %v)", msgs[i].Data, r.Outcome, held)
			}
		}
		got := retrieveAll(t, s, o, 0)
		slices.Sort(got)
		if !equalStrings(got, a) {
			t.Errorf("catch-up changed what a node holds")
		}
		checkTotals(t, s)
	}
}

// TestReplicateKeepsSender checks that the sender travels with a message to
// the swarm, so that every member counts it in the same share, and only for
// public inboxes.
func TestReplicateKeepsSender(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, nil)
	o := owner(1)
	in := inboxMsg(o, 0, "in", c.Now(), "node:ab")
	signed := inboxMsg(o, 2, "config", c.Now(), "ip:192.0.2.9")
	if _, err := s.Replicate(ctx, []Message{in, signed}); err != nil {
		t.Fatal(err)
	}
	recs, err := s.ListSince(ctx, 0, 10)
	if err != nil || len(recs) != 2 {
		t.Fatalf("ListSince: %d, %v", len(recs), err)
	}
	if recs[0].Sender != "node:ab" || recs[1].Sender != "" {
		t.Errorf("senders listed %q and %q, want %q and none", recs[0].Sender, recs[1].Sender, "node:ab")
	}
	long := inboxMsg(o, 0, "long", c.Now(), strings.Repeat("s", MaxSenderLength+1))
	if _, err := s.Store(ctx, long); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("a sender of %d bytes: %v, want ErrInvalidMessage", MaxSenderLength+1, err)
	}
	checkTotals(t, s)
}

// TestReplicateRefusesFutureMessages checks that a peer cannot date its
// messages far ahead, which would make them the last an inbox evicts, while
// a copy from a peer whose clock is a little ahead is kept.
func TestReplicateRefusesFutureMessages(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, nil)
	o := owner(1)
	far := inboxMsg(o, 0, "far", c.Now().Add(time.Hour), "peer:x")
	near := inboxMsg(o, 0, "near", c.Now().Add(70*time.Second), "peer:x")
	res, err := s.Replicate(t.Context(), []Message{far, near})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != Refused || res[1].Outcome != Stored {
		t.Errorf("an hour ahead: %v, 70 s ahead: %v; want refused, stored", res[0].Outcome, res[1].Outcome)
	}
	// A client's own store is checked by the RPC layer (StoreTolerance),
	// not here.
	if r := mustStore(t, s, inboxMsg(o, 0, "client", c.Now().Add(time.Hour), "addr:x")); r.Outcome != Stored {
		t.Errorf("Store of a future message: %v", r.Outcome)
	}
}

func TestDatabaseFull(t *testing.T) {
	c := newClock()
	none := &Options{MaxDatabaseBytes: 256 << 10, MaxOwnerBytes: -1, MaxOwnerMessages: -1, MaxNamespaceBytes: -1, MaxNamespaceMessages: -1}
	s, _ := openTest(t, c, none)
	body := strings.Repeat("z", 10_000)
	for i := 0; ; i++ {
		_, err := s.Store(t.Context(), newMsg(owner(1), 2, body+string(rune('a'+i%26))+strings.Repeat("!", i), c.Now(), time.Hour))
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatalf("store %d: %v, want success or ErrFull", i, err)
		}
		if i > 100 {
			t.Fatal("a 256 KiB database took 100 messages of 10 KB")
		}
	}
	// A database full of signed messages has nothing to evict: an inbox
	// store is refused too.
	if _, err := s.Store(t.Context(), newMsg(owner(2), 0, body, c.Now(), time.Hour)); !errors.Is(err, ErrFull) {
		t.Errorf("inbox store into a database full of signed messages: %v, want ErrFull", err)
	}
	// A full database still reads, and frees room by deleting.
	if _, err := s.DeleteAll(t.Context(), owner(1), AllNamespaces(), nil); err != nil {
		t.Fatalf("DeleteAll on a full database: %v", err)
	}
	mustStore(t, s, newMsg(owner(1), 2, body, c.Now(), time.Hour))
}

// TestFullDatabaseEvictsInboxForOwners fills a node's database with
// strangers' inbox messages to many accounts, each within its inbox budget:
// stores keep working, the inbox messages nearest their expiry making room,
// and an owner's config store always goes in.
func TestFullDatabaseEvictsInboxForOwners(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, &Options{MaxDatabaseBytes: 256 << 10})
	body := strings.Repeat("j", 10_000)
	var first Message
	for i := range 100 {
		m := newMsg(owner(byte(i)), 0, fmt.Sprint(body, i), c.Now(), time.Hour+time.Duration(i)*time.Second)
		if i == 0 {
			first = m
		}
		if r, err := s.Store(t.Context(), m); err != nil || r.Outcome != Stored {
			t.Fatalf("inbox store %d into a full database: %v, %v; want stored, older ones evicted", i, r.Outcome, err)
		}
	}
	if got := retrieveAll(t, s, first.Owner, 0); len(got) != 0 {
		t.Errorf("the inbox message nearest its expiry is still held")
	}
	for i := range 3 {
		mustStore(t, s, newMsg(owner(200), 2, fmt.Sprint(body, "config ", i), c.Now(), time.Hour))
	}
	checkTotals(t, s)
}

func TestReplicateKeepsFields(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	src, _ := openTest(t, c, nil)
	dst, _ := openTest(t, c, nil)
	var want []Message
	for i, o := range []byte{1, 2, 3} {
		for ns := range int16(3) {
			m := newMsg(owner(o), ns, strings.Repeat("d", i+int(ns)), c.Now().Add(-time.Duration(i)*time.Second), time.Duration(ns+1)*time.Hour)
			mustStore(t, src, m)
			want = append(want, m)
		}
	}
	// Page through the source as a catch-up would.
	var all []Record
	for after := int64(0); ; {
		page, err := src.ListSince(ctx, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if r.Seq <= after {
				t.Fatalf("seq %d after %d: not increasing", r.Seq, after)
			}
			after = r.Seq
		}
		all = append(all, page...)
	}
	if last, _ := src.LastSeq(ctx); last != all[len(all)-1].Seq {
		t.Errorf("LastSeq = %d, want %d", last, all[len(all)-1].Seq)
	}
	msgs := make([]Message, len(all))
	for i, r := range all {
		msgs[i] = r.Message
		if !sameMessage(r.Message, want[i]) {
			t.Errorf("record %d = %+v, want %+v", i, r.Message, want[i])
		}
	}
	res, err := dst.Replicate(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Outcome != Stored {
			t.Errorf("replicated %d: %v, want Stored", i, r.Outcome)
		}
	}
	res, err = dst.Replicate(ctx, msgs)
	if err != nil || res[0].Outcome != Unchanged {
		t.Errorf("replicating again: %v, %v; want Unchanged", res, err)
	}
	for _, m := range want {
		got, _, err := dst.Retrieve(ctx, m.Owner, m.Namespace, "", RetrieveLimits{})
		if err != nil || len(got) != 1 || !sameMessage(got[0], m) {
			t.Errorf("replica of %q: %+v, %v", m.Data, got, err)
		}
	}

	bad := append([]Message{newMsg(owner(4), 0, "fine", c.Now(), time.Hour)}, Message{Owner: owner(4)})
	if _, err := dst.Replicate(ctx, bad); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("batch with an invalid message: %v, want ErrInvalidMessage", err)
	}
	if got, _, _ := dst.Retrieve(ctx, owner(4), 0, "", RetrieveLimits{}); len(got) != 0 {
		t.Errorf("a refused batch stored %d messages", len(got))
	}
}

func TestSeqIsNeverReused(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, path := openTest(t, c, nil)
	o := owner(1)
	mustStore(t, s, newMsg(o, 0, "a", c.Now(), time.Hour))
	b := newMsg(o, 0, "b", c.Now(), time.Hour)
	mustStore(t, s, b)
	last, _ := s.LastSeq(ctx)
	if _, err := s.Delete(ctx, o, []string{b.Hash}, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path, c, nil)
	mustStore(t, s, newMsg(o, 0, "c", c.Now(), time.Hour))
	recs, err := s.ListSince(ctx, last, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || string(recs[0].Data) != "c" || recs[0].Seq <= last {
		t.Errorf("after deleting the newest and reopening, ListSince(%d) = %+v; want the new message", last, recs)
	}
	if _, err := s.ListSince(ctx, 0, 0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ListSince with limit 0: %v, want ErrInvalidArgument", err)
	}
}

func TestReopenKeepsMessages(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, path := openTest(t, c, nil)
	var want []Message
	for i := range 20 {
		m := newMsg(owner(byte(i%3)), int16(i%2), strings.Repeat("r", i), c.Now(), time.Hour)
		mustStore(t, s, m)
		want = append(want, m)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, c, nil)
	for _, m := range want {
		got, err := s.GetExpiries(ctx, m.Owner, []string{m.Hash})
		if err != nil || !got[m.Hash].Equal(m.Expiry) {
			t.Errorf("after reopen, %q: %v, %v", m.Hash, got, err)
		}
	}
	st, _ := s.Stats(ctx)
	if st.Messages != 20 || st.Owners != 3 || st.FileBytes <= 0 {
		t.Errorf("Stats after reopen = %+v", st)
	}
	if err := s.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestCancelledContextStoresNothing(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	m := newMsg(owner(1), 0, "never", c.Now(), time.Hour)
	if _, err := s.Store(ctx, m); err == nil {
		t.Fatal("Store with a cancelled context succeeded")
	}
	got, err := s.GetExpiries(t.Context(), m.Owner, []string{m.Hash})
	if err != nil || len(got) != 0 {
		t.Errorf("message present after a cancelled store: %v, %v", got, err)
	}
	// The store is still usable.
	mustStore(t, s, m)
}

func TestConcurrentStoresAndReads(t *testing.T) {
	c := newClock()
	s, _ := openTest(t, c, nil)
	const writers, each = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*2)
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range each {
				m := newMsg(owner(byte(w)), 0, strings.Repeat("c", i+1), c.Now(), time.Hour)
				if _, err := s.Store(t.Context(), m); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			cursor := ""
			for seen := 0; seen < each; {
				got, _, err := s.Retrieve(t.Context(), owner(byte(w)), 0, cursor, RetrieveLimits{MaxCount: 7})
				if err != nil {
					errs <- err
					return
				}
				for _, m := range got {
					if len(m.Data) != seen+1 {
						errs <- errors.New("messages out of order or missing")
						return
					}
					seen++
					cursor = m.Hash
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st, _ := s.Stats(t.Context()); st.Messages != writers*each {
		t.Errorf("Stats.Messages = %d, want %d", st.Messages, writers*each)
	}
}

func TestConnectionSettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fullSync bool
		wantSync int // 1 NORMAL, 2 FULL
	}{
		{"default is WAL with synchronous NORMAL", false, 1},
		{"FullSync is synchronous FULL", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t, newClock(), &Options{FullSync: tc.fullSync})
			ctx := t.Context()
			for _, db := range []*sql.DB{s.w, s.r} {
				var mode string
				var sync, fk, busy int
				if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
					t.Fatal(err)
				}
				db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
				db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
				db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy)
				if mode != "wal" || sync != tc.wantSync || fk != 1 || busy != int(busyTimeout/time.Millisecond) {
					t.Errorf("journal_mode %q synchronous %d foreign_keys %d busy_timeout %d", mode, sync, fk, busy)
				}
			}
			if _, err := s.r.ExecContext(ctx, "DELETE FROM messages"); err == nil {
				t.Error("a reader connection accepted a write")
			}
		})
	}
}

// TestFullDatabaseLeavesRoomForDeletes checks that an owner can delete its
// messages from a database at its size cap whose room strangers' inbox
// messages took: the tombstones a deletion writes take more room than small
// messages free, and it is the strangers' messages that make it.
func TestFullDatabaseLeavesRoomForDeletes(t *testing.T) {
	c := newClock()
	s, path := openTest(t, c, nil)
	o := owner(1)
	var mine []string
	var msgs []Message
	for i := range 500 {
		m := newMsg(o, 2, fmt.Sprint(i), c.Now(), time.Hour)
		msgs = append(msgs, m)
		mine = append(mine, m.Hash)
		msgs = append(msgs, newMsg(owner(byte(2+i%50)), 0, fmt.Sprint(strings.Repeat("s", 500), i), c.Now(), time.Hour))
	}
	if _, err := s.Replicate(t.Context(), msgs); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reopened with the cap at its size: not a page to spare.
	s = openAt(t, path, c, &Options{MaxDatabaseBytes: st.FileBytes})
	got, err := s.Delete(t.Context(), o, mine, []byte(strings.Repeat("p", 100)))
	if err != nil || len(got) != len(mine) {
		t.Fatalf("Delete of the owner's %d messages from a full database: %d deleted, %v", len(mine), len(got), err)
	}
	if st, err := s.Stats(t.Context()); err != nil || st.Evicted == 0 {
		t.Errorf("Stats after the delete: %+v, %v; want inbox messages evicted to make room", st, err)
	}
	checkTotals(t, s)
}
