package webapp

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/devnet/devnettest"
)

var testNet *devnet.Net

func TestMain(m *testing.M) { os.Exit(devnettest.Main(m, 7, &testNet)) }

var updateScreenshot = flag.Bool("update-screenshot", false, "write the README's screenshot (docs/app.png) from the browser test")

// testApp is one `session app` served in-process.
type testApp struct {
	*Server
	name string
	stop func()
}

func startApp(t testing.TB, name string, cfg Config) *testApp {
	t.Helper()
	if cfg.Home == "" {
		cfg.Home = filepath.Join(t.TempDir(), name)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Network == "" && cfg.DevnetDir == "" {
		cfg.Network = testNet.NetworkFile
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("app %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	a := &testApp{Server: s, name: name}
	var once sync.Once
	a.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("app %s: Serve: %v", name, err)
			}
		})
	}
	t.Cleanup(a.stop)
	return a
}

// chromiumPath finds Debian's chromium; without it the browser tests skip,
// except on CI, where a missing browser is a failure, not a silent skip.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (.ci/run installs it)")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// newBrowser starts a headless chromium with a fresh profile and returns
// its context; tabs are made from it with newTab.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("headless", "new"),
	}
	opts = append(chromedp.DefaultExecAllocatorOptions[:], opts...)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { bcancel(); acancel() })
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[string]("navigator.userAgent")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return bctx
}

// tab is one browser tab on one app.
type tab struct {
	t    testing.TB
	name string
	ctx  context.Context
}

func newTab(t testing.TB, browser context.Context, name string, w, h int64) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	tb := &tab{t: t, name: name, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			// Named for the test: tests of one run (and runs in other
			// checkouts) share the folder.
			tb.screenshot("failure-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + name)
		}
		cancel()
	})
	// The first Run on a tab's context creates the tab, which lives as long
	// as that call's context: so no timeout here.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatalf("%s: opening a tab: %v", name, err)
	}
	return tb
}

// stepTimeout bounds one step; generous, for a loaded 2-core machine.
const stepTimeout = 45 * time.Second

func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	tb.step("", actions...)
}

// step runs actions, naming what they do when they fail. A single action
// on an element is tried again when a live update replaced the element
// between finding it and acting on it (see onNode).
func (tb *tab) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if len(actions) == 1 {
		tb.onNode(what, actions[0])
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
}

// eval evaluates a JavaScript expression and returns its value.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, expr, err)
	}
	return v
}

// evalAwait evaluates an expression that gives a promise, and returns what it resolves to.
func evalAwait[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: %s: %v", tb.name, expr, err)
	}
	return v
}

// waitFor polls a JavaScript expression until it is truthy and returns it.
func waitFor[T any](tb *tab, what, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0)))
	if err != nil {
		tb.t.Fatalf("%s: waiting for %s: %v", tb.name, what, err)
	}
	return v
}

// byName selects the visible elements whose computed accessible name (as
// Chromium computes it for screen readers) is exactly name, with role.
func byName(role, name string) chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{NodeID: n.NodeID, AccessibleName: name, Role: role})
		if err != nil {
			return nil, err
		}
		var ids []cdp.BackendNodeID
		for _, ax := range res.Nodes {
			if !ax.Ignored && ax.BackendDOMNodeID != 0 {
				ids = append(ids, ax.BackendDOMNodeID)
			}
		}
		if len(ids) == 0 {
			return nil, nil
		}
		pushed, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend, dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: ids})
		if err != nil {
			return nil, err
		}
		return pushed.NodeIDs, nil
	})
}

func (tb *tab) click(role, name string) {
	tb.t.Helper()
	tb.onNode("clicking "+role+" "+name, chromedp.Click(role+" "+name, byName(role, name), chromedp.NodeVisible))
}

// focus gives the focus to the element with role and name.
func (tb *tab) focus(role, name string) {
	tb.t.Helper()
	tb.onNode("focusing "+role+" "+name, chromedp.Focus(role+" "+name, byName(role, name), chromedp.NodeVisible))
}

// onNode runs an action on one element. A live update can replace the
// element between finding it and acting on it; then the action is tried
// again on the new one.
func (tb *tab) onNode(what string, action chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		err := chromedp.Do(ctx, action)
		cancel()
		if err == nil {
			return
		}
		if try == 5 || !strings.Contains(err.Error(), "node") {
			tb.t.Fatalf("%s: %s: %v", tb.name, what, err)
		}
	}
}

