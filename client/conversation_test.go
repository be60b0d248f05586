package client

import (
	"errors"
	"slices"
	"testing"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/protocol"
)

// TestReplyRoundTrip sends a reply from Alice to Bob and checks it on the
// wire (Session's DataMessage.quote: the quoted message's sent timestamp
// and author, no copied text), at Bob (quote resolved to his copy of the
// original) and on Alice's second device (through the sync copy).
func TestReplyRoundTrip(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, alice2 := aliceBobAndSecondDevice(t)

	orig, err := bob.Send(ctx, alice.SessionID(), "lunch at noon?")
	if err != nil {
		t.Fatal(err)
	}
	got := receiveUntil(t, alice, "Bob's question", func(ms []Message) bool { return len(ms) == 1 })
	reply, err := alice.Reply(ctx, got[0].ID, "yes, see you there")
	if err != nil {
		t.Fatal(err)
	}
	if reply.Conversation != bob.SessionID() || reply.Quote == nil || reply.Quote.ID != got[0].ID ||
		reply.Quote.Body != "lunch at noon?" || reply.Quote.From != bob.SessionID() {
		t.Fatalf("reply = %+v, quote %+v", reply, reply.Quote)
	}

	ms := receiveUntil(t, bob, "the reply", func(ms []Message) bool {
		return slices.ContainsFunc(ms, func(m Message) bool { return m.Body == "yes, see you there" })
	})
	var atBob Message
	for _, m := range ms {
		if m.Body == "yes, see you there" {
			atBob = m
		}
	}
	if atBob.Quote == nil || atBob.Quote.ID != orig.ID || atBob.Quote.Body != "lunch at noon?" ||
		atBob.Quote.From != bob.SessionID() || !atBob.Quote.SentAt.Equal(orig.SentAt) {
		t.Fatalf("reply at Bob: quote %+v, want message %d", atBob.Quote, orig.ID)
	}
	ms = receiveUntil(t, alice2, "the reply's sync copy", func(ms []Message) bool {
		return slices.ContainsFunc(ms, func(m Message) bool { return m.Body == "yes, see you there" && m.Quote != nil })
	})
	for _, m := range ms {
		if m.Body == "yes, see you there" && (m.Quote.From != bob.SessionID() || !m.Quote.SentAt.Equal(orig.SentAt) || m.Quote.Body != "lunch at noon?") {
			t.Fatalf("reply on Alice's second device: quote %+v", m.Quote)
		}
	}

	// What went on the wire: Bob decrypts the raw stored bytes.
	raw := fetchRaw(t, bob, reply.Hash)
	dm, err := protocol.DecodeMessage(bob.id, raw)
	if err != nil {
		t.Fatal(err)
	}
	q := dm.Content.GetDataMessage().GetQuote()
	if q.GetId() != uint64(orig.SentAt.UnixMilli()) || q.GetAuthor() != bob.SessionID() {
		t.Fatalf("wire quote = %v, want id %d author %s", q, orig.SentAt.UnixMilli(), bob.SessionID())
	}

	if _, err := alice.Reply(ctx, 1<<40, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("reply to a missing message: %v", err)
	}
}

func TestSearchMessages(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, carol := account(t, "Alice"), account(t, "Bob"), account(t, "Carol")
	for _, tc := range []struct {
		from *Client
		body string
	}{{bob, "Bonjour Alice, café demain ?"}, {carol, "bonjour from Carol"}, {bob, "unrelated"}} {
		if _, err := tc.from.Send(ctx, alice.SessionID(), tc.body); err != nil {
			t.Fatal(err)
		}
	}
	receiveUntil(t, alice, "three messages", func(ms []Message) bool { return len(ms) == 3 })
	got, err := alice.Search(ctx, "bonjour", "", 10)
	if err != nil || !slices.Equal(bodies(got), []string{"bonjour from Carol", "Bonjour Alice, café demain ?"}) {
		t.Fatalf("Search(bonjour) = %q, %v", bodies(got), err)
	}
	if got[0].Conversation != carol.SessionID() {
		t.Errorf("result conversation %s, want Carol's", got[0].Conversation)
	}
	got, err = alice.Search(ctx, "cafe", bob.SessionID(), 10)
	if err != nil || !slices.Equal(bodies(got), []string{"Bonjour Alice, café demain ?"}) {
		t.Fatalf("Search(cafe in Bob) = %q, %v", bodies(got), err)
	}
	if _, err := alice.Search(ctx, "  ", "", 10); !errors.Is(err, ErrInvalidSearch) {
		t.Errorf("empty search: %v", err)
	}
	if _, err := alice.Search(ctx, "x", "", clientdb.MaxSearchResults+1); !errors.Is(err, ErrInvalidSearch) {
		t.Errorf("too many results: %v", err)
	}
}

// fetchRaw retrieves the stored bytes of the message with hash from c's
// swarm (namespace 0).
func fetchRaw(t *testing.T, c *Client, hash string) []byte {
	t.Helper()
	for _, m := range swarmMessages(t, c) {
		if m.Hash == hash {
			return m.Data
		}
	}
	t.Fatalf("no message %s in the swarm", hash)
	return nil
}
