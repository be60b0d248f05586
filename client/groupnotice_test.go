package client

import (
	"slices"
	"testing"
	"time"
)

// notices returns the texts of the notices among ms, and whether each was
// this account's.
func notices(ms []Message) (texts []string, own []bool) {
	for _, m := range ms {
		if m.Kind == KindNotice {
			texts, own = append(texts, m.Body), append(own, m.Outgoing)
		}
	}
	return texts, own
}

// TestGroupNotices: an admin's member and info changes show in the
// group's conversation as notices, on her device (as hers, once, even
// after she reads them back from the swarm) and on a member's, with the
// names they know; a notice is not unread. A removed member reads the
// admin's removal notice (namespace -11) and shows "You were removed".
func TestGroupNotices(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, carol := account(t, "Alice"), account(t, "Bob"), account(t, "Carol")
	gid := contactGroup(t, alice, "Notices", bob, carol)
	joinGroup(t, bob, gid)
	joinGroup(t, carol, gid)
	receiveUntil(t, alice, "her members' first messages, with their names", func(ms []Message) bool { return len(ms) >= 2 })
	if err := alice.RenameGroup(ctx, gid, "Renamed"); err != nil {
		t.Fatal(err)
	}
	if err := alice.PromoteGroupMember(ctx, gid, bob.SessionID()); err != nil {
		t.Fatal(err)
	}
	if err := alice.RemoveGroupMember(ctx, gid, carol.SessionID()); err != nil {
		t.Fatal(err)
	}
	mine := []string{"Group name is now Renamed", "You made Bob an admin", "You removed Carol"}
	for _, want := range mine {
		ms, _ := alice.Messages(ctx, gid, 50)
		if got, _ := notices(ms); !slices.Contains(got, want) {
			t.Fatalf("the admin's notices %q lack %q", got, want)
		}
	}
	// Bob never saw Carol write: she is her short ID to him.
	theirs := []string{"Group name is now Renamed", "Alice made you an admin", "Alice removed " + ShortID(carol.SessionID())}
	deadline := time.Now().Add(60 * time.Second)
	for {
		bob.Receive(ctx)
		ms, _ := bob.Messages(ctx, gid, 50)
		got, own := notices(ms)
		if !slices.ContainsFunc(theirs, func(w string) bool { return !slices.Contains(got, w) }) {
			if slices.Contains(own, true) {
				t.Errorf("the member's notices %q count as his own: %v", got, own)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member's notices %q, want %q", got, theirs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if inbox, _ := bob.Inbox(ctx); !slices.ContainsFunc(inbox, func(c Conversation) bool { return c.SessionID == gid && c.Unread == 0 }) {
		t.Errorf("notices count as unread: %+v", inbox)
	}
	// Carol learns of her removal from the admin's notice in namespace
	// -11 (which her revoked token still reads), not Bob; the group is
	// marked removed with a notice.
	cg, err := carol.loadGroup(ctx, gid)
	if err != nil {
		t.Fatal(err)
	}
	if !carol.kickedCheck(ctx, cg) {
		t.Error("the removed member finds no removal notice for her")
	}
	if bg, err := bob.loadGroup(ctx, gid); err != nil || bob.kickedCheck(ctx, bg) {
		t.Errorf("a member still in the group reads a removal notice for him (%v)", err)
	}
	carol.Receive(ctx)
	if gs, _ := carol.Groups(ctx); len(gs) != 1 || !gs[0].Removed {
		t.Fatalf("the removed member's groups: %+v", gs)
	}
	cm, _ := carol.Messages(ctx, gid, 50)
	if got, _ := notices(cm); !slices.Contains(got, "You were removed from the group") {
		t.Errorf("the removed member's notices: %q", got)
	}
	// The admin reads her own notices back from the swarm: still one each.
	alice.Receive(ctx)
	ms, _ := alice.Messages(ctx, gid, 50)
	got, own := notices(ms)
	for _, want := range mine {
		if n := len(slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s != want })); n != 1 {
			t.Errorf("the admin has %d notices %q after reading them back: %q", n, want, got)
		}
	}
	if slices.Contains(own, false) {
		t.Errorf("the admin's notices are not all hers: %v", own)
	}
}

func TestTimerText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30 seconds", time.Minute: "1 minute", 12 * time.Hour: "12 hours",
		24 * time.Hour: "1 day", 14 * 24 * time.Hour: "2 weeks", 90 * time.Second: "90 seconds",
	} {
		if got := timerText(d); got != want {
			t.Errorf("timerText(%v) = %q, want %q", d, got, want)
		}
	}
}
