package linkpreview

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/proxy"

	"github.com/session-go/session-go/internal/publicnet"
	"github.com/session-go/session-go/internal/testutil/socks5"
)

const page = `<!doctype html><html><head><title>Plain title</title>
<meta property="og:title" content="A  page&amp;title">
<meta name="description" content="plain description">
<meta property="og:site_name" content="Example">
<script>document.cookie</script></head><body>` + "\u202e" + `body text</body></html>`

// setup runs an HTTPS site and a SOCKS5 proxy on 127.0.0.1 and returns a
// Config that reaches the site only through the proxy.
func setup(t *testing.T, h http.HandlerFunc) (Config, *httptest.Server, *socks5.Server) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	px, err := socks5.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	d, err := proxy.SOCKS5("tcp", px.Addr(), nil, &net.Dialer{})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	host := strings.TrimPrefix(srv.URL, "https://")
	return Config{Dial: d.(proxy.ContextDialer).DialContext, RootCAs: pool, AllowLocal: []string{host}}, srv, px
}

func TestFetchThroughTheProxy(t *testing.T) {
	cfg, srv, px := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "" || r.Header.Get("Referer") != "" {
			t.Errorf("the fetch sent %q / %q", r.Header.Get("Cookie"), r.Header.Get("Referer"))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	p, err := Fetch(t.Context(), cfg, srv.URL+"/article")
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "A page&title" || p.Description != "plain description" || p.SiteName != "Example" {
		t.Fatalf("preview: %+v", p)
	}
	host := strings.TrimPrefix(srv.URL, "https://")
	if !slices.Contains(px.Destinations(), host) {
		t.Fatalf("the fetch did not go through the proxy (it reached %v)", px.Destinations())
	}
}

func TestFetchRefuses(t *testing.T) {
	cfg, srv, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"title":"x"}`))
		case "/redirect":
			http.Redirect(w, r, "https://127.0.0.1:1/secret", http.StatusFound)
		case "/huge":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><head>"))
			w.Write([]byte(strings.Repeat("<meta name=x content=y>", 100_000)))
		}
	})
	if _, err := Fetch(t.Context(), Config{}, "https://example.com/"); !errors.Is(err, ErrNoProxy) {
		t.Errorf("no proxy: %v", err)
	}
	for _, u := range []string{
		"http://example.com/", "ftp://example.com/", "https://user@example.com/", "https://example.com:8443/",
		"https://127.0.0.1/", "https://10.1.2.3/", "https://[::1]/", "https://169.254.169.254/", "https://localhost/",
		"https://intranet/", "https://printer.local/", "https://db.internal/", "not a url", "https://" + strings.Repeat("a", 3000) + ".com/",
	} {
		if _, err := Fetch(t.Context(), cfg, u); !errors.Is(err, ErrRefused) {
			t.Errorf("%.60s: %v, want ErrRefused", u, err)
		}
	}
	if _, err := Fetch(t.Context(), cfg, srv.URL+"/json"); !errors.Is(err, ErrNotHTML) {
		t.Errorf("JSON: %v", err)
	}
	if _, err := Fetch(t.Context(), cfg, srv.URL+"/redirect"); !errors.Is(err, ErrRefused) {
		t.Errorf("redirect to a local address: %v", err)
	}
	// A page larger than the cap is read only up to it.
	cfg.MaxBytes = 4096
	if _, err := Fetch(t.Context(), cfg, srv.URL+"/huge"); !errors.Is(err, ErrNotHTML) {
		t.Errorf("huge page without a title: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Fetch(ctx, cfg, srv.URL+"/json"); err == nil {
		t.Error("a cancelled fetch succeeded")
	}
}

func TestParseFallbacks(t *testing.T) {
	p, err := Parse(strings.NewReader(`<title> Only
 a title </title><meta name="description" content="d">`))
	if err != nil || p.Title != "Only a title" || p.Description != "d" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := Parse(strings.NewReader(`<body>no head</body>`)); !errors.Is(err, ErrNotHTML) {
		t.Fatalf("no title: %v", err)
	}
}

// FuzzParse: pages are written by anyone.
func FuzzParse(f *testing.F) {
	f.Add(page)
	f.Add("<title>")
	f.Add(`<meta property="og:title" content="` + strings.Repeat("é", 300) + `">`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		if len(p.Title) > maxTitle || len(p.Description) > maxDescription || !utf8Valid(p.Title+p.Description+p.SiteName) {
			t.Fatalf("unbounded or invalid preview: %+v", p)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// A page's picture (og:image, resolved against the page) is named in the
// preview and fetched through the proxy, only when it is a picture of at
// most MaxImageBytes, as announced and as its bytes say.
func TestFetchImage(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	cfg, srv, px := setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/article":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<html><head><title>T</title><meta property="og:image" content="/pic.png"></head></html>`))
		case "/pic.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		case "/big.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(append(png, make([]byte, 2000)...))
		case "/liar.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("<html><script>x</script></html>"))
		case "/page.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Write([]byte("<svg/>"))
		}
	})
	p, err := Fetch(t.Context(), cfg, srv.URL+"/article")
	if err != nil || p.Image != srv.URL+"/pic.png" {
		t.Fatalf("preview: %+v %v", p, err)
	}
	cfg.MaxImageBytes = 1000
	b, ct, err := FetchImage(t.Context(), cfg, p.Image)
	if err != nil || ct != "image/png" || len(b) != len(png) {
		t.Fatalf("picture: %d bytes %q %v", len(b), ct, err)
	}
	if !slices.Contains(px.Destinations(), strings.TrimPrefix(srv.URL, "https://")) {
		t.Fatal("not fetched through the proxy")
	}
	for path, want := range map[string]error{"/big.png": ErrTooLarge, "/liar.png": ErrNotImage, "/page.svg": ErrNotImage} {
		if _, _, err := FetchImage(t.Context(), cfg, srv.URL+path); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", path, err, want)
		}
	}
	if _, _, err := FetchImage(t.Context(), cfg, "https://127.0.0.1/x.png"); !errors.Is(err, ErrRefused) {
		t.Errorf("a loopback picture: %v", err)
	}
	// A page naming a local picture gets no picture.
	if p, _ := Parse(strings.NewReader(`<title>x</title><meta property="og:image" content="https://10.0.0.1/a.png">`)); p.Image == "" {
		t.Error("Parse dropped og:image (Fetch checks it)")
	}
}

