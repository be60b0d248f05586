package client

import (
	"crypto/ed25519"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
)

// groupMessage returns c's copy of the message of group gid whose text is
// body.
func groupMessage(t *testing.T, c *Client, gid, body string) Message {
	t.Helper()
	ms, err := c.Messages(t.Context(), gid, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Body == body {
			return m
		}
	}
	t.Fatalf("%s has no %q in the group: %q", c.DisplayName(), body, bodies(ms))
	return Message{}
}

// pollUntil receives on c until cond holds.
func pollUntil(t *testing.T, c *Client, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s did not happen", c.DisplayName(), what)
		}
		if _, err := c.Receive(t.Context()); err != nil {
			t.Logf("receive: %v", err)
		}
	}
}

// messageAt returns c's copy of the message of gid that from sent at
// sentAt (deleted or not).
func messageAt(t *testing.T, c *Client, gid, from string, sentAt time.Time) Message {
	t.Helper()
	ms, err := c.Messages(t.Context(), gid, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.From == from && m.SentAt.Equal(sentAt) {
			return m
		}
	}
	t.Fatalf("%s has no message of %s at %v", c.DisplayName(), ShortID(from), sentAt)
	return Message{}
}

// TestGroupConversationFeatures: in a group of three (Alice admin), a
// reply, reactions, an edit, deletes for everyone (a member's own, the
// admin's of someone else's) and the disappearing timer are posted in the
// group as Session does and seen by the other members; forged deletes (a
// member naming someone else's message, one signed with a member's own
// key) are refused with a log line, and search finds group messages.
func TestGroupConversationFeatures(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	var log syncBuffer
	carol, _, err := Create(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile, PollWait: time.Second,
		Logger: slog.New(slog.NewTextHandler(&log, nil))}, "Carol")
	if err != nil {
		t.Fatal(err)
	}
	defer carol.Close()
	gid := contactGroup(t, alice, "Features", bob, carol)
	joinGroup(t, bob, gid)
	joinGroup(t, carol, gid)
	hello, err := alice.Send(ctx, gid, "hello group")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := carol.Send(ctx, gid, "carol was here"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "the group's messages", func(ms []Message) bool {
		return slices.Contains(bodies(ms), "hello group") && slices.Contains(bodies(ms), "carol was here")
	})

	// A reply and reactions, from two members.
	onBob := groupMessage(t, bob, gid, "hello group")
	reply, err := bob.Reply(ctx, onBob.ID, "a reply")
	if err != nil || reply.Quote == nil || reply.Conversation != gid {
		t.Fatalf("reply in a group: %+v %v", reply, err)
	}
	if err := bob.React(ctx, onBob.ID, "😂", false); err != nil {
		t.Fatal(err)
	}
	got := receiveUntil(t, carol, "bob's reply", func(ms []Message) bool { return slices.Contains(bodies(ms), "a reply") })
	r := got[slices.IndexFunc(got, func(m Message) bool { return m.Body == "a reply" })]
	if r.From != bob.SessionID() || r.Quote == nil || r.Quote.From != alice.SessionID() || r.Quote.Body != "hello group" || r.Quote.ID == 0 {
		t.Fatalf("carol's copy of the reply: %+v (quote %+v)", r, r.Quote)
	}
	if err := carol.React(ctx, groupMessage(t, carol, gid, "hello group").ID, "🥰", false); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, alice, "both reactions", func() bool {
		m, err := alice.Message(ctx, hello.ID)
		return err == nil && len(m.Reactions) == 2
	})
	m, _ := alice.Message(ctx, hello.ID)
	want := map[string]string{bob.SessionID(): "😂", carol.SessionID(): "🥰"}
	for _, x := range m.Reactions {
		if want[x.From] != x.Emoji {
			t.Fatalf("alice's reactions: %+v", m.Reactions)
		}
	}
	if err := bob.React(ctx, onBob.ID, "😂", true); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, alice, "bob's reaction removed", func() bool {
		m, err := alice.Message(ctx, hello.ID)
		return err == nil && len(m.Reactions) == 1 && m.Reactions[0].From == carol.SessionID()
	})

	// An edit of bob's own reply; not of someone else's message.
	if _, err := bob.Edit(ctx, onBob.ID, "not mine"); !errors.Is(err, ErrNotAuthor) {
		t.Fatalf("editing alice's message: %v", err)
	}
	if e, err := bob.Edit(ctx, reply.ID, "a better reply"); err != nil || e.Body != "a better reply" || !e.Edited {
		t.Fatalf("edit in a group: %+v %v", e, err)
	}
	pollUntil(t, carol, "the edit", func() bool {
		m, err := carol.Message(ctx, r.ID)
		return err == nil && m.Body == "a better reply" && m.Edited
	})

	// Forged deletes of alice's message: bob names it without a
	// signature, then signs with his own key as if he were an admin.
	now := time.Now().Truncate(time.Millisecond)
	postControl(t, bob, gid, &signalpb.GroupUpdateMessage{DeleteMemberContent: &signalpb.GroupUpdateDeleteMemberContentMessage{
		MessageHashes: []string{hello.Hash}}}, now)
	later := now.Add(time.Millisecond)
	postControl(t, bob, gid, &signalpb.GroupUpdateMessage{DeleteMemberContent: &signalpb.GroupUpdateDeleteMemberContentMessage{
		MessageHashes:  []string{hello.Hash},
		AdminSignature: ed25519.Sign(bob.id.Ed25519PrivateKey(), groups.DeleteContentSigned(later.UnixMilli(), nil, []string{hello.Hash}))}}, later)
	if err := bob.Delete(ctx, onBob.ID, true); !errors.Is(err, ErrNotAuthor) {
		t.Fatalf("bob deleting alice's message for everyone: %v", err)
	}
	// A delete dated before the message it names, and an UnsendRequest
	// for someone else's message, change nothing; an UnsendRequest by its
	// author (not Session's way in groups, but honoured) deletes.
	predated, err := bob.Send(ctx, gid, "deleted before it was sent?")
	if err != nil {
		t.Fatal(err)
	}
	postControl(t, bob, gid, &signalpb.GroupUpdateMessage{DeleteMemberContent: &signalpb.GroupUpdateDeleteMemberContentMessage{
		MessageHashes: []string{predated.Hash}}}, predated.SentAt.Add(-time.Second))
	unsent, err := bob.Send(ctx, gid, "unsent by request")
	if err != nil {
		t.Fatal(err)
	}
	gidID, _ := keys.ParseID(gid)
	for _, u := range []struct {
		author string
		at     time.Time
	}{{alice.SessionID(), hello.SentAt}, {bob.SessionID(), unsent.SentAt}} {
		content := &signalpb.Content{UnsendRequest: &signalpb.UnsendRequest{
			Timestamp: proto.Uint64(uint64(u.at.UnixMilli())), Author: proto.String(u.author)}}
		if _, err := bob.sendToGroup(ctx, gidID, content, bob.sentTime(time.Now()), MessageTTL); err != nil {
			t.Fatal(err)
		}
	}
	pollUntil(t, carol, "bob's unsend request", func() bool {
		ms, _ := carol.Messages(ctx, gid, 100)
		i := slices.IndexFunc(ms, func(m Message) bool { return m.From == bob.SessionID() && m.SentAt.Equal(unsent.SentAt) })
		return i >= 0 && ms[i].Deleted
	})
	if m := messageAt(t, carol, gid, bob.SessionID(), predated.SentAt); m.Deleted {
		t.Fatal("a delete dated before its message removed it")
	}
	if m := groupMessage(t, carol, gid, "hello group"); m.Deleted {
		t.Fatal("an unsend request by someone else removed alice's message")
	}

	// Bob deletes his own reply for everyone: Session's way.
	if err := bob.Delete(ctx, reply.ID, true); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, carol, "bob's delete", func() bool {
		m, err := carol.Message(ctx, r.ID)
		return err == nil && m.Deleted && m.Body == ""
	})
	if m := groupMessage(t, carol, gid, "hello group"); m.Deleted {
		t.Fatal("a forged delete removed alice's message")
	}
	out := log.String()
	if !strings.Contains(out, "ignored a group delete of messages by someone else") || !strings.Contains(out, "a delete of content without the group's signature") {
		t.Fatalf("carol's log lacks the refused deletes:\n%s", out)
	}

	// The admin deletes carol's message for everyone.
	onAlice := groupMessage(t, alice, gid, "carol was here")
	if err := alice.Delete(ctx, onAlice.ID, true); err != nil {
		t.Fatal(err)
	}
	onCarol := messageAt(t, carol, gid, carol.SessionID(), onAlice.SentAt)
	pollUntil(t, carol, "the admin's delete", func() bool {
		m, err := carol.Message(ctx, onCarol.ID)
		return err == nil && m.Deleted
	})
	pollUntil(t, bob, "the deletes", func() bool {
		a := messageAt(t, bob, gid, carol.SessionID(), onAlice.SentAt)
		b := messageAt(t, bob, gid, bob.SessionID(), reply.SentAt)
		return a.Deleted && b.Deleted
	})

	// Search finds group messages, named by the group.
	found, err := carol.Search(ctx, "hello", "", 10)
	if err != nil || len(found) != 1 || found[0].Conversation != gid || found[0].From != alice.SessionID() {
		t.Fatalf("search: %+v %v", found, err)
	}
	if found, err := carol.Search(ctx, "hello", "Features", 10); err != nil || len(found) != 1 {
		t.Fatalf("search in the group: %+v %v", found, err)
	}

	// Disappearing: only an admin sets it, after send, in the Info config;
	// a member's next message carries it and every member honours it.
	if err := bob.Disappear(ctx, gid, DisappearAfterSend, time.Hour); !errors.Is(err, ErrNotGroupAdmin) {
		t.Fatalf("a member setting the timer: %v", err)
	}
	if err := alice.Disappear(ctx, gid, DisappearAfterRead, time.Hour); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("after read in a group: %v", err)
	}
	changed := make(chan DisappearingChanged, 4)
	bob.OnEvent(func(ev Event) {
		if d, ok := ev.(DisappearingChanged); ok {
			changed <- d
		}
	})
	if err := alice.Disappear(ctx, gid, DisappearAfterSend, time.Hour); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, bob, "the group's timer", func() bool {
		s, err := bob.Disappearing(ctx, gid)
		return err == nil && s.Mode == DisappearAfterSend && s.Timer == time.Hour
	})
	select {
	case d := <-changed:
		if d.Conversation != gid || d.Mode != "after-send" || d.Timer != time.Hour {
			t.Fatalf("bob's event: %+v", d)
		}
	default:
		t.Fatal("bob got no DisappearingChanged event")
	}
	sent, err := bob.Send(ctx, gid, "gone in an hour")
	if err != nil || sent.ExpiresAt == nil {
		t.Fatalf("a message after the timer: %+v %v", sent, err)
	}
	got = receiveUntil(t, carol, "the disappearing message", func(ms []Message) bool { return slices.Contains(bodies(ms), "gone in an hour") })
	d := got[slices.IndexFunc(got, func(m Message) bool { return m.Body == "gone in an hour" })]
	if d.ExpiresAt == nil || d.ExpiresAt.Sub(d.SentAt) != time.Hour {
		t.Fatalf("carol's copy expires at %v (sent %v)", d.ExpiresAt, d.SentAt)
	}

	// The admins clear the group for everyone (Session's "delete before"
	// in the Info config): the members' copies go; later messages stay.
	before := time.Now().Add(time.Second).Truncate(time.Second)
	alice.groupMu.Lock()
	g, err := alice.joinedGroup(ctx, gid)
	if err == nil {
		if err = alice.syncGroup(ctx, g); err == nil {
			g.info.SetDeleteBefore(before.Unix())
			err = alice.pushGroup(ctx, g, nil)
		}
	}
	alice.groupMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(before))
	if _, err := alice.Send(ctx, gid, "after the clear"); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, carol, "the clear", func() bool {
		ms, _ := carol.Messages(ctx, gid, 100)
		return slices.Equal(bodies(ms), []string{"after the clear"})
	})
}
