package webapp

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// TestBrowserReplyReactDeleteSearch: Bob replies to Alice's message (the
// quote shows on both pages and jumps to the original), Alice reacts to
// the reply, Bob deletes it for everyone, and Alice finds her message with
// search.
func TestBrowserReplyReactDeleteSearch(t *testing.T) {
	devnettest.Need(t, testNet)
	browser := newBrowser(t)
	alice, bob := startApp(t, "alice", Config{}), startApp(t, "bob", Config{})
	a := newTab(t, browser, "alice", 1280, 800)
	b := newTab(t, browser, "bob", 1280, 800)
	onboard(a, alice.URL(), "Alice")
	onboard(b, bob.URL(), "Bob")
	b.click("button", "Your Session ID")
	bobID := waitFor[string](b, "Bob's Session ID", `document.querySelector('[data-testid=my-session-id]')?.textContent || ''`)

	a.click("button", "New message")
	a.typeInto("textbox", "Session ID", bobID)
	a.do(chromedp.SendKeys(chromedp.CSS("#new-id"), kb.Enter))
	a.typeInto("textbox", "Message", "lunch at noon?")
	a.click("button", "Send")
	waitFor[bool](a, "the message sent", `document.querySelector('.msg.out [data-status=sent]') !== null`)

	b.click("button", "Message requests")
	openFirstRow(b)
	waitFor[bool](b, "Alice's message", bubbleWith("lunch at noon?"))
	b.click("button", "Accept")
	b.waitName("textbox", "Message")
	b.click("button", "Reply")
	waitFor[bool](b, "the reply bar", `(document.querySelector('[data-testid=reply-bar]')?.textContent || '').includes('lunch at noon?')`)
	b.typeInto("textbox", "Message", "yes, noon")
	b.click("button", "Send")
	waitFor[bool](b, "the reply with its quote", `[...document.querySelectorAll('.msg.out .quote')].some(q => q.textContent.includes('lunch at noon?'))`)

	// Alice sees the quote; clicking it jumps to the original and offers the way back.
	waitFor[bool](a, "the quote on Alice's page", `[...document.querySelectorAll('.msg.in .quote')].some(q => q.textContent.includes('lunch at noon?'))`)
	a.do(chromedp.Click(chromedp.CSS(`.msg.in .quote`)))
	waitFor[bool](a, "the way back to the reply", `document.querySelector('.msg.out .back') !== null`)

	// Alice reacts to the reply; Bob sees the count.
	a.do(chromedp.Click(chromedp.CSS(`.msg.in button[aria-label=React]`)))
	a.click("button", "😂")
	waitFor[bool](a, "the reaction on Alice's page", `(document.querySelector('.msg.in [data-testid=reactions]')?.textContent || '').includes('😂 1')`)
	waitFor[bool](b, "the reaction on Bob's page", `(document.querySelector('.msg.out [data-testid=reactions]')?.textContent || '').includes('😂 1')`)

	// Bob deletes his reply for everyone.
	b.do(chromedp.Click(chromedp.CSS(`.msg.out button[aria-label=Delete]`)))
	b.click("button", "Delete for everyone")
	waitFor[bool](b, "deleted on Bob's page", `document.querySelector('.msg.out .bubble.deleted') !== null`)
	waitFor[bool](a, "deleted on Alice's page", `document.querySelector('.msg.in .bubble.deleted') !== null`)

	// Alice searches.
	a.click("button", "Conversation options")
	a.click("button", "Search messages")
	a.typeInto("searchbox", "Search messages", "noon")
	waitFor[bool](a, "the search result", `(document.querySelector('[data-testid=search-results]')?.textContent || '').includes('lunch at noon?')`)
	if n := eval[int](a, `[...document.querySelectorAll('[data-testid=search-results] li')].length`); n != 1 {
		t.Errorf("search shows %d results, want 1 (the deleted reply must not be found)", n)
	}
}
