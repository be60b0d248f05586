package client

import (
	"errors"
	"testing"
	"time"
)

// noteToSelfOf returns the Note to Self row of c's inbox, its position,
// and whether it is there.
func noteToSelfOf(t *testing.T, c *Client) (Conversation, int, bool) {
	t.Helper()
	cvs, err := c.Inbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i, cv := range cvs {
		if cv.SessionID == c.SessionID() {
			return cv, i, true
		}
	}
	return Conversation{}, -1, false
}

// TestNoteToSelfInInboxSynced checks that Note to Self is listed (named
// so, marked), and that pinning and hiding it on one device reach the
// other through the UserProfile config's Note-to-Self priority, as in
// Session; a new note shows it again on both.
func TestNoteToSelfInInboxSynced(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	d1 := account(t, "Alice")
	bob := account(t, "Bob")
	if _, err := d1.Send(ctx, bob.SessionID(), "hi Bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := d1.Send(ctx, NoteToSelf, "remember the milk"); err != nil {
		t.Fatal(err)
	}
	if _, err := d1.Send(ctx, bob.SessionID(), "the latest"); err != nil {
		t.Fatal(err)
	}
	d2 := otherDevice(t, d1, "Alice")
	settle(t, d2)
	for _, d := range []*Client{d1, d2} {
		cv, _, ok := noteToSelfOf(t, d)
		if !ok || cv.Name != NoteToSelf || !cv.NoteToSelf || cv.Preview != "remember the milk" {
			t.Fatalf("Note to Self in the inbox: %+v, %v", cv, ok)
		}
	}
	waitNote := func(d *Client, what string, cond func(Conversation, int, bool) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			cv, i, ok := noteToSelfOf(t, d)
			if cond(cv, i, ok) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: Note to Self %+v at %d (listed %v)", what, cv, i, ok)
			}
			settle(t, d)
		}
	}
	// Pinned on device 1: first on both, though Bob's is the latest.
	if err := d1.Pin(ctx, d1.SessionID(), true); err != nil {
		t.Fatal(err)
	}
	pinned := func(cv Conversation, i int, ok bool) bool { return ok && cv.Pinned && i == 0 }
	waitNote(d1, "pinned on device 1", pinned)
	waitNote(d2, "pinned, on device 2", pinned)
	// Hidden on device 2: gone from both lists.
	if err := d2.Hide(ctx, NoteToSelf); err != nil {
		t.Fatal(err)
	}
	hidden := func(_ Conversation, _ int, ok bool) bool { return !ok }
	waitNote(d2, "hidden on device 2", hidden)
	waitNote(d1, "hidden, on device 1", hidden)
	// A new note shows it again, everywhere.
	if _, err := d2.Send(ctx, NoteToSelf, "and eggs"); err != nil {
		t.Fatal(err)
	}
	shown := func(cv Conversation, _ int, ok bool) bool { return ok && cv.Preview == "and eggs" }
	waitNote(d2, "a new note, on device 2", shown)
	waitNote(d1, "a new note, on device 1", shown)
	if err := d1.Mute(ctx, NoteToSelf, time.Hour); !errors.Is(err, ErrNotSupported) {
		t.Errorf("muting Note to Self: %v, want ErrNotSupported", err)
	}
}
