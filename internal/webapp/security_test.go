package webapp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/mnemonic"
)

// offlineApp is an app with no account on a network that is never
// reached: enough for the HTTP surface.
func offlineApp(t testing.TB) *testApp {
	t.Helper()
	return startApp(t, "offline", Config{Network: filepath.Join(t.TempDir(), "no-network.json")})
}

func do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	if c == nil {
		c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func newReq(t testing.TB, method, url, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// signedIn returns an HTTP client that followed the app's link.
func signedIn(t testing.TB, a *testApp) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, _ := do(t, c, newReq(t, http.MethodGet, a.URL(), ""))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("following the app's link: %d", resp.StatusCode)
	}
	return c
}

func TestTokenBecomesCookie(t *testing.T) {
	a := offlineApp(t)
	resp, _ := do(t, nil, newReq(t, http.MethodGet, a.URL(), ""))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("the link answers %d to %q; want a 303 to / (the token leaves the address bar)", resp.StatusCode, resp.Header.Get("Location"))
	}
	cks := resp.Cookies()
	if len(cks) != 1 {
		t.Fatalf("got %d cookies", len(cks))
	}
	ck := cks[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/", ck)
	}
	// A wrong token gets nothing.
	resp, _ = do(t, nil, newReq(t, http.MethodGet, a.BaseURL()+"?token=00", ""))
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Errorf("a wrong token: %d with %d cookies; want 401 and none", resp.StatusCode, len(resp.Cookies()))
	}
	// With the cookie, the API answers.
	c := signedIn(t, a)
	resp, body := do(t, c, newReq(t, http.MethodGet, a.BaseURL()+"api/state", ""))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"account":null`) {
		t.Errorf("state with the cookie: %d %s", resp.StatusCode, body)
	}
}

func TestAPIWithoutTokenIs401(t *testing.T) {
	a := offlineApp(t)
	for _, p := range []string{"api/state", "api/events", "api/conversations", "api/recovery-password", "api/qr.svg", "api/nope"} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			body := ""
			if m == http.MethodPost {
				body = `{"confirm":true}`
			}
			req := newReq(t, m, a.BaseURL()+p, body)
			// Someone else's cookie, or a guessed one, is no better.
			req.AddCookie(&http.Cookie{Name: cookiePrefix + a.port, Value: strings.Repeat("0", 64)})
			resp, _ := do(t, nil, req)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s /%s without the token: %d, want 401", m, p, resp.StatusCode)
			}
		}
	}
}

func TestForeignHostIs403(t *testing.T) {
	a := offlineApp(t)
	for host, want := range map[string]int{
		"evil.example:" + a.port:       http.StatusForbidden, // DNS rebinding
		"evil.example":                 http.StatusForbidden,
		"127.0.0.1.nip.io:" + a.port:   http.StatusForbidden,
		"localhost:" + a.port:          http.StatusOK,
		"127.0.0.1:" + a.port:          http.StatusOK,
		"127.0.0.1:1" + a.port:         http.StatusForbidden, // another port
		"[::1]:" + a.port:              http.StatusOK,
		"localhost.evil.com:" + a.port: http.StatusForbidden,
	} {
		for _, p := range []string{"", "api/state"} {
			req := newReq(t, http.MethodGet, a.BaseURL()+p, "")
			req.Host = host
			req.AddCookie(&http.Cookie{Name: a.cookieName(), Value: a.token})
			resp, _ := do(t, nil, req)
			if resp.StatusCode != want {
				t.Errorf("Host %q, /%s: %d, want %d", host, p, resp.StatusCode, want)
			}
		}
	}
}

func TestHeaders(t *testing.T) {
	a := offlineApp(t)
	c := signedIn(t, a)
	for _, p := range []string{"", "app.js", "api/state"} {
		req := newReq(t, http.MethodGet, a.BaseURL()+p, "")
		req.Header.Set("Origin", "https://evil.example")
		resp, _ := do(t, c, req)
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("/%s: CSP %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
			t.Errorf("/%s: CSP %q allows inline code or a remote origin", p, csp)
		}
		for h := range resp.Header {
			if strings.HasPrefix(h, "Access-Control-") {
				t.Errorf("/%s: CORS header %s sent", p, h)
			}
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("/%s: no nosniff", p)
		}
	}
	// The page has no inline script: every <script> has a src, and no
	// element has an event-handler attribute.
	_, page := do(t, c, newReq(t, http.MethodGet, a.BaseURL(), ""))
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("index.html has an inline script: %s", tag)
		}
	}
	if m := regexp.MustCompile(`\son[a-z]+\s*=`).FindString(page); m != "" {
		t.Errorf("index.html has an event-handler attribute: %q", m)
	}
}

func TestStateChangesNeedSameOriginJSON(t *testing.T) {
	a := offlineApp(t)
	c := signedIn(t, a)
	// A form post (what another site can send without a preflight).
	req, _ := http.NewRequest(http.MethodPost, a.BaseURL()+"api/account/create", strings.NewReader("display_name=Mallory"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form post: %d, want 415", resp.StatusCode)
	}
	// A cross-site fetch, as the browser labels it.
	req = newReq(t, http.MethodPost, a.BaseURL()+"api/account/create", `{"display_name":"Mallory"}`)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", resp.StatusCode)
	}
	// Unknown fields and oversized bodies are refused.
	req = newReq(t, http.MethodPost, a.BaseURL()+"api/account/create", `{"display_name":"A","admin":true}`)
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: %d, want 400", resp.StatusCode)
	}
	req = newReq(t, http.MethodPost, a.BaseURL()+"api/account/create", `{"display_name":"`+strings.Repeat("a", maxBody)+`"}`)
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", resp.StatusCode)
	}
	// Onboarding checks the display name the way Session does.
	for body, want := range map[string]string{
		`{"display_name":"   "}`:                             "Please enter a display name",
		`{"display_name":"` + strings.Repeat("é", 51) + `"}`: "shorter display name",
		`{"display_name":"a\u0007b"}`:                        "control characters",
	} {
		resp, got := do(t, c, newReq(t, http.MethodPost, a.BaseURL()+"api/account/create", body))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(got, want) {
			t.Errorf("create %s: %d %s, want 400 with %q", body, resp.StatusCode, got, want)
		}
	}
	// Restore names the bad word and its position.
	words, err := mnemonic.Encode(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Fields(words)
	w[5] = "zzz"
	resp, got := do(t, c, newReq(t, http.MethodPost, a.BaseURL()+"api/account/restore",
		`{"recovery_password":"`+strings.Join(w, " ")+`"}`))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(got, `word 6`) || !strings.Contains(got, "zzz") {
		t.Errorf("restore with a bad 6th word: %d %s", resp.StatusCode, got)
	}
	// Before onboarding, the account's calls say there is no account.
	if resp, _ := do(t, c, newReq(t, http.MethodGet, a.BaseURL()+"api/conversations", "")); resp.StatusCode != http.StatusConflict {
		t.Errorf("conversations before onboarding: %d, want 409", resp.StatusCode)
	}
}

func TestListenNeedsExplicitRemote(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Home: t.TempDir(), Network: "x.json", Listen: "0.0.0.0:0"}
	if _, err := New(ctx, cfg); !errors.Is(err, ErrRemoteListen) {
		t.Errorf("0.0.0.0 without AllowRemote: %v, want ErrRemoteListen", err)
	}
	for _, bad := range []string{"127.0.0.1", "127.0.0.1:99999", "nope:x"} {
		cfg.Listen = bad
		if _, err := New(ctx, cfg); !errors.Is(err, ErrBadListen) {
			t.Errorf("listen %q: %v, want ErrBadListen", bad, err)
		}
	}
	// An empty host is loopback, not every interface.
	cfg.Listen = ":0"
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.shutdown()
	if s.Remote() || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf(":0 serves on %s (remote %v), want 127.0.0.1", s.URL(), s.Remote())
	}
}
