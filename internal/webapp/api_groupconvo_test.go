package webapp

import (
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// TestGroupConvoAPI: in a group, the app's calls reply (a group send with
// "reply_to", which must name a message of that group), react, and delete
// for everyone (the admin, a member's message; a member cannot delete the
// admin's), and the other member's page reads the quote, the reactions
// with who made them, and the deleted message.
func TestGroupConvoAPI(t *testing.T) {
	devnettest.Need(t, testNet)
	alice, bob := startApp(t, "alice", Config{}), startApp(t, "bob", Config{})
	ac, aliceID := newAccount(t, alice, "Alice")
	bc, bobID := newAccount(t, bob, "Bob")
	var dm client.Message
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+aliceID+"/messages", `{"body":"hi"}`, &dm); code != http.StatusOK {
		t.Fatalf("Bob's message: %d", code)
	}
	var created map[string]string
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/groups", `{"name":"Club","members":["`+bobID+`"]}`, &created); code != http.StatusOK {
		t.Fatalf("create: %d", code)
	}
	gid := created["group_id"]
	eventually(t, "Bob to join", func() bool {
		g, ok := groupByID(groupsOf(t, bc, bob), gid)
		return ok && !g.Invited
	})
	read := func(c *http.Client, a *testApp) []client.Message {
		var r struct{ Messages []client.Message }
		if code := callJSON(t, c, http.MethodGet, a.BaseURL()+"api/groups/"+gid+"/messages", "", &r); code != http.StatusOK {
			t.Fatalf("%s reads: %d", a.name, code)
		}
		return r.Messages
	}
	var first client.Message
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/groups/"+gid+"/messages", `{"body":"first"}`, &first); code != http.StatusOK {
		t.Fatalf("Bob sends: %d", code)
	}
	var onAlice []client.Message
	eventually(t, "Alice to read Bob", func() bool {
		onAlice = read(ac, alice)
		return len(onAlice) == 1
	})
	orig := strconv.FormatInt(onAlice[0].ID, 10)
	// A reply must quote a message of this group, not of another
	// conversation.
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/groups/"+gid+"/messages",
		`{"body":"wrong","reply_to":`+strconv.FormatInt(dm.ID, 10)+`}`, nil); code != http.StatusBadRequest {
		t.Errorf("a reply quoting a 1:1 message: %d, want 400", code)
	}
	var reply client.Message
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/groups/"+gid+"/messages", `{"body":"welcome","reply_to":`+orig+`}`, &reply); code != http.StatusOK || reply.Quote == nil {
		t.Fatalf("Alice replies: %d %+v", code, reply)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/messages/"+orig+"/react", `{"emoji":"🥰"}`, nil); code != http.StatusOK {
		t.Fatalf("Alice reacts: %d", code)
	}
	var onBob []client.Message
	eventually(t, "Bob to see the reply and the reaction", func() bool {
		onBob = read(bc, bob)
		return len(onBob) == 2 && len(onBob[0].Reactions) == 1
	})
	if q := onBob[1].Quote; q == nil || q.ID != onBob[0].ID || q.From != bobID || q.Body != "first" {
		t.Fatalf("the quote Bob's page gets: %+v", q)
	}
	if r := onBob[0].Reactions[0]; r.From != aliceID || r.Emoji != "🥰" {
		t.Fatalf("the reaction Bob's page gets: %+v", r)
	}
	// Bob cannot delete Alice's message for everyone; Alice, the admin,
	// deletes his.
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/messages/"+strconv.FormatInt(onBob[1].ID, 10)+"/delete", `{"everyone":true}`, nil); code != http.StatusBadRequest {
		t.Errorf("a member deletes the admin's message for everyone: %d, want 400", code)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/messages/"+orig+"/delete", `{"everyone":true}`, nil); code != http.StatusOK {
		t.Fatalf("the admin deletes: %d", code)
	}
	// The disappearing timer: admins only, after send only.
	gpath := "api/groups/" + gid + "/disappearing"
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+gpath, `{"mode":"send","seconds":3600}`, nil); code != http.StatusForbidden {
		t.Errorf("a member sets the timer: %d, want 403", code)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+gpath, `{"mode":"read","seconds":3600}`, nil); code != http.StatusBadRequest {
		t.Errorf("after read in a group: %d, want 400", code)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+gpath, `{"mode":"send","seconds":3600}`, nil); code != http.StatusOK {
		t.Fatalf("the admin sets the timer: %d", code)
	}
	eventually(t, "Bob's app to read the timer", func() bool {
		var d groupDisappearing
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+gpath, "", &d)
		return d.Mode == "send" && d.Seconds == 3600
	})
	eventually(t, "Bob to see his message deleted", func() bool {
		ms := read(bc, bob)
		i := slices.IndexFunc(ms, func(m client.Message) bool { return m.ID == onBob[0].ID })
		return i >= 0 && ms[i].Deleted && ms[i].Body == ""
	})
}
