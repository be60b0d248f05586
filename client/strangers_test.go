package client

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// These tests feed what strangers send straight into the receive path:
// real identities, real Session encryption, a real database; only the
// network is left out, as a node would hand the bytes over. The devnet
// tests at the end send the same through real nodes.

// offline opens a new account with no network.
func offline(t testing.TB, name string) *Client {
	t.Helper()
	c, err := Open(t.Context(), Options{Home: t.TempDir(), CreateAccount: true, DisplayName: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// stranger is a new identity.
func stranger(t testing.TB) *keys.Identity {
	t.Helper()
	seed := make([]byte, keys.SeedSize)
	rand.Read(seed)
	id, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// wire is one message as a node would return it: content from sender to
// to, in an envelope dated envelopeAt, stored by the node at storedAt.
func wire(t testing.TB, sender *keys.Identity, to keys.ID, content *signalpb.Content, envelopeAt, storedAt time.Time) storagerpc.RetrievedMessage {
	t.Helper()
	data, err := protocol.EncodeMessage(sender, to, content, envelopeAt)
	if err != nil {
		t.Fatal(err)
	}
	return storagerpc.RetrievedMessage{
		Hash: storagerpc.MessageHash(to, 0, data), Timestamp: storedAt.UnixMilli(),
		Expiration: storedAt.Add(MessageTTL).UnixMilli(), Data: data,
	}
}

// text is a visible message with a display name and, like Session's
// clients, the signed copy of its time.
func text(body, name string, at time.Time) *signalpb.Content {
	return &signalpb.Content{
		DataMessage:  &signalpb.DataMessage{Body: proto.String(body), Profile: &signalpb.LokiProfile{DisplayName: proto.String(name)}},
		SigTimestamp: proto.Uint64(uint64(at.UnixMilli())),
	}
}

// warnings collects c's warnings.
func warnings(c *Client) func() []string {
	var mu sync.Mutex
	var got []string
	c.OnEvent(func(ev Event) {
		if w, ok := ev.(Warning); ok {
			mu.Lock()
			got = append(got, w.Text)
			mu.Unlock()
		}
	})
	return func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
}

func TestPoisonNameRepairedAndPollGoesOn(t *testing.T) {
	bob := offline(t, "Bob")
	warned := warnings(bob)
	now := time.Now()
	eve, alice := stranger(t), stranger(t)
	msgs := []storagerpc.RetrievedMessage{
		wire(t, eve, bob.id.SessionID(), text("hi", "Eve\xff\xfe", now), now, now),
		wire(t, alice, bob.id.SessionID(), text("the real message", "Alice", now), now, now),
	}
	got, err := bob.processBatch(t.Context(), msgs)
	if err != nil {
		t.Fatalf("a bad name failed the poll: %v", err)
	}
	if len(got) != 2 || got[1].Body != "the real message" {
		t.Fatalf("received %+v", got)
	}
	ct, err := bob.db.Contact(t.Context(), eve.SessionID())
	if err != nil || ct.Name != "Eve\uFFFD" {
		t.Fatalf("the bad name was not repaired: %q, %v", ct.Name, err)
	}
	if w := warned(); len(w) != 1 || !strings.Contains(w[0], "repaired") {
		t.Errorf("warnings: %q", w)
	}
	// The repaired entry can be declined and blocked like any other.
	if err := bob.Block(t.Context(), eve.SessionID().String()); err != nil && !errors.Is(err, ErrNotSynced) {
		t.Fatal(err)
	}
}

func TestTypingOrReceiptFromStrangerLeavesNoTrace(t *testing.T) {
	bob := offline(t, "Bob")
	now := time.Now()
	eve := stranger(t)
	typing := &signalpb.Content{TypingMessage: &signalpb.TypingMessage{
		Timestamp: proto.Uint64(uint64(now.UnixMilli())), Action: signalpb.TypingMessage_STARTED.Enum()}}
	receipt := &signalpb.Content{ReceiptMessage: &signalpb.ReceiptMessage{
		Type: signalpb.ReceiptMessage_READ.Enum(), Timestamp: []uint64{1}}}
	named := &signalpb.Content{MessageRequestResponse: &signalpb.MessageRequestResponse{
		IsApproved: proto.Bool(true), Profile: &signalpb.LokiProfile{DisplayName: proto.String("Eve")}}}
	var msgs []storagerpc.RetrievedMessage
	for i, c := range []*signalpb.Content{typing, receipt, named} {
		msgs = append(msgs, wire(t, eve, bob.id.SessionID(), c, now.Add(time.Duration(i)*time.Millisecond), now))
	}
	if _, err := bob.processBatch(t.Context(), msgs); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.db.Contact(t.Context(), eve.SessionID()); !errors.Is(err, clientdb.ErrNotFound) {
		t.Errorf("a stranger who wrote nothing became a contact (%v)", err)
	}
	if _, listed := bob.cfg.contacts.Get(eve.SessionID()); listed {
		t.Error("a stranger who wrote nothing is in the synced contact list")
	}
}

func TestTimeIsBounded(t *testing.T) {
	bob := offline(t, "Bob")
	ctx := t.Context()
	now := time.Now().Truncate(time.Millisecond)
	future := time.UnixMilli(253_402_300_800_000 + 86_400_000) // 10000-01-02: breaks RFC 3339
	past := now.Add(-72 * time.Hour)
	honest, eve, mallory := stranger(t), stranger(t), stranger(t)
	got, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{
		wire(t, honest, bob.id.SessionID(), text("on time", "Honest", now.Add(-time.Second)), now.Add(-time.Second), now),
		wire(t, eve, bob.id.SessionID(), text("from the future", "Eve", future), future, now),
		wire(t, mallory, bob.id.SessionID(), text("from the past", "Mallory", past), past, now),
	})
	if err != nil || len(got) != 3 {
		t.Fatalf("received %d, %v", len(got), err)
	}
	if got[0].TimeUnverified || !got[0].SentAt.Equal(now.Add(-time.Second)) {
		t.Errorf("an honest message was re-dated: %+v", got[0])
	}
	for _, m := range got[1:] {
		if !m.TimeUnverified || m.SentAt.Sub(now).Abs() > time.Second {
			t.Errorf("%q kept its claimed time %v (unverified=%v)", m.Body, m.SentAt, m.TimeUnverified)
		}
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("--json output breaks: %v", err)
	}
	inbox, _ := bob.Requests(ctx)
	for _, cv := range inbox {
		if cv.LastActivity.After(now.Add(MaxClockSkew)) {
			t.Errorf("a conversation is pinned in the future: %+v", cv)
		}
	}

	// A back-dated message in a conversation already read is not hidden
	// as read: the conversation is marked unread.
	if err := bob.MarkRead(ctx, honest.SessionID().String()); err != nil && !errors.Is(err, ErrNotSynced) {
		t.Fatal(err)
	}
	early := now.Add(-2 * time.Second)
	if _, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{
		wire(t, honest, bob.id.SessionID(), text("late but signed early", "Honest", early), early, early),
	}); err != nil {
		t.Fatal(err)
	}
	cv, err := bob.db.Conversation(ctx, honest.SessionID())
	if err != nil || !cv.MarkedUnread {
		t.Errorf("a message dated before the last read went unseen: %+v, %v", cv, err)
	}
}

func TestReplayShownOnce(t *testing.T) {
	bob := offline(t, "Bob")
	ctx := t.Context()
	now := time.Now().Truncate(time.Millisecond)
	alice := stranger(t)
	signed := text("pay 10", "Alice", now)
	orig := wire(t, alice, bob.id.SessionID(), signed, now, now)
	// The same signed content in an envelope of another time: the envelope
	// is outside the signature, so anyone who saw the message can do this.
	env, err := protocol.UnwrapEnvelope(orig.Data)
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Minute)
	rewrapped, err := protocol.WrapEnvelope(env.GetContent(), uint64(later.UnixMilli()))
	if err != nil {
		t.Fatal(err)
	}
	replay := storagerpc.RetrievedMessage{Hash: storagerpc.MessageHash(bob.id.SessionID(), 0, rewrapped),
		Timestamp: later.UnixMilli(), Expiration: later.Add(time.Hour).UnixMilli(), Data: rewrapped}

	// The same envelope bare (without the WebSocketMessage layer): other
	// bytes, another hash, and stored an hour later, so that its time is
	// re-dated to the storage time and no (sender, time) match finds it.
	bare, err := proto.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	hour := now.Add(time.Hour)
	stored := storagerpc.RetrievedMessage{Hash: storagerpc.MessageHash(bob.id.SessionID(), 0, bare),
		Timestamp: hour.UnixMilli(), Expiration: hour.Add(time.Hour).UnixMilli(), Data: bare}
	bob.opts.Network = "" // no network: c.now is the local clock
	got, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{orig, replay, stored})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Body != "pay 10" {
		t.Fatalf("replays shown: %q", bodies(got))
	}
	// Two senders may send the same text at the same time: not a replay.
	other := stranger(t)
	got, err = bob.processBatch(ctx, []storagerpc.RetrievedMessage{wire(t, other, bob.id.SessionID(), signed, now, now)})
	if err != nil || len(got) != 1 {
		t.Fatalf("the same text from another sender: %q, %v", bodies(got), err)
	}
	ms, _ := bob.Messages(ctx, alice.SessionID().String(), 10)
	if len(ms) != 1 {
		t.Errorf("history holds %q", bodies(ms))
	}
}

