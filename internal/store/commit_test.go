package store

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3/driver"
)

// Concurrent stores share transactions; each must still succeed or fail on
// its own: a store past its quota fails alone, and every store reported
// stored is there.
func TestGroupCommitFailsStoresIndividually(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	const quota = 10
	s, _ := openTest(t, c, &Options{MaxOwnerMessages: quota})
	capped, free := owner(1), owner(2)
	var mu sync.Mutex
	var ok, refused, freeOK int
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			o, ns := free, int16(0)
			if i%2 == 0 {
				o, ns = capped, 1 // a signed namespace: the quota applies
			}
			_, err := s.Store(ctx, newMsg(o, ns, fmt.Sprint("m", i), c.Now(), time.Hour))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case o == free && err == nil:
				freeOK++
			case o == capped && err == nil:
				ok++
			case o == capped && errors.Is(err, ErrQuotaExceeded):
				refused++
			default:
				t.Errorf("store %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ok != quota || refused != 30-quota || freeOK != 30 {
		t.Fatalf("capped: %d stored, %d refused; free: %d stored (want %d, %d, 30)", ok, refused, freeOK, quota, 30-quota)
	}
	if got, _, _ := s.Retrieve(ctx, capped, 1, "", RetrieveLimits{}); len(got) != quota {
		t.Errorf("capped owner holds %d messages, want %d", len(got), quota)
	}
	if got, _, _ := s.Retrieve(ctx, free, 0, "", RetrieveLimits{}); len(got) != 30 {
		t.Errorf("free owner holds %d messages, want 30", len(got))
	}
}

// A store acknowledged is committed: the file reopened holds it.
func TestGroupCommitAcknowledgesAfterCommit(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, path := openTest(t, c, nil)
	o := owner(3)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if _, err := s.Store(ctx, newMsg(o, 0, fmt.Sprint("m", i), c.Now(), time.Hour)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// A second Store on the same file, while the first is open, reads
	// what the first's commits made durable.
	s2 := openAt(t, path, c, nil)
	if got, _, _ := s2.Retrieve(ctx, o, 0, "", RetrieveLimits{}); len(got) != 40 {
		t.Fatalf("reopened: %d messages, want 40", len(got))
	}
	s.Close()
	if _, err := s.Store(ctx, newMsg(o, 0, "late", c.Now(), time.Hour)); !errors.Is(err, ErrClosed) {
		t.Fatalf("store after Close: %v, want ErrClosed", err)
	}
}

// The writer does not checkpoint; the background connection must, or the
// WAL grows with every store.
func TestBackgroundCheckpointBoundsTheWAL(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, path := openTest(t, c, nil)
	body := string(make([]byte, 4000))
	var first int64
	for round := range 8 {
		for i := range 250 {
			if _, err := s.Store(ctx, newMsg(owner(byte(i%50)), 0, fmt.Sprint(body, round, i), c.Now(), time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		waitCheckpoint(t, s)
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			first = fi.Size()
			continue
		}
		// Checkpointed between rounds, the WAL is reused from its start
		// and stays at about one round's worth; without checkpoints it
		// would grow by that much every round.
		if fi.Size() > 2*first {
			t.Fatalf("WAL is %d bytes after round %d, %d after the first: not checkpointed", fi.Size(), round+1, first)
		}
	}
}

// Copies from peers (catch-up) grow the WAL as stores do; they must wake
// the checkpointer too.
func TestBackgroundCheckpointAfterReplicate(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, path := openTest(t, c, nil)
	body := string(make([]byte, 4000))
	var first int64
	for round := range 6 {
		var batch []Message
		for i := range 250 {
			batch = append(batch, newMsg(owner(byte(i%50)), 0, fmt.Sprint(body, round, i), c.Now(), time.Hour))
		}
		for i := 0; i < len(batch); i += 25 {
			if _, err := s.Replicate(ctx, batch[i:i+25]); err != nil {
				t.Fatal(err)
			}
		}
		waitCheckpoint(t, s)
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			first = fi.Size()
			continue
		}
		if fi.Size() > 2*first {
			t.Fatalf("WAL is %d bytes after round %d, %d after the first: not checkpointed", fi.Size(), round+1, first)
		}
	}
}

// waitCheckpoint waits until a checkpoint has started after the last
// commit and ended, however loaded the machine.
func waitCheckpoint(t *testing.T, s *Store) {
	t.Helper()
	n := s.commits.Load()
	deadline := time.Now().Add(60 * time.Second)
	for s.checkpointed.Load() < n {
		if time.Now().After(deadline) {
			t.Fatal("the checkpointer did not run")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Inbox stores in a group run without savepoints; when one fails all the
// same (here a trigger refuses it, as a damaged disk might), the group runs
// again with savepoints, and only that store fails.
func TestGroupCommitInboxStoreFailsAlone(t *testing.T) {
	ctx := t.Context()
	c := newClock()
	s, path := openTest(t, c, nil)
	db, err := driver.Open("file:"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TRIGGER refuse_poison BEFORE INSERT ON messages
		WHEN NEW.data = CAST('poison' AS BLOB) BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	o := owner(4)
	// Hold the writer so that every store below queues into one group.
	hold := make(chan struct{})
	held := make(chan error, 1)
	go func() { held <- s.write(ctx, func(txn) error { <-hold; return nil }) }()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		body := fmt.Sprint("m", i)
		if i == 7 {
			body = "poison"
		}
		wg.Go(func() {
			_, errs[i] = s.Store(ctx, newMsg(o, 0, body, c.Now(), time.Hour))
		})
	}
	time.Sleep(100 * time.Millisecond)
	close(hold)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if (i == 7) != (err != nil) {
			t.Errorf("store %d: %v", i, err)
		}
	}
	got, _, err := s.Retrieve(ctx, o, 0, "", RetrieveLimits{})
	if err != nil || len(got) != len(errs)-1 {
		t.Fatalf("owner holds %d messages (%v), want %d", len(got), err, len(errs)-1)
	}
	checkTotals(t, s)
}
