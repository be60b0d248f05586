package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// readMessage is a message as `read --json` and `search --json` give it
// (the JSON contract of the conversation features).
type readMessage struct {
	ID           int64            `json:"id"`
	From         string           `json:"from"`
	Body         string           `json:"body"`
	Conversation string           `json:"conversation"`
	Quote        *json.RawMessage `json:"quote"`
}

type readQuote struct {
	ID   int64  `json:"id"`
	From string `json:"from"`
	Body string `json:"body"`
}

func TestReplyAndSearchThroughTheCLI(t *testing.T) {
	alice, aliceID := namedUser(t, "Alice")
	bob, bobID := namedUser(t, "Bob")

	alice.run(0, "", "send", bobID, "Bonjour Bob, café à midi ?")
	got := bob.receiveAll(1)
	orig := got[0].ID
	bob.run(0, "", "accept", aliceID)
	var sent jsonMessage
	bob.json(&sent, "send", "Alice", "--reply-to", itoa(orig), "oui, à midi")
	alice.receiveAll(1)

	var conv []readMessage
	alice.json(&conv, "read", "Bob")
	raw := alice.run(0, "", "read", "Bob", "--json")
	if strings.Count(raw, `"quote": null`)+strings.Count(raw, `"quote":null`) != 1 {
		t.Fatalf("read --json lacks \"quote\": null for the message that is no reply:\n%s", raw)
	}
	if len(conv) != 2 || conv[0].Quote != nil || conv[1].Quote == nil {
		t.Fatalf("read --json: %+v", conv)
	}
	var q readQuote
	if err := json.Unmarshal(*conv[1].Quote, &q); err != nil || q.ID != conv[0].ID || q.From != aliceID || q.Body != "Bonjour Bob, café à midi ?" {
		t.Fatalf("quote at Alice: %s (%v), want message %d", *conv[1].Quote, err, conv[0].ID)
	}
	out := alice.run(0, "", "read", "Bob")
	if !strings.Contains(out, "↪ replying to") || !strings.Contains(out, "Bonjour Bob") {
		t.Errorf("read shows no quote:\n%s", out)
	}

	// A reply goes only to the conversation of the quoted message.
	bob.run(2, "", "send", bobID, "--reply-to", itoa(orig), "to myself")
	bob.run(2, "", "send", "Alice", "--reply-to", "999999", "nothing")

	var found []readMessage
	alice.json(&found, "search", "cafe", "midi")
	if len(found) != 1 || found[0].Body != "Bonjour Bob, café à midi ?" || found[0].Conversation != bobID {
		t.Fatalf("search --json: %+v", found)
	}
	alice.json(&found, "search", "midi", "--in", "Bob")
	if len(found) != 2 || found[0].Body != "oui, à midi" {
		t.Fatalf("search --in Bob: %+v", found)
	}
	alice.json(&found, "search", "absent")
	if found == nil || len(found) != 0 {
		t.Fatalf("search for nothing: %+v, want []", found)
	}
	if out := alice.run(0, "", "search", "bonjour"); !strings.Contains(out, "Bonjour Bob") {
		t.Errorf("search output:\n%s", out)
	}
	alice.run(2, "", "search", "x", "--limit", "0")
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestPinMuteHideThroughTheCLI(t *testing.T) {
	alice, _ := namedUser(t, "Alice")
	_, bobID := namedUser(t, "Bob")
	_, carolID := namedUser(t, "Carol")
	alice.run(0, "", "send", bobID, "hi Bob")
	alice.run(0, "", "send", carolID, "hi Carol")

	type row struct {
		SessionID string `json:"session_id"`
		Pinned    bool   `json:"pinned"`
		Muted     bool   `json:"muted"`
	}
	var inbox []row
	alice.run(0, "", "pin", bobID)
	alice.run(0, "", "mute", carolID, "--for", "2h")
	alice.json(&inbox, "inbox")
	if len(inbox) != 2 || inbox[0] != (row{bobID, true, false}) || inbox[1] != (row{carolID, false, true}) {
		t.Fatalf("inbox after pin and mute: %+v", inbox)
	}
	if out := alice.run(0, "", "inbox"); !strings.Contains(out, "[pinned]") || !strings.Contains(out, "[muted]") {
		t.Errorf("inbox shows no marks:\n%s", out)
	}
	alice.run(0, "", "hide", carolID)
	alice.json(&inbox, "inbox")
	if len(inbox) != 1 || inbox[0].SessionID != bobID {
		t.Fatalf("inbox after hide: %+v", inbox)
	}
	alice.run(0, "", "unhide", carolID)
	alice.run(0, "", "unmute", carolID)
	alice.run(0, "", "unpin", bobID)
	alice.json(&inbox, "inbox")
	if len(inbox) != 2 || inbox[0] != (row{carolID, false, false}) || inbox[1] != (row{bobID, false, false}) {
		t.Fatalf("inbox after unhide, unmute, unpin: %+v", inbox)
	}
	alice.run(2, "", "mute", carolID, "--for", "-1h")
	alice.run(2, "", "pin", "nobody")
}

func TestDeleteThroughTheCLI(t *testing.T) {
	alice, _ := namedUser(t, "Alice")
	_, bobID := namedUser(t, "Bob")
	var sent, keep jsonMessage
	alice.json(&sent, "send", bobID, "sent by mistake")
	alice.json(&keep, "send", bobID, "keep this")
	alice.run(0, "", "delete", itoa(sent.ID), "--everyone")
	type deletedMessage struct {
		ID      int64  `json:"id"`
		Body    string `json:"body"`
		Deleted bool   `json:"deleted"`
	}
	var conv []deletedMessage
	alice.json(&conv, "read", bobID)
	if len(conv) != 2 || !conv[0].Deleted || conv[0].Body != "" || conv[1].Deleted || conv[1].Body != "keep this" {
		t.Fatalf("read --json after delete: %+v", conv)
	}
	if out := alice.run(0, "", "read", bobID); !strings.Contains(out, "This message was deleted") {
		t.Errorf("read shows no deleted message:\n%s", out)
	}
	alice.run(0, "", "delete", itoa(keep.ID))
	alice.json(&conv, "read", bobID)
	if len(conv) != 1 || conv[0].ID != sent.ID {
		t.Fatalf("read --json after delete for me: %+v", conv)
	}
	alice.run(2, "", "delete", "999999")
	alice.run(2, "", "delete", "x")
}

// TestReactAndSettingsThroughTheCLI checks react, settings and the JSON
// contract of read --json (id, from, body, quote, reactions, deleted,
// expires_at).
func TestReactAndSettingsThroughTheCLI(t *testing.T) {
	alice, aliceID := namedUser(t, "Alice")
	bob, bobID := namedUser(t, "Bob")
	var sent jsonMessage
	alice.json(&sent, "send", bobID, "lunch?")
	got := bob.receiveAll(1)
	bob.run(0, "", "react", itoa(got[0].ID), "😂")

	var s struct {
		ReadReceipts bool `json:"read_receipts"`
		Typing       bool `json:"typing_indicators"`
	}
	bob.json(&s, "settings")
	if s.ReadReceipts || s.Typing {
		t.Fatalf("default settings: %+v", s)
	}
	bob.json(&s, "settings", "--read-receipts", "on")
	if !s.ReadReceipts || s.Typing {
		t.Fatalf("after --read-receipts on: %+v", s)
	}
	bob.run(2, "", "settings", "--typing", "maybe")

	var raw []map[string]json.RawMessage
	for range 100 {
		alice.receiveAll(0)
		raw = nil
		alice.json(&raw, "read", bobID)
		if len(raw) == 1 && string(raw[0]["reactions"]) != "[]" {
			break
		}
	}
	for _, k := range []string{"id", "from", "body", "quote", "reactions", "deleted", "expires_at"} {
		if _, ok := raw[0][k]; !ok {
			t.Errorf("read --json has no %q: %v", k, raw[0])
		}
	}
	var rs []struct {
		Emoji string `json:"emoji"`
		From  string `json:"from"`
	}
	if err := json.Unmarshal(raw[0]["reactions"], &rs); err != nil || len(rs) != 1 || rs[0].Emoji != "😂" || rs[0].From != bobID {
		t.Fatalf("reactions at Alice: %s", raw[0]["reactions"])
	}
	if string(raw[0]["expires_at"]) != "null" || string(raw[0]["deleted"]) != "false" || string(raw[0]["quote"]) != "null" {
		t.Errorf("read --json: %v", raw[0])
	}
	if out := alice.run(0, "", "read", bobID); !strings.Contains(out, "😂 1 (") {
		t.Errorf("read shows no reaction:\n%s", out)
	}
	bob.run(0, "", "react", itoa(got[0].ID), "😂", "--remove")
	bob.run(2, "", "react", itoa(got[0].ID), "")
	_ = aliceID
}

func TestDisappearThroughTheCLI(t *testing.T) {
	alice, _ := namedUser(t, "Alice")
	_, bobID := namedUser(t, "Bob")
	alice.run(0, "", "send", bobID, "hi")
	alice.run(0, "", "disappear", bobID, "send", "1h")
	var sent struct {
		ExpiresAt *string `json:"expires_at"`
	}
	alice.json(&sent, "send", bobID, "goes in an hour")
	if sent.ExpiresAt == nil {
		t.Fatal("a message sent with disappearing on has no expires_at")
	}
	alice.run(0, "", "disappear", bobID, "off")
	alice.json(&sent, "send", bobID, "stays")
	if sent.ExpiresAt != nil {
		t.Fatalf("expires_at %v after turning it off", *sent.ExpiresAt)
	}
	alice.run(2, "", "disappear", bobID, "send", "1s")
	alice.run(2, "", "disappear", bobID, "send")
	alice.run(2, "", "disappear", bobID, "soon", "1h")
}

// TestEditThroughTheCLI edits a sent message: the peer's read shows the
// new text marked edited, and read --json has "edited" and "edited_at".
func TestEditThroughTheCLI(t *testing.T) {
	alice, aliceID := namedUser(t, "Alice")
	bob, bobID := namedUser(t, "Bob")
	var sent jsonMessage
	alice.json(&sent, "send", bobID, "dinner at 8")
	got := bob.receiveAll(1)
	alice.run(0, "", "edit", itoa(sent.ID), "dinner", "at", "9")
	var raw []map[string]json.RawMessage
	for range 100 {
		bob.receiveAll(0)
		raw = nil
		bob.json(&raw, "read", aliceID)
		if len(raw) == 1 && string(raw[0]["edited"]) == "true" {
			break
		}
	}
	if len(raw) != 1 || string(raw[0]["body"]) != `"dinner at 9"` || string(raw[0]["edited"]) != "true" || string(raw[0]["edited_at"]) == "null" {
		t.Fatalf("read --json after the edit: %v", raw)
	}
	if out := bob.run(0, "", "read", aliceID); !strings.Contains(out, "dinner at 9 (edited)") {
		t.Errorf("read shows no edit:\n%s", out)
	}
	bob.run(2, "", "edit", itoa(got[0].ID), "not mine")
	alice.run(2, "", "edit", "x", "text")
	alice.run(2, "", "edit", itoa(sent.ID))
}

// TestNoteToSelfThroughTheCLI writes a note to self by that name: the
// inbox lists it, named and marked, and pin and hide take the name.
func TestNoteToSelfThroughTheCLI(t *testing.T) {
	alice := newUser(t)
	alice.run(0, "", "init", "--name", "Alice")
	alice.run(0, "", "send", "Note to Self", "buy milk")
	var inbox []struct {
		Name       string `json:"name"`
		NoteToSelf bool   `json:"note_to_self"`
		Pinned     bool   `json:"pinned"`
		Preview    string `json:"preview"`
	}
	alice.run(0, "", "pin", "note to self")
	alice.json(&inbox, "inbox")
	if len(inbox) != 1 || inbox[0].Name != "Note to Self" || !inbox[0].NoteToSelf || !inbox[0].Pinned || inbox[0].Preview != "buy milk" {
		t.Fatalf("inbox --json: %+v", inbox)
	}
	alice.run(0, "", "hide", "Note to Self")
	inbox = nil
	alice.json(&inbox, "inbox")
	if len(inbox) != 0 {
		t.Fatalf("hidden Note to Self still listed: %+v", inbox)
	}
	alice.run(2, "", "mute", "Note to Self")
}
