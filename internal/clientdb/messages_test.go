package clientdb

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/session-go/session-go/internal/keys"
)

func TestOutgoingLifecycle(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	clk := newClock()
	db.now = clk.Now
	self, bob := me(t), sid(1)

	id, err := db.InsertOutgoing(ctx, Message{
		Conversation: bob, Sender: self, SentAt: at(1), Body: "hi Bob",
		Payload: []byte{1, 2, 3}, Direction: Incoming, Status: StatusSent, Hash: "ignored", Attempts: 9,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := mustMessage(t, db, id)
	want := Message{
		ID: id, Conversation: bob, Sender: self, Direction: Outgoing, Status: StatusSending,
		SentAt: at(1), ReceivedAt: clk.Now(), Body: "hi Bob", Payload: []byte{1, 2, 3},
	}
	if !equalMessage(m, want) {
		t.Fatalf("stored %+v\nwant %+v", m, want)
	}
	assertPending(t, db, id)

	// A failure keeps the payload and counts the attempt.
	if err := db.MarkFailed(ctx, id, "no path"); err != nil {
		t.Fatal(err)
	}
	m = mustMessage(t, db, id)
	if m.Status != StatusFailed || m.Attempts != 1 || m.Error != "no path" || !bytes.Equal(m.Payload, []byte{1, 2, 3}) {
		t.Fatalf("after MarkFailed: %+v", m)
	}
	assertPending(t, db, id)
	if err := db.MarkFailed(ctx, id, "swarm unreachable"); err != nil {
		t.Fatal(err)
	}
	if m = mustMessage(t, db, id); m.Attempts != 2 || m.Error != "swarm unreachable" {
		t.Fatalf("after second MarkFailed: %+v", m)
	}

	// Retry puts it back to sending; retrying a sending message is a no-op.
	for range 2 {
		if err := db.RetryOutgoing(ctx, id); err != nil {
			t.Fatal(err)
		}
		if m = mustMessage(t, db, id); m.Status != StatusSending || m.Attempts != 2 {
			t.Fatalf("after RetryOutgoing: %+v", m)
		}
	}
	assertPending(t, db, id)

	// Sent: hash recorded, payload and error dropped, no longer pending.
	if err := db.MarkSent(ctx, id, "hashA"); err != nil {
		t.Fatal(err)
	}
	m = mustMessage(t, db, id)
	if m.Status != StatusSent || m.Hash != "hashA" || m.Payload != nil || m.Error != "" || m.Attempts != 2 {
		t.Fatalf("after MarkSent: %+v", m)
	}
	assertPending(t, db)

	// Sent is final.
	if err := db.MarkSent(ctx, id, "hashA"); err != nil {
		t.Errorf("MarkSent again with the same hash: %v", err)
	}
	for name, err := range map[string]error{
		"MarkSent other hash": db.MarkSent(ctx, id, "hashB"),
		"MarkFailed":          db.MarkFailed(ctx, id, "late"),
		"RetryOutgoing":       db.RetryOutgoing(ctx, id),
	} {
		if !errors.Is(err, ErrStatusChange) {
			t.Errorf("%s on a sent message: %v, want ErrStatusChange", name, err)
		}
	}
	if m = mustMessage(t, db, id); m.Status != StatusSent || m.Hash != "hashA" {
		t.Fatalf("refused changes changed it: %+v", m)
	}

	// Unknown ids.
	for name, err := range map[string]error{
		"MarkSent":      db.MarkSent(ctx, 999, "h"),
		"MarkFailed":    db.MarkFailed(ctx, 999, "r"),
		"RetryOutgoing": db.RetryOutgoing(ctx, 999),
		"DeleteMessage": db.DeleteMessage(ctx, 999),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of an unknown id: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := db.Message(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Message of an unknown id: %v", err)
	}

	// Incoming messages have no send status to change.
	in := mustInsert(t, db, incoming(bob, at(2), "hin", "yo"))
	for name, err := range map[string]error{
		"MarkSent":      db.MarkSent(ctx, in, "h2"),
		"MarkFailed":    db.MarkFailed(ctx, in, "r"),
		"RetryOutgoing": db.RetryOutgoing(ctx, in),
	} {
		if !errors.Is(err, ErrStatusChange) {
			t.Errorf("%s on an incoming message: %v, want ErrStatusChange", name, err)
		}
	}

	// A hash that belongs to another message is refused.
	id2 := mustOutgoing(t, db, self, bob, at(3), "second")
	if err := db.MarkSent(ctx, id2, "hin"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("MarkSent with another message's hash: %v, want ErrDuplicate", err)
	}
	// A failed message may still turn out sent.
	db.MarkFailed(ctx, id2, "timeout")
	if err := db.MarkSent(ctx, id2, "hashC"); err != nil {
		t.Errorf("MarkSent after MarkFailed: %v", err)
	}
}

// equalMessage compares messages, times by instant.
func equalMessage(a, b Message) bool {
	return a.ID == b.ID && a.Conversation == b.Conversation && a.Sender == b.Sender &&
		a.Direction == b.Direction && a.Status == b.Status && a.SentAt.Equal(b.SentAt) &&
		a.ReceivedAt.Equal(b.ReceivedAt) && a.Body == b.Body && a.Hash == b.Hash &&
		bytes.Equal(a.Payload, b.Payload) && a.Attempts == b.Attempts && a.Error == b.Error
}

func assertPending(t *testing.T, db *DB, ids ...int64) {
	t.Helper()
	p, err := db.PendingOutgoing(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != len(ids) {
		t.Fatalf("PendingOutgoing has %d messages, want %d", len(p), len(ids))
	}
	for i, m := range p {
		if m.ID != ids[i] || len(m.Payload) == 0 {
			t.Fatalf("PendingOutgoing[%d] = id %d with %d-byte payload, want id %d with payload", i, m.ID, len(m.Payload), ids[i])
		}
	}
}

// TestPendingSurvivesRestart is the crash case: a message persisted as
// sending, then the process stops before the network answered.
func TestPendingSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	self := me(t)
	a := mustOutgoing(t, db, self, sid(1), at(1), "one")
	b := mustOutgoing(t, db, self, sid(2), at(2), "two")
	c := mustOutgoing(t, db, self, sid(1), at(3), "three")
	db.MarkFailed(ctx, b, "offline")
	db.MarkSent(ctx, c, "hc")
	db.Close()

	db = openAt(t, path, testKey(1))
	assertPending(t, db, a, b)
	p, _ := db.PendingOutgoing(ctx)
	if p[0].Status != StatusSending || p[1].Status != StatusFailed || string(p[1].Payload) != "payload:two" {
		t.Fatalf("pending after restart: %+v", p)
	}
}

func TestOutgoingValidation(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	self := me(t)
	ok := Message{Conversation: sid(1), Sender: self, SentAt: at(1), Body: "b", Payload: []byte{1}}
	group := sid(9)
	group.Prefix = keys.PrefixGroup
	for name, c := range map[string]struct {
		edit func(*Message)
		want error
	}{
		"no conversation": {func(m *Message) { m.Conversation = keys.ID{} }, ErrInvalidArgument},
		"no sender":       {func(m *Message) { m.Sender = keys.ID{} }, ErrInvalidArgument},
		"group sender":    {func(m *Message) { m.Sender = group }, ErrInvalidArgument},
		"no timestamp":    {func(m *Message) { m.SentAt = time.Time{} }, ErrInvalidArgument},
		"before 1970":     {func(m *Message) { m.SentAt = time.UnixMilli(-5) }, ErrInvalidArgument},
		"no payload":      {func(m *Message) { m.Payload = nil }, ErrInvalidArgument},
		"huge payload":    {func(m *Message) { m.Payload = make([]byte, MaxPayloadBytes+1) }, ErrInvalidArgument},
		"long body":       {func(m *Message) { m.Body = strings.Repeat("a", MaxBodyBytes+1) }, ErrBodyTooLong},
		"non-UTF-8 body":  {func(m *Message) { m.Body = "\xff\xfe" }, ErrInvalidArgument},
	} {
		m := ok
		c.edit(&m)
		if _, err := db.InsertOutgoing(ctx, m); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Errors never quote the body.
	m := ok
	m.Body = strings.Repeat("secret ", MaxBodyBytes/7+1)
	if _, err := db.InsertOutgoing(ctx, m); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("long-body error: %v", err)
	}
	if cs, _ := db.Conversations(ctx, AllConversations); len(cs) != 0 {
		t.Fatalf("refused messages created %d conversations", len(cs))
	}

	// Limits are inclusive; a group conversation is fine.
	m = ok
	m.Body = strings.Repeat("é", MaxBodyBytes/2)
	m.Payload = make([]byte, MaxPayloadBytes)
	if _, err := db.InsertOutgoing(ctx, m); err != nil {
		t.Fatalf("body of exactly MaxBodyBytes: %v", err)
	}
	m = ok
	m.Conversation = group
	if _, err := db.InsertOutgoing(ctx, m); err != nil {
		t.Fatalf("to a group: %v", err)
	}
	// Same conversation, sender and timestamp twice.
	if _, err := db.InsertOutgoing(ctx, ok); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate outgoing: %v, want ErrDuplicate", err)
	}
}

func TestFailureReason(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	id := mustOutgoing(t, db, me(t), sid(1), at(1), "x")
	long := strings.Repeat("é", MaxReasonBytes) // 2 bytes each
	if err := db.MarkFailed(ctx, id, "\xff"+long); err != nil {
		t.Fatal(err)
	}
	m := mustMessage(t, db, id)
	if len(m.Error) > MaxReasonBytes || len(m.Error) < MaxReasonBytes-3 || !utf8.ValidString(m.Error) ||
		!strings.HasPrefix(m.Error, "\uFFFDé") {
		t.Errorf("reason of %d bytes, valid %v, starts %q", len(m.Error), utf8.ValidString(m.Error), m.Error[:5])
	}
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"}, {"abc", 2, "ab"}, {"aé", 2, "a"}, {"aé", 3, "aé"}, {"€", 2, ""}, {"", 0, ""},
	} {
		if got := cut(c.s, c.n); got != c.want {
			t.Errorf("cut(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

func TestInsertIncomingDedupe(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	bob := sid(1)

	first := mustInsert(t, db, incoming(bob, at(1), "h1", "hello"))
	m := mustMessage(t, db, first)
	if m.Status != StatusReceived || m.Direction != Incoming || m.Hash != "h1" || m.Payload != nil {
		t.Fatalf("stored %+v", m)
	}

	for name, dup := range map[string]Message{
		// The same retrieve twice, or the same message from another node.
		"same hash": incoming(bob, at(1), "h1", "hello"),
		// Same hash whatever else differs: the hash is the message.
		"same hash, other fields": incoming(sid(2), at(7), "h1", "other"),
		// The same message under another hash (another path or copy).
		"same sender and timestamp": incoming(bob, at(1), "h1-copy", "hello"),
	} {
		id, ok, err := db.InsertIncoming(ctx, dup)
		if err != nil || ok || id != first {
			t.Errorf("%s: InsertIncoming = %d, %v, %v; want %d, false", name, id, ok, err, first)
		}
	}

	// Another timestamp, or another sender at the same timestamp, is a
	// new message.
	second := mustInsert(t, db, incoming(bob, at(2), "h2", "again"))
	carol := mustInsert(t, db, incoming(sid(2), at(1), "h3", "hi"))
	if second == first || carol == first {
		t.Fatal("new messages got an old id")
	}
	// Same sender and timestamp in another conversation (a group, say)
	// is another message too.
	group := sid(5)
	group.Prefix = keys.PrefixGroup
	mustInsert(t, db, Message{Conversation: group, Sender: bob, Direction: Incoming, SentAt: at(1), Hash: "h4", Body: "in group"})

	msgs, _ := db.Messages(ctx, bob, 10, MessagePos{})
	if len(msgs) != 2 {
		t.Fatalf("conversation holds %d messages, want 2", len(msgs))
	}

	// Refused inputs.
	for name, c := range map[string]struct {
		m    Message
		want error
	}{
		"no hash":        {incoming(bob, at(9), "", "x"), ErrInvalidArgument},
		"long hash":      {incoming(bob, at(9), strings.Repeat("h", MaxHashBytes+1), "x"), ErrInvalidArgument},
		"no direction":   {Message{Conversation: bob, Sender: bob, SentAt: at(9), Hash: "hx"}, ErrInvalidArgument},
		"long body":      {incoming(bob, at(9), "hx", strings.Repeat("b", MaxBodyBytes+1)), ErrBodyTooLong},
		"no timestamp":   {incoming(bob, time.Time{}, "hx", "x"), ErrInvalidArgument},
		"zero sender ID": {Message{Conversation: bob, Direction: Incoming, SentAt: at(9), Hash: "hx"}, ErrInvalidArgument},
	} {
		if _, _, err := db.InsertIncoming(ctx, c.m); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

// TestMultiDevice covers sync copies: messages this account sent, arriving
// from its own swarm.
func TestMultiDevice(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	self, bob := me(t), sid(1)

	// Our own message, sent from this device, comes back as a sync copy
	// under its own-swarm hash: not a second message.
	own := mustOutgoing(t, db, self, bob, at(1), "from this device")
	db.MarkSent(ctx, own, "h-bob-swarm")
	syncCopy := Message{Conversation: bob, Sender: self, Direction: Outgoing, SentAt: at(1), Hash: "h-own-swarm", Body: "from this device"}
	id, ok, err := db.InsertIncoming(ctx, syncCopy)
	if err != nil || ok || id != own {
		t.Fatalf("sync copy of our own message: %d, %v, %v; want %d, false", id, ok, err, own)
	}
	// Even while ours is still sending.
	pending := mustOutgoing(t, db, self, bob, at(2), "still sending")
	id, ok, err = db.InsertIncoming(ctx, Message{Conversation: bob, Sender: self, Direction: Outgoing, SentAt: at(2), Hash: "h-own-2", Body: "still sending"})
	if err != nil || ok || id != pending {
		t.Fatalf("sync copy of a sending message: %d, %v, %v", id, ok, err)
	}
	if m := mustMessage(t, db, pending); m.Status != StatusSending {
		t.Errorf("a sync copy changed our sending message to %v", m.Status)
	}

	// A message sent from another device: shown as outgoing and sent, in
	// the recipient's conversation, and it opens that conversation (not as
	// a request) if it is new.
	carol := sid(2)
	other := Message{Conversation: carol, Sender: self, Direction: Outgoing, SentAt: at(3), Hash: "h-other", Body: "from my phone"}
	oid := mustInsert(t, db, other)
	m := mustMessage(t, db, oid)
	if m.Direction != Outgoing || m.Status != StatusSent || m.Conversation != carol || m.Hash != "h-other" {
		t.Fatalf("sync copy stored as %+v", m)
	}
	c := mustConversation(t, db, carol)
	if c.Request || c.Unread != 0 || c.LastDirection != Outgoing || c.LastSender != self {
		t.Fatalf("conversation from a sync copy: %+v", c)
	}
	// The peer of a conversation we wrote in is an approved contact.
	if ct, err := db.Contact(ctx, carol); err != nil || !ct.Approved {
		t.Fatalf("contact after our message from another device: %+v, %v", ct, err)
	}
	// And the same copy again (retrieved twice) is a duplicate.
	if id, ok, _ := db.InsertIncoming(ctx, other); ok || id != oid {
		t.Errorf("sync copy twice: %d, %v", id, ok)
	}

	// Note-to-self: our own ID is the conversation; no contact is made.
	nts := Message{Conversation: self, Sender: self, Direction: Outgoing, SentAt: at(4), Hash: "h-nts", Body: "buy milk"}
	mustInsert(t, db, nts)
	if c := mustConversation(t, db, self); c.Request || c.LastDirection != Outgoing {
		t.Errorf("note-to-self: %+v", c)
	}
	if _, err := db.Contact(ctx, self); !errors.Is(err, ErrNotFound) {
		t.Errorf("note-to-self made us a contact: %v", err)
	}
}

func TestMessagesOrderAndPaging(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	self, bob := me(t), sid(1)

	// Arrival order differs from sent order, and two messages share a
	// timestamp (different senders).
	mustInsert(t, db, incoming(bob, at(5), "h5", "five"))
	mustInsert(t, db, incoming(bob, at(1), "h1", "one"))
	mustOutgoing(t, db, self, bob, at(3), "three")
	mustInsert(t, db, incoming(bob, at(3), "h3", "three too"))
	mustInsert(t, db, incoming(bob, at(2), "h2", "two"))
	mustInsert(t, db, incoming(sid(2), at(4), "hx", "elsewhere"))

	all, err := db.Messages(ctx, bob, 100, MessagePos{})
	if err != nil {
		t.Fatal(err)
	}
	bodies := func(ms []Message) string {
		var s []string
		for _, m := range ms {
			s = append(s, m.Body)
		}
		return strings.Join(s, ",")
	}
	if got := bodies(all); got != "one,two,three,three too,five" {
		t.Fatalf("Messages = %s", got)
	}
	for i := 1; i < len(all); i++ {
		if all[i].SentAt.Before(all[i-1].SentAt) {
			t.Fatal("not ordered by sent timestamp")
		}
	}

	// Page back two at a time: every message exactly once, ties included.
	var pages []string
	pos := MessagePos{}
	for {
		page, err := db.Messages(ctx, bob, 2, pos)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		pages = append([]string{bodies(page)}, pages...)
		pos = page[0].Pos()
	}
	if got := strings.Join(pages, "|"); got != "one|two,three|three too,five" {
		t.Fatalf("pages = %s", got)
	}

	if _, err := db.Messages(ctx, bob, 0, MessagePos{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("limit 0: %v", err)
	}
	if ms, err := db.Messages(ctx, sid(7), 10, MessagePos{}); err != nil || len(ms) != 0 {
		t.Errorf("unknown conversation: %v, %v", ms, err)
	}

	// DeleteMessage removes one message.
	if err := db.DeleteMessage(ctx, all[1].ID); err != nil {
		t.Fatal(err)
	}
	all, _ = db.Messages(ctx, bob, 100, MessagePos{})
	if got := bodies(all); got != "one,three,three too,five" {
		t.Fatalf("after delete: %s", got)
	}
}

func TestBlock(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	bob := sid(1)
	before := mustInsert(t, db, incoming(bob, at(1), "h1", "before"))

	if err := db.SetBlocked(ctx, bob, true); err != nil {
		t.Fatal(err)
	}
	id, ok, err := db.InsertIncoming(ctx, incoming(bob, at(2), "h2", "while blocked"))
	if err != nil || ok || id != 0 {
		t.Fatalf("message from a blocked sender: %d, %v, %v; want dropped", id, ok, err)
	}
	// Also in a conversation other than the one-to-one.
	group := sid(5)
	group.Prefix = keys.PrefixGroup
	if _, ok, _ := db.InsertIncoming(ctx, Message{Conversation: group, Sender: bob, Direction: Incoming, SentAt: at(2), Hash: "hg", Body: "x"}); ok {
		t.Error("a blocked sender's group message was stored")
	}
	if _, err := db.Conversation(ctx, group); !errors.Is(err, ErrNotFound) {
		t.Errorf("a dropped message created a conversation: %v", err)
	}
	msgs, _ := db.Messages(ctx, bob, 10, MessagePos{})
	if len(msgs) != 1 || msgs[0].ID != before {
		t.Fatalf("conversation after block: %+v", msgs)
	}
	// Blocked contacts filter.
	if cs, _ := db.Contacts(ctx, BlockedContacts); len(cs) != 1 || cs[0].ID != bob {
		t.Fatalf("blocked contacts: %+v", cs)
	}
	// Unblocked, messages come in again.
	db.SetBlocked(ctx, bob, false)
	mustInsert(t, db, incoming(bob, at(3), "h3", "after"))
}