func TestBodyCutOnCharacterBoundary(t *testing.T) {
	bob := offline(t, "Bob")
	warned := warnings(bob)
	now := time.Now()
	// An odd byte first, so that the limit falls inside a 2-byte character.
	body := "x" + strings.Repeat("é", 36_000) // 72 001 bytes
	got, err := bob.processBatch(t.Context(), []storagerpc.RetrievedMessage{
		wire(t, stranger(t), bob.id.SessionID(), text(body, "Long", now), now, now),
	})
	if err != nil || len(got) != 1 {
		t.Fatalf("a long body was dropped: %d, %v", len(got), err)
	}
	b := got[0].Body
	if !utf8.ValidString(b) || len(b) > clientdb.MaxBodyBytes || !strings.HasSuffix(b, "(truncated)") ||
		!strings.HasPrefix(b, "xéé") {
		t.Errorf("cut body: %d bytes, valid %v, ends %q", len(b), utf8.ValidString(b), b[max(0, len(b)-20):])
	}
	if w := warned(); len(w) != 1 || !strings.Contains(w[0], "truncated") {
		t.Errorf("warnings: %q", w)
	}
}

func TestNameLookupOnlyApprovedContacts(t *testing.T) {
	bob := offline(t, "Bob")
	ctx := t.Context()
	now := time.Now()
	carol, fakeCarol, dave1, dave2 := stranger(t), stranger(t), stranger(t), stranger(t)
	for _, c := range []struct {
		id   *keys.Identity
		name string
	}{{carol, "Carol"}, {fakeCarol, "Carol"}, {dave1, "Dave"}, {dave2, "Dave"}} {
		if _, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{
			wire(t, c.id, bob.id.SessionID(), text("hello", c.name, now), now, now),
		}); err != nil {
			t.Fatal(err)
		}
	}
	// A hidden requester named Carol is never what "Carol" means.
	if _, err := bob.Resolve(ctx, "Carol"); !errors.Is(err, ErrUnknownContact) {
		t.Fatalf("\"Carol\" resolved among requesters only: %v", err)
	}
	for _, id := range []*keys.Identity{carol, dave1, dave2} {
		if err := bob.Accept(ctx, id.SessionID().String()); err != nil && !errors.Is(err, ErrNotSynced) && !errors.Is(err, ErrNoNetwork) {
			t.Fatal(err)
		}
	}
	if got, err := bob.Resolve(ctx, "carol"); err != nil || got != carol.SessionID().String() {
		t.Errorf("\"carol\" = %s, %v; want the approved Carol", got, err)
	}
	_, err := bob.Resolve(ctx, "Dave")
	if !errors.Is(err, ErrAmbiguousContact) || !strings.Contains(err.Error(), dave1.SessionID().String()) ||
		!strings.Contains(err.Error(), dave2.SessionID().String()) {
		t.Errorf("ambiguous name: %v (want both candidates listed)", err)
	}
	// A nickname decides.
	if err := bob.SetNickname(ctx, dave2.SessionID().String(), "Dave"); err != nil && !errors.Is(err, ErrNotSynced) {
		t.Fatal(err)
	}
	if got, err := bob.Resolve(ctx, "Dave"); err != nil || got != dave2.SessionID().String() {
		t.Errorf("\"Dave\" = %s, %v; want the nicknamed one", got, err)
	}
}

