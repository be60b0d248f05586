package client

import (
	"slices"
	"testing"

	"github.com/session-go/session-go/internal/config"
)

// TestMarkReadDuringMergeWins marks a conversation read on device 1 at the
// moment device 1 applies a merged ConvoInfoVolatile config that still
// holds device 2's older unread mark: the newer mark, made here, must win,
// in the database as in the config (the apply and the mark take cfg.mu,
// so the mark is all before or all after the apply).
func TestMarkReadDuringMergeWins(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	d1, bob, d2 := aliceBobAndSecondDevice(t)
	if _, err := d1.Send(ctx, bob.SessionID(), "hi"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Send(ctx, d1.SessionID(), "one"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, d1, "Bob's message on device 1", func(ms []Message) bool { return slices.Contains(bodies(ms), "one") })
	receiveUntil(t, d2, "Bob's message on device 2", func(ms []Message) bool { return slices.Contains(bodies(ms), "one") })
	if err := d2.MarkUnread(ctx, bob.SessionID()); err != nil {
		t.Fatal(err)
	}
	bobID := bob.SessionID()
	fired, done := false, make(chan error, 1)
	d1.onConvoApply = func(convos []config.OneToOne) {
		i := slices.IndexFunc(convos, func(cv config.OneToOne) bool { return cv.SessionID.String() == bobID })
		if fired || i < 0 || !convos[i].Unread {
			return
		}
		fired = true
		// Mark read now. If the apply holds the config lock (it must),
		// the mark waits for it; if not, let the mark finish first, as a
		// mark made between the read of the config and its writes would.
		free := d1.cfg.mu.TryLock()
		if free {
			d1.cfg.mu.Unlock()
		}
		go func() { done <- d1.MarkRead(ctx, bobID) }()
		if free {
			done <- <-done
		}
	}
	pollUntil(t, d1, "device 2's unread mark merged", func() bool { return fired })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cvs, err := d1.Inbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cvs) != 1 || cvs[0].MarkedUnread {
		t.Fatalf("device 1 after marking read during the merge: %+v, want read", cvs)
	}
	d1.cfg.mu.Lock()
	cv, _ := d1.cfg.convos.Get1to1(bob.id.SessionID())
	d1.cfg.mu.Unlock()
	if cv.Unread {
		t.Fatal("device 1's config still marks the conversation unread")
	}
	// The read mark reaches device 2.
	settle(t, d2)
	if cvs, _ := d2.Inbox(ctx); len(cvs) != 1 || cvs[0].MarkedUnread {
		t.Fatalf("device 2 after the read on device 1: %+v", cvs)
	}
}
