package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
)

// groupBodies returns who wrote what, as "from: body".
func groupBodies(ms []GroupMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.From[:8]+": "+m.Body)
	}
	return out
}

// TestGroupOnDevnet: three accounts build a group, everyone reads
// everyone; after the admin removes a member, the others still read each
// other, and the removed member can read nothing written after (its
// retrieve is refused, and its keys do not open the new messages).
func TestGroupOnDevnet(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, carol := account(t, "Alice"), account(t, "Bob"), account(t, "Carol")
	// Bob and Carol approve Alice (her invitation then joins at once).
	gid := contactGroup(t, alice, "Team", bob, carol)
	for who, c := range map[string]*Client{"bob": bob, "carol": carol} {
		deadline := time.Now().Add(60 * time.Second)
		for {
			c.Receive(ctx)
			gs, _ := c.Groups(ctx)
			if len(gs) == 1 && gs[0].ID == gid && !gs[0].Invited && gs[0].Name == "Team" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not join: %+v", who, gs)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, c := range []*Client{alice, bob, carol} {
		if _, err := c.Send(ctx, "Team", "hello from "+c.DisplayName()); err != nil {
			t.Fatalf("%s sends: %v", c.DisplayName(), err)
		}
	}
	// Everyone reads everyone through Receive, which saves what it gets.
	// A conversation is ordered by the senders' timestamps, each from its
	// own client's estimate of network time; those estimates differ by a
	// few milliseconds, so three sends in a row from three clients need
	// not be dated in the order they were made. What must hold: each
	// reads every message once, from its author, in timestamp order, and
	// all three read the same order with the same timestamps.
	var order []string
	for _, c := range []*Client{alice, bob, carol} {
		receiveUntil(t, c, c.DisplayName()+" reads the others", func([]Message) bool {
			ms, _ := c.Messages(ctx, gid, 10)
			return len(ms) == 3
		})
		ms, _ := c.Messages(ctx, "Team", 10)
		if len(ms) != 3 {
			t.Fatalf("%s reads %+v", c.DisplayName(), ms)
		}
		for _, want := range []*Client{alice, bob, carol} {
			i := slices.IndexFunc(ms, func(m Message) bool { return m.From == want.SessionID() })
			if i < 0 || ms[i].Body != "hello from "+want.DisplayName() || ms[i].Outgoing != (want == c) {
				t.Fatalf("%s reads %+v", c.DisplayName(), ms)
			}
		}
		var seen []string
		for i, m := range ms {
			if i > 0 && m.SentAt.Before(ms[i-1].SentAt) {
				t.Fatalf("%s reads out of timestamp order: %+v", c.DisplayName(), ms)
			}
			seen = append(seen, m.From+"@"+m.SentAt.UTC().Format(time.RFC3339Nano))
		}
		if order == nil {
			order = seen
		} else if !slices.Equal(seen, order) {
			t.Fatalf("%s reads %q, alice read %q", c.DisplayName(), seen, order)
		}
	}
	mem, err := bob.GroupMembers(ctx, gid)
	if err != nil || len(mem) != 3 {
		t.Fatalf("members: %+v %v", mem, err)
	}

	if err := bob.RemoveGroupMember(ctx, gid, carol.SessionID()); err == nil {
		t.Fatal("a member removed someone")
	}
	if err := alice.RemoveGroupMember(ctx, gid, carol.SessionID()); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SendGroup(ctx, gid, "after Carol left"); err != nil {
		t.Fatal(err)
	}
	ms, err := alice.GroupMessages(ctx, gid)
	if err != nil || !slices.Contains(groupBodies(ms), bob.SessionID()[:8]+": after Carol left") {
		t.Fatalf("alice after the removal: %q %v", groupBodies(ms), err)
	}
	// The removed member: her client's poll is refused and saves nothing
	// new, and a raw retrieve with her (revoked) token is refused too.
	if ms, err := carol.Receive(ctx); err != nil || slices.Contains(bodies(ms), "after Carol left") {
		t.Fatalf("the removed member's poll: %q, %v", bodies(ms), err)
	}
	if gs, _ := carol.Groups(ctx); len(gs) != 1 || !gs[0].Removed {
		t.Fatalf("the removed member's groups: %+v", gs)
	}
	if _, err := carol.Send(ctx, gid, "still here?"); !errors.Is(err, ErrUnknownGroup) {
		t.Fatalf("the removed member sends: %v", err)
	}
	if ms, _ := carol.Messages(ctx, gid, 10); slices.Contains(bodies(ms), "after Carol left") {
		t.Fatal("the removed member read a message written after the removal")
	}
	revoked, err := carol.loadGroup(ctx, gid)
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := carol.groupRetrieve(ctx, revoked, groups.NamespaceMessages); err == nil {
		t.Fatalf("a raw retrieve with the revoked token read %d messages", len(ms))
	}
	if mem, _ := alice.GroupMembers(ctx, gid); len(mem) != 2 {
		t.Fatalf("members after the removal: %+v", mem)
	}

	// Alice promotes Bob, who can then administer; Carol leaves.
	if err := alice.PromoteGroupMember(ctx, gid, bob.SessionID()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		bob.Receive(ctx)
		if gs, _ := bob.Groups(ctx); len(gs) == 1 && gs[0].Admin {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("bob was never promoted")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := bob.RenameGroup(ctx, gid, "Team B"); err != nil {
		t.Fatalf("promoted bob renames: %v", err)
	}
	if gs, _ := alice.Groups(ctx); len(gs) != 1 {
		t.Fatalf("alice's groups: %+v", gs)
	}
	alice.GroupMessages(ctx, gid) // syncs the name
	if gs, _ := alice.Groups(ctx); gs[0].Name != "Team B" {
		t.Fatalf("alice sees the name %q", gs[0].Name)
	}
	if err := carol.LeaveGroup(ctx, gid); err != nil && !errors.Is(err, ErrSendFailed) {
		t.Fatal(err)
	}
	if gs, _ := carol.Groups(ctx); len(gs) != 0 {
		t.Fatalf("carol still lists %+v", gs)
	}
}

// TestGroupReachesARestoredDevice: a device restored from the recovery
// password gets the account's groups (UserGroups) and their history
// within a poll, as admin where the account is admin.
func TestGroupReachesARestoredDevice(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	opts := Options{Home: t.TempDir(), Network: testNet.NetworkFile, PollWait: time.Second}
	alice, words, err := Create(ctx, opts, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob := account(t, "Bob")
	gid, err := alice.CreateGroup(ctx, "History", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendGroup(ctx, gid, "before the restore"); err != nil {
		t.Fatal(err)
	}
	// A mark that travels in ConvoInfoVolatile (under "g"), like a
	// contact's.
	if err := alice.MarkUnread(ctx, gid); err != nil {
		t.Fatal(err)
	}
	opts2 := opts
	opts2.Home = t.TempDir()
	alice2, err := Restore(ctx, opts2, words, "")
	if err != nil {
		t.Fatal(err)
	}
	defer alice2.Close()
	// One poll (one that the network answered) brings the group and its
	// history: the account's configs come first, then the groups they list.
	var ms []Message
	for i := 0; ; i++ {
		if ms, err = alice2.Receive(ctx); err == nil {
			break
		}
		if i == 5 {
			t.Fatalf("the restored device's poll: %v", err)
		}
	}
	if gs, _ := alice2.Groups(ctx); len(gs) != 1 || gs[0].ID != gid || !gs[0].Admin || gs[0].Name != "History" {
		t.Fatalf("the restored device lacks the group after one poll: %+v", gs)
	}
	if !slices.Contains(bodies(ms), "before the restore") {
		t.Fatalf("one poll brought %q", bodies(ms))
	}
	if hist, _ := alice2.Messages(ctx, "History", 10); len(hist) != 1 || hist[0].From != alice.SessionID() || !hist[0].Outgoing {
		t.Fatalf("history on the restored device: %+v", hist)
	}
	if inbox, _ := alice2.Inbox(ctx); len(inbox) != 1 || inbox[0].SessionID != gid || !inbox[0].MarkedUnread || inbox[0].Name != "History" {
		t.Fatalf("the restored device's inbox: %+v", inbox)
	}
	// The second device administers: it renames the group and removes a
	// member, and the first device and the member see it.
	if err := alice2.RenameGroup(ctx, gid, "History 2"); err != nil {
		t.Fatalf("the restored admin renames: %v", err)
	}
	receiveUntil(t, bob, "the invitation", func([]Message) bool { return bob.IsGroup(ctx, gid) })
	if err := bob.Accept(ctx, gid); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "the new name", func([]Message) bool {
		gs, _ := bob.Groups(ctx)
		return len(gs) == 1 && gs[0].Name == "History 2"
	})
	if err := alice2.RemoveGroupMember(ctx, gid, bob.SessionID()); err != nil {
		t.Fatalf("the restored admin removes a member: %v", err)
	}
	if mem, err := alice.GroupMembers(ctx, gid); err != nil || len(mem) != 1 {
		t.Fatalf("the first device after the second removed bob: %+v %v", mem, err)
	}
	bob.Receive(ctx)
	if gs, _ := bob.Groups(ctx); len(gs) != 1 || !gs[0].Removed {
		t.Fatalf("the member removed by the second device: %+v", gs)
	}
}

// contactGroup has each member write to admin first, so that admin is
// their approved contact and her invitation joins at once (not a message
// request), then has admin create a group named name with them; it
// returns the group's ID. The members still have to poll to join.
func contactGroup(t *testing.T, admin *Client, name string, members ...*Client) string {
	t.Helper()
	ids := make([]string, len(members))
	for i, c := range members {
		if _, err := c.Send(t.Context(), admin.SessionID(), "hi"); err != nil {
			t.Fatal(err)
		}
		ids[i] = c.SessionID()
	}
	gid, err := admin.CreateGroup(t.Context(), name, ids...)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return gid
}

// joinGroup polls c until it is in group gid (not as an invitation).
func joinGroup(t *testing.T, c *Client, gid string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c.Receive(t.Context())
		gs, _ := c.Groups(t.Context())
		for _, g := range gs {
			if g.ID == gid && !g.Invited {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not join %s: %+v", c.DisplayName(), ShortID(gid), gs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestGroupConversationIsSaved: a group's messages are saved on the
// device like a contact's: Receive returns them (with who wrote each),
// the inbox lists the group by name with its unread count, Messages and
// MarkRead take its name, Run delivers them as events, and a message that
// could not be sent is kept as failed and goes out on retry.
func TestGroupConversationIsSaved(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	home := t.TempDir()
	alice, _, err := Create(ctx, Options{Home: home, Network: testNet.NetworkFile, PollWait: time.Second}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { alice.Close() }()
	bob := account(t, "Bob")
	if _, err := bob.Send(ctx, alice.SessionID(), "hi Alice"); err != nil {
		t.Fatal(err)
	}
	gid, err := alice.CreateGroup(ctx, "Saved", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	joinGroup(t, bob, gid)
	m, err := alice.Send(ctx, "Saved", "first")
	if err != nil || m.Status != "sent" || m.Conversation != gid || m.From != alice.SessionID() {
		t.Fatalf("send to a group: %+v, %v", m, err)
	}
	got := receiveUntil(t, bob, "the group message", func(ms []Message) bool { return slices.Contains(bodies(ms), "first") })
	for _, m := range got {
		if m.Body == "first" && (m.Conversation != gid || m.From != alice.SessionID() || m.Outgoing) {
			t.Fatalf("received %+v", m)
		}
	}
	if names, err := bob.GroupNames(ctx, gid); err != nil || names[alice.SessionID()] != "Alice" {
		t.Fatalf("names in the group: %v %v", names, err)
	}
	inbox, err := bob.Inbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(inbox, func(cv Conversation) bool { return cv.SessionID == gid })
	if i < 0 || inbox[i].Kind != "group" || inbox[i].Name != "Saved" || inbox[i].Unread != 1 || inbox[i].Preview != "first" {
		t.Fatalf("bob's inbox: %+v", inbox)
	}
	if ms, err := bob.Messages(ctx, "Saved", 10); err != nil || len(ms) != 1 || ms[0].From != alice.SessionID() {
		t.Fatalf("messages by group name: %+v %v", ms, err)
	}
	if err := bob.MarkRead(ctx, gid); err != nil {
		t.Fatal(err)
	}
	if cvs, _ := bob.Inbox(ctx); cvs[slices.IndexFunc(cvs, func(cv Conversation) bool { return cv.SessionID == gid })].Unread != 0 {
		t.Fatal("still unread after MarkRead")
	}
	// Pin, mute and hide: the group's UserGroups entry, as in Session.
	inboxEntry := func() (Conversation, bool) {
		cvs, _ := bob.Inbox(ctx)
		i := slices.IndexFunc(cvs, func(cv Conversation) bool { return cv.SessionID == gid })
		if i < 0 {
			return Conversation{}, false
		}
		return cvs[i], true
	}
	if err := bob.Pin(ctx, "Saved", true); err != nil {
		t.Fatal(err)
	}
	if err := bob.Mute(ctx, gid, Forever); err != nil {
		t.Fatal(err)
	}
	if cv, ok := inboxEntry(); !ok || !cv.Pinned || !cv.Muted {
		t.Fatalf("pinned and muted group: %+v %v", cv, ok)
	}
	gk, _ := keys.ParseID(gid)
	bob.cfg.mu.Lock()
	e, _ := bob.cfg.groups.Group(gk)
	bob.cfg.mu.Unlock()
	if e.Priority <= 0 || e.AuthData == nil {
		t.Fatalf("the UserGroups entry: %+v", e)
	}
	if err := bob.Hide(ctx, gid); err != nil {
		t.Fatal(err)
	}
	if _, ok := inboxEntry(); ok {
		t.Fatal("a hidden group is in the inbox")
	}
	if _, err := bob.Send(ctx, gid, "back"); err != nil { // writing shows it again, as for a contact
		t.Fatal(err)
	}
	if _, ok := inboxEntry(); !ok {
		t.Fatal("a hidden group stayed hidden after a send")
	}
	if err := bob.Pin(ctx, gid, false); err != nil {
		t.Fatal(err)
	}
	if err := bob.Mute(ctx, gid, 0); err != nil {
		t.Fatal(err)
	}
	if cv, ok := inboxEntry(); !ok || cv.Pinned || cv.Muted {
		t.Fatalf("after unhide and unmute: %+v %v", cv, ok)
	}

	// Alice's own message, saved before it was sent, is not saved twice
	// when her poll brings it back.
	alice.Receive(ctx)
	if ms, _ := alice.Messages(ctx, gid, 10); len(ms) != 2 || !ms[0].Outgoing || ms[0].Status != "sent" || ms[1].Body != "back" {
		t.Fatalf("alice's copy: %+v", ms)
	}

	// Run: a group message arrives as an event, whose handler may answer
	// in the group (handlers run with no lock of the client held).
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan Message, 16)
	bob.OnMessage(func(m Message) {
		if m.Body == "while running" {
			bob.Send(ctx, m.Conversation, "echo")
		}
		events <- m
	})
	done := make(chan error, 1)
	go func() { done <- bob.Run(rctx) }()
	if _, err := alice.Send(ctx, gid, "while running"); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(60 * time.Second)
	for seen := false; !seen; {
		select {
		case m := <-events:
			seen = m.Body == "while running" && m.Conversation == gid && m.From == alice.SessionID()
		case <-timeout:
			t.Fatal("Run delivered no group message")
		}
	}
	cancel()
	<-done
	receiveUntil(t, alice, "the echo from a handler", func(ms []Message) bool { return slices.Contains(bodies(ms), "echo") })

	// A file: uploaded, its pointer sent in the group message, fetched and
	// checked by the member (who approved the sender).
	file := filepath.Join(t.TempDir(), "note.txt")
	content := []byte("a file for the group\n")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if m, err := alice.SendFile(ctx, gid, "with a file", file); err != nil || m.Status != "sent" {
		t.Fatalf("send a file to the group: %+v %v", m, err)
	}
	got = receiveUntil(t, bob, "the group file", func(ms []Message) bool { return slices.Contains(bodies(ms), "with a file") })
	withFile := got[slices.IndexFunc(got, func(m Message) bool { return m.Body == "with a file" })]
	if len(withFile.Attachments) != 1 {
		t.Fatalf("the group message's files: %+v", withFile.Attachments)
	}
	if _, err := bob.DownloadPending(ctx, 8); err != nil {
		t.Fatal(err)
	}
	paths, err := bob.SaveAttachments(ctx, withFile.ID, t.TempDir())
	if err != nil || len(paths) != 1 {
		t.Fatalf("save: %v %v", paths, err)
	}
	if b, _ := os.ReadFile(paths[0]); !bytes.Equal(b, content) {
		t.Fatalf("the file arrived as %q", b)
	}

	// A dead network: the message is kept as failed; back online, the
	// retry sends it.
	alice.Close()
	dead := filepath.Join(t.TempDir(), "dead.json")
	os.WriteFile(dead, []byte(`{"seeds":[{"url":"https://127.0.0.1:1","pubkey_ed25519":"`+testNet.Nodes[0].Ed25519+`"}]}`), 0o600)
	if alice, err = Open(ctx, Options{Home: home, Network: dead}); err != nil {
		t.Fatal(err)
	}
	m, err = alice.Send(ctx, gid, "kept")
	if !errors.Is(err, ErrSendFailed) || m.Status != "failed" {
		t.Fatalf("send on a dead network: %+v, %v", m, err)
	}
	alice.Close()
	if alice, err = Open(ctx, Options{Home: home, Network: testNet.NetworkFile}); err != nil {
		t.Fatal(err)
	}
	if err := alice.RetryPending(ctx, 5); err != nil {
		t.Fatalf("retry: %v", err)
	}
	receiveUntil(t, bob, "the retried group message", func(ms []Message) bool { return slices.Contains(bodies(ms), "kept") })
}

// TestGroupInvitationFromAStrangerIsARequest: an invitation from someone
// this account has not approved waits among the message requests (as the
// group, by name) and its group is not polled; accepting it joins, and
// declining another forgets it.
func TestGroupInvitationFromAStrangerIsARequest(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	gid, err := alice.CreateGroup(ctx, "Strangers", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	other, err := alice.CreateGroup(ctx, "Declined", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var reqs []Conversation
	for len(reqs) < 2 {
		bob.Receive(ctx)
		if reqs, err = bob.Requests(ctx); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob's requests: %+v", reqs)
		}
	}
	for _, r := range reqs {
		if r.Kind != "group" || !r.Request || (r.SessionID != gid || r.Name != "Strangers") && (r.SessionID != other || r.Name != "Declined") {
			t.Fatalf("request %+v", r)
		}
	}
	if gs, _ := bob.Groups(ctx); len(gs) != 2 || !gs[0].Invited || !gs[1].Invited {
		t.Fatalf("groups of an invitee: %+v", gs)
	}
	if inbox, _ := bob.Inbox(ctx); len(inbox) != 0 {
		t.Fatalf("an invitation from a stranger is in the inbox: %+v", inbox)
	}
	if _, err := alice.Send(ctx, gid, "before accepting"); err != nil {
		t.Fatal(err)
	}
	if ms, _ := bob.Receive(ctx); len(ms) != 0 {
		t.Fatalf("a group not accepted was polled: %+v", ms)
	}
	if _, err := bob.Send(ctx, gid, "x"); !errors.Is(err, ErrUnknownGroup) {
		t.Fatalf("sending to an invitation: %v", err)
	}
	if err := bob.Accept(ctx, "Strangers"); err != nil {
		t.Fatal(err)
	}
	if err := bob.Decline(ctx, other); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "the group's history once accepted", func(ms []Message) bool {
		return slices.Contains(bodies(ms), "before accepting")
	})
	inbox, _ := bob.Inbox(ctx)
	if len(inbox) != 1 || inbox[0].SessionID != gid || inbox[0].Kind != "group" || inbox[0].Request {
		t.Fatalf("inbox after accepting: %+v", inbox)
	}
	if reqs, _ := bob.Requests(ctx); len(reqs) != 0 {
		t.Fatalf("requests after accepting and declining: %+v", reqs)
	}
	if gs, _ := bob.Groups(ctx); len(gs) != 1 || gs[0].ID != gid || gs[0].Invited {
		t.Fatalf("groups after accepting and declining: %+v", gs)
	}
}

// TestGroupMemberLeaves: a member who leaves posts a member-left message;
// the admin's next poll removes them from Members and rotates the key, so
// that their token is refused at once.
func TestGroupMemberLeaves(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, carol := account(t, "Alice"), account(t, "Bob"), account(t, "Carol")
	gid := contactGroup(t, alice, "Leaving", bob, carol)
	joinGroup(t, bob, gid)
	joinGroup(t, carol, gid)
	left, err := carol.loadGroup(ctx, gid) // her token, kept for a raw retrieve later
	if err != nil {
		t.Fatal(err)
	}
	if err := carol.LeaveGroup(ctx, gid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		alice.Receive(ctx)
		mem, err := alice.GroupMembers(ctx, gid)
		if err == nil && len(mem) == 2 && !slices.ContainsFunc(mem, func(m GroupMember) bool { return m.SessionID == carol.SessionID() }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the admin never removed the leaver: %+v %v", mem, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := carol.groupRetrieve(ctx, left, 11); err == nil {
		t.Fatal("the leaver's token still reads the group")
	}
	if _, err := bob.Send(ctx, gid, "after Carol left"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, alice, "a message after the rekey", func(ms []Message) bool { return slices.Contains(bodies(ms), "after Carol left") })
}

// syncBuffer is a log destination shared by a client's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// postControl posts a group control message as c (a member), encrypted
// with the group key as any member can.
func postControl(t *testing.T, c *Client, gid string, up *signalpb.GroupUpdateMessage, sentAt time.Time) {
	t.Helper()
	g, err := c.loadGroup(t.Context(), gid)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := g.ring.EncryptionKey()
	if !ok {
		t.Fatal("no group key")
	}
	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{GroupUpdateMessage: up},
		SigTimestamp: proto.Uint64(uint64(sentAt.UnixMilli()))}
	data, err := groups.EncodeGroupMessage(rand.Reader, key, c.id, g.id, content, sentAt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.groupStore(t.Context(), g, groups.NamespaceMessages, data, MessageTTL); err != nil {
		t.Fatal(err)
	}
}

// TestGroupForgedControlIsIgnored: a member posts control messages that
// claim an admin's authority (a member change signed with their own key,
// an info change with a junk signature): the others ignore them with a
// log line, the members stay, honest traffic still flows, and a control
// message that the group key signs is not taken for a forgery.
func TestGroupForgedControlIsIgnored(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	var log syncBuffer
	alice, _, err := Create(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile, PollWait: time.Second,
		Logger: slog.New(slog.NewTextHandler(&log, nil))}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob, carol := account(t, "Bob"), account(t, "Carol")
	gid := contactGroup(t, alice, "Forged", bob, carol)
	joinGroup(t, bob, gid)
	now := time.Now().Truncate(time.Millisecond)
	removed := signalpb.GroupUpdateMemberChangeMessage_REMOVED
	ownSig := ed25519.Sign(bob.id.Ed25519PrivateKey(), groups.MemberChangeSigned(int(removed), now.UnixMilli()))
	postControl(t, bob, gid, &signalpb.GroupUpdateMessage{MemberChangeMessage: &signalpb.GroupUpdateMemberChangeMessage{
		Type: removed.Enum(), MemberSessionIds: []string{carol.SessionID()}, AdminSignature: ownSig}}, now)
	name := signalpb.GroupUpdateInfoChangeMessage_NAME
	postControl(t, bob, gid, &signalpb.GroupUpdateMessage{InfoChangeMessage: &signalpb.GroupUpdateInfoChangeMessage{
		Type: name.Enum(), UpdatedName: proto.String("Taken over"), AdminSignature: make([]byte, 64)}}, now.Add(time.Millisecond))
	// The admin's own, signed with the group key.
	ag, err := alice.loadGroup(ctx, gid)
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(2 * time.Millisecond)
	postControl(t, alice, gid, &signalpb.GroupUpdateMessage{MemberChangeMessage: &signalpb.GroupUpdateMemberChangeMessage{
		Type: signalpb.GroupUpdateMemberChangeMessage_ADDED.Enum(), MemberSessionIds: []string{carol.SessionID()},
		AdminSignature: ed25519.Sign(ag.admin.SecretKey(), groups.MemberChangeSigned(int(signalpb.GroupUpdateMemberChangeMessage_ADDED), later.UnixMilli()))}}, later)
	// The admin's real changes post signed notices (a rename, a
	// promotion), which no poll takes for forgeries.
	if err := alice.RenameGroup(ctx, gid, "Forged 2"); err != nil {
		t.Fatal(err)
	}
	if err := alice.PromoteGroupMember(ctx, gid, carol.SessionID()); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Send(ctx, gid, "honest"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, alice, "honest traffic after the forgeries", func(ms []Message) bool { return slices.Contains(bodies(ms), "honest") })
	out := log.String()
	if n := strings.Count(out, "ignored a forged group control message"); n != 2 {
		t.Fatalf("%d forgery log lines, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "member change without the group's signature") || !strings.Contains(out, "info change without the group's signature") {
		t.Fatalf("log lacks the forgeries:\n%s", out)
	}
	if mem, err := alice.GroupMembers(ctx, gid); err != nil || len(mem) != 3 {
		t.Fatalf("members after the forgeries: %+v %v", mem, err)
	}
	if gs, _ := alice.Groups(ctx); gs[0].Name != "Forged 2" {
		t.Fatalf("the group was renamed to %q", gs[0].Name)
	}
}

// TestGroupSurvivesAKilledSwarmMember: a member of the group's swarm is
// killed (SIGKILL) while messages flow; every message still arrives,
// those whose store failed once by being retried.
func TestGroupSurvivesAKilledSwarmMember(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	if _, err := bob.Send(ctx, alice.SessionID(), "hi"); err != nil {
		t.Fatal(err)
	}
	gid, err := alice.CreateGroup(ctx, "Crash", bob.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	joinGroup(t, bob, gid)
	net, _ := alice.network()
	gk, _ := keys.ParseID(gid)
	swarm, err := net.Swarm(ctx, gk)
	if err != nil || len(swarm) == 0 {
		t.Fatalf("group swarm: %v %v", swarm, err)
	}
	var victim *devnet.Node
	for _, n := range testNet.Nodes {
		if n.Ed25519 == swarm[0].Ed25519 {
			victim = n
		}
	}
	if victim == nil {
		t.Fatal("the group's swarm member is not a devnet node")
	}
	const total = 12
	for i := range total {
		if i == total/3 {
			if err := victim.Kill(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { victim.Start(); testNet.WaitReady(context.Background()) })
		}
		if i%2 == 1 {
			bob.Receive(ctx) // traffic both ways: polls hit the dead member too
		}
		if _, err := alice.Send(ctx, gid, fmt.Sprintf("crash %d", i)); err != nil {
			t.Logf("send %d: %v (kept, retried below)", i, err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for alice.RetryPending(ctx, 100) != nil {
		if time.Now().After(deadline) {
			t.Fatal("messages still unsent a minute after the kill")
		}
		time.Sleep(time.Second)
	}
	receiveUntil(t, bob, "every message around the kill", func([]Message) bool {
		ms, _ := bob.Messages(ctx, gid, 100)
		return len(ms) == total
	})
	ms, _ := bob.Messages(ctx, gid, 100)
	for i, m := range ms {
		if m.Body != fmt.Sprintf("crash %d", i) || m.From != alice.SessionID() {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
}