func TestLookAlikeNamesMarked(t *testing.T) {
	bob := offline(t, "Bob")
	ctx := t.Context()
	now := time.Now()
	carol := stranger(t)
	if _, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{wire(t, carol, bob.id.SessionID(), text("hi", "Carol", now), now, now)}); err != nil {
		t.Fatal(err)
	}
	if err := bob.Accept(ctx, carol.SessionID().String()); err != nil && !errors.Is(err, ErrNotSynced) && !errors.Is(err, ErrNoNetwork) {
		t.Fatal(err)
	}
	fakes := map[string]string{
		"Саrol":       NoteSameAsAnother, // Cyrillic С and а
		"Car\u200bol": NoteHiddenChars,
		carol.SessionID().String()[:12] + "…" + carol.SessionID().String()[58:]: NoteLooksLikeID,
		"P\u0430ypal": NoteMixedScripts,
		"Frank":       "",
	}
	ids := map[string]string{}
	for name := range fakes {
		id := stranger(t)
		ids[id.SessionID().String()] = name
		if _, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{wire(t, id, bob.id.SessionID(), text("hi", name, now), now, now)}); err != nil {
			t.Fatal(err)
		}
	}
	reqs, err := bob.Requests(ctx)
	if err != nil || len(reqs) != len(fakes) {
		t.Fatalf("requests: %d, %v", len(reqs), err)
	}
	for _, r := range reqs {
		if want := fakes[ids[r.SessionID]]; r.NameNote != want {
			t.Errorf("%q: note %q, want %q", ids[r.SessionID], r.NameNote, want)
		}
	}
	cts, _ := bob.Contacts(ctx)
	for _, ct := range cts {
		if ct.SessionID == carol.SessionID().String() && ct.NameNote != "" {
			t.Errorf("the real Carol is marked: %q", ct.NameNote)
		}
	}
	if got := ShortID(carol.SessionID().String()); len(got) != 8+len("…")+8 {
		t.Errorf("ShortID = %q", got)
	}
}

