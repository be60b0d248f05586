package client

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/msgedit"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// waitBody polls c until its message id has body.
func waitBody(t *testing.T, c *Client, id int64, body string) Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := c.Message(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Body == body {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d: body %q, want %q", id, m.Body, body)
		}
		c.Receive(t.Context())
	}
}

// TestEditRoundTrip edits a sent message and checks the edit on the wire
// (a plain Session reply to the original carrying the extension), at the
// peer and on the author's second device, where the original's text
// changes and no new message appears.
func TestEditRoundTrip(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, alice2 := aliceBobAndSecondDevice(t)
	sent, err := alice.Send(ctx, bob.SessionID(), "see you at 8")
	if err != nil {
		t.Fatal(err)
	}
	atBob := receiveUntil(t, bob, "Alice's message", func(ms []Message) bool { return len(ms) == 1 })[0]
	at2 := receiveUntil(t, alice2, "the sync copy", func(ms []Message) bool { return len(ms) == 1 })[0]

	edited, err := alice.Edit(ctx, sent.ID, "see you at 9")
	if err != nil {
		t.Fatal(err)
	}
	if edited.Body != "see you at 9" || !edited.Edited || edited.EditedAt == nil || edited.ID != sent.ID {
		t.Fatalf("after Edit: %+v", edited)
	}
	if m := waitBody(t, bob, atBob.ID, "see you at 9"); !m.Edited {
		t.Errorf("Bob's copy not marked edited: %+v", m)
	}
	if m := waitBody(t, alice2, at2.ID, "see you at 9"); !m.Edited {
		t.Errorf("second device's copy not marked edited: %+v", m)
	}
	for c, conv := range map[*Client]string{bob: alice.SessionID(), alice2: bob.SessionID()} {
		if ms, err := c.Messages(ctx, conv, 10); err != nil || len(ms) != 1 {
			t.Errorf("the edit showed as a new message: %+v, %v", ms, err)
		}
	}
	// On the wire, what a Session client reads: a reply to the original
	// with the new text; the extension is an unknown field.
	var wire bool
	for _, rm := range swarmMessages(t, bob) {
		dm, err := protocol.DecodeMessage(bob.id, rm.Data)
		if err != nil || dm.Content.GetDataMessage().GetBody() != "see you at 9" {
			continue
		}
		d := dm.Content.GetDataMessage()
		orig, ok, err := msgedit.Of(d)
		wire = d.GetQuote().GetId() == uint64(sent.SentAt.UnixMilli()) && d.GetQuote().GetAuthor() == alice.SessionID() &&
			ok && err == nil && orig.Equal(sent.SentAt)
		var plain signalpb.DataMessage
		b, _ := proto.Marshal(d)
		if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &plain); err != nil || plain.GetBody() != "see you at 9" {
			t.Errorf("a decoder that knows only Session's schema reads %v, %v", &plain, err)
		}
	}
	if !wire {
		t.Fatal("no edit in the expected format in Bob's swarm")
	}
	if _, err := bob.Edit(ctx, atBob.ID, "not mine"); !errors.Is(err, ErrNotAuthor) {
		t.Errorf("editing someone else's message: %v, want ErrNotAuthor", err)
	}

	// Deleted for everyone: the edit is unsent too (a Session peer shows it
	// as a message of its own), and its copy leaves Alice's swarm, so a
	// device restored now shows neither.
	if err := alice.Delete(ctx, sent.ID, true); err != nil {
		t.Fatal(err)
	}
	unsent := map[uint64]bool{}
	for _, rm := range swarmMessages(t, bob) {
		if dm, err := protocol.DecodeMessage(bob.id, rm.Data); err == nil && dm.Content.GetUnsendRequest() != nil {
			unsent[dm.Content.GetUnsendRequest().GetTimestamp()] = true
		}
	}
	if !unsent[uint64(sent.SentAt.UnixMilli())] || !unsent[uint64(edited.EditedAt.UnixMilli())] {
		t.Errorf("UnsendRequests in Bob's swarm for %v; want the message's time and the edit's", unsent)
	}
	for _, rm := range swarmMessages(t, alice) {
		if dm, err := protocol.DecodeMessage(alice.id, rm.Data); err == nil && dm.Content.GetDataMessage().GetBody() != "" {
			t.Errorf("still in Alice's swarm: %q", dm.Content.GetDataMessage().GetBody())
		}
	}
	alice3 := otherDevice(t, alice, "Alice")
	settle(t, alice3)
	ms, err := alice3.Messages(ctx, bob.SessionID(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if !m.Deleted && m.Body != "" {
			t.Errorf("a device restored after the delete shows %q", m.Body)
		}
	}
	waitDeleted := func(c *Client, id int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			if m, err := c.Message(ctx, id); err == nil && m.Deleted {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("message %d not deleted", id)
			}
			c.Receive(ctx)
		}
	}
	waitDeleted(bob, atBob.ID)
	waitDeleted(alice2, at2.ID)
}

