package client

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// device opens another device of an existing account (its recovery password).
func device(t *testing.T, words, name string) *Client {
	t.Helper()
	c, err := Restore(t.Context(), Options{Home: t.TempDir(), Network: testNet.NetworkFile, PollWait: time.Second}, words, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// otherDevice opens another device of c's account from its recovery
// password: the second device that every sync test checks against.
func otherDevice(t *testing.T, c *Client, name string) *Client {
	t.Helper()
	words, err := c.RecoveryPassword()
	if err != nil {
		t.Fatal(err)
	}
	return device(t, words, name)
}

// aliceBobAndSecondDevice makes the accounts of a one-to-one test, Alice
// and Bob, and opens a second device of Alice's, in that order: the setup
// of every test that checks a message feature both at the peer and on the
// sender's other device (through the sync copy).
func aliceBobAndSecondDevice(t *testing.T) (alice, bob, alice2 *Client) {
	t.Helper()
	alice, bob = account(t, "Alice"), account(t, "Bob")
	return alice, bob, otherDevice(t, alice, "Alice")
}

// settle polls every device a few times so that config pushes and merges
// propagate both ways.
func settle(t *testing.T, devices ...*Client) {
	t.Helper()
	for range 3 {
		for _, d := range devices {
			if _, err := d.Receive(t.Context()); err != nil {
				t.Logf("receive: %v", err)
			}
		}
	}
}

func contactsOf(t *testing.T, c *Client) []Contact {
	t.Helper()
	cts, err := c.Contacts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(cts, func(a, b Contact) int {
		if a.SessionID < b.SessionID {
			return -1
		}
		return 1
	})
	return cts
}

type inboxRow struct {
	ID     string
	Unread int
}

func inboxOf(t *testing.T, c *Client) []inboxRow {
	t.Helper()
	cvs, err := c.Inbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []inboxRow
	for _, cv := range cvs {
		out = append(out, inboxRow{cv.SessionID, cv.Unread})
	}
	slices.SortFunc(out, func(a, b inboxRow) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	return out
}

func findContact(cts []Contact, id string) (Contact, bool) {
	for _, c := range cts {
		if c.SessionID == id {
			return c, true
		}
	}
	return Contact{}, false
}

func TestDevicesConvergeOnConcurrentEdits(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	d1, words, err := Create(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile, PollWait: time.Second}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	bob, carol := account(t, "Bob"), account(t, "Carol")
	for _, to := range []*Client{bob, carol} {
		if _, err := d1.Send(ctx, to.SessionID(), "hello from Alice"); err != nil {
			t.Fatal(err)
		}
	}
	d2 := device(t, words, "")
	settle(t, d1, d2)
	if d2.DisplayName() != "Alice" {
		t.Errorf("restored device's display name = %q, want Alice from the profile config", d2.DisplayName())
	}
	if cts := contactsOf(t, d2); len(cts) != 2 {
		t.Fatalf("device 2 knows %d contacts after one poll, want 2: %+v", len(cts), cts)
	}

	// Concurrent edits, neither device polling in between.
	if err := d1.SetNickname(ctx, bob.SessionID(), "Bobby"); err != nil {
		t.Fatal(err)
	}
	if err := d2.Block(ctx, carol.SessionID()); err != nil {
		t.Fatal(err)
	}
	settle(t, d1, d2)
	for i, d := range []*Client{d1, d2} {
		cts := contactsOf(t, d)
		b, _ := findContact(cts, bob.SessionID())
		c, _ := findContact(cts, carol.SessionID())
		if b.Nickname != "Bobby" || !b.Approved || b.Blocked {
			t.Errorf("device %d: Bob is %+v, want nickname Bobby, approved", i+1, b)
		}
		if !c.Blocked {
			t.Errorf("device %d: Carol is %+v, want blocked", i+1, c)
		}
	}
	if a, b := contactsOf(t, d1), contactsOf(t, d2); !slices.Equal(a, b) {
		t.Errorf("devices disagree:\n%+v\n%+v", a, b)
	}
	// A message from the blocked contact is dropped on the device that did
	// not block her itself.
	carol.Send(ctx, d1.SessionID(), "let me in")
	bob.Send(ctx, d1.SessionID(), "marker")
	got := receiveUntil(t, d1, "Bob's marker", func(ms []Message) bool { return slices.Contains(bodies(ms), "marker") })
	if slices.Contains(bodies(got), "let me in") {
		t.Error("device 1 shows a message from a contact blocked on device 2")
	}

	// A third device, restored later, reaches the same state in one poll
	// and shows no existing contact as a request.
	d3 := device(t, words, "")
	if _, err := d3.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	settle(t, d1, d2)
	if a, b := contactsOf(t, d1), contactsOf(t, d3); !slices.Equal(a, b) {
		t.Errorf("device 3 after one poll:\n%+v\nwant\n%+v", b, a)
	}
	if reqs, _ := d3.Requests(ctx); len(reqs) != 0 {
		t.Errorf("device 3 shows existing contacts as requests: %+v", reqs)
	}
	if a, b := inboxOf(t, d1), inboxOf(t, d3); !slices.Equal(a, b) {
		t.Errorf("inbox differs: device 1 %+v, device 3 %+v", a, b)
	}
}

func TestReadOnOneDeviceClearsUnreadOnTheOther(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	d1, words, err := Create(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile, PollWait: time.Second}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	d2 := device(t, words, "")
	bob := account(t, "Bob")
	if _, err := d1.Send(ctx, bob.SessionID(), "hi"); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one", "two"} {
		if _, err := bob.Send(ctx, d1.SessionID(), text); err != nil {
			t.Fatal(err)
		}
	}
	receiveUntil(t, d1, "Bob's messages on device 1", func(ms []Message) bool { return slices.Contains(bodies(ms), "two") })
	receiveUntil(t, d2, "Bob's messages on device 2", func(ms []Message) bool { return slices.Contains(bodies(ms), "two") })
	for i, d := range []*Client{d1, d2} {
		if in := inboxOf(t, d); len(in) != 1 || in[0].Unread != 2 {
			t.Fatalf("device %d inbox before reading: %+v, want 2 unread", i+1, in)
		}
	}
	if err := d1.MarkRead(ctx, bob.SessionID()); err != nil {
		t.Fatal(err)
	}
	settle(t, d2)
	if in := inboxOf(t, d2); len(in) != 1 || in[0].Unread != 0 {
		t.Fatalf("device 2 inbox after reading on device 1: %+v, want 0 unread", in)
	}
	// Marking it unread on device 2 shows on device 1.
	if err := d2.MarkUnread(ctx, bob.SessionID()); err != nil {
		t.Fatal(err)
	}
	settle(t, d1)
	cvs, _ := d1.Inbox(ctx)
	if len(cvs) != 1 || !cvs[0].MarkedUnread {
		t.Fatalf("device 1 after marking unread on device 2: %+v", cvs)
	}
	if err := d1.MarkRead(ctx, bob.SessionID()); err != nil {
		t.Fatal(err)
	}
	settle(t, d2)
	if cvs, _ := d2.Inbox(ctx); len(cvs) != 1 || cvs[0].MarkedUnread {
		t.Fatalf("device 2 after reading on device 1: %+v", cvs)
	}
}

func TestNoteToSelfReachesOtherDevices(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	d1, words, err := Create(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	d2 := device(t, words, "")
	if _, err := d1.Send(ctx, d1.SessionID(), "remember the milk"); err != nil {
		t.Fatal(err)
	}
	got := receiveUntil(t, d2, "the note to self", func(ms []Message) bool { return slices.Contains(bodies(ms), "remember the milk") })
	if !got[0].Outgoing || got[0].Conversation != d1.SessionID() {
		t.Errorf("note on device 2: %+v", got[0])
	}
	// The sending device does not show its own note twice.
	d1.Receive(ctx)
	if ms, _ := d1.Messages(ctx, d1.SessionID(), 10); len(ms) != 1 {
		t.Errorf("device 1 shows the note %d times", len(ms))
	}
}

// TestRestoredDeviceShowsTheSameUnreadState restores a device after the
// first one read a conversation: its first poll merges the read marks
// (config namespaces come first) before Bob's messages create the
// conversation, and the marks must still apply.
func TestRestoredDeviceShowsTheSameUnreadState(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	d1, words, err := Create(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile, PollWait: time.Second}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	bob, carol := account(t, "Bob"), account(t, "Carol")
	if _, err := d1.Send(ctx, bob.SessionID(), "hi Bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := d1.Send(ctx, carol.SessionID(), "hi Carol"); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one", "two", "three"} {
		if _, err := bob.Send(ctx, d1.SessionID(), text); err != nil {
			t.Fatal(err)
		}
		if _, err := carol.Send(ctx, d1.SessionID(), "carol "+text); err != nil {
			t.Fatal(err)
		}
	}
	receiveUntil(t, d1, "every message on device 1", func(ms []Message) bool {
		return slices.Contains(bodies(ms), "three") && slices.Contains(bodies(ms), "carol three")
	})
	if err := d1.MarkRead(ctx, bob.SessionID()); err != nil { // Carol's stay unread
		t.Fatal(err)
	}
	want := []inboxRow{{bob.SessionID(), 0}, {carol.SessionID(), 3}}
	slices.SortFunc(want, func(a, b inboxRow) int { return strings.Compare(a.ID, b.ID) })
	if got := inboxOf(t, d1); !slices.Equal(got, want) {
		t.Fatalf("device 1 inbox: %+v, want %+v", got, want)
	}
	d2 := device(t, words, "")
	if _, err := d2.Receive(ctx); err != nil {
		t.Fatalf("the restored device's first poll: %v", err)
	}
	if got := inboxOf(t, d2); !slices.Equal(got, want) {
		t.Fatalf("restored device inbox after one poll: %+v, want %+v (as on device 1)", got, want)
	}
}