// floodOffline has n strangers with 100-character names write to c, one
// after the other, and returns them in that order.
func floodOffline(t testing.TB, c *Client, n int) []keys.ID {
	t.Helper()
	now := time.Now()
	var msgs []storagerpc.RetrievedMessage
	var ids []keys.ID
	for i := range n {
		raw := make([]byte, 50)
		rand.Read(raw)
		name := hex.EncodeToString(raw) // 100 characters that do not compress
		at := now.Add(time.Duration(i) * time.Millisecond)
		id := stranger(t)
		ids = append(ids, id.SessionID())
		msgs = append(msgs, wire(t, id, c.id.SessionID(), text("buy my stuff", name, at), at, now))
		if len(msgs) == 100 || i == n-1 {
			if _, err := c.processBatch(t.Context(), msgs); err != nil {
				t.Fatal(err)
			}
			msgs = msgs[:0]
		}
	}
	return ids
}

func TestRequestsTakeOnlyTheRoomLeft(t *testing.T) {
	bob := offline(t, "Bob")
	ctx := t.Context()
	warned := warnings(bob)
	friend, foe := stranger(t), stranger(t)
	if err := bob.SetNickname(ctx, friend.SessionID().String(), "Best friend"); err != nil && !errors.Is(err, ErrNotSynced) {
		t.Fatal(err)
	}
	if err := bob.Block(ctx, foe.SessionID().String()); err != nil && !errors.Is(err, ErrNotSynced) {
		t.Fatal(err)
	}
	const n = 1200 // about twice what fits with 100-character names
	flood := floodOffline(t, bob, n)
	bob.cfg.mu.Lock()
	dropped, err := bob.fitContacts()
	_, oldestListed := bob.cfg.contacts.Get(flood[0])
	_, newestListed := bob.cfg.contacts.Get(flood[n-1])
	size, _ := bob.cfg.contacts.PushSize()
	_, nick := bob.cfg.contacts.Get(friend.SessionID())
	blocked, _ := bob.cfg.contacts.Get(foe.SessionID())
	listed := bob.cfg.contacts.Len()
	bob.cfg.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if size > config.MaxMessageSize || !nick || !blocked.Blocked {
		t.Fatalf("contacts config: %d bytes, nickname kept %v, block kept %v", size, nick, blocked.Blocked)
	}
	if len(dropped) == 0 || listed >= n || listed < 200 {
		t.Fatalf("%d entries listed, %d left out", listed, len(dropped))
	}
	if oldestListed || !newestListed {
		t.Errorf("the oldest request is listed (%v), the newest is not (%v)", oldestListed, !newestListed)
	}
	// The newest requests stay listed, the oldest are left out.
	reqs, err := bob.Requests(ctx)
	if err != nil || len(reqs) != n {
		t.Fatalf("every request must stay on this device: %d, %v", len(reqs), err)
	}
	// More requests: the push makes room again and says so (loudly).
	// Without a network it fails after that, at the store.
	floodOffline(t, bob, 200)
	_ = bob.pushConfigs(ctx)
	found := false
	for _, w := range warned() {
		found = found || strings.Contains(w, "kept on this device only")
	}
	if !found {
		t.Errorf("no warning that requests were left out: %q", warned())
	}

	// Decline them all at once; the nickname and the block stay.
	got, err := bob.DeclineAllRequests(ctx)
	if got != n+200 || err != nil && !errors.Is(err, ErrNotSynced) {
		t.Fatalf("declined %d, %v", got, err)
	}
	if reqs, _ := bob.Requests(ctx); len(reqs) != 0 {
		t.Errorf("%d requests left after decline --all", len(reqs))
	}
	bob.cfg.mu.Lock()
	_, nick = bob.cfg.contacts.Get(friend.SessionID())
	blocked, _ = bob.cfg.contacts.Get(foe.SessionID())
	bob.cfg.mu.Unlock()
	if !nick || !blocked.Blocked {
		t.Error("decline --all touched a contact")
	}
}

