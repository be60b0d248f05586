package client

import (
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// These tests build each kind of message byte by byte, by the field
// numbers of Session's SignalService.proto and in the order session-desktop
// (v1.17) writes them (its ContentMessage subclasses: field order, the
// signed time in sigTimestamp 15, repeated fields unpacked as protobufjs
// writes proto2), not with this repository's generated types, then encrypt
// them as Session does and hand them to the receive path.

type pb []byte

func (b pb) varint(num protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (b pb) bytes(num protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func (b pb) str(num protowire.Number, s string) pb { return b.bytes(num, []byte(s)) }

// sessionContent is a Content with the given fields followed by the signed
// time (sigTimestamp 15), as desktop's contentProto() ends every message.
func sessionContent(fields pb, at time.Time) []byte {
	return fields.varint(15, uint64(at.UnixMilli()))
}

// sessionWire pads, encrypts and wraps Content bytes as Session does.
func sessionWire(t testing.TB, sender *keys.Identity, to keys.ID, content []byte, at time.Time) storagerpc.RetrievedMessage {
	t.Helper()
	ct, err := protocol.EncryptForRecipient(sender, to, protocol.Pad(content))
	if err != nil {
		t.Fatal(err)
	}
	data, err := protocol.WrapEnvelope(ct, uint64(at.UnixMilli()))
	if err != nil {
		t.Fatal(err)
	}
	return storagerpc.RetrievedMessage{Hash: storagerpc.MessageHash(to, 0, data), Timestamp: at.UnixMilli(),
		Expiration: at.Add(MessageTTL).UnixMilli(), Data: data}
}

// sessionText is desktop's VisibleMessage with a body and a profile.
func sessionText(body, name string, at time.Time) []byte {
	profile := pb{}.str(1, name).varint(3, uint64(at.Unix()))
	return sessionContent(pb{}.bytes(1, pb{}.str(1, body).bytes(101, profile)), at)
}

// receiveAll processes msgs in one batch as a poll would.
func receiveAll(t testing.TB, c *Client, msgs ...storagerpc.RetrievedMessage) []Message {
	t.Helper()
	out, err := c.processBatch(t.Context(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func storedBodies(t testing.TB, c *Client, conv keys.ID) []string {
	t.Helper()
	ms, err := c.db.Messages(t.Context(), conv, 100, clientdb.MessagePos{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		if m.Deleted {
			out = append(out, "(deleted)")
			continue
		}
		out = append(out, m.Body)
	}
	return out
}

func TestReceiveUnsendRequest(t *testing.T) {
	bob, alice := offline(t, "Bob"), stranger(t)
	to := bob.id.SessionID()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	receiveAll(t, bob, sessionWire(t, alice, to, sessionText("keep", "Alice", t0), t0),
		sessionWire(t, alice, to, sessionText("oops", "Alice", t0.Add(time.Second)), t0.Add(time.Second)))
	// desktop's UnsendMessage: unsendRequest 9 {timestamp 1, author 2}.
	unsend := func(ts time.Time, author keys.ID, at time.Time) storagerpc.RetrievedMessage {
		return sessionWire(t, alice, to, sessionContent(pb{}.bytes(9, pb{}.varint(1, uint64(ts.UnixMilli())).str(2, author.String())), at), at)
	}
	// One naming another author (Bob) deletes nothing.
	receiveAll(t, bob, unsend(t0, bob.id.SessionID(), t0.Add(2*time.Second)))
	if got := storedBodies(t, bob, alice.SessionID()); len(got) != 2 {
		t.Fatalf("an unsend naming another author deleted something: %q", got)
	}
	receiveAll(t, bob, unsend(t0.Add(time.Second), alice.SessionID(), t0.Add(3*time.Second)))
	if got := storedBodies(t, bob, alice.SessionID()); len(got) != 2 || got[0] != "keep" || got[1] != "(deleted)" {
		t.Fatalf("after unsend: %q, want [keep (deleted)]", got)
	}
	// An unsend that comes before its message: the message is never shown.
	late := t0.Add(4 * time.Second)
	receiveAll(t, bob, unsend(late, alice.SessionID(), t0.Add(5*time.Second)))
	receiveAll(t, bob, sessionWire(t, alice, to, sessionText("too late", "Alice", late), late))
	if got := storedBodies(t, bob, alice.SessionID()); len(got) != 2 {
		t.Fatalf("a message unsent before it arrived was shown: %q", got)
	}
}

func TestReceiveReactionReceiptTypingTimer(t *testing.T) {
	bob, alice := offline(t, "Bob"), stranger(t)
	to := bob.id.SessionID()
	events := make(chan Event, 64)
	bob.OnEvent(func(ev Event) {
		select {
		case events <- ev:
		default:
		}
	})
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	receiveAll(t, bob, sessionWire(t, alice, to, sessionText("hello", "Alice", t0), t0))
	// Bob answered (an outgoing message of his in the conversation).
	mine := t0.Add(time.Second)
	if _, err := bob.db.InsertOutgoing(t.Context(), clientdb.Message{Conversation: alice.SessionID(), Sender: to,
		SentAt: mine, Body: "hi", Payload: []byte("p")}); err != nil {
		t.Fatal(err)
	}

	// Reaction: dataMessage 1 {reaction 11 {id 1, author 2, emoji 3, action 4}, profile 101}.
	react := func(action uint64, at time.Time) storagerpc.RetrievedMessage {
		r := pb{}.varint(1, uint64(mine.UnixMilli())).str(2, to.String()).str(3, "👍").varint(4, action)
		return sessionWire(t, alice, to, sessionContent(pb{}.bytes(1, pb{}.bytes(11, r).bytes(101, pb{}.str(1, "Alice"))), at), at)
	}
	receiveAll(t, bob, react(0, t0.Add(2*time.Second)))
	ref := clientdb.MessageRef{Conversation: alice.SessionID(), Author: to, SentAt: mine}
	if rs, _ := bob.db.Reactions(t.Context(), ref); len(rs) != 1 || rs[0].Emoji != "👍" || rs[0].Reactor != alice.SessionID() {
		t.Fatalf("reactions %+v", rs)
	}
	receiveAll(t, bob, react(1, t0.Add(3*time.Second)))
	if rs, _ := bob.db.Reactions(t.Context(), ref); len(rs) != 0 {
		t.Fatalf("a removed reaction stayed: %+v", rs)
	}

	// Read receipt: receiptMessage 5 {type 1 = READ, timestamp 2 (repeated, unpacked)}.
	readAt := t0.Add(4 * time.Second)
	receipt := pb{}.varint(1, 1).varint(2, uint64(mine.UnixMilli())).varint(2, uint64(t0.UnixMilli()))
	receiveAll(t, bob, sessionWire(t, alice, to, sessionContent(pb{}.bytes(5, receipt), readAt), readAt))
	if at, ok, _ := bob.db.ReadByPeer(t.Context(), alice.SessionID(), mine); !ok || !at.Equal(readAt) {
		t.Errorf("read receipt: %v %v", at, ok)
	}

	// Typing: typingMessage 6 {timestamp 1, action 2 = STARTED}.
	typingAt := t0.Add(5 * time.Second)
	receiveAll(t, bob, sessionWire(t, alice, to, sessionContent(pb{}.bytes(6, pb{}.varint(1, uint64(typingAt.UnixMilli())).varint(2, 0)), typingAt), typingAt))

	// Disappearing timer update: dataMessage {flags 4 = 2}, expirationType 12
	// = DELETE_AFTER_SEND, expirationTimer 13 = 3600.
	timerAt := t0.Add(6 * time.Second)
	upd := pb{}.bytes(1, pb{}.varint(4, 2).bytes(101, pb{}.str(1, "Alice"))).varint(12, 2).varint(13, 3600)
	receiveAll(t, bob, sessionWire(t, alice, to, sessionContent(upd, timerAt), timerAt))
	if d, _ := bob.db.DisappearingSetting(t.Context(), alice.SessionID()); d.Mode != clientdb.DisappearingAfterSend || d.Timer != time.Hour {
		t.Errorf("disappearing setting %+v", d)
	}
	if got := storedBodies(t, bob, alice.SessionID()); len(got) != 2 {
		t.Errorf("controls became messages: %q", got)
	}
	want := map[string]bool{"typing": false, "reaction": false, "read": false, "timer": false}
	deadline := time.After(10 * time.Second)
	for !want["typing"] || !want["reaction"] || !want["read"] || !want["timer"] {
		select {
		case ev := <-events:
			switch e := ev.(type) {
			case TypingChanged:
				want["typing"] = e.Typing
			case ReactionChanged:
				want["reaction"] = true
			case MessagesReadByPeer:
				want["read"] = true
			case DisappearingChanged:
				want["timer"] = e.Mode == "after-send" && e.Timer == time.Hour
			}
		case <-deadline:
			t.Fatalf("events seen: %v", want)
		}
	}
}

// TestHiddenConversationComesBack (issue 14 point 3): a hidden
// conversation (priority < 0) is shown again when a message arrives in it
// or when this account writes to it, here and in the synced contacts.
func TestHiddenConversationComesBack(t *testing.T) {
	bob, alice, carol := offline(t, "Bob"), stranger(t), stranger(t)
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	for i, who := range []*keys.Identity{alice, carol} {
		at := t0.Add(time.Duration(i) * time.Second)
		receiveAll(t, bob, sessionWire(t, who, bob.id.SessionID(), sessionText("hi", "X", at), at))
		if err := bob.contactEditWith(t.Context(), bob.editConfigLocal, who.SessionID(), func(ct *config.Contact) { ct.Priority = -1 }); err != nil {
			t.Fatal(err)
		}
		if err := bob.db.SetPriority(t.Context(), who.SessionID(), -1); err != nil {
			t.Fatal(err)
		}
	}
	priority := func(id keys.ID) (int64, int64) {
		ct, err := bob.db.Contact(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		bob.cfg.mu.Lock()
		cc, _ := bob.cfg.contacts.Get(id)
		bob.cfg.mu.Unlock()
		return ct.Priority, cc.Priority
	}
	at := t0.Add(5 * time.Second)
	receiveAll(t, bob, sessionWire(t, alice, bob.id.SessionID(), sessionText("again", "Alice", at), at))
	if db, cfg := priority(alice.SessionID()); db != 0 || cfg != 0 {
		t.Errorf("after a new message: priority %d here, %d in the config; want 0", db, cfg)
	}
	if db, _ := priority(carol.SessionID()); db != -1 {
		t.Errorf("a conversation with no new message was shown again (%d)", db)
	}
	bob.Send(t.Context(), carol.SessionID().String(), "back") // no network here: only the unhiding counts
	if db, cfg := priority(carol.SessionID()); db != 0 || cfg != 0 {
		t.Errorf("after a send: priority %d here, %d in the config; want 0", db, cfg)
	}
}

// TestOlderProfileDoesNotWin (issue 14 point 3): a name is applied only
// from a profile at least as new as the one applied (desktop's
// lastProfileUpdateSeconds rule), so a late old message does not bring an
// old name back; a profile without a time (older clients) still applies.
func TestOlderProfileDoesNotWin(t *testing.T) {
	bob, alice := offline(t, "Bob"), stranger(t)
	to := bob.id.SessionID()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	named := func(body, name string, updated int64, at time.Time) storagerpc.RetrievedMessage {
		profile := pb{}.str(1, name)
		if updated > 0 {
			profile = profile.varint(3, uint64(updated))
		}
		return sessionWire(t, alice, to, sessionContent(pb{}.bytes(1, pb{}.str(1, body).bytes(101, profile)), at), at)
	}
	name := func() string {
		ct, err := bob.db.Contact(t.Context(), alice.SessionID())
		if err != nil {
			t.Fatal(err)
		}
		return ct.Name
	}
	receiveAll(t, bob, named("one", "Alice Newer", 2000, t0.Add(2*time.Second)))
	receiveAll(t, bob, named("two", "Alice Old", 1000, t0.Add(time.Second)))
	if got := name(); got != "Alice Newer" {
		t.Errorf("after an older profile the name is %q", got)
	}
	receiveAll(t, bob, named("three", "Alice Untimed", 0, t0.Add(3*time.Second)))
	if got := name(); got != "Alice Untimed" {
		t.Errorf("a profile without a time was not applied: %q", got)
	}
}
