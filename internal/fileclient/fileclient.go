// Package fileclient talks to a Session file server through onion
// requests: upload a blob, download it, ask about it. It holds no state
// and does no crypto of its own beyond the onion layers; blobs are already
// encrypted by package attachment.
package fileclient

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onion"
)

// Sentinel errors.
var (
	// ErrServer means the file server answered with an error status.
	ErrServer = errors.New("fileclient: file server error")
	// ErrNotFound means the file is not (or no longer) on the server.
	ErrNotFound = errors.New("fileclient: file not found")
	// ErrBadURL means an attachment URL or server description is unusable.
	ErrBadURL = errors.New("fileclient: bad file URL")
	// ErrTooLarge means a download is larger than the caller allows.
	ErrTooLarge = errors.New("fileclient: file too large")
)

// Requester sends a v4 request to a server through an onion path; an
// *onionreq.Client is one.
type Requester interface {
	ServerRequest(ctx context.Context, server onion.ServerDestination, req onion.V4Request) (*onion.V4Response, error)
}

// Server is a file server: its base URL and onion key.
type Server struct {
	// URL is the base URL, e.g. http://filev2.getsession.org.
	URL string
	// X25519 is its onion-request key.
	X25519 [onion.KeySize]byte
}

// FromNetwork returns the server a network file names.
func FromNetwork(fs *netview.FileServer) (Server, error) {
	if fs == nil {
		return Server{}, fmt.Errorf("%w: the network has no file server", ErrBadURL)
	}
	k, err := hex.DecodeString(fs.X25519)
	if err != nil || len(k) != onion.KeySize {
		return Server{}, fmt.Errorf("%w: pubkey_x25519 %q is not 32 bytes of hex", ErrBadURL, fs.X25519)
	}
	s := Server{URL: strings.TrimRight(fs.URL, "/")}
	copy(s.X25519[:], k)
	if _, err := s.destination(); err != nil {
		return Server{}, err
	}
	return s, nil
}

// destination is the onion destination of the server.
func (s Server) destination() (onion.ServerDestination, error) {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return onion.ServerDestination{}, fmt.Errorf("%w: %q", ErrBadURL, s.URL)
	}
	d := onion.ServerDestination{Host: u.Hostname(), Target: "/oxen/v4/lsrpc", Protocol: u.Scheme, X25519: s.X25519}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return d, fmt.Errorf("%w: port in %q", ErrBadURL, s.URL)
		}
		d.Port = uint16(n)
	}
	return d, nil
}

// FileURL is the attachment URL of id on s, as Session writes it: the
// server's URL, /file/<id>, and a fragment naming the server's key (so a
// receiver can reach a server that is not Session's default one) and,
// with deterministic set, the "S" format.
func (s Server) FileURL(id string, deterministic bool) string {
	frag := "p=" + hex.EncodeToString(s.X25519[:])
	if deterministic {
		frag = "d=&" + frag
	}
	return s.URL + "/file/" + id + "#" + frag
}

// sessionFileServers are the onion keys of Session's own file servers,
// which Session's clients have compiled in: their attachment URLs carry no
// key (libsession-util's network code and session-desktop name them).
var sessionFileServers = map[string]string{
	"filev2.getsession.org": "da21e1d886c6fbaea313f75298bd64aab03a97ce985b46bb2dad9f2089c8ee59",
	"88.99.175.227":         "7cb31905b55cd5580c686911debf672577b3fb0bff81df4ce2d5c4cb3a7aaa69",
}

