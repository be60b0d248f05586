package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// groupReadMessage is a group message as `read --json` gives it.
type groupReadMessage struct {
	ID        int64            `json:"id"`
	From      string           `json:"from"`
	Body      string           `json:"body"`
	Quote     *json.RawMessage `json:"quote"`
	Deleted   bool             `json:"deleted"`
	Reactions []struct {
		Emoji string `json:"emoji"`
		From  string `json:"from"`
	} `json:"reactions"`
}

// TestGroupFeaturesThroughTheCLI: in a group, send --reply-to, react,
// delete --everyone (by the admin, of a member's message) and search work
// as in a 1:1 conversation, and read --json shows them with their from.
func TestGroupFeaturesThroughTheCLI(t *testing.T) {
	alice, bob := newUser(t), newUser(t)
	ids := map[*user]string{}
	var who struct {
		SessionID string `json:"session_id"`
	}
	for u, name := range map[*user]string{alice: "Alice", bob: "Bob"} {
		u.run(0, "", "init", "--name", name)
		u.json(&who, "whoami")
		ids[u] = who.SessionID
	}
	bob.run(0, "", "send", ids[alice], "hi")
	var created struct {
		GroupID string `json:"group_id"`
	}
	alice.json(&created, "group", "create", "Club", ids[bob])
	gid := created.GroupID
	for i := 0; !strings.Contains(bob.run(0, "", "group", "list"), gid); i++ {
		if i == 100 {
			t.Fatal("bob never joined")
		}
		bob.run(0, "", "receive")
	}
	var sent jsonMessage
	bob.json(&sent, "send", gid, "first in the club")
	alice.receiveAll(2) // bob's "hi" and the group message
	var conv []groupReadMessage
	alice.json(&conv, "read", gid)
	if len(conv) != 1 || conv[0].From != ids[bob] {
		t.Fatalf("alice reads %+v", conv)
	}
	orig := conv[0].ID
	alice.run(0, "", "send", gid, "--reply-to", itoa(orig), "welcome")
	alice.run(0, "", "react", itoa(orig), "🥰")
	bob.receiveAll(1)
	bob.json(&conv, "read", "Club")
	if len(conv) != 2 || conv[1].Quote == nil || len(conv[0].Reactions) != 1 || conv[0].Reactions[0].From != ids[alice] {
		t.Fatalf("bob reads %+v", conv)
	}
	var q readQuote
	if err := json.Unmarshal(*conv[1].Quote, &q); err != nil || q.From != ids[bob] || q.Body != "first in the club" || q.ID != conv[0].ID {
		t.Fatalf("quote at bob: %s %v", *conv[1].Quote, err)
	}
	var found []readMessage
	bob.json(&found, "search", "welcome")
	if len(found) != 1 || found[0].Conversation != gid || found[0].From != ids[alice] {
		t.Fatalf("search --json: %+v", found)
	}
	// Bob cannot delete Alice's message for everyone; Alice, the admin,
	// can delete his.
	bob.run(2, "", "delete", itoa(conv[1].ID), "--everyone")
	alice.run(0, "", "delete", itoa(orig), "--everyone")
	for i := 0; ; i++ {
		bob.run(0, "", "receive")
		bob.json(&conv, "read", gid)
		if conv[0].Deleted && conv[0].Body == "" {
			break
		}
		if i == 100 {
			t.Fatalf("the admin's delete did not reach bob: %+v", conv)
		}
	}
}
