package webapp

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// eventually calls f until it reports true, or fails the test after a
// generous deadline (a loaded 2-core machine).
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 90 s for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// groupsOf lists an app's groups through the API.
func groupsOf(t *testing.T, c *http.Client, a *testApp) []client.Group {
	t.Helper()
	var gs []client.Group
	if code := callJSON(t, c, http.MethodGet, a.BaseURL()+"api/groups", "", &gs); code != http.StatusOK {
		t.Fatalf("GET /api/groups: %d", code)
	}
	return gs
}

func groupByID(gs []client.Group, id string) (client.Group, bool) {
	i := slices.IndexFunc(gs, func(g client.Group) bool { return g.ID == id })
	if i < 0 {
		return client.Group{}, false
	}
	return gs[i], true
}

// TestGroupsAPIChecksInput: the group calls refuse bad input with a clear
// 400 before anything reaches the network, and sit behind the same checks
// as the rest of the API (cookie, same-origin JSON).
func TestGroupsAPIChecksInput(t *testing.T) {
	devnettest.Need(t, testNet)
	a := startApp(t, "checks", Config{})
	c, me := newAccount(t, a, "Checker")
	other := "05" + strings.Repeat("ab", 32)
	hundred := make([]string, 100)
	for i := range hundred {
		hundred[i] = fmt.Sprintf(`"05%064x"`, i+1)
	}
	gid := "03" + strings.Repeat("cd", 32)
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "api/groups", `{"name":"  ","members":["` + other + `"]}`, 400, "Please enter a group name"},
		{"POST", "api/groups", `{"name":"` + strings.Repeat("é", 51) + `","members":["` + other + `"]}`, 400, "shorter group name"},
		{"POST", "api/groups", `{"name":"a\u0007b","members":["` + other + `"]}`, 400, "control characters"},
		{"POST", "api/groups", `{"name":"Team","members":[]}`, 400, "at least one member"},
		{"POST", "api/groups", `{"name":"Team","members":["` + me + `"]}`, 400, "at least one member"},
		{"POST", "api/groups", `{"name":"Team","members":["Bob"]}`, 400, "not a Session ID"},
		{"POST", "api/groups", `{"name":"Team","members":["03` + strings.Repeat("ab", 32) + `"]}`, 400, "not a Session ID"},
		{"POST", "api/groups", `{"name":"Team","members":[` + strings.Join(hundred, ",") + `]}`, 400, "at most 100 members"},
		{"POST", "api/groups", `{"name":"Team","members":["` + other + `"],"admin":true}`, 400, "unknown field"},
		{"GET", "api/groups/05" + strings.Repeat("ab", 32), "", 400, "not a group ID"},
		{"GET", "api/groups/03zz", "", 400, "not a group ID"},
		{"GET", "api/groups/" + gid, "", 404, "unknown group"},
		{"GET", "api/groups/" + gid + "/messages", "", 404, "unknown group"},
		{"POST", "api/groups/" + gid + "/messages", `{"body":"  "}`, 400, "empty"},
		{"POST", "api/groups/" + gid + "/messages", `{"body":"` + strings.Repeat("a", client.MaxMessageBytes+1) + `"}`, 400, "too long"},
		{"POST", "api/groups/" + gid + "/messages", `{"body":"hi"}`, 404, "unknown group"},
		{"POST", "api/groups/" + gid + "/rename", `{"name":""}`, 400, "Please enter a group name"},
		{"POST", "api/groups/" + gid + "/rename", `{"name":"New"}`, 404, "unknown group"},
		{"POST", "api/groups/" + gid + "/nope", `{}`, 404, "no such action"},
		{"POST", "api/groups/" + gid + "/accept", `{}`, 404, "unknown group"},
		{"POST", "api/groups/" + gid + "/members", `{"members":["x"]}`, 400, "not a Session ID"},
		{"POST", "api/groups/" + gid + "/members/" + other + "/nope", `{}`, 404, "no such action"},
		{"POST", "api/groups/" + gid + "/members/" + me + "/remove", `{}`, 400, "Leave group"},
		{"POST", "api/groups/" + gid + "/members/05x/remove", `{}`, 400, "not a Session ID"},
	} {
		resp, got := do(t, c, newReq(t, tc.method, a.BaseURL()+tc.path, tc.body))
		if resp.StatusCode != tc.code || !strings.Contains(strings.ToLower(got), strings.ToLower(tc.want)) {
			t.Errorf("%s /%s %.80s: %d %.200s, want %d with %q", tc.method, tc.path, tc.body, resp.StatusCode, got, tc.code, tc.want)
		}
	}
	if gs := groupsOf(t, c, a); len(gs) != 0 {
		t.Errorf("refused calls made groups: %+v", gs)
	}
	// The same gatekeeping as every other call.
	body := `{"name":"Team","members":["` + other + `"]}`
	req := newReq(t, http.MethodPost, a.BaseURL()+"api/groups", body)
	req.Header.Set("Content-Type", "text/plain")
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a text/plain post: %d, want 415", resp.StatusCode)
	}
	req = newReq(t, http.MethodPost, a.BaseURL()+"api/groups", body)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site post: %d, want 403", resp.StatusCode)
	}
	for _, p := range []string{"api/groups", "api/groups/" + gid, "api/groups/" + gid + "/leave"} {
		if resp, _ := do(t, nil, newReq(t, http.MethodPost, a.BaseURL()+p, `{}`)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST /%s without the cookie: %d, want 401", p, resp.StatusCode)
		}
	}
	if resp, _ := do(t, c, newReq(t, http.MethodPost, a.BaseURL()+"api/groups", `{"name":"`+strings.Repeat("a", maxBody)+`"}`)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("an oversized body: %d, want 413", resp.StatusCode)
	}
}