// TestCheckRefusesNumericHosts: IPv4 addresses written in the forms that
// netip does not read but a resolver's inet_aton does (shorthand, octal,
// hexadecimal, one number) are refused like the addresses they stand
// for, not passed on to the proxy as names.
func TestCheckRefusesNumericHosts(t *testing.T) {
	for _, u := range []string{
		"https://127.1/", "https://10.1/x", "https://0177.0.0.1/", "https://0x7f.0.0.1/", "https://0x7f000001/",
		"https://2130706433/", "https://127.0.0.1./", "https://a.0x0a/", "https://192.168.1.1.:443/",
	} {
		if _, err := Check(u, nil); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want ErrRefused", u, err)
		}
	}
	for _, u := range []string{"https://example.com/", "https://1.1.1.1/", "https://x.com/", "https://0x.example.org/", "https://9gag.com/"} {
		if _, err := Check(u, nil); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// FuzzCheck: whatever Check accepts (links in received messages are
// checked with it) is https on port 443 with a host that is neither a
// non-public address nor numeric.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"https://example.com/a?b#c", "https://127.1/", "https://[::ffff:127.0.0.1]/", "https://1.1.1.1:443/", "http://x.com", "https://a.b.c.d.0x1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := Check(raw, nil)
		if err != nil {
			return
		}
		if u.Scheme != "https" || u.User != nil || (u.Port() != "" && u.Port() != "443") {
			t.Fatalf("accepted %q", raw)
		}
		host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		if a, err := netip.ParseAddr(host); err == nil && !publicnet.IsPublic(a) {
			t.Fatalf("accepted the non-public address in %q", raw)
		}
		if numericHost(host) && !strings.Contains(host, ":") {
			if _, err := netip.ParseAddr(host); err != nil {
				t.Fatalf("accepted the numeric host in %q", raw)
			}
		}
	})
}
