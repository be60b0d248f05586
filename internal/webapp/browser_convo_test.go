package webapp

import (
	"fmt"
	"strings"
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
	a, b, bobID := aliceAndBobPages(t)

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
	// Searching only this conversation (the default from its menu) or all
	// of them finds it alike.
	if !eval[bool](a, `document.querySelector('#search-here')?.checked === true`) {
		t.Error("the search from a conversation's menu is not limited to it")
	}
	a.do(chromedp.Click(chromedp.CSS("#search-here")))
	waitFor[bool](a, "the search result across conversations", `(document.querySelector('[data-testid=search-results]')?.textContent || '').includes('lunch at noon?')`)
}

// TestBrowserConvoSettings: Markdown is rendered as markup-free DOM (a
// hostile message runs nothing), the title counts unread messages, the
// timer picker sets disappearing messages (a notice on both sides, a
// countdown on the messages), read receipts and typing indicators work
// once switched on, the row's menu marks a conversation unread and read, a
// pinned and muted conversation is marked, a message is edited, and Note to
// Self opens from New message.
func TestBrowserConvoSettings(t *testing.T) {
	a, b, bobID := aliceAndBobPages(t)

	// Both switch read receipts and typing indicators on (off by default).
	for _, tb := range []*tab{a, b} {
		if tb == a {
			tb.click("button", "Your Session ID")
		}
		waitFor[bool](tb, "the privacy switches", `!document.querySelector('#read-receipts')?.disabled && !document.querySelector('#typing-indicators')?.disabled`)
		if eval[bool](tb, `document.querySelector('#read-receipts').checked || document.querySelector('#typing-indicators').checked`) {
			t.Errorf("%s: read receipts or typing indicators on before being switched on", tb.name)
		}
		tb.do(chromedp.Click(chromedp.CSS("#read-receipts")), chromedp.Click(chromedp.CSS("#typing-indicators")))
		waitFor[bool](tb, "the switches saved", `fetch('/api/privacy').then(r => r.json()).then(s => s.read_receipts && s.typing_indicators)`)
	}

	a.click("button", "New message")
	a.typeInto("textbox", "Session ID", bobID)
	a.do(chromedp.SendKeys(chromedp.CSS("#new-id"), kb.Enter))
	a.typeInto("textbox", "Message", "hello bob")
	a.click("button", "Send")
	waitFor[bool](a, "the message sent", `document.querySelector('.msg.out [data-status=sent]') !== null`)
	b.click("button", "Message requests")
	openFirstRow(b)
	b.click("button", "Accept")
	b.waitName("textbox", "Message")

	// Bob has the conversation open: Alice's message is read, and with
	// receipts on both sides her page says so.
	waitFor[bool](a, "the message marked read", `document.querySelector('.msg.out [data-status=read]')?.textContent === 'Read'`)

	// Typing: Bob types, Alice sees it; Bob's message ends it.
	b.typeInto("textbox", "Message", "typing this")
	waitFor[bool](a, "typing… on Alice's page", `(document.querySelector('[data-testid=typing]')?.textContent || '').includes('typing')`)
	b.do(chromedp.SendKeys(chromedp.CSS(`textarea[data-testid=composer]`), kb.Enter))
	waitFor[bool](a, "Bob's message", bubbleWith("typing this"))
	waitFor[bool](a, "typing… gone", `(document.querySelector('[data-testid=typing]')?.textContent || '') === ''`)

	// The title counts what Alice has not read: she looks at her settings
	// while Bob writes a hostile message.
	a.click("button", "Your Session ID")
	const hostile = "**bold** <script>window.pwned=1</script><img src=x onerror=window.pwned=2> [site](javascript:window.pwned=3) `a<b>` https://example.com/x"
	b.typeInto("textbox", "Message", hostile)
	b.click("button", "Send")
	// Once her list shows it, the title counts it and nothing else: the
	// message she saw before leaving the conversation is read, however
	// soon she left.
	waitFor[bool](a, "the hostile message in the list, the only one unread in the title",
		`(document.querySelector('.list .item[data-id] .preview')?.textContent || '').includes('bold') && document.title === '(1) Session'`)
	openFirstRow(a)
	waitFor[bool](a, "the title without unread", `document.title === 'Session'`)
	waitFor[bool](a, "the Markdown message", `!!document.querySelector('.msg.in strong')`)
	md := eval[map[string]any](a, `(() => {
		const b = [...document.querySelectorAll('.msg.in [data-testid=message-body]')].pop();
		return {strong: b.querySelector('strong')?.textContent, code: b.querySelector('code')?.textContent,
			markup: b.querySelectorAll('script, img, b').length, pwned: window.pwned === undefined ? 0 : window.pwned,
			hrefs: [...b.querySelectorAll('a')].map(a => a.getAttribute('href')).join(' '), text: b.textContent};
	})()`)
	if md["strong"] != "bold" || md["code"] != "a<b>" || md["markup"] != 0.0 || md["pwned"] != 0.0 || md["hrefs"] != "https://example.com/x" ||
		!strings.Contains(md["text"].(string), "<script>window.pwned=1</script>") || !strings.Contains(md["text"].(string), "[site](javascript:window.pwned=3)") {
		t.Errorf("the hostile Markdown message renders as %v", md)
	}

	// The timer picker: after send, Session's default of one day.
	a.click("button", "Conversation options")
	a.click("button", "Disappearing messages")
	if n := eval[int](a, `document.querySelectorAll('[data-testid=timer-choices] input').length`); n != 0 {
		t.Errorf("timers shown while off: %d", n)
	}
	a.click("radio", "Disappear after read")
	if got := eval[string](a, `[...document.querySelectorAll('[data-testid=timer-choices] label')].map(l => l.textContent).join(',')`); got != "5 minutes,1 hour,12 hours,1 day,1 week,2 weeks" {
		t.Errorf("after-read timers: %q", got)
	}
	a.click("radio", "Disappear after send")
	if got := eval[string](a, `[...document.querySelectorAll('[data-testid=timer-choices] label')].map(l => l.textContent).join(',')`); got != "12 hours,1 day,1 week,2 weeks" {
		t.Errorf("after-send timers: %q", got)
	}
	if got := eval[string](a, `document.querySelector('[data-testid=timer-choices] input:checked')?.parentElement.textContent || ''`); got != "1 day" {
		t.Errorf("after-send default: %q, want 1 day", got)
	}
	a.click("button", "Set")
	for _, tb := range []*tab{a, b} {
		waitFor[bool](tb, "the timer notice", `(document.querySelector('[data-testid=timer-notice]')?.textContent || '').includes('1 day after send')`)
		waitFor[bool](tb, "the timer in the header", `(document.querySelector('[data-testid=conv-state]')?.textContent || '').includes('1 day')`)
	}
	a.typeInto("textbox", "Message", "this one vanishes")
	a.click("button", "Send")
	waitFor[bool](a, "the countdown on Alice's message", `[...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes('this one vanishes') && m.querySelector('[data-testid=timer-mark]')?.textContent.includes('23h'))`)
	waitFor[bool](b, "the countdown on Bob's copy", `[...document.querySelectorAll('.msg.in')].some(m => m.textContent.includes('this one vanishes') && m.querySelector('[data-testid=timer-mark]'))`)

	// Alice edits it within 15 minutes; Bob sees the new text, marked edited.
	a.do(chromedp.Click(chromedp.Search(`//li[contains(@class,'out')][contains(.,'this one vanishes')]//button[@aria-label='Edit']`)))
	a.do(chromedp.SetValue(chromedp.CSS(`[data-testid=edit-text]`), "this one vanishes, edited"))
	a.click("button", "Save")
	waitFor[bool](b, "the edit on Bob's page", `[...document.querySelectorAll('.msg.in')].some(m => m.textContent.includes('this one vanishes, edited') && m.querySelector('[data-testid=edited]'))`)

	// Bob changes it to five minutes after read: Alice sees the notice, and
	// Bob's next message counts down on her page once she has read it.
	// (From the header's state line, which opens the timer as in Session.)
	b.do(chromedp.Click(chromedp.CSS(`button[data-testid=conv-state]`)))
	b.click("radio", "Disappear after read")
	if got := eval[string](b, `document.querySelector('[data-testid=timer-choices] input:checked')?.parentElement.textContent || ''`); got != "12 hours" {
		t.Errorf("after-read default: %q, want 12 hours", got)
	}
	b.click("radio", "5 minutes")
	b.click("button", "Set")
	for _, tb := range []*tab{a, b} {
		waitFor[bool](tb, "the new timer notice", `(document.querySelector('[data-testid=timer-notice]')?.textContent || '').includes('5 minutes after read')`)
	}
	b.typeInto("textbox", "Message", "read me")
	b.click("button", "Send")
	waitFor[bool](a, "the after-read countdown", `[...document.querySelectorAll('.msg.in')].some(m => m.textContent.includes('read me') && /⏱ [45]m/.test(m.querySelector('[data-testid=timer-mark]')?.textContent || ''))`)

	// The row's menu marks the conversation unread (the title counts it)
	// and read again.
	rowMenu := `document.querySelector('.list .item[data-id]').dispatchEvent(new MouseEvent('contextmenu', {bubbles: true, cancelable: true}))`
	eval[bool](a, rowMenu)
	a.click("button", "Mark unread")
	waitFor[bool](a, "the row marked unread", `!!document.querySelector('.list .item.unread') && document.title === '(1) Session'`)
	eval[bool](a, rowMenu)
	a.click("button", "Mark read")
	waitFor[bool](a, "the row read again", `!document.querySelector('.list .item.unread') && document.title === 'Session'`)
	openFirstRow(a)

	// Pin and mute: the row says so.
	a.click("button", "Conversation options")
	a.click("button", "Pin")
	waitFor[bool](a, "the pinned mark", `!!document.querySelector('.list [data-testid=pinned]')`)
	a.click("button", "Conversation options")
	a.click("button", "Notifications")
	a.click("radio", "Mute until i turn it back on")
	a.click("button", "Set")
	waitFor[bool](a, "the muted mark", `!!document.querySelector('.list [data-testid=muted]')`)

	// Note to Self is reachable from New message.
	a.click("button", "New message")
	a.do(chromedp.Click(chromedp.CSS(`[data-testid=note-to-self]`)))
	waitFor[bool](a, "Note to Self", `document.querySelector('.conv-head .title')?.textContent === 'Note to Self'`)
	a.typeInto("textbox", "Message", "remember the milk")
	a.click("button", "Send")
	waitFor[bool](a, "the note sent", `[...document.querySelectorAll('.msg.out [data-status]')].some(s => s.dataset.status === 'sent')`)

	// Note to Self is in the list under its name, and pinned and hidden
	// like the others (no timer or mute for it, as in Session).
	me := eval[string](a, `document.querySelector('.conv-head .sub.mono')?.title || ''`)
	selfRow := fmt.Sprintf(`document.querySelector('.list .item[data-id="%s"]')`, me)
	waitFor[bool](a, "Note to Self in the list", selfRow+`?.querySelector('.title')?.textContent === 'Note to Self'`)
	a.click("button", "Conversation options")
	if eval[bool](a, `[...document.querySelectorAll('dialog button')].some(b => b.textContent === 'Disappearing messages' || b.textContent.startsWith('Notifications'))`) {
		t.Error("Note to Self offers a timer or notifications")
	}
	a.click("button", "Pin")
	waitFor[bool](a, "Note to Self pinned", `!!`+selfRow+`?.querySelector('[data-testid=pinned]')`)
	a.click("button", "Conversation options")
	a.click("button", "Hide Note to Self")
	waitFor[bool](a, "Note to Self hidden", `!`+selfRow)
	a.click("button", "New message")
	a.do(chromedp.Click(chromedp.CSS(`[data-testid=note-to-self]`)))
	waitFor[bool](a, "Note to Self open", bubbleWith("remember the milk"))
	a.click("button", "Conversation options")
	a.click("button", "Show in conversations")
	waitFor[bool](a, "Note to Self back in the list", `!!`+selfRow)

	// Search from Note to Self stays in it until told otherwise.
	a.click("button", "Conversation options")
	a.click("button", "Search messages")
	a.typeInto("searchbox", "Search messages", "vanishes")
	waitFor[bool](a, "no result in Note to Self", `(document.querySelector('[data-testid=search-results]')?.textContent || '') === 'No messages found'`)
	a.do(chromedp.Click(chromedp.CSS("#search-here")))
	waitFor[bool](a, "the result from Bob's conversation", `(document.querySelector('[data-testid=search-results]')?.textContent || '').includes('this one vanishes, edited')`)
	a.click("button", "Close")

	// In Note to Self, "for everyone" is "on all my devices", as in Session.
	a.do(chromedp.Click(chromedp.Search(`//li[contains(@class,'out')][contains(.,'remember the milk')]//button[@aria-label='Delete']`)))
	a.click("button", "Delete on all my devices")
	waitFor[bool](a, "the note deleted", `document.querySelector('.msg.out .bubble.deleted') !== null`)
}

// aliceAndBobPages starts Alice's and Bob's apps, onboards each in a tab
// of one browser, and reads Bob's Session ID off his page: how the
// browser conversation tests begin, which then work through the pages only.
func aliceAndBobPages(t *testing.T) (a, b *tab, bobID string) {
	t.Helper()
	devnettest.Need(t, testNet)
	browser := newBrowser(t)
	alice, bob := startApp(t, "alice", Config{}), startApp(t, "bob", Config{})
	a = newTab(t, browser, "alice", 1280, 800)
	b = newTab(t, browser, "bob", 1280, 800)
	onboard(a, alice.URL(), "Alice")
	onboard(b, bob.URL(), "Bob")
	b.click("button", "Your Session ID")
	bobID = waitFor[string](b, "Bob's Session ID", `document.querySelector('[data-testid=my-session-id]')?.textContent || ''`)
	return a, b, bobID
}
