package clientdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/session-go/session-go/internal/keys"
)

func TestMessageRequests(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	stranger, friend := sid(1), sid(2)

	// A friend (approved contact) writes: inbox. A stranger: request.
	db.UpsertContact(ctx, Contact{ID: friend, Name: "Friend", Approved: true})
	mustInsert(t, db, incoming(friend, at(1), "f1", "hey"))
	s1 := mustInsert(t, db, incoming(stranger, at(2), "s1", "buy crypto"))
	mustInsert(t, db, incoming(stranger, at(3), "s2", "please"))

	if c := mustConversation(t, db, friend); c.Request {
		t.Error("an approved contact's message opened a request")
	}
	if c := mustConversation(t, db, stranger); !c.Request || c.Unread != 2 {
		t.Errorf("stranger's conversation: request %v, unread %d", c.Request, c.Unread)
	}
	assertConversations(t, db, RequestConversations, stranger)
	assertConversations(t, db, InboxConversations, friend)
	assertConversations(t, db, AllConversations, stranger, friend)
	// A contact entry that exists but is not approved still means request.
	db.SetName(ctx, sid(3), "Known name")
	mustInsert(t, db, incoming(sid(3), at(4), "k1", "hi"))
	if c := mustConversation(t, db, sid(3)); !c.Request || c.Name != "Known name" {
		t.Errorf("unapproved known contact: %+v", c)
	}
	// It set approved_me: they wrote to us.
	if ct, _ := db.Contact(ctx, sid(3)); !ct.ApprovedMe || ct.Approved {
		t.Errorf("contact after their message: %+v", ct)
	}

	// Accept: the conversation moves to the inbox and the stranger becomes
	// an approved contact who approved us.
	if err := db.AcceptRequest(ctx, stranger); err != nil {
		t.Fatal(err)
	}
	if c := mustConversation(t, db, stranger); c.Request || c.Unread != 2 {
		t.Errorf("after accept: request %v, unread %d", c.Request, c.Unread)
	}
	ct, err := db.Contact(ctx, stranger)
	if err != nil || !ct.Approved || !ct.ApprovedMe || ct.Blocked {
		t.Fatalf("contact after accept: %+v, %v", ct, err)
	}
	if err := db.AcceptRequest(ctx, stranger); !errors.Is(err, ErrNotRequest) {
		t.Errorf("accepting twice: %v, want ErrNotRequest", err)
	}
	if err := db.DeclineRequest(ctx, stranger); !errors.Is(err, ErrNotRequest) {
		t.Errorf("declining an accepted conversation: %v, want ErrNotRequest", err)
	}
	if m := mustMessage(t, db, s1); m.Body != "buy crypto" {
		t.Errorf("accept lost messages: %+v", m)
	}
	for name, err := range map[string]error{
		"accept":  db.AcceptRequest(ctx, sid(9)),
		"decline": db.DeclineRequest(ctx, sid(9)),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of an unknown conversation: %v, want ErrNotFound", name, err)
		}
	}
}

func TestDeclineRequest(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	spam := sid(1)
	a := mustInsert(t, db, incoming(spam, at(1), "s1", "spam"))
	b := mustInsert(t, db, incoming(spam, at(2), "s2", "more spam"))
	db.SetName(ctx, spam, "Spammer") // a profile name came with it

	if err := db.DeclineRequest(ctx, spam); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Conversation(ctx, spam); !errors.Is(err, ErrNotFound) {
		t.Errorf("declined conversation: %v, want ErrNotFound", err)
	}
	for _, id := range []int64{a, b} {
		if _, err := db.Message(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("message %d of a declined request: %v, want ErrNotFound", id, err)
		}
	}
	if _, err := db.Contact(ctx, spam); !errors.Is(err, ErrNotFound) {
		t.Errorf("contact of a declined request: %v, want ErrNotFound", err)
	}
	// Declining does not block: a new message opens a new request.
	mustInsert(t, db, incoming(spam, at(3), "s3", "again"))
	if c := mustConversation(t, db, spam); !c.Request || c.Unread != 1 {
		t.Errorf("after decline, new message: %+v", c)
	}

	// Decline and block: the blocked flag stays, later messages drop.
	if err := db.DeclineRequest(ctx, spam); err != nil {
		t.Fatal(err)
	}
	db.SetBlocked(ctx, spam, true)
	if _, ok, _ := db.InsertIncoming(ctx, incoming(spam, at(4), "s4", "blocked")); ok {
		t.Error("message after decline and block was stored")
	}
	if ct, err := db.Contact(ctx, spam); err != nil || !ct.Blocked {
		t.Errorf("blocked contact: %+v, %v", ct, err)
	}
	// A blocked contact survives a decline of a request opened before
	// blocking (unblock, write, block, decline).
	db.SetBlocked(ctx, spam, false)
	mustInsert(t, db, incoming(spam, at(5), "s5", "x"))
	db.SetBlocked(ctx, spam, true)
	db.DeclineRequest(ctx, spam)
	if ct, err := db.Contact(ctx, spam); err != nil || !ct.Blocked {
		t.Errorf("decline removed a blocked contact: %+v, %v", ct, err)
	}
}