// TestGroupsAPI: on a devnet, Alice creates a group with Bob through the
// API; both read each other with the sender's ID; a member cannot rename,
// the admin can; a stranger's invitation waits among Alice's groups until
// declined; Bob leaves.
func TestGroupsAPI(t *testing.T) {
	devnettest.Need(t, testNet)
	alice, bob, carol := startApp(t, "alice", Config{}), startApp(t, "bob", Config{}), startApp(t, "carol", Config{})
	ac, aliceID := newAccount(t, alice, "Alice")
	bc, bobID := newAccount(t, bob, "Bob")
	cc, _ := newAccount(t, carol, "Carol")
	// Bob writes first: Alice is then someone he approved, and her
	// invitation joins at once.
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+aliceID+"/messages", `{"body":"hi"}`, nil); code != http.StatusOK {
		t.Fatalf("Bob's message: %d", code)
	}
	var created map[string]string
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/groups", `{"name":" Team ","members":["`+bobID+`","`+bobID+`","`+aliceID+`"]}`, &created); code != http.StatusOK {
		t.Fatalf("create: %d", code)
	}
	gid := created["group_id"]
	if !validGroupID(gid) || created["warning"] != "" {
		t.Fatalf("create answered %v", created)
	}
	if g, ok := groupByID(groupsOf(t, ac, alice), gid); !ok || !g.Admin || g.Name != "Team" {
		t.Fatalf("Alice's groups: %+v", groupsOf(t, ac, alice))
	}
	eventually(t, "Bob to join", func() bool {
		g, ok := groupByID(groupsOf(t, bc, bob), gid)
		return ok && !g.Invited && !g.Admin
	})

	var sent client.Message
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/groups/"+gid+"/messages", `{"body":"hello team"}`, &sent); code != http.StatusOK || !sent.Outgoing || sent.Status != "sent" {
		t.Fatalf("Alice sends: %d %+v", code, sent)
	}
	callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/groups/"+gid+"/messages", `{"body":"hi Alice"}`, nil)
	read := func(c *http.Client, a *testApp) []string {
		var r struct{ Messages []client.Message }
		if code := callJSON(t, c, http.MethodGet, a.BaseURL()+"api/groups/"+gid+"/messages", "", &r); code != http.StatusOK {
			t.Fatalf("%s reads: %d", a.name, code)
		}
		var out []string
		for _, m := range r.Messages {
			out = append(out, fmt.Sprintf("%s %v: %s", m.From[:8], m.Outgoing, m.Body))
		}
		return out
	}
	var named struct{ Names map[string]string }
	callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid+"/messages", "", &named)
	if named.Names[aliceID] != "Alice" {
		t.Errorf("the names Bob's page gets: %v, want Alice's", named.Names)
	}
	eventually(t, "Bob to read Alice", func() bool {
		return slices.Equal(read(bc, bob), []string{aliceID[:8] + " false: hello team", bobID[:8] + " true: hi Alice"})
	})
	eventually(t, "Alice to read Bob", func() bool {
		return slices.Equal(read(ac, alice), []string{aliceID[:8] + " true: hello team", bobID[:8] + " false: hi Alice"})
	})
	// Read marks: the group's unread count goes to zero.
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/groups/"+gid+"/read", `{}`, nil); code != http.StatusOK {
		t.Errorf("marking the group read: %d", code)
	}
	var cv map[string][]client.Conversation
	callJSON(t, ac, http.MethodGet, alice.BaseURL()+"api/conversations", "", &cv)
	if i := slices.IndexFunc(cv["inbox"], func(c client.Conversation) bool { return c.SessionID == gid }); i < 0 || cv["inbox"][i].Kind != "group" || cv["inbox"][i].Unread != 0 {
		t.Errorf("the group in Alice's inbox after reading it: %+v", cv["inbox"])
	}

	var view groupView
	if code := callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid, "", &view); code != http.StatusOK || len(view.Members) != 2 {
		t.Fatalf("Bob's view of the group: %d %+v", code, view)
	}
	for _, m := range view.Members {
		if m.Admin != (m.SessionID == aliceID) {
			t.Errorf("member %+v: only Alice is an admin", m)
		}
	}
	// Bob joined: the admin records it, and the members panel shows no
	// "Invite sent" for him.
	eventually(t, "Bob's acceptance in Alice's members", func() bool {
		var v groupView
		callJSON(t, ac, http.MethodGet, alice.BaseURL()+"api/groups/"+gid, "", &v)
		i := slices.IndexFunc(v.Members, func(m client.GroupMember) bool { return m.SessionID == bobID })
		return i >= 0 && v.Members[i].Status == "invite_accepted"
	})
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/groups/"+gid+"/rename", `{"name":"Bob's"}`, nil); code != http.StatusForbidden {
		t.Errorf("a member renames: %d, want 403", code)
	}
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/groups/"+gid+"/members/"+aliceID+"/remove", `{}`, nil); code != http.StatusForbidden {
		t.Errorf("a member removes the admin: %d, want 403", code)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/groups/"+gid+"/rename", `{"name":"Team 2"}`, nil); code != http.StatusOK {
		t.Fatalf("the admin renames: %d", code)
	}
	eventually(t, "Bob to see the new name", func() bool {
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid, "", &view)
		return view.Name == "Team 2"
	})
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/groups/"+gid+"/members", `{"members":["`+bobID+`"]}`, nil); code != http.StatusBadRequest {
		t.Errorf("adding a member again: %d, want 400", code)
	}

	// The conversation settings take the group's ID, as in Session: pin,
	// notifications, mark unread and hide for every member; the timer for
	// admins only.
	bobRow := func() (client.Conversation, bool) {
		var cv map[string][]client.Conversation
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/conversations", "", &cv)
		i := slices.IndexFunc(cv["inbox"], func(c client.Conversation) bool { return c.SessionID == gid })
		if i < 0 {
			return client.Conversation{}, false
		}
		return cv["inbox"][i], true
	}
	for _, call := range []struct{ path, body string }{
		{"pin", `{"pinned":true}`}, {"mute", `{"seconds":-1}`}, {"unread", `{}`},
	} {
		if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+gid+"/"+call.path, call.body, nil); code != http.StatusOK {
			t.Errorf("a member's %s of the group: %d", call.path, code)
		}
	}
	if row, ok := bobRow(); !ok || !row.Pinned || !row.Muted || !row.MarkedUnread || row.Kind != "group" {
		t.Errorf("Bob's group row after pin, mute and mark unread: %+v (listed %v)", row, ok)
	}
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+gid+"/disappearing", `{"mode":"send","seconds":86400}`, nil); code != http.StatusForbidden {
		t.Errorf("a member sets the group's timer: %d, want 403", code)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+gid+"/disappearing", `{"mode":"read","seconds":86400}`, nil); code != http.StatusBadRequest {
		t.Errorf("after-read timer in a group: %d, want 400", code)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+gid+"/disappearing", `{"mode":"send","seconds":86400}`, nil); code != http.StatusOK {
		t.Errorf("the admin sets the group's timer: %d", code)
	}
	eventually(t, "Bob to see the group's timer", func() bool {
		var v groupView
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid, "", &v)
		return v.Disappearing.Mode == "send" && v.Disappearing.Seconds == 86400
	})
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+gid+"/hide", `{"hidden":true}`, nil); code != http.StatusOK {
		t.Errorf("a member hides the group: %d", code)
	}
	if _, ok := bobRow(); ok {
		t.Error("the hidden group stays in Bob's conversations")
	}
	if g, _ := groupByID(groupsOf(t, bc, bob), gid); !g.Hidden {
		t.Errorf("Bob's groups do not say the group is hidden: %+v", g)
	}
	callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+gid+"/hide", `{"hidden":false}`, nil)
	for _, call := range []struct{ path, body string }{{"pin", `{"pinned":false}`}, {"mute", `{"seconds":0}`}, {"read", `{}`}} {
		callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+gid+"/"+call.path, call.body, nil)
	}
	if row, ok := bobRow(); !ok || row.Pinned || row.Muted || row.MarkedUnread {
		t.Errorf("Bob's group row after undoing it all: %+v (listed %v)", row, ok)
	}
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+gid+"/block", `{}`, nil); code != http.StatusBadRequest {
		t.Errorf("blocking a group through the conversation calls: %d, want 400", code)
	}

	// A stranger's invitation waits, and is not readable until accepted.
	var cg map[string]string
	if code := callJSON(t, cc, http.MethodPost, carol.BaseURL()+"api/groups", `{"name":"Spam","members":["`+aliceID+`"]}`, &cg); code != http.StatusOK {
		t.Fatalf("Carol creates: %d", code)
	}
	eventually(t, "Carol's invitation at Alice's", func() bool {
		g, ok := groupByID(groupsOf(t, ac, alice), cg["group_id"])
		return ok && g.Invited
	})
	if code := callJSON(t, ac, http.MethodGet, alice.BaseURL()+"api/groups/"+cg["group_id"]+"/messages", "", nil); code != http.StatusNotFound {
		t.Errorf("reading an invitation: %d, want 404", code)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/groups/"+gid+"/decline", `{}`, nil); code != http.StatusConflict {
		t.Errorf("declining a joined group: %d, want 409", code)
	}
	// Declined at once: the invitation's own UserGroups push, merged back
	// by the next poll, must not undo it (client/groupleft.go).
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/groups/"+cg["group_id"]+"/decline", `{}`, nil); code != http.StatusOK {
		t.Fatalf("decline: %d", code)
	}
	if _, ok := groupByID(groupsOf(t, ac, alice), cg["group_id"]); ok {
		t.Errorf("the declined invitation stays: %+v", groupsOf(t, ac, alice))
	}

	// Decline all: the requests and the group invitations with them (Bob's
	// "hi" is still a request at Alice's).
	post := func(c *http.Client, app *testApp, path, body string, v any) {
		t.Helper()
		if code := callJSON(t, c, http.MethodPost, app.BaseURL()+path, body, v); code != http.StatusOK {
			t.Fatalf("%s: POST /%s: %d", app.name, path, code)
		}
	}
	post(cc, carol, "api/groups", `{"name":"Spam 2","members":["`+aliceID+`"]}`, &cg)
	eventually(t, "Carol's second invitation at Alice's", func() bool {
		g, ok := groupByID(groupsOf(t, ac, alice), cg["group_id"])
		return ok && g.Invited
	})
	var res map[string]int
	post(ac, alice, "api/requests/decline-all", `{}`, &res)
	if res["count"] != 2 {
		t.Errorf("decline-all declined %d, want 2 (Bob's request and Carol's invitation)", res["count"])
	}
	if gs := groupsOf(t, ac, alice); len(gs) != 1 || gs[0].ID != gid {
		t.Errorf("Alice's groups after decline-all: %+v", gs)
	}

	// Bob leaves.
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/groups/"+gid+"/leave", `{}`, nil); code != http.StatusOK {
		t.Fatalf("leave: %d", code)
	}
	if _, ok := groupByID(groupsOf(t, bc, bob), gid); ok {
		t.Error("the group stays in Bob's list after he left")
	}
	if code := callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid+"/messages", "", nil); code != http.StatusNotFound {
		t.Errorf("reading a group left: %d, want 404", code)
	}
	// Polls later, the declined invitations are still declined.
	if gs := groupsOf(t, ac, alice); len(gs) != 1 || gs[0].ID != gid {
		t.Errorf("Alice's groups at the end: %+v", gs)
	}
}