// editContent is an edit by sender of its message sent at orig, to body.
func editContent(sender keys.ID, orig time.Time, body string, at time.Time) *signalpb.Content {
	c := text(body, "Alice", at)
	c.DataMessage.Quote = &signalpb.DataMessage_Quote{Id: proto.Uint64(uint64(orig.UnixMilli())), Author: proto.String(sender.String())}
	msgedit.Set(c.DataMessage, orig)
	return c
}

// TestEditsFromPeersAreChecked feeds edits to a client: only the author's
// edit of its own message, within the window, naming the message it
// quotes, changes the text; every other one is shown as the plain message
// a Session client would show, and a stale one changes nothing.
func TestEditsFromPeersAreChecked(t *testing.T) {
	bob := offline(t, "Bob")
	ctx := t.Context()
	alice, eve := stranger(t), stranger(t)
	to := bob.id.SessionID()
	t0 := time.Now().Add(-5 * time.Minute).Truncate(time.Millisecond)
	in := func(sender *keys.Identity, c *signalpb.Content, at time.Time) []Message {
		t.Helper()
		got, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{wire(t, sender, to, c, at, at)})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := in(alice, text("meet at the cafe", "Alice", t0), t0)
	if len(got) != 1 {
		t.Fatalf("original: %+v", got)
	}
	orig := got[0]
	body := func() string {
		m, err := bob.Message(ctx, orig.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m.Body
	}
	aliceID := alice.SessionID()
	for _, tc := range []struct {
		name   string
		sender *keys.Identity
		c      *signalpb.Content
		at     time.Time
	}{
		{"someone else's edit", eve, editContent(aliceID, t0, "eve was here", t0.Add(time.Minute)), t0.Add(time.Minute)},
		{"after the window", alice, editContent(aliceID, t0, "too late", t0.Add(16*time.Minute)), t0.Add(16 * time.Minute)},
		{"before the original", alice, editContent(aliceID, t0, "time travel", t0.Add(-time.Second)), t0.Add(-time.Second)},
		{"of a message not here", alice, editContent(aliceID, t0.Add(time.Second), "unknown", t0.Add(time.Minute)), t0.Add(time.Minute)},
	} {
		got := in(tc.sender, tc.c, tc.at)
		if len(got) != 1 || got[0].ID == orig.ID || got[0].Body != tc.c.DataMessage.GetBody() {
			t.Errorf("%s: received %+v, want it shown as a new message", tc.name, got)
		}
		if b := body(); b != "meet at the cafe" {
			t.Fatalf("%s changed the original to %q", tc.name, b)
		}
	}
	// A quote that names another message than the edit mark: no edit.
	mismatch := editContent(aliceID, t0, "mismatch", t0.Add(2*time.Minute))
	mismatch.DataMessage.Quote.Id = proto.Uint64(uint64(t0.Add(time.Second).UnixMilli()))
	if got := in(alice, mismatch, t0.Add(2*time.Minute)); len(got) != 1 || body() != "meet at the cafe" {
		t.Errorf("mismatched edit: %+v, original %q", got, body())
	}
	// The author's edit applies, with no new message and an event.
	events := make(chan Message, 10)
	bob.OnEvent(func(ev Event) {
		if e, ok := ev.(MessageEdited); ok {
			events <- e.Message
		}
	})
	if got := in(alice, editContent(aliceID, t0, "meet at the station", t0.Add(3*time.Minute)), t0.Add(3*time.Minute)); len(got) != 0 {
		t.Errorf("the edit showed as a new message: %+v", got)
	}
	if b := body(); b != "meet at the station" {
		t.Fatalf("after the edit: %q", b)
	}
	// An older edit arriving late changes nothing and shows nothing.
	if got := in(alice, editContent(aliceID, t0, "meet at the park", t0.Add(2*time.Minute+time.Second)), t0.Add(2*time.Minute+time.Second)); len(got) != 0 {
		t.Errorf("the stale edit showed as a new message: %+v", got)
	}
	if b := body(); b != "meet at the station" {
		t.Errorf("a stale edit changed the text to %q", b)
	}
	select {
	case e := <-events:
		if e.Body != "meet at the station" || !e.Edited {
			t.Errorf("MessageEdited: %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Error("no MessageEdited event")
	}
	select {
	case e := <-events:
		t.Errorf("a second MessageEdited event: %+v", e)
	case <-time.After(100 * time.Millisecond):
	}
}
