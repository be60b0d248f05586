// Package linkpreview fetches the title and description of a web page for
// a link preview, without revealing the user's address: every connection
// goes through the dialer it is given (a SOCKS5 proxy such as Tor), and
// there is no direct fallback. Session's desktop app fetches previews from
// the user's own machine; this package refuses to.
//
// Every fetch is bounded: https only on port 443, no private, loopback or
// local names or addresses (checked again on every redirect, at most 3),
// HTML only, at most Config.MaxBytes read, one deadline for the whole
// fetch. No cookies, no referrer, no scripts: the page is only tokenized.
package linkpreview

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/session-go/session-go/internal/publicnet"
)

// Defaults of Config.
const (
	DefaultMaxBytes      = 256 << 10
	DefaultMaxImageBytes = 1 << 20
	DefaultTimeout       = 10 * time.Second
	maxRedirects         = 3
	maxTitle             = 200
	maxDescription       = 400
	maxURL               = 2048
)

// Errors.
var (
	// ErrNoProxy means no dialer was given: previews are never fetched
	// from the user's own address.
	ErrNoProxy = errors.New("linkpreview: link previews need a proxy (SOCKS5, such as Tor); none is set")
	// ErrRefused means the URL is not one this package fetches.
	ErrRefused = errors.New("linkpreview: refused")
	// ErrNotHTML means the page is not HTML (or not a 200).
	ErrNotHTML = errors.New("linkpreview: not an HTML page")
	// ErrNotImage means a preview's picture is not a PNG, JPEG, GIF or
	// WebP image (or not a 200).
	ErrNotImage = errors.New("linkpreview: not a picture")
	// ErrTooLarge means a picture is over Config.MaxImageBytes.
	ErrTooLarge = errors.New("linkpreview: too large")
)

// Config configures Fetch.
type Config struct {
	// Dial opens every connection (required): a SOCKS5 dialer that lets
	// the proxy resolve names.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// MaxBytes caps the page read; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxImageBytes caps a picture FetchImage reads; 0 means
	// DefaultMaxImageBytes.
	MaxImageBytes int64
	// Timeout bounds the whole fetch; 0 means DefaultTimeout.
	Timeout time.Duration
	// RootCAs verifies the server (nil: the system's roots).
	RootCAs *x509.CertPool
	// AllowLocal lists host:port targets allowed although local (tests).
	AllowLocal []string
}

