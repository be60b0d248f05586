package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/session-go/session-go/client"
)

// TestGroupThroughTheCLI: create a group, members join (invitation from a
// contact), everyone sends and reads with the group's name or ID, the
// admin renames it and removes a member, who can then read nothing.
func TestGroupThroughTheCLI(t *testing.T) {
	alice, bob, carol := newUser(t), newUser(t), newUser(t)
	var who struct {
		SessionID string `json:"session_id"`
	}
	ids := map[*user]string{}
	for u, name := range map[*user]string{alice: "Alice", bob: "Bob", carol: "Carol"} {
		u.run(0, "", "init", "--name", name)
		u.json(&who, "whoami")
		ids[u] = who.SessionID
	}
	// Bob and Carol write to Alice first: her invitation joins at once.
	bob.run(0, "", "send", ids[alice], "hi")
	carol.run(0, "", "send", ids[alice], "hi")

	var created struct {
		GroupID string `json:"group_id"`
	}
	alice.json(&created, "group", "create", "Team", ids[bob], ids[carol])
	if !strings.HasPrefix(created.GroupID, "03") || len(created.GroupID) != 66 {
		t.Fatalf("group create --json: %+v", created)
	}
	for _, u := range []*user{bob, carol} {
		joined := false
		for range 100 {
			u.run(0, "", "receive")
			if strings.Contains(u.run(0, "", "group", "list"), created.GroupID) {
				joined = true
				break
			}
		}
		if !joined {
			t.Fatal("a member never got the invitation")
		}
	}
	alice.run(0, "", "send", "Team", "hello from Alice")
	bob.run(0, "", "send", created.GroupID, "hello from Bob")
	var msgs []struct {
		From string `json:"from"`
		Body string `json:"body"`
		Kind string `json:"kind"`
	}
	if out := carol.run(0, "", "receive"); !strings.Contains(out, "in Team (") { // saves them on her device
		t.Fatalf("carol's receive does not say the messages are in the group: %q", out)
	}
	carol.json(&msgs, "read", created.GroupID)
	var got []string
	for _, m := range msgs {
		got = append(got, m.From+" "+m.Body)
	}
	if !slices.Equal(got, []string{ids[alice] + " hello from Alice", ids[bob] + " hello from Bob"}) {
		t.Fatalf("carol reads %q", got)
	}
	if out := carol.run(0, "", "read", "Team"); !strings.Contains(out, "Bob (") {
		t.Fatalf("carol's read does not name Bob, a member who is not her contact: %q", out)
	}
	if out := carol.run(0, "", "inbox"); !strings.Contains(out, created.GroupID) || !strings.Contains(out, "Team") {
		t.Fatalf("carol's inbox lacks the group: %q", out)
	}
	type conv struct {
		SessionID string `json:"session_id"`
		Kind      string `json:"kind"`
		Name      string `json:"name"`
	}
	var inbox []conv
	carol.run(0, "", "unread", "Team")
	carol.json(&inbox, "inbox")
	if i := slices.IndexFunc(inbox, func(c conv) bool { return c.SessionID == created.GroupID }); i < 0 || inbox[i].Kind != "group" || inbox[i].Name != "Team" {
		t.Fatalf("inbox --json: %+v", inbox)
	}
	var members []struct {
		SessionID string `json:"session_id"`
		Name      string `json:"name"`
		Admin     bool   `json:"admin"`
		Status    string `json:"status"`
	}
	bob.json(&members, "group", "members", created.GroupID)
	if len(members) != 3 {
		t.Fatalf("members: %+v", members)
	}
	admins := 0
	for _, m := range members {
		if m.Admin {
			admins++
			if m.SessionID != ids[alice] || m.Name != "Alice" {
				t.Fatalf("admin entry %+v", m)
			}
		}
	}
	if admins != 1 {
		t.Fatalf("%d admins", admins)
	}
	bob.run(2, "", "group", "remove", created.GroupID, ids[carol]) // not an admin
	alice.run(0, "", "group", "rename", "Team", "Team 2")
	alice.run(0, "", "group", "remove", "Team 2", ids[carol])
	bob.run(0, "", "send", created.GroupID, "after Carol left")
	bob.run(0, "", "receive")
	bob.json(&msgs, "read", created.GroupID)
	var written, notices []string
	for _, m := range msgs {
		switch m.Kind {
		case "message":
			written = append(written, m.Body)
		case "notice":
			notices = append(notices, m.Body)
		default:
			t.Fatalf("read --json: kind %q in %+v", m.Kind, m)
		}
	}
	if len(written) != 3 || written[2] != "after Carol left" {
		t.Fatalf("bob reads %+v", msgs)
	}
	// The admin's changes are notices in the conversation. Carol never
	// wrote in the group and is gone from its members: her short ID.
	removed := "Alice removed " + client.ShortID(ids[carol])
	if !slices.Contains(notices, "Group name is now Team 2") || !slices.Contains(notices, removed) {
		t.Fatalf("bob's notices: %q", notices)
	}
	if out := bob.run(0, "", "read", created.GroupID); !strings.Contains(out, "— "+removed+" —") {
		t.Fatalf("bob's read does not show the notice as a line: %q", out)
	}
	carol.run(0, "", "receive") // her retrieve is refused: she learns she was removed
	if out := carol.run(0, "", "group", "list"); !strings.Contains(out, "[removed") {
		t.Fatalf("carol's group list after her removal: %q", out)
	}
	carol.json(&msgs, "read", created.GroupID)
	for _, m := range msgs {
		if m.Body == "after Carol left" {
			t.Fatal("the removed member read a message written after the removal")
		}
	}
	if out := bob.run(0, "", "group", "list"); !strings.Contains(out, "Team 2") {
		t.Fatalf("rename not seen by a member: %q", out)
	}
	alice.run(2, "", "group", "frobnicate")
}