// openFirstRow opens the first conversation of the list shown, clicking
// again if a live update replaced the row under the click.
func openFirstRow(tb *tab) {
	tb.t.Helper()
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.list .item`), chromedp.NodeVisible))
		cancel()
		if err != nil && (try == 5 || !strings.Contains(err.Error(), "node")) {
			tb.t.Fatalf("%s: clicking the first row: %v", tb.name, err)
		}
		ctx, cancel = context.WithTimeout(tb.ctx, 5*time.Second)
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.conv-head')`, chromedp.WithPollingTimeout(0)))
		cancel()
		if err == nil {
			return
		}
		if try == 5 {
			tb.t.Fatalf("%s: the conversation does not open: %v", tb.name, err)
		}
	}
}

func (tb *tab) typeInto(role, name, text string) {
	tb.t.Helper()
	tb.step("typing into "+role+" "+name, chromedp.SendKeys(role+" "+name, text, byName(role, name), chromedp.NodeVisible))
}

func (tb *tab) waitName(role, name string) {
	tb.t.Helper()
	tb.step("waiting for "+role+" "+name, chromedp.WaitVisible(role+" "+name, byName(role, name)))
}

func (tb *tab) open(url string) {
	tb.t.Helper()
	tb.step("opening "+url, chromedp.Navigate(url))
}

// screenshot saves the tab as a PNG where a failed run can be looked at.
func (tb *tab) screenshot(name string) string {
	dir := filepath.Join(os.TempDir(), "session-webapp-screenshots")
	os.MkdirAll(dir, 0o755)
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Logf("%s: screenshot: %v", tb.name, err)
		return ""
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err == nil {
		tb.t.Logf("screenshot saved: %s", p)
	}
	return p
}

// bubbles is the text of the open conversation's messages.
const bubbles = `[...document.querySelectorAll('.messages [data-testid=message-body]')].map(e => e.textContent)`

func bubbleWith(text string) string {
	return fmt.Sprintf(`%s.includes(%q)`, bubbles, text)
}

var hexID = regexp.MustCompile(`^05[0-9a-f]{64}$`)

// onboard creates an account through the page and returns its recovery
// password.
func onboard(tb *tab, url, name string) string {
	tb.t.Helper()
	tb.open(url)
	tb.click("button", "Create account")
	tb.typeInto("textbox", "Display name", name)
	tb.click("button", "Continue")
	words := waitFor[string](tb, "the recovery password", `document.querySelector('[aria-label="Recovery password"]')?.textContent || ''`)
	if n := len(strings.Fields(words)); n != 13 {
		tb.t.Fatalf("%s: recovery password has %d words: %q", tb.name, n, words)
	}
	// Continue stays disabled until the user says the password is saved.
	if !eval[bool](tb, `[...document.querySelectorAll('button')].find(b => b.textContent === 'Continue').disabled`) {
		tb.t.Errorf("%s: Continue is enabled before the recovery password is confirmed saved", tb.name)
	}
	tb.do(chromedp.Click(chromedp.CSS("#saved")))
	tb.click("button", "Continue")
	tb.waitName("button", "New message")
	return words
}

