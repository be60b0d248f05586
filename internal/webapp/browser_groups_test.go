package webapp

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// inGroup is a page expression: the open group shows a message from
// sender (the name above it) with body.
func inGroup(sender, body string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('.messages li.msg.in')].some(li =>
		li.querySelector('[data-testid=sender]')?.textContent === %q &&
		li.querySelector('[data-testid=message-body]')?.textContent === %q)`, sender, body)
}

// members is a page expression: the members panel's rows as "name[ admin]".
const members = `[...document.querySelectorAll('dialog[open] .member')].map(li =>
	li.querySelector('.title').textContent + (li.querySelector('[data-testid=admin-badge]') ? ' admin' : '')).sort().join(', ')`

// confirmLast presses the confirming button of the topmost dialog.
func confirmLast(tb *tab, label string) {
	tb.t.Helper()
	tb.step("confirming "+label, chromedp.Click(`dialog[open]:last-of-type .row-actions button.btn:last-child`, chromedp.NodeVisible))
}

// TestBrowserGroups: in a real browser on a devnet, Alice accepts a
// stranger's group invitation from her requests and reads its messages
// with the sender's name; creates a group with Bob in the page and writes
// in it; Bob (through his app's API) reads her message as hers and
// answers, and the page names him above his message; the members panel
// lists the members with the admin badge, adds Carol, promotes Bob,
// removes Carol, renames the group; Alice leaves it.
func TestBrowserGroups(t *testing.T) {
	devnettest.Need(t, testNet)
	browser := newBrowser(t)
	alice, bob, carol := startApp(t, "alice", Config{}), startApp(t, "bob", Config{}), startApp(t, "carol", Config{})
	a := newTab(t, browser, "alice", 1280, 800)
	onboard(a, alice.URL(), "Alice")
	aliceID := alice.account().SessionID()
	ac := signedIn(t, alice)
	bc, bobID := newAccount(t, bob, "Bob")
	cc, carolID := newAccount(t, carol, "Carol")
	post := func(c *http.Client, app *testApp, path, body string, v any) {
		t.Helper()
		if code := callJSON(t, c, http.MethodPost, app.BaseURL()+path, body, v); code != http.StatusOK {
			t.Fatalf("%s: POST /%s: %d", app.name, path, code)
		}
	}

	// Ctrl+Alt+G opens New group (no contacts yet: the form says so).
	a.do(chromedp.KeyEvent("g", chromedp.KeyModifiers(chromedp.ModifierCtrl, chromedp.ModifierAlt)))
	waitFor[bool](a, "New group from the keyboard", `document.querySelector('.main h2')?.textContent === 'New group' && document.querySelector('#group-name').disabled`)

	// Carol, a stranger to Alice, invites her to a group: the invitation
	// waits among Alice's message requests.
	var club map[string]string
	post(cc, carol, "api/groups", `{"name":"Book club","members":["`+aliceID+`"]}`, &club)
	eventually(t, "the invitation at Alice's", func() bool {
		g, ok := groupByID(groupsOf(t, ac, alice), club["group_id"])
		return ok && g.Invited
	})
	a.click("button", "Message requests")
	row := fmt.Sprintf(`.list [data-id=%q]`, club["group_id"])
	waitFor[bool](a, "the invitation among the requests", fmt.Sprintf(`document.querySelector(%q)?.textContent.includes('Book club')`, row))
	a.step("opening the invitation", chromedp.Click(row, chromedp.NodeVisible))
	if bar := waitFor[string](a, "the invitation bar", `document.querySelector('[data-testid=invite-bar]')?.textContent || ''`); !strings.Contains(bar, "invited you to join Book club") {
		t.Errorf("the invitation bar says %q", bar)
	}
	a.click("button", "Accept")
	a.waitName("textbox", "Message")
	post(cc, carol, "api/groups/"+club["group_id"]+"/messages", `{"body":"welcome to the club"}`, nil)
	waitFor[bool](a, "Carol's message under her name", inGroup("Carol", "welcome to the club"))

	// Bob and Carol write to Alice, and she accepts them: her contacts.
	post(bc, bob, "api/conversations/"+aliceID+"/messages", `{"body":"hi Alice"}`, nil)
	post(cc, carol, "api/conversations/"+aliceID+"/messages", `{"body":"hi again"}`, nil)
	eventually(t, "the two requests at Alice's", func() bool {
		var cv struct {
			Requests []struct {
				SessionID string `json:"session_id"`
			}
		}
		callJSON(t, ac, http.MethodGet, alice.BaseURL()+"api/conversations", "", &cv)
		return len(cv.Requests) == 2
	})
	post(ac, alice, "api/conversations/"+bobID+"/accept", `{}`, nil)
	post(ac, alice, "api/conversations/"+carolID+"/accept", `{}`, nil)
	waitFor[bool](a, "Bob and Carol in Alice's list", fmt.Sprintf(`!!document.querySelector('.list .item[data-id=%q]') && !!document.querySelector('.list .item[data-id=%q]')`, bobID, carolID))

	// New group: a name and a member picked from the contacts.
	a.click("button", "New group")
	a.typeInto("textbox", "Group name", "Trip")
	a.click("checkbox", "Bob")
	a.click("button", "Create group")
	waitFor[bool](a, "the new group open", `document.querySelector('.group-head .title')?.textContent === 'Trip'`)
	gid := waitFor[string](a, "the group's row", `document.querySelector('.list .item[aria-current=true]')?.dataset.id || ''`)
	if !validGroupID(gid) {
		t.Fatalf("the group's row carries %q", gid)
	}
	a.typeInto("textbox", "Message", "hello group")
	a.click("button", "Send")
	waitFor[bool](a, "the group message sent", `[...document.querySelectorAll('.msg.out [data-status=sent]')].length === 1`)

	// Bob joined (he approved Alice by writing to her) and reads it as hers.
	type msg struct {
		From string `json:"from"`
		Body string `json:"body"`
	}
	eventually(t, "Bob to read Alice's group message", func() bool {
		var r struct{ Messages []msg }
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid+"/messages", "", &r)
		return slices.Contains(r.Messages, msg{aliceID, "hello group"})
	})
	post(bc, bob, "api/groups/"+gid+"/messages", `{"body":"hi from Bob"}`, nil)
	waitFor[bool](a, "Bob's message under his name", inGroup("Bob", "hi from Bob"))
	// A file sent to the group (here by Bob's library) shows in it, a
	// picture decoded (attachments.js).
	mapPNG := filepath.Join(t.TempDir(), "map.png")
	var buf bytes.Buffer
	png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 40, 20)))
	os.WriteFile(mapPNG, buf.Bytes(), 0o600)
	if _, err := bob.account().SendFile(t.Context(), gid, "the map", mapPNG); err != nil {
		t.Fatal(err)
	}
	waitFor[bool](a, "Bob's picture in the group", `(() => { const i = document.querySelector('.msg.in img.att-img');
		return !!i && i.complete && i.naturalWidth === 40 })()`)
	// Alice attaches a file in the group; Bob's app has it.
	a.do(chromedp.SetUploadFiles(chromedp.CSS(`input[data-testid=attach-input]`), []string{mapPNG}))
	waitFor[bool](a, "Alice's file sent to the group", `[...document.querySelectorAll('.msg.out')].some(li =>
		li.querySelector('img.att-img') && li.querySelector('[data-status=sent]'))`)
	type fileMsg struct {
		From        string `json:"from"`
		Attachments []struct {
			FileName string `json:"file_name"`
		} `json:"attachments"`
	}
	eventually(t, "Bob to get Alice's file in the group", func() bool {
		var r struct{ Messages []fileMsg }
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid+"/messages", "", &r)
		return slices.ContainsFunc(r.Messages, func(m fileMsg) bool {
			return m.From == aliceID && len(m.Attachments) == 1 && m.Attachments[0].FileName == "map.png"
		})
	})
	// Alice is reading the group: it is marked read, and her list says so.
	waitFor[bool](a, "the group marked read", fmt.Sprintf(`!!document.querySelector('.list [data-id=%q]') && !document.querySelector('.list [data-id=%q] .badge')`, gid, gid))

	// The group's conversation menu: pin and notifications, as for a
	// contact (the conversation calls take the group's ID).
	a.click("button", "Conversation options")
	a.click("button", "Pin")
	waitFor[bool](a, "the group pinned in the list", fmt.Sprintf(`!!document.querySelector('.list [data-id=%q] [data-testid=pinned]')`, gid))
	a.click("button", "Conversation options")
	a.click("button", "Notifications")
	a.click("radio", "Mute until i turn it back on")
	a.click("button", "Set")
	waitFor[bool](a, "the group muted in the list", fmt.Sprintf(`!!document.querySelector('.list [data-id=%q] [data-testid=muted]')`, gid))

	// The members panel.
	a.click("button", "Members")
	if got := waitFor[string](a, "the members", members+` === 'Bob, You admin' && `+members); got != "Bob, You admin" {
		t.Errorf("members: %q", got)
	}
	a.click("button", "Add members")
	a.click("checkbox", "Carol")
	a.click("button", "Add")
	waitFor[bool](a, "Carol among the members", members+` === 'Bob, Carol, You admin'`)
	a.step("promoting Bob", chromedp.Click(fmt.Sprintf(`dialog[open] .member[data-id=%q] button:not(.danger)`, bobID), chromedp.NodeVisible))
	confirmLast(a, "Make admin")
	waitFor[bool](a, "Bob an admin", members+` === 'Bob admin, Carol, You admin'`)
	a.step("removing Carol", chromedp.Click(fmt.Sprintf(`dialog[open] .member[data-id=%q] button[aria-label=Remove]`, carolID), chromedp.NodeVisible))
	confirmLast(a, "Remove")
	waitFor[bool](a, "Carol removed", members+` === 'Bob admin, You admin'`)
	a.click("button", "Rename group")
	waitFor[bool](a, "the rename dialog", `(() => { const i = document.querySelector('#rename-group'); if (i) i.value = ''; return !!i })()`)
	const newName = "Trip <img src=x onerror=alert(1)>" // shown as the characters it is
	a.typeInto("textbox", "Group name", newName)
	a.click("button", "Save")
	waitFor[bool](a, "the new name in the header and the list", fmt.Sprintf(`document.querySelector('.group-head .title')?.textContent === %q &&
		document.querySelector('.list [data-id=%q] .title')?.textContent === %q`, newName, gid, newName))
	// The changes are notices in the conversation, centered lines.
	waitFor[bool](a, "the notices in the conversation", fmt.Sprintf(`(() => {
		const ns = [...document.querySelectorAll('.messages li[data-testid=group-notice]')].map((n) => n.textContent);
		return ns.includes('You made Bob an admin') && ns.includes(%q);
	})()`, "Group name is now "+newName))
	if n := eval[int](a, `document.querySelectorAll('.group-head img, .list .title img, dialog img, .messages li.notice img').length`); n != 0 {
		t.Errorf("the group's name became %d <img> elements", n)
	}
	eventually(t, "Bob to see the new name", func() bool {
		var v groupView
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid, "", &v)
		return v.Name == newName
	})
	// A rename by Bob comes in while Alice is typing: the view is rebuilt
	// around her composer, which keeps her text and her keyboard (the
	// rest of what she types goes on into it, not into the page).
	a.click("button", "Close")
	a.click("textbox", "Message")
	a.typeInto("textbox", "Message", "before ")
	post(bc, bob, "api/groups/"+gid+"/rename", `{"name":"Trip 2"}`, nil)
	waitFor[bool](a, "Bob's rename on Alice's page", `document.querySelector('.group-head .title')?.textContent === 'Trip 2'`)
	a.step("typing on", chromedp.KeyEvent("after"))
	if v := eval[string](a, `document.querySelector('[data-testid=composer]')?.value ?? 'no composer'`); v != "before after" {
		t.Errorf("the composer after a rename while typing holds %q, want %q", v, "before after")
	}

	// Leave, from the members panel: confirmed, then the group is gone
	// from Alice's list.
	a.click("button", "Members")
	a.click("button", "Leave group")
	confirmLast(a, "Leave")
	waitFor[bool](a, "the group gone", fmt.Sprintf(`!document.querySelector('.list [data-id=%q]') && !document.querySelector('.group-head')`, gid))
	if gs := groupsOf(t, ac, alice); len(gs) != 1 || gs[0].ID != club["group_id"] {
		t.Errorf("Alice's groups after leaving Trip: %+v", gs)
	}

	// Carol removes Alice from the book club: the open group turns
	// read-only, its history still there, and Alice can delete it.
	a.step("opening the book club", chromedp.Click(row, chromedp.NodeVisible))
	waitFor[bool](a, "the book club's messages", inGroup("Carol", "welcome to the club"))
	post(cc, carol, "api/groups/"+club["group_id"]+"/members/"+aliceID+"/remove", `{}`, nil)
	waitFor[bool](a, "the removed notice", `!!document.querySelector('[data-testid=removed-bar]') && !document.querySelector('[data-testid=composer]')`)
	waitFor[bool](a, "the history kept", inGroup("Carol", "welcome to the club"))
	a.click("button", "Delete group")
	confirmLast(a, "Delete")
	waitFor[bool](a, "the book club gone", fmt.Sprintf(`!document.querySelector(%q) && !document.querySelector('.group-head')`, row))
}
