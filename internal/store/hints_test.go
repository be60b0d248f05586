package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// A store that creates its owner's row and then fails is rolled back,
// row and all; the next new owner may get the same row id. The writer must
// not keep the first owner's id, or the first owner's next message would be
// filed under the second owner.
func TestHintsForgetRolledBackOwnerRow(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, &Options{MaxNamespaceBytes: 50})
	a, b := owner(1), owner(2)
	if _, err := s.Store(ctx, newMsg(a, 3, strings.Repeat("x", 51), c.Now(), time.Hour)); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("store past the namespace quota: %v, want ErrQuotaExceeded", err)
	}
	mustStore(t, s, newMsg(b, 3, "b's", c.Now(), time.Hour))
	mustStore(t, s, newMsg(a, 3, "a's", c.Now(), time.Hour))
	if got := bodiesIn(t, s, a, 3); len(got) != 1 || got[0] != "a's" {
		t.Fatalf("owner a holds %q, want only a's", got)
	}
	if got := bodiesIn(t, s, b, 3); len(got) != 1 || got[0] != "b's" {
		t.Fatalf("owner b holds %q, want only b's", got)
	}
	checkTotals(t, s)
}

// The same in a group commit: the failing store's savepoint rolls back the
// owner row it created while the group's other stores commit.
func TestHintsForgetOwnerRowOfRolledBackSavepoint(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, _ := openTest(t, c, &Options{MaxNamespaceBytes: 50})
	a, b := owner(1), owner(2)
	big := newMsg(a, 3, strings.Repeat("x", 51), c.Now(), time.Hour)
	ok := newMsg(b, 0, "b's", c.Now(), time.Hour)
	done := make(chan error, 2)
	// Hold the writer so that both queue and commit as one group.
	hold := make(chan struct{})
	go s.write(ctx, func(txn) error { <-hold; return nil })
	go func() { _, err := s.Store(ctx, big); done <- err }()
	go func() { _, err := s.Store(ctx, ok); done <- err }()
	time.Sleep(50 * time.Millisecond)
	close(hold)
	var quota int
	for range 2 {
		if err := <-done; errors.Is(err, ErrQuotaExceeded) {
			quota++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if quota != 1 {
		t.Fatalf("%d stores refused, want the one past the quota", quota)
	}
	mustStore(t, s, newMsg(owner(3), 0, "c's", c.Now(), time.Hour))
	mustStore(t, s, newMsg(a, 3, "a's", c.Now(), time.Hour))
	if got := bodiesIn(t, s, a, 3); len(got) != 1 || got[0] != "a's" {
		t.Fatalf("owner a holds %q, want only a's", got)
	}
	if got := bodiesIn(t, s, owner(3), 0); len(got) != 1 || got[0] != "c's" {
		t.Fatalf("owner c holds %q, want only c's", got)
	}
	checkTotals(t, s)
}

// A second Store writing to the same file makes the first forget its
// bounds: they no longer bound anything.
func TestHintsResetWhenAnotherConnectionWrites(t *testing.T) {
	c := newClock()
	opts := &Options{MaxInboxMessages: 3, MaxSenderMessages: 3}
	s, path := openTest(t, c, opts)
	o := owner(1)
	mustStore(t, s, newMsg(o, 0, "first 1", c.Now(), time.Hour))
	c.Advance(time.Millisecond)
	other := openAt(t, path, c, opts)
	for i := range 2 {
		mustStore(t, other, newMsg(o, 0, "second "+string(rune('1'+i)), c.Now(), time.Hour))
		c.Advance(time.Millisecond)
	}
	// s knows of one message; the inbox holds three. A fourth must evict
	// the oldest.
	mustStore(t, s, newMsg(o, 0, "first 2", c.Now(), time.Hour))
	if got := bodiesIn(t, s, o, 0); len(got) != 3 || got[0] == "first 1" {
		t.Fatalf("inbox holds %q, want the newest three", got)
	}
	checkTotals(t, s)
}

// bodiesIn returns the bodies of everything o holds in ns, in order.
func bodiesIn(t *testing.T, s *Store, o keys.ID, ns int16) []string {
	t.Helper()
	got, _, err := s.Retrieve(t.Context(), o, ns, "", RetrieveLimits{})
	if err != nil {
		t.Fatal(err)
	}
	return bodiesOf(got)
}

func bodiesOf(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Data))
	}
	return out
}
