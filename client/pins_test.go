package client

import (
	"errors"
	"testing"
	"time"
)

type pinRow struct {
	ID     string
	Pinned bool
	Muted  bool
}

func pinsOf(t *testing.T, c *Client) []pinRow {
	t.Helper()
	cvs, err := c.Inbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []pinRow
	for _, cv := range cvs {
		out = append(out, pinRow{cv.SessionID, cv.Pinned, cv.Muted})
	}
	return out
}

// TestPinMuteHideSync pins, mutes and hides conversations on one device
// and checks the inbox of both devices of the account (Contacts config).
func TestPinMuteHideSync(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice := account(t, "Alice")
	bob, carol, dave := account(t, "Bob"), account(t, "Carol"), account(t, "Dave")
	for _, to := range []*Client{carol, bob, dave} { // dave's is the latest
		if _, err := alice.Send(ctx, to.SessionID(), "hi"); err != nil {
			t.Fatal(err)
		}
	}
	alice2 := otherDevice(t, alice, "Alice")
	if err := alice.Pin(ctx, carol.SessionID(), true); err != nil {
		t.Fatal(err)
	}
	if err := alice.Mute(ctx, bob.SessionID(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := alice.Mute(ctx, dave.SessionID(), Forever); err != nil {
		t.Fatal(err)
	}
	want := []pinRow{{carol.SessionID(), true, false}, {dave.SessionID(), false, true}, {bob.SessionID(), false, true}}
	if got := pinsOf(t, alice); !equalRows(got, want) {
		t.Fatalf("Alice's inbox = %+v, want %+v", got, want)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !equalRows(pinsOf(t, alice2), want) {
		if time.Now().After(deadline) {
			t.Fatalf("second device's inbox = %+v, want %+v", pinsOf(t, alice2), want)
		}
		settle(t, alice2)
	}

	// Hide Dave on the second device; writing to him shows him again.
	if err := alice2.Hide(ctx, dave.SessionID()); err != nil {
		t.Fatal(err)
	}
	want = []pinRow{{carol.SessionID(), true, false}, {bob.SessionID(), false, true}}
	for deadline = time.Now().Add(30 * time.Second); !equalRows(pinsOf(t, alice), want); {
		if time.Now().After(deadline) {
			t.Fatalf("first device's inbox after hide = %+v, want %+v", pinsOf(t, alice), want)
		}
		settle(t, alice)
	}
	if err := alice.Unmute(ctx, dave.SessionID()); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Send(ctx, dave.SessionID(), "back"); err != nil {
		t.Fatal(err)
	}
	want = []pinRow{{carol.SessionID(), true, false}, {dave.SessionID(), false, false}, {bob.SessionID(), false, true}}
	if got := pinsOf(t, alice); !equalRows(got, want) {
		t.Fatalf("after writing to the hidden Dave = %+v, want %+v", got, want)
	}
	if err := alice.Pin(ctx, carol.SessionID(), false); err != nil {
		t.Fatal(err)
	}
	if got := pinsOf(t, alice); len(got) != 3 || got[0].ID != dave.SessionID() || got[2].Pinned {
		t.Fatalf("after unpin = %+v", got)
	}
	if err := alice.Mute(ctx, bob.SessionID(), -time.Second); !errors.Is(err, ErrInvalidDuration) {
		t.Fatalf("negative mute: %v", err)
	}
	if err := alice.Pin(ctx, account(t, "Eve").SessionID(), true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("pin without a conversation: %v", err)
	}
}

func equalRows(a, b []pinRow) bool {
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
