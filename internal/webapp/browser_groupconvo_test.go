package webapp

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// clickNow clicks the element sel selects as soon as the page has it, in
// one step in the page: the group's list and messages are rebuilt when
// they change, and a node found first and clicked after may be gone.
func clickNow(tb *tab, what, sel string) {
	tb.t.Helper()
	waitFor[bool](tb, what, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, sel))
}

// TestBrowserGroupConvo: in a real browser, Alice (a group's admin)
// reacts to Bob's group message, replies to it from its Reply action (Bob
// reads the quote), edits her reply, and deletes his message for everyone; the page shows the count
// under the message and "This message was deleted" in its place; she
// sets the group's disappearing timer, which Bob's app reads.
func TestBrowserGroupConvo(t *testing.T) {
	devnettest.Need(t, testNet)
	browser := newBrowser(t)
	alice, bob := startApp(t, "alice", Config{}), startApp(t, "bob", Config{})
	a := newTab(t, browser, "alice", 1280, 800)
	onboard(a, alice.URL(), "Alice")
	aliceID := alice.account().SessionID()
	ac := signedIn(t, alice)
	bc, bobID := newAccount(t, bob, "Bob")
	post := func(c *http.Client, app *testApp, path, body string, v any) {
		t.Helper()
		if code := callJSON(t, c, http.MethodPost, app.BaseURL()+path, body, v); code != http.StatusOK {
			t.Fatalf("%s: POST /%s: %d", app.name, path, code)
		}
	}
	post(bc, bob, "api/conversations/"+aliceID+"/messages", `{"body":"hi Alice"}`, nil)
	var created map[string]string
	post(ac, alice, "api/groups", `{"name":"Picnic","members":["`+bobID+`"]}`, &created)
	gid := created["group_id"]
	eventually(t, "Bob to join", func() bool {
		g, ok := groupByID(groupsOf(t, bc, bob), gid)
		return ok && !g.Invited
	})
	post(bc, bob, "api/groups/"+gid+"/messages", `{"body":"who brings bread?"}`, nil)
	row := fmt.Sprintf(`.list [data-id=%q]`, gid)
	waitFor[bool](a, "the group's row", fmt.Sprintf(`document.querySelector(%q) !== null`, row))
	clickNow(a, "the group's row", row)
	waitFor[bool](a, "Bob's message", inGroup("Bob", "who brings bread?"))

	clickNow(a, "React on the message", `.msg.in button[aria-label=React]`)
	a.click("button", "🥰")
	waitFor[bool](a, "the reaction under Bob's message", `(document.querySelector('.msg.in [data-testid=reactions]')?.textContent || '').includes('🥰 1')`)

	// As a user does: Reply clicked with the mouse puts the keyboard in
	// the composer, and the keys go there.
	a.click("button", "Reply")
	waitFor[bool](a, "the reply bar", `(document.querySelector('[data-testid=group-reply-bar]')?.textContent || '').includes('who brings bread?')`)
	a.step("typing the reply", chromedp.KeyEvent("I do"))
	a.click("button", "Send")
	eventually(t, "Bob to read the reply with its quote", func() bool {
		var r struct{ Messages []client.Message }
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid+"/messages", "", &r)
		for _, m := range r.Messages {
			if m.Body == "I do" && m.Quote != nil && m.Quote.Body == "who brings bread?" && m.Quote.From == bobID {
				return true
			}
		}
		return false
	})
	waitFor[bool](a, "the quote on Alice's page", `[...document.querySelectorAll('.msg.out .quote')].some(q => q.textContent.includes('who brings bread?'))`)

	// Alice edits her reply: the page shows the new text, marked edited,
	// and no error.
	clickNow(a, "Edit on the message", `.msg.out button[aria-label=Edit]`)
	a.do(chromedp.SetValue(`[data-testid=edit-text]`, "I do, and butter"))
	a.click("button", "Save")
	waitFor[bool](a, "the edit on Alice's page", `(document.querySelector('.msg.out [data-testid=message-body]')?.textContent || '').endsWith('I do, and butter') && !!document.querySelector('.msg.out [data-testid=edited]')`)
	if bad := eval[string](a, `[...document.querySelectorAll('.toast.bad')].map(t => t.textContent).join('; ')`); bad != "" {
		t.Errorf("the edit showed an error: %s", bad)
	}

	clickNow(a, "Delete on the message", `.msg.in button[aria-label=Delete]`)
	a.click("button", "Delete for everyone")
	waitFor[bool](a, "the deleted message", `(document.querySelector('.msg.in [data-testid=message-body]')?.textContent || '') === 'This message was deleted'`)
	// The admin's disappearing timer, after send: set in the page, read
	// by Bob's app from the group's Info config.
	clickNow(a, "the Disappearing messages button", `button[aria-label="Disappearing messages"]`)
	a.click("radio", "1 day")
	a.click("button", "Set")
	eventually(t, "Bob's app to read the group's timer", func() bool {
		var d groupDisappearing
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid+"/disappearing", "", &d)
		return d.Mode == "send" && d.Seconds == 86400
	})
	eventually(t, "Bob to see his message deleted", func() bool {
		var r struct{ Messages []client.Message }
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/groups/"+gid+"/messages", "", &r)
		return len(r.Messages) > 0 && r.Messages[0].Deleted
	})
}