func TestRefuseRequests(t *testing.T) {
	bob := offline(t, "Bob")
	ctx := t.Context()
	now := time.Now()
	friend, eve := stranger(t), stranger(t)
	if _, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{wire(t, friend, bob.id.SessionID(), text("hi", "Friend", now), now, now)}); err != nil {
		t.Fatal(err)
	}
	if err := bob.Accept(ctx, friend.SessionID().String()); err != nil && !errors.Is(err, ErrNotSynced) && !errors.Is(err, ErrNoNetwork) {
		t.Fatal(err)
	}
	if err := bob.SetRefuseRequests(ctx, true); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Second)
	got, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{
		wire(t, eve, bob.id.SessionID(), text("buy", "Eve", later), later, later),
		wire(t, friend, bob.id.SessionID(), text("still here", "Friend", later), later, later),
	})
	if err != nil || len(got) != 1 || got[0].Body != "still here" {
		t.Fatalf("with requests refused: %q, %v", bodies(got), err)
	}
	if _, err := bob.db.Contact(ctx, eve.SessionID()); !errors.Is(err, clientdb.ErrNotFound) {
		t.Error("a refused stranger left a contact")
	}
	// The setting survives a restart.
	if on, err := bob.RefuseRequests(ctx); err != nil || !on {
		t.Errorf("setting: %v, %v", on, err)
	}
}

// What a stranger names itself or writes is repaired within bounds,
// whatever the bytes.
func FuzzCleanText(f *testing.F) {
	f.Add("Eve\xff\xfe", 3)
	f.Add(strings.Repeat("é", 60), 1)
	f.Add("05ab…cd12", 0)
	f.Fuzz(func(t *testing.T, s string, rep int) {
		name, _ := cleanName(s)
		if !utf8.ValidString(name) || len(name) > MaxDisplayNameBytes {
			t.Fatalf("cleanName(%q) = %q", s, name)
		}
		long := strings.Repeat(s, min(max(rep, 0), 8)) + strings.Repeat("x", max(0, clientdb.MaxBodyBytes-len(s)+min(max(rep, 0), 4)))
		for _, in := range []string{s, long} {
			body, note := cleanBody(in)
			if !utf8.ValidString(body) || len(body) > clientdb.MaxBodyBytes {
				t.Fatalf("cleanBody: %d bytes, valid %v", len(body), utf8.ValidString(body))
			}
			if len(in) > clientdb.MaxBodyBytes && (note != "truncated" || !strings.HasSuffix(body, "(truncated)")) {
				t.Fatalf("a cut body is not marked: note %q", note)
			}
		}
		_ = skeleton(s)
		_ = looksLikeID(s)
		_ = mixesScripts(s)
	})
}

// A copy of a message this account sent, stored late (a retry hours
// later), keeps its sent time: that is how the sending device knows it.
func TestSyncCopyKeepsItsTime(t *testing.T) {
	bob := offline(t, "Bob")
	now := time.Now().Truncate(time.Millisecond)
	sent := now.Add(-3 * time.Hour)
	to := stranger(t).SessionID()
	c := text("sent long ago", "Bob", sent)
	c.DataMessage.SyncTarget = proto.String(to.String())
	got, err := bob.processBatch(t.Context(), []storagerpc.RetrievedMessage{wire(t, bob.id, bob.id.SessionID(), c, sent, now)})
	if err != nil || len(got) != 1 {
		t.Fatalf("sync copy: %d, %v", len(got), err)
	}
	if !got[0].SentAt.Equal(sent) || got[0].TimeUnverified || !got[0].Outgoing {
		t.Errorf("sync copy re-dated: %+v", got[0])
	}
}