// TestBrowserTwoPeople is the app's end-to-end test in a real browser on a
// real devnet: two fresh apps onboard, one writes to the other, the request
// is accepted and answered, both pages update live; a third app restores
// the first account and shows the conversation.
func TestBrowserTwoPeople(t *testing.T) {
	devnettest.Need(t, testNet)
	browser := newBrowser(t)
	alice := startApp(t, "alice", Config{})
	bob := startApp(t, "bob", Config{})

	a := newTab(t, browser, "alice", 1280, 800)
	b := newTab(t, browser, "bob", 360, 740) // a phone-sized window: one column
	words := onboard(a, alice.URL(), "Alice")
	onboard(b, bob.URL(), "Bob")

	// The token left the address bar: the cookie carries it now.
	if loc := eval[string](a, `location.href`); strings.Contains(loc, "token") {
		t.Errorf("the token stays in the address bar: %s", loc)
	}

	// Bob's full Session ID is readable once "Your Session ID" is pressed.
	b.click("button", "Your Session ID")
	bobID := waitFor[string](b, "Bob's Session ID", `document.querySelector('[data-testid=my-session-id]')?.textContent || ''`)
	if !hexID.MatchString(bobID) {
		t.Fatalf("Bob's Session ID shows as %q", bobID)
	}
	b.click("button", "Show QR code")
	waitFor[bool](b, "the QR code", `(() => { const i = document.querySelector('img.qr'); return !!i && i.complete && i.naturalWidth > 0 })()`)
	b.click("button", "Back")

	// Alice: + → New message → Bob's Session ID → the conversation.
	a.click("button", "New message")
	a.typeInto("textbox", "Session ID", bobID)
	a.do(chromedp.SendKeys(chromedp.CSS("#new-id"), kb.Enter))
	a.typeInto("textbox", "Message", "Bonjour Bob")
	a.do(chromedp.SendKeys("textbox Message", kb.Enter, byName("textbox", "Message"))) // Enter sends
	waitFor[bool](a, "the message sent", `document.querySelector('.msg.out [data-status=sent]') !== null`)
	// Shift+Enter is a new line, not a send.
	a.typeInto("textbox", "Message", "line one")
	a.do(chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift)))
	a.typeInto("textbox", "Message", "line two")
	if n := eval[int](a, `document.querySelectorAll('.msg.out').length`); n != 1 {
		t.Errorf("Shift+Enter sent the message (%d outgoing bubbles)", n)
	}
	a.click("button", "Send")
	waitFor[bool](a, "the two-line message", bubbleWith("line one\nline two"))
	// A message that looks like HTML is shown as the characters it is.
	const xss = `<img src=x onerror=alert(1)>`
	a.typeInto("textbox", "Message", xss)
	a.click("button", "Send")
	waitFor[bool](a, "the HTML-looking message as text", bubbleWith(xss))
	if n := eval[int](a, `document.querySelectorAll('.messages img').length`); n != 0 {
		t.Errorf("a message body became %d <img> elements", n)
	}
	waitFor[bool](a, "every message sent", `document.querySelectorAll('.msg.out [data-status=sent]').length === 3`)

	// Bob's page shows the request live, without a reload.
	b.click("button", "Message requests")
	openFirstRow(b)
	waitFor[bool](b, "the request's messages", bubbleWith("Bonjour Bob"))
	waitFor[bool](b, "the HTML-looking message as text", bubbleWith(xss))
	if n := eval[int](b, `document.querySelectorAll('.messages img').length`); n != 0 {
		t.Errorf("Bob's page turned a message body into %d <img> elements", n)
	}
	b.waitName("button", "Decline")
	b.waitName("button", "Block")
	b.click("button", "Accept")
	b.typeInto("textbox", "Message", "Salut Alice")
	b.click("button", "Send")
	waitFor[bool](b, "Bob's answer sent", `document.querySelector('.msg.out [data-status=sent]') !== null`)

	// Alice's open conversation shows the answer live.
	waitFor[bool](a, "Bob's answer on Alice's page", bubbleWith("Salut Alice"))
	// And her list names Bob (his display name came with his messages).
	waitFor[bool](a, "Bob's name in Alice's list", `[...document.querySelectorAll('.list .title')].some(e => e.textContent === 'Bob')`)
	waitFor[bool](a, "Bob's name in the conversation's header", `document.querySelector('.conv-head .title')?.textContent === 'Bob'`)
	// Alice is reading the conversation: it is marked read, and her list says so.
	waitFor[bool](a, "the conversation marked read", `document.querySelector('.list .item .badge') === null`)
	if *updateScreenshot {
		p := a.screenshot("app")
		if p != "" {
			b, err := os.ReadFile(p)
			if err == nil {
				err = os.WriteFile(filepath.Join("..", "..", "docs", "app.png"), b, 0o644)
			}
			if err != nil {
				t.Error(err)
			}
		}
	}

	// New messages never yank a reader who scrolled up: a chip appears.
	bc := signedIn(t, bob)
	aliceID := alice.account().SessionID()
	for i := range 25 {
		if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+aliceID+"/messages", fmt.Sprintf(`{"body":"filler %d"}`, i), nil); code != http.StatusOK {
			t.Fatalf("Bob's message %d through the API: %d", i, code)
		}
	}
	waitFor[bool](a, "Bob's 25 messages", bubbleWith("filler 24"))
	eval[bool](a, `(() => { document.querySelector('.messages').scrollTop = 0; return true })()`)
	callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+aliceID+"/messages", `{"body":"while you read"}`, nil)
	waitFor[bool](a, "the message that came while Alice read", bubbleWith("while you read"))
	if top := eval[float64](a, `document.querySelector('.messages').scrollTop`); top != 0 {
		t.Errorf("a new message moved the scroll position to %v while the reader was at the top", top)
	}
	waitFor[bool](a, "the new-messages chip", `!document.querySelector('.chip').hidden`)
	a.click("button", "New messages ↓")
	waitFor[bool](a, "the end of the conversation", `(() => { const m = document.querySelector('.messages'); return m.scrollHeight - m.scrollTop - m.clientHeight < 60 })()`)

	// The keyboard reaches the controls, with a visible focus.
	a.focus("button", "Your Session ID")
	a.do(chromedp.KeyEvent(kb.Tab))
	if style := eval[string](a, `(() => { const e = document.activeElement; return e.getAttribute('aria-label') + ': ' + getComputedStyle(e).outlineStyle })()`); style != "Contacts: solid" {
		t.Errorf("Tab from Your Session ID: the focus and its outline are %q, want %q", style, "Contacts: solid")
	}

	// A draft survives a trip to another screen.
	a.typeInto("textbox", "Message", "unsent draft")
	a.click("button", "New message")
	openFirstRow(a)
	if got := waitFor[string](a, "the composer", `document.querySelector('[data-testid=composer]')?.value ?? ''`); got != "unsent draft" {
		t.Errorf("the draft came back as %q", got)
	}
	eval[bool](a, `(() => { const t = document.querySelector('[data-testid=composer]'); t.value = ''; t.dispatchEvent(new Event('input')); return true })()`)

	// Contacts: a nickname, then block and unblock.
	a.click("button", "Contacts")
	a.click("button", "Nickname for Bob")
	a.typeInto("textbox", "Nickname", "Bobby")
	a.click("button", "Save")
	a.click("button", "Block Bobby")
	a.click("button", "Block") // the confirmation
	a.click("button", "Unblock Bobby")
	a.waitName("button", "Block Bobby")
	a.click("button", "Back")
	waitFor[bool](a, "the nickname in the list", `[...document.querySelectorAll('.list .title')].some(e => e.textContent === 'Bobby')`)

	// The dark theme follows the system.
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	}))
	if bg := eval[string](b, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(17, 19, 21)" {
		t.Errorf("dark system theme: body background %s", bg)
	}

	// A third app restores Alice's account and shows the conversation.
	carol := startApp(t, "alice-2", Config{})
	c := newTab(t, browser, "alice-2", 1280, 800)
	c.open(carol.URL())
	c.click("button", "Restore account")
	bad := strings.Fields(words)
	bad[3] = "zzz"
	c.typeInto("textbox", "Recovery password", strings.Join(bad, " "))
	c.click("button", "Continue")
	msg := waitFor[string](c, "the bad-word error", `document.querySelector('#restore-error')?.textContent || ''`)
	if !strings.Contains(msg, `word 4 "zzz"`) {
		t.Errorf("restore with a bad 4th word says %q, want it to name word 4", msg)
	}
	eval[bool](c, `(() => { const t = document.querySelector('#recovery-input'); t.value = ''; return true })()`)
	c.typeInto("textbox", "Recovery password", words)
	c.click("button", "Continue")
	c.waitName("button", "New message")
	openFirstRow(c)
	waitFor[bool](c, "Alice's message on the restored device", bubbleWith("Bonjour Bob"))
	waitFor[bool](c, "Bob's answer on the restored device", bubbleWith("Salut Alice"))
	// Settings show the recovery password after a confirmation.
	c.click("button", "Your Session ID")
	c.click("button", "Show recovery password")
	c.click("button", "Show")
	if got := waitFor[string](c, "the recovery password in settings", `document.querySelector('.panel [aria-label="Recovery password"]')?.textContent || ''`); got != words {
		t.Errorf("settings show the recovery password %q, want %q", got, words)
	}

	// What the restored device sends shows up live on Alice's first device
	// (as hers) and at Bob's.
	openFirstRow(c)
	c.typeInto("textbox", "Message", "from my other device")
	c.click("button", "Send")
	waitFor[bool](a, "the other device's message on Alice's first device", `[...document.querySelectorAll('.msg.out [data-testid=message-body]')].some(e => e.textContent === 'from my other device')`)
	waitFor[bool](b, "the other device's message at Bob's", bubbleWith("from my other device"))

	// The API refuses a request without the cookie, and a foreign Host.
	resp, err := http.Get(alice.BaseURL() + "api/state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API call without the token: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, alice.BaseURL(), nil)
	req.Host = "evil.example:" + alice.port
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("request with a foreign Host: %d, want 403", resp.StatusCode)
	}
	// And the page itself, asked from the browser without its cookie.
	status := evalAwait[int](a, `fetch('/api/state', {credentials: 'omit'}).then(r => r.status)`)
	if status != http.StatusUnauthorized {
		t.Errorf("fetch without the cookie: %d, want 401", status)
	}
}