func TestReplyAcceptsRequest(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	stranger := sid(1)
	mustInsert(t, db, incoming(stranger, at(1), "s1", "hello?"))
	mustOutgoing(t, db, me(t), stranger, at(2), "hi!")
	if c := mustConversation(t, db, stranger); c.Request {
		t.Error("replying left the request open")
	}
	if ct, err := db.Contact(ctx, stranger); err != nil || !ct.Approved {
		t.Errorf("contact after reply: %+v, %v", ct, err)
	}

	// Approval arriving by config sync (SetApproved) accepts too.
	other := sid(2)
	mustInsert(t, db, incoming(other, at(3), "o1", "hello?"))
	if err := db.SetApproved(ctx, other, true); err != nil {
		t.Fatal(err)
	}
	if c := mustConversation(t, db, other); c.Request {
		t.Error("SetApproved left the request open")
	}
	third := sid(3)
	mustInsert(t, db, incoming(third, at(4), "t1", "hello?"))
	db.UpsertContact(ctx, Contact{ID: third, Name: "T"})
	if c := mustConversation(t, db, third); !c.Request {
		t.Error("an unapproved upsert accepted the request")
	}
	db.UpsertContact(ctx, Contact{ID: third, Name: "T", Approved: true})
	if c := mustConversation(t, db, third); c.Request {
		t.Error("UpsertContact with Approved left the request open")
	}
}