// Preview is what a link preview shows.
type Preview struct {
	URL         string `json:"url"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	SiteName    string `json:"site_name,omitempty"`
	// Image is the page's picture (og:image): an https URL that Check
	// accepts, to fetch with FetchImage, or "".
	Image string `json:"image,omitempty"`
}

// Check reports whether raw is a URL Fetch may fetch, and why not.
func Check(raw string, allowLocal []string) (*url.URL, error) {
	if len(raw) > maxURL {
		return nil, fmt.Errorf("%w: URL of %d bytes", ErrRefused, len(raw))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not a URL", ErrRefused, clip(raw))
	}
	if slices.Contains(allowLocal, u.Host) {
		return u, nil
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("%w: only https links are previewed", ErrRefused)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: URL with a user name", ErrRefused)
	}
	if p := u.Port(); p != "" && p != "443" {
		return nil, fmt.Errorf("%w: port %s", ErrRefused, p)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if a, err := netip.ParseAddr(host); err == nil {
		if !publicnet.IsPublic(a) {
			return nil, fmt.Errorf("%w: %s is not a public address", ErrRefused, host)
		}
		return u, nil
	}
	if numericHost(host) {
		// 127.1, 0x7f.0.0.1, 0177.0.0.1: not a name, and not an address
		// netip reads, but one the proxy's resolver may (inet_aton).
		return nil, fmt.Errorf("%w: %q is a numeric host", ErrRefused, host)
	}
	if !strings.Contains(host, ".") || host == "localhost" {
		return nil, fmt.Errorf("%w: %q is a local name", ErrRefused, host)
	}
	for _, suffix := range []string{".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp"} {
		if strings.HasSuffix(host, suffix) {
			return nil, fmt.Errorf("%w: %q is a local name", ErrRefused, host)
		}
	}
	return u, nil
}

// numericHost reports whether host's last label is a number (decimal, or
// hexadecimal with 0x): no top-level domain is, but the shorthand and
// octal or hexadecimal forms of IPv4 addresses are.
func numericHost(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if h, ok := strings.CutPrefix(last, "0x"); ok {
		last = h
		return strings.Trim(last, "0123456789abcdef") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}

// get makes a GET of raw through cfg.Dial with the package's limits
// (redirects re-checked); the caller closes the body and calls done.
func get(ctx context.Context, cfg Config, raw, accept string) (resp *http.Response, done func(), err error) {
	if cfg.Dial == nil {
		return nil, nil, ErrNoProxy
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	u, err := Check(raw, cfg.AllowLocal)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	tr := &http.Transport{
		Proxy:                  nil, // cfg.Dial is the only way out
		DialContext:            cfg.Dial,
		TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 32 << 10,
		DisableKeepAlives:      true,
		DisableCompression:     true, // no decompression bombs
	}
	done = func() { tr.CloseIdleConnections(); cancel() }
	hc := &http.Client{
		Transport: tr,
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrRefused, maxRedirects)
			}
			_, err := Check(r.URL.String(), cfg.AllowLocal)
			return err
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "Mozilla/5.0 (link preview)")
	resp, err = hc.Do(req)
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("linkpreview: %w", err)
	}
	return resp, done, nil
}

// Fetch fetches raw's page through cfg.Dial and returns its preview.
func Fetch(ctx context.Context, cfg Config, raw string) (Preview, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	resp, done, err := get(ctx, cfg, raw, "text/html")
	if err != nil {
		return Preview{}, err
	}
	defer done()
	defer resp.Body.Close()
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || (mt != "text/html" && mt != "application/xhtml+xml") {
		return Preview{}, fmt.Errorf("%w: status %d, type %q", ErrNotHTML, resp.StatusCode, clip(mt))
	}
	p, err := Parse(io.LimitReader(resp.Body, cfg.MaxBytes))
	if err != nil {
		return Preview{}, err
	}
	p.URL = resp.Request.URL.String()
	if p.Image != "" {
		// Relative to the page; kept only if it is one Check accepts.
		img, err := resp.Request.URL.Parse(p.Image)
		p.Image = ""
		if err == nil {
			if _, err := Check(img.String(), cfg.AllowLocal); err == nil {
				p.Image = img.String()
			}
		}
	}
	return p, nil
}

// imageTypes are the pictures FetchImage takes.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// FetchImage fetches a preview's picture (Preview.Image) through cfg.Dial
// with the same limits as Fetch: a PNG, JPEG, GIF or WebP image (as
// announced and as its first bytes say) of at most cfg.MaxImageBytes. It
// returns the bytes and their type.
func FetchImage(ctx context.Context, cfg Config, raw string) ([]byte, string, error) {
	if cfg.MaxImageBytes <= 0 {
		cfg.MaxImageBytes = DefaultMaxImageBytes
	}
	resp, done, err := get(ctx, cfg, raw, "image/png,image/jpeg,image/gif,image/webp")
	if err != nil {
		return nil, "", err
	}
	defer done()
	defer resp.Body.Close()
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || !imageTypes[mt] {
		return nil, "", fmt.Errorf("%w: status %d, type %q", ErrNotImage, resp.StatusCode, clip(mt))
	}
	if resp.ContentLength > cfg.MaxImageBytes {
		return nil, "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, resp.ContentLength, cfg.MaxImageBytes)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, cfg.MaxImageBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("linkpreview: %w", err)
	}
	if int64(len(b)) > cfg.MaxImageBytes {
		return nil, "", fmt.Errorf("%w: over %d bytes", ErrTooLarge, cfg.MaxImageBytes)
	}
	if sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(b)); sniffed != mt {
		return nil, "", fmt.Errorf("%w: announced %q, looks like %q", ErrNotImage, mt, sniffed)
	}
	return b, mt, nil
}

// Parse reads a page's title, description and site name (Open Graph
// tags first, then <title> and <meta name=description>) from HTML. It only
// tokenizes: nothing in the page is run or followed.
func Parse(r io.Reader) (Preview, error) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(64 << 10)
	var p Preview
	var title, desc string
	inTitle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if p.Title == "" {
				p.Title = title
			}
			if p.Description == "" {
				p.Description = desc
			}
			p.Title, p.Description, p.SiteName = clean(p.Title, maxTitle), clean(p.Description, maxDescription), clean(p.SiteName, maxTitle)
			if p.Title == "" && p.Description == "" {
				return p, fmt.Errorf("%w: no title", ErrNotHTML)
			}
			return p, nil
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "title":
				inTitle = tt == html.StartTagToken
			case "meta":
				var prop, content string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch strings.ToLower(string(k)) {
					case "property", "name":
						prop = strings.ToLower(string(v))
					case "content":
						content = string(v)
					}
				}
				switch prop {
				case "og:title":
					p.Title = content
				case "og:description":
					p.Description = content
				case "og:site_name":
					p.SiteName = content
				case "og:image", "og:image:url", "og:image:secure_url":
					if len(content) <= maxURL && (p.Image == "" || strings.HasPrefix(content, "https:")) {
						p.Image = strings.TrimSpace(content)
					}
				case "description":
					desc = content
				}
			case "body":
				// Everything a preview needs is in <head>.
				if p.Title == "" {
					p.Title = title
				}
				if p.Description == "" {
					p.Description = desc
				}
				p.Title, p.Description, p.SiteName = clean(p.Title, maxTitle), clean(p.Description, maxDescription), clean(p.SiteName, maxTitle)
				if p.Title == "" && p.Description == "" {
					return p, fmt.Errorf("%w: no title", ErrNotHTML)
				}
				return p, nil
			}
		case html.TextToken:
			if inTitle && len(title) < 4*maxTitle {
				title += string(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "title" {
				inTitle = false
			}
		}
	}
}

// clean makes page text safe to show: valid UTF-8, no control or
// direction-override characters, white space collapsed, at most max bytes.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	for len(s) > max {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