// ParseFileURL splits an attachment URL into its server and file id. A URL
// must name the server's onion key in its fragment (p=), unless it is one
// of Session's own file servers, whose keys Session's clients (and this
// package) know: this client only trusts servers whose onion key it is
// given.
func ParseFileURL(raw string) (Server, string, error) {
	if len(raw) > 2048 {
		return Server{}, "", fmt.Errorf("%w: %d bytes", ErrBadURL, len(raw))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Server{}, "", fmt.Errorf("%w: %q", ErrBadURL, clip(raw))
	}
	base, id, ok := strings.Cut(u.EscapedPath(), "/file/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return Server{}, "", fmt.Errorf("%w: no /file/<id> in %q", ErrBadURL, clip(raw))
	}
	q, _ := url.ParseQuery(u.Fragment)
	pk := q.Get("p")
	if known, ok := sessionFileServers[u.Host]; ok && pk == "" {
		pk = known
	}
	k, err := hex.DecodeString(pk)
	if err != nil || len(k) != onion.KeySize {
		return Server{}, "", fmt.Errorf("%w: no server key in %q", ErrBadURL, clip(raw))
	}
	s := Server{URL: u.Scheme + "://" + u.Host + base}
	copy(s.X25519[:], k)
	if h := u.Hostname(); h == "" || strings.ContainsAny(h, " /") || (net.ParseIP(h) == nil && !validHostname(h)) {
		return Server{}, "", fmt.Errorf("%w: host in %q", ErrBadURL, clip(raw))
	}
	return s, id, nil
}

func validHostname(h string) bool {
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Upload stores blob on s and returns its id and expiry. ttl 0 leaves the
// expiry to the server.
func Upload(ctx context.Context, r Requester, s Server, blob []byte, ttl time.Duration) (string, time.Time, error) {
	d, err := s.destination()
	if err != nil {
		return "", time.Time{}, err
	}
	h := map[string]string{"Content-Type": "application/octet-stream"}
	if ttl > 0 {
		h["X-FS-TTL"] = strconv.FormatInt(int64(ttl.Seconds()), 10)
	}
	resp, err := r.ServerRequest(ctx, d, onion.V4Request{Method: "POST", Endpoint: "/file", Headers: h, Body: blob})
	if err != nil {
		return "", time.Time{}, err
	}
	if err := status(resp); err != nil {
		return "", time.Time{}, err
	}
	var out struct {
		ID      string  `json:"id"`
		Expires float64 `json:"expires"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.ID == "" || len(out.ID) > 128 {
		return "", time.Time{}, fmt.Errorf("%w: unexpected upload answer", ErrServer)
	}
	return out.ID, seconds(out.Expires), nil
}

// Download fetches file id from s, refusing more than max bytes.
func Download(ctx context.Context, r Requester, s Server, id string, max int64) ([]byte, error) {
	d, err := s.destination()
	if err != nil {
		return nil, err
	}
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "/?#%") {
		return nil, fmt.Errorf("%w: file id %q", ErrBadURL, clip(id))
	}
	resp, err := r.ServerRequest(ctx, d, onion.V4Request{Method: "GET", Endpoint: "/file/" + id})
	if err != nil {
		return nil, err
	}
	if err := status(resp); err != nil {
		return nil, err
	}
	if int64(len(resp.Body)) > max {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(resp.Body))
	}
	return resp.Body, nil
}

// Info asks s whether file id is there and until when (ErrNotFound when
// it is not: never uploaded, expired, or removed).
func Info(ctx context.Context, r Requester, s Server, id string) (size int64, expires time.Time, err error) {
	d, err := s.destination()
	if err != nil {
		return 0, time.Time{}, err
	}
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "/?#%") {
		return 0, time.Time{}, fmt.Errorf("%w: file id %q", ErrBadURL, clip(id))
	}
	resp, err := r.ServerRequest(ctx, d, onion.V4Request{Method: "GET", Endpoint: "/file/" + id + "/info"})
	if err != nil {
		return 0, time.Time{}, err
	}
	if err := status(resp); err != nil {
		return 0, time.Time{}, err
	}
	var out struct {
		Size    int64   `json:"size"`
		Expires float64 `json:"expires"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.Size < 0 {
		return 0, time.Time{}, fmt.Errorf("%w: unexpected info answer", ErrServer)
	}
	return out.Size, seconds(out.Expires), nil
}

func status(resp *onion.V4Response) error {
	switch {
	case resp.Code == 404:
		return ErrNotFound
	case resp.Code < 200 || resp.Code > 299:
		return fmt.Errorf("%w: status %d", ErrServer, resp.Code)
	}
	return nil
}

func seconds(f float64) time.Time {
	if math.IsNaN(f) || f <= 0 || f > 1e11 {
		return time.Time{}
	}
	return time.UnixMilli(int64(f * 1000))
}