func assertConversations(t *testing.T, db *DB, f ConversationFilter, want ...keys.ID) {
	t.Helper()
	cs, err := db.Conversations(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var got []keys.ID
	for _, c := range cs {
		got = append(got, c.ID)
	}
	if len(got) != len(want) {
		t.Fatalf("Conversations(%d) = %v, want %v", f, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("Conversations(%d) = %v, want %v", f, got, want)
		}
	}
}

func TestInbox(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	clk := newClock()
	db.now = clk.Now
	self, bob, carol := me(t), sid(1), sid(2)
	db.UpsertContact(ctx, Contact{ID: bob, Name: "Bob", Nickname: "B", Approved: true, Priority: 1})
	db.UpsertContact(ctx, Contact{ID: carol, Name: "Carol", Approved: true})

	mustInsert(t, db, incoming(bob, at(10), "b1", "one"))
	mustInsert(t, db, incoming(bob, at(11), "b2", "two"))
	mustInsert(t, db, incoming(carol, at(12), "c1", "carol here"))
	mustOutgoing(t, db, self, bob, at(13), "my reply")
	mustInsert(t, db, incoming(bob, at(14), "b3", "three"))

	// Ordered by last activity: bob (14) before carol (12).
	assertConversations(t, db, AllConversations, bob, carol)
	c := mustConversation(t, db, bob)
	if c.Unread != 3 || c.Name != "B" || c.Priority != 1 || c.Blocked || c.Request || c.MarkedUnread {
		t.Errorf("bob's conversation: %+v", c)
	}
	if c.Preview != "three" || c.LastDirection != Incoming || c.LastSender != bob || !c.LastActivity.Equal(at(14)) {
		t.Errorf("bob's last message: %q %v %v %v", c.Preview, c.LastDirection, c.LastSender, c.LastActivity)
	}
	if !c.Created.Equal(clk.Now()) || !c.LastRead.IsZero() {
		t.Errorf("bob's times: created %v, last read %v", c.Created, c.LastRead)
	}
	if c := mustConversation(t, db, carol); c.Name != "Carol" || c.Blocked || c.Unread != 1 {
		t.Errorf("carol's conversation: %+v", c)
	}

	// A late message with an old timestamp does not move the conversation
	// up, and sorts into place.
	mustInsert(t, db, incoming(carol, at(1), "c0", "old news"))
	assertConversations(t, db, AllConversations, bob, carol)
	if c := mustConversation(t, db, carol); c.Preview != "carol here" || c.Unread != 2 {
		t.Errorf("carol after an old message: %+v", c)
	}
	mustInsert(t, db, incoming(carol, at(20), "c2", "news"))
	assertConversations(t, db, AllConversations, carol, bob)
	db.SetBlocked(ctx, carol, true)
	if c := mustConversation(t, db, carol); !c.Blocked || c.Unread != 3 {
		t.Errorf("carol blocked: %+v", c)
	}

	// Reading up to a timestamp counts only later incoming messages.
	if err := db.MarkRead(ctx, bob, at(11)); err != nil {
		t.Fatal(err)
	}
	if c := mustConversation(t, db, bob); c.Unread != 1 || !c.LastRead.Equal(at(11)) {
		t.Errorf("after MarkRead(11): unread %d, last read %v", c.Unread, c.LastRead)
	}
	// The read mark does not move back.
	db.MarkRead(ctx, bob, at(5))
	if c := mustConversation(t, db, bob); c.Unread != 1 || !c.LastRead.Equal(at(11)) {
		t.Errorf("after MarkRead(5): unread %d, last read %v", c.Unread, c.LastRead)
	}
	// Marked unread, then read clears it.
	if err := db.SetMarkedUnread(ctx, bob, true); err != nil {
		t.Fatal(err)
	}
	if c := mustConversation(t, db, bob); !c.MarkedUnread {
		t.Error("not marked unread")
	}
	db.MarkRead(ctx, bob, at(14))
	if c := mustConversation(t, db, bob); c.Unread != 0 || c.MarkedUnread {
		t.Errorf("after MarkRead(14): unread %d, marked %v", c.Unread, c.MarkedUnread)
	}
	for name, err := range map[string]error{
		"MarkRead":           db.MarkRead(ctx, sid(9), at(1)),
		"SetMarkedUnread":    db.SetMarkedUnread(ctx, sid(9), true),
		"DeleteConversation": db.DeleteConversation(ctx, sid(9)),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of an unknown conversation: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := db.Conversations(ctx, ConversationFilter(7)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unknown filter: %v", err)
	}

	// State survives a reopen.
	db.Close()
	db = openAt(t, path, testKey(1))
	if c := mustConversation(t, db, bob); c.Unread != 0 || !c.LastRead.Equal(at(14)) || c.Preview != "three" {
		t.Errorf("after reopen: %+v", c)
	}

	// Deleting a conversation deletes its messages and keeps the contact.
	if err := db.DeleteConversation(ctx, carol); err != nil {
		t.Fatal(err)
	}
	if ms, _ := db.Messages(ctx, carol, 10, MessagePos{}); len(ms) != 0 {
		t.Errorf("%d messages survive their conversation", len(ms))
	}
	if _, err := db.Contact(ctx, carol); err != nil {
		t.Errorf("contact of a deleted conversation: %v", err)
	}
	assertConversations(t, db, AllConversations, bob)
}

func TestPreview(t *testing.T) {
	db, _ := openTest(t)
	long := strings.Repeat("ж", PreviewChars+20) // 2 bytes per character
	mustInsert(t, db, incoming(sid(1), at(1), "h", long))
	c := mustConversation(t, db, sid(1))
	if utf8.RuneCountInString(c.Preview) != PreviewChars || !strings.HasPrefix(long, c.Preview) {
		t.Errorf("preview of %d characters, want the first %d", utf8.RuneCountInString(c.Preview), PreviewChars)
	}
	// An empty conversation (all messages deleted) has no last message.
	msgs, _ := db.Messages(context.Background(), sid(1), 1, MessagePos{})
	db.DeleteMessage(context.Background(), msgs[0].ID)
	c = mustConversation(t, db, sid(1))
	if c.Preview != "" || c.LastDirection != 0 || !c.LastSender.IsZero() || c.Unread != 0 {
		t.Errorf("empty conversation: %+v", c)
	}
	if c.LastDirection.String() != "none" || Incoming.String() != "incoming" || Outgoing.String() != "outgoing" {
		t.Error("Direction.String")
	}
	for s, want := range map[Status]string{StatusSending: "sending", StatusSent: "sent", StatusFailed: "failed", StatusReceived: "received", 0: "Status(0)"} {
		if s.String() != want {
			t.Errorf("Status(%d).String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

func TestBulkRequests(t *testing.T) {
	ctx := context.Background()
	for _, block := range []bool{false, true} {
		db, _ := openTest(t)
		friend := sid(1)
		if err := db.SetApproved(ctx, friend, true); err != nil {
			t.Fatal(err)
		}
		mustInsert(t, db, incoming(friend, at(1), "h-friend", "hi"))
		for i := range 50 {
			mustInsert(t, db, incoming(sid(byte(10+i)), at(2+i), fmt.Sprintf("h%d", i), "buy"))
		}
		var ids []keys.ID
		var err error
		if block {
			ids, err = db.BlockAllRequests(ctx)
		} else {
			ids, err = db.DeclineAllRequests(ctx)
		}
		if err != nil || len(ids) != 50 {
			t.Fatalf("block=%v: %d requests, %v", block, len(ids), err)
		}
		if reqs, _ := db.Conversations(ctx, RequestConversations); len(reqs) != 0 {
			t.Errorf("block=%v: %d requests left", block, len(reqs))
		}
		if inbox, _ := db.Conversations(ctx, InboxConversations); len(inbox) != 1 || inbox[0].ID != friend {
			t.Errorf("block=%v: the inbox changed: %+v", block, inbox)
		}
		ct, err := db.Contact(ctx, sid(10))
		switch {
		case block && (err != nil || !ct.Blocked):
			t.Errorf("a requester is not blocked: %+v, %v", ct, err)
		case !block && !errors.Is(err, ErrNotFound):
			t.Errorf("a declined requester is still a contact: %+v, %v", ct, err)
		}
		// A blocked requester's next message is dropped; a declined one's
		// opens a new request.
		_, ok, err := db.InsertIncoming(ctx, incoming(sid(10), at(100), "again", "buy now"))
		if err != nil || ok == block {
			t.Errorf("block=%v: a later message stored=%v, %v", block, ok, err)
		}
	}
}

// TestGroupConversations: a group's conversation is keyed by its 03 ID;
// its members' messages never open a request (the group was joined), and
// OpenConversation makes one as a request (an invitation from a stranger)
// or not, leaving an existing one as it is.
func TestGroupConversations(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	group := keys.ID{Prefix: keys.PrefixGroup}
	group.Key[0] = 3
	m := incoming(sid(1), at(1), "g1", "hello group")
	m.Conversation = group
	mustInsert(t, db, m)
	if c := mustConversation(t, db, group); c.Request || c.Unread != 1 || c.LastSender != sid(1) || c.Preview != "hello group" {
		t.Fatalf("group conversation: %+v", c)
	}
	if created, err := db.OpenConversation(ctx, group, true, at(2)); err != nil || created {
		t.Fatalf("OpenConversation on an existing one: %v %v", created, err)
	}
	if c := mustConversation(t, db, group); c.Request {
		t.Fatal("OpenConversation changed an existing conversation")
	}
	invited := keys.ID{Prefix: keys.PrefixGroup}
	invited.Key[0] = 4
	if created, err := db.OpenConversation(ctx, invited, true, at(3)); err != nil || !created {
		t.Fatalf("OpenConversation: %v %v", created, err)
	}
	assertConversations(t, db, RequestConversations, invited)
	if err := db.AcceptRequest(ctx, invited); err != nil {
		t.Fatal(err)
	}
	assertConversations(t, db, InboxConversations, invited, group)
	if cts, _ := db.Contacts(ctx, AllContacts); len(cts) != 0 {
		t.Fatalf("a group became a contact: %+v", cts)
	}
	if _, err := db.OpenConversation(ctx, keys.ID{}, false, at(4)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("OpenConversation without an ID: %v", err)
	}
}
