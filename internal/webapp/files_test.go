package webapp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/session-go/session-go/internal/devnet/devnettest"
	"github.com/session-go/session-go/internal/testutil/socks5"
)

// A picture sent by one person shows decoded in the other's page, at its
// size; a file that is not a picture is served as a download only.
func TestBrowserPictureShowsDecoded(t *testing.T) {
	devnettest.Need(t, testNet)
	browser := newBrowser(t)
	alice := startApp(t, "alice", Config{})
	bob := startApp(t, "bob", Config{})
	a := newTab(t, browser, "alice", 1280, 800)
	b := newTab(t, browser, "bob", 1280, 800)
	onboard(a, alice.URL(), "Alice")
	onboard(b, bob.URL(), "Bob")
	ac, bc := signedIn(t, alice), signedIn(t, bob)
	aliceID, bobID := alice.account().SessionID(), bob.account().SessionID()

	// Bob writes first: Alice is his contact, and her files come at once.
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+aliceID+"/messages", `{"body":"send me a picture"}`, nil); code != http.StatusOK {
		t.Fatalf("Bob's message: %d", code)
	}
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.Set(x, y, color.RGBA{R: 200, A: 255})
		}
	}
	var pic bytes.Buffer
	png.Encode(&pic, img)
	sendAs := func(hc *http.Client, app *testApp, to, name string, data []byte, body string) {
		t.Helper()
		req, _ := json.Marshal(map[string]string{"name": name, "data": base64.StdEncoding.EncodeToString(data), "body": body})
		var m struct {
			Status string `json:"status"`
		}
		if code := callJSON(t, hc, http.MethodPost, app.BaseURL()+"api/conversations/"+to+"/files", string(req), &m); code != http.StatusOK || m.Status != "sent" {
			t.Fatalf("sending %s: %d %+v", name, code, m)
		}
	}
	send := func(name string, data []byte, body string) { t.Helper(); sendAs(ac, alice, bobID, name, data, body) }
	send("red.png", pic.Bytes(), "a picture")
	send("page.html", []byte("<script>alert(1)</script>"), "")

	openFirstRow(b)
	// Its place is kept at its aspect ratio (from the pointer's width and
	// height) before it loads.
	waitFor[bool](b, "the picture, decoded", `(() => { const i = document.querySelector('img.att-img');
		return !!i && i.complete && i.naturalWidth === 40 && i.naturalHeight === 20 && i.style.aspectRatio === '40 / 20' })()`)
	// A click shows it large, in a lightbox.
	b.click("button", "View red.png")
	waitFor[bool](b, "the lightbox", `(() => { const i = document.querySelector('dialog[open] img[data-testid=lightbox-image]');
		return !!i && i.complete && i.naturalWidth === 40 })()`)
	b.click("button", "Close")
	waitFor[bool](b, "the HTML file with a download button", fileCard("page.html", "a[download][data-testid=attachment-download]"))

	// A link is clickable, opens in a new tab without access to the page,
	// and only after its full address is shown.
	const link = "https://example.com/a?b=c"
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+bobID+"/messages", `{"body":"see `+link+`."}`, nil); code != http.StatusOK {
		t.Fatalf("Alice's link: %d", code)
	}
	waitFor[bool](b, "the link", `(() => { const a = document.querySelector('a.link');
		return !!a && a.getAttribute('href') === '`+link+`' && a.target === '_blank' && a.rel.includes('noopener') })()`)
	eval[bool](b, `(() => { document.querySelector('a.link').click(); return true })()`)
	waitFor[bool](b, "the full address before opening", `(() => { const d = document.querySelector('dialog[open]');
		return !!d && d.textContent.includes('`+link+`') })()`)
	b.click("button", "Cancel")

	// Link previews are off by default and cannot be turned on without a
	// proxy; a preview sent with a message (as Session sends it: URL and
	// title) shows as a card on the recipient's page.
	var lps struct{ On, Proxy bool }
	if code := callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/link-previews", "", &lps); code != http.StatusOK || lps.On || lps.Proxy {
		t.Fatalf("link-preview setting: %d %+v", code, lps)
	}
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/link-previews", `{"on":true}`, nil); code != http.StatusBadRequest {
		t.Fatalf("link previews turned on without a proxy: %d", code)
	}
	if code := callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/link-preview?url=https%3A%2F%2Fexample.com%2F", "", nil); code != http.StatusConflict {
		t.Fatalf("a preview fetched while they are off: %d", code)
	}
	const article = "https://example.com/article"
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+bobID+"/messages",
		`{"body":"read `+article+`","preview":{"url":"https://example.net/","title":"elsewhere"}}`, nil); code != http.StatusBadRequest {
		t.Fatalf("a preview of a link not in the text: %d", code)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+bobID+"/messages",
		`{"body":"read `+article+`","preview":{"url":"`+article+`","title":"An <b>article</b>","description":"only Alice sees this",
		"image_data":"data:image/png;base64,`+base64.StdEncoding.EncodeToString(pic.Bytes())+`"}}`, nil); code != http.StatusOK {
		t.Fatalf("Alice's link with its preview: %d", code)
	}
	waitFor[bool](b, "the link preview card, with its picture", `[...document.querySelectorAll('[data-testid=link-preview]')].some(e =>
		e.textContent.includes('An <b>article</b>') && e.textContent.includes('example.com') && !e.querySelector('b') &&
		(i => !!i && i.complete && i.naturalWidth === 40)(e.querySelector('img[data-testid=link-preview-image]')))`)
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+bobID+"/messages",
		`{"body":"read `+article+`","preview":{"url":"`+article+`","title":"t","image_data":"data:text/html;base64,PGI+"}}`, nil); code != http.StatusBadRequest {
		t.Fatalf("a preview whose picture is HTML: %d", code)
	}

	// Alice attaches a file with the attach button in her page.
	notes := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notes, []byte("meeting notes"), 0o600)
	openFirstRow(a)
	a.do(chromedp.SetUploadFiles(chromedp.CSS(`input[data-testid=attach-input]`), []string{notes}))
	waitFor[bool](a, "the attached file sent", `[...document.querySelectorAll('.msg.out')].some(li =>
		li.textContent.includes('notes.txt') && li.querySelector('[data-status=sent]'))`)
	waitFor[bool](b, "Alice's attached file on Bob's page", fileCard("notes.txt", "a[download]"))
	// Alice puts her copy back on the file server (for when theirs fails).
	eval[bool](a, `(() => { const li = [...document.querySelectorAll('.msg.out')].find(li => li.textContent.includes('notes.txt'));
		li.querySelector('[data-testid=attachment-reupload]').click(); return true })()`)
	waitFor[bool](a, "the file uploaded again", `[...document.querySelectorAll('.msg.out')].some(li =>
		li.textContent.includes('notes.txt') && li.textContent.includes('Uploaded again'))`)

	// A picture being sent shows its thumbnail, drawn in Alice's page,
	// until it is sent.
	eval[bool](a, `(() => { window.sawThumb = false;
		new MutationObserver(() => { const i = document.querySelector('img[data-testid=sending-thumbnail]');
			if (i && i.src.startsWith('data:image/jpeg')) window.sawThumb = true; }).observe(document.body, {childList: true, subtree: true});
		return true })()`)
	shot := filepath.Join(t.TempDir(), "shot.png")
	os.WriteFile(shot, pic.Bytes(), 0o600)
	a.do(chromedp.SetUploadFiles(chromedp.CSS(`input[data-testid=attach-input]`), []string{shot}))
	waitFor[bool](a, "the picture sent, its thumbnail seen", `window.sawThumb && [...document.querySelectorAll('.msg.out')].some(li =>
		li.querySelector('img.att-img[alt="shot.png"]') && li.querySelector('[data-status=sent]'))`)

	// Alice drops a file onto the conversation: it is sent.
	eval[bool](a, `(() => { const dt = new DataTransfer();
		dt.items.add(new File(['dropped bytes'], 'dropped.txt', {type: 'text/plain'}));
		const t = document.querySelector('.conv-body');
		t.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
		t.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true })()`)
	waitFor[bool](a, "the dropped file sent", `[...document.querySelectorAll('.msg.out')].some(li =>
		li.textContent.includes('dropped.txt') && li.querySelector('[data-status=sent]'))`)
	waitFor[bool](b, "the dropped file on Bob's page", fileCard("dropped.txt", "a[download]"))

	// A video (its size measured by the sender's page, as the library
	// cannot read it) plays in a <video> player whose place is kept at
	// its aspect ratio.
	clip, _ := json.Marshal(map[string]any{"name": "clip.mp4", "data": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p'}, 64)),
		"width": 64, "height": 48})
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+bobID+"/files", string(clip), nil); code != http.StatusOK {
		t.Fatalf("sending a video: %d", code)
	}
	waitFor[bool](b, "the video player", `(() => { const v = document.querySelector('video[data-testid=attachment-video]');
		return !!v && v.controls && v.style.aspectRatio === '64 / 48' && v.getAttribute('src').includes('/attachments/') })()`)

	// Carol, whom Bob has not accepted, sends him a picture: it waits for
	// his click (a stranger must not learn when he looks), then downloads
	// with its progress reported on the page's event stream and shows.
	carol := startApp(t, "carol", Config{})
	cc, _ := newAccount(t, carol, "Carol")
	sendAs(cc, carol, bobID, "from carol.png", pic.Bytes(), "hello Bob")
	b.click("button", "Message requests")
	waitFor[bool](b, "Carol's request", `document.querySelector('.item[data-id]') !== null`)
	openFirstRow(b)
	waitFor[bool](b, "Carol's picture, not fetched", fileCard("from carol.png", "[data-testid=attachment-fetch]"))
	if eval[bool](b, `document.querySelector('img.att-img') !== null`) {
		t.Fatal("a stranger's picture was shown without asking")
	}
	eval[bool](b, `(() => { window.seenProgress = [];
		const es = new EventSource('/api/events');
		es.addEventListener('progress', (e) => window.seenProgress.push(JSON.parse(e.data)));
		window.progressStream = es; return true })()`)
	waitFor[bool](b, "the test's event stream", `window.progressStream.readyState === 1`)
	b.click("button", "Click to download")
	waitFor[bool](b, "Carol's picture, decoded", `(() => { const i = document.querySelector('img.att-img');
		return !!i && i.complete && i.naturalWidth === 40 })()`)
	waitFor[bool](b, "the download's progress, to the end", `window.seenProgress.some(p => !p.upload && p.file_name === 'from carol.png' && p.done === p.total)`)
	eval[bool](b, `(() => { window.progressStream.close(); return true })()`)

	// Alice sets a profile picture in her settings; once she writes again,
	// Bob (whose contact she is) sees it over her avatar.
	picPath := filepath.Join(t.TempDir(), "me.png")
	os.WriteFile(picPath, pic.Bytes(), 0o600)
	a.click("button", "Your Session ID")
	waitFor[bool](a, "the link-preview switch, off and locked without a proxy", `(() => { const c = document.querySelector('[data-testid=previews-on]');
		return !!c && !c.checked && c.disabled })()`)
	a.do(chromedp.SetUploadFiles(chromedp.CSS(`input[data-testid=avatar-input]`), []string{picPath}))
	waitFor[bool](a, "Alice's own picture in her settings", `(() => { const i = document.querySelector('img[data-testid=avatar-picture]');
		return !!i && i.complete && i.naturalWidth === 40 })()`)
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+bobID+"/messages", `{"body":"new picture"}`, nil); code != http.StatusOK {
		t.Fatalf("Alice's message: %d", code)
	}
	for try := 0; ; try++ {
		resp, err := bc.Get(bob.BaseURL() + "api/avatars/" + aliceID)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if try == 150 {
			t.Fatal("Bob's app never got Alice's picture")
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.open(bob.BaseURL())
	openFirstRow(b)
	waitFor[bool](b, "Alice's picture in Bob's conversation header", `(() => { const i = document.querySelector('.conv-head img[data-testid=avatar-picture]');
		return !!i && i.complete && i.naturalWidth === 40 })()`)

	// The HTML file is served as bytes to save, never as a page.
	href := eval[string](b, `[...document.querySelectorAll('[data-testid=attachment-file]')].find(e => e.textContent.includes('page.html')).querySelector('a[download]').getAttribute('href')`)
	resp, err := bc.Get(strings.TrimSuffix(bob.BaseURL(), "/") + href)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || string(body) != "<script>alert(1)</script>" {
		t.Fatalf("the HTML attachment: %d %v %q", resp.StatusCode, resp.Header, body)
	}
}

// fileCard is a page expression: a file card naming name holds an
// element matching sel.
func fileCard(name, sel string) string {
	return `[...document.querySelectorAll('[data-testid=attachment-file]')].some(e => e.textContent.includes(` + "'" + name + "'" + `) && e.querySelector('` + sel + `'))`
}

// With link previews on (the app has a SOCKS5 proxy), a link typed in the
// composer gets its preview above it (title, description, picture; the
// fetch itself is internal/linkpreview's, stubbed here in the page), and
// it goes with the message: the recipient's app has its title and
// picture.
func TestBrowserLinkPreviewComposer(t *testing.T) {
	devnettest.Need(t, testNet)
	px, err := socks5.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	browser := newBrowser(t)
	alice := startApp(t, "alice", Config{SOCKS5: px.Addr()})
	bob := startApp(t, "bob", Config{})
	bc, bobID := newAccount(t, bob, "Bob")
	a := newTab(t, browser, "alice", 1280, 800)
	onboard(a, alice.URL(), "Alice")
	aliceID := alice.account().SessionID()

	a.click("button", "Your Session ID")
	waitFor[bool](a, "the link-preview switch, usable", `(() => { const c = document.querySelector('[data-testid=previews-on]'); return !!c && !c.disabled })()`)
	a.do(chromedp.Click(chromedp.CSS(`[data-testid=previews-on]`)))
	waitFor[bool](a, "link previews on", `document.querySelector('[data-testid=previews-on]').checked`)

	img := image.NewRGBA(image.Rect(0, 0, 30, 10))
	var pic bytes.Buffer
	png.Encode(&pic, img)
	eval[bool](a, `(() => { const orig = window.fetch;
		window.fetch = (u, o) => String(u).startsWith('/api/link-preview?') ? Promise.resolve(new Response(JSON.stringify({
			url: 'https://example.com/story', title: 'A story', description: 'What happened', site_name: 'Example',
			image_data: 'data:image/png;base64,`+base64.StdEncoding.EncodeToString(pic.Bytes())+`'}),
			{status: 200, headers: {'Content-Type': 'application/json'}})) : orig(u, o);
		return true })()`)
	a.click("button", "New message")
	a.typeInto("textbox", "Session ID", bobID)
	a.do(chromedp.SendKeys(chromedp.CSS("#new-id"), kb.Enter))
	a.typeInto("textbox", "Message", "look https://example.com/story")
	waitFor[bool](a, "the preview above the composer", `(() => { const p = document.querySelector('[data-testid=compose-preview]');
		return !!p && !p.hidden && p.textContent.includes('A story') && p.textContent.includes('What happened') &&
			(i => !!i && i.complete && i.naturalWidth === 30)(p.querySelector('img')) })()`)
	a.click("button", "Send")
	waitFor[bool](a, "the message sent, with its card", `[...document.querySelectorAll('.msg.out')].some(li =>
		li.querySelector('[data-status=sent]') && (li.querySelector('[data-testid=link-preview]')?.textContent || '').includes('A story'))`)
	if eval[bool](a, `!document.querySelector('[data-testid=compose-preview]').hidden`) {
		t.Error("the composer kept the preview after sending")
	}

	// Bob's app has the preview, picture included, as Session would show it.
	for try := 0; ; try++ {
		var conv struct {
			Messages []struct {
				LinkPreview *struct {
					Title string `json:"title"`
					Image *struct {
						Width int `json:"width"`
					} `json:"image"`
				} `json:"link_preview"`
			} `json:"messages"`
		}
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/conversations/"+aliceID, "", &conv)
		if n := len(conv.Messages); n > 0 {
			lp := conv.Messages[n-1].LinkPreview
			if lp == nil || lp.Title != "A story" || lp.Image == nil || lp.Image.Width != 30 {
				t.Fatalf("Bob's copy of the preview: %+v", lp)
			}
			break
		}
		if try == 150 {
			t.Fatal("Bob never got the message")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
