// Package webapp is `session app`: the messenger as a web app served by the
// session binary on 127.0.0.1, with every asset embedded. The browser is the
// window; the page talks to a small JSON API under /api/ built on the public
// client library, and gets live updates as Server-Sent Events fed by the
// client's event stream.
//
// # Security
//
// A local web app is an attack surface: any web page the user visits can
// make the browser send requests to 127.0.0.1. So:
//
//   - the printed URL carries a random access token; the first visit turns
//     it into an HttpOnly, SameSite=Strict cookie and redirects to a URL
//     without it. Every /api/ request without that cookie gets 401;
//   - a request whose Host is not the listen address, localhost or
//     127.0.0.1 gets 403, which defeats DNS rebinding;
//   - state-changing requests must be same-origin JSON
//     (http.CrossOriginProtection and a Content-Type check); no CORS
//     headers are ever sent;
//   - every page carries a Content-Security-Policy that allows scripts,
//     styles and connections from the app itself only, with no inline
//     script; the page renders every name and message as text, never HTML;
//   - binding an address other than loopback needs Config.AllowRemote.
package webapp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/session-go/session-go/client"
)

// DefaultListen is where `session app` serves when no address is given. When
// that port is taken (a second app on the same machine), a free port is used.
const DefaultListen = "127.0.0.1:7717"

// cookiePrefix names the session cookie that replaces the URL's token.
// Browsers share cookies between the ports of one host, so the name
// carries the port: two apps on one machine each keep their own.
const cookiePrefix = "session_app_"

// maxBody caps every request body (a message is at most 32 KiB of text,
// which JSON escaping can grow a few times).
const maxBody = 256 << 10

// contentSecurityPolicy allows nothing but the app's own files: no inline
// script or style, no remote origin, no framing. (blob: media is a file the
// user picked, measured before it is sent.)
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; " +
	"connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed web
var webFiles embed.FS

// Errors a caller can test for with errors.Is.
var (
	// ErrRemoteListen means a non-loopback listen address was given without AllowRemote.
	ErrRemoteListen = errors.New("listening on an address other than 127.0.0.1 exposes your messages to the network (add --allow-remote to do it anyway)")
	// ErrBadListen means the listen address is not host:port.
	ErrBadListen = errors.New("invalid listen address (want host:port, e.g. 127.0.0.1:7717 or :0)")
)

// Config configures the app.
type Config struct {
	// Listen is the host:port to serve on; "" means DefaultListen (or a free
	// port when it is taken). An empty host means 127.0.0.1; port 0 picks a
	// free port.
	Listen string
	// AllowRemote allows a listen address other than loopback.
	AllowRemote bool
	// Home is the account directory.
	Home string
	// Network is the network file; "" means the one the home remembers, or
	// else the local test network in DevnetDir.
	Network string
	// SOCKS5 is an optional SOCKS5 proxy (host:port) for all network traffic.
	SOCKS5 string
	// Passphrase, when set, derives the database key.
	Passphrase []byte
	// DevnetDir is where the local test network lives (its network.json,
	// node data and the Echo bot's home).
	DevnetDir string
	// DevnetNodes is the size of a local test network this app starts (default 7).
	DevnetNodes int
	// NodeCommand runs a service node: the binary and the arguments that
	// come before "run" (e.g. the session binary and "node").
	NodeCommand []string
	// Logger receives the app's log; nil discards it.
	Logger *slog.Logger
	// Assets, when set, replaces the embedded web files (live editing).
	Assets fs.FS
	// Version is shown in the settings.
	Version string
}

// Server is a running app.
type Server struct {
	cfg   Config
	log   *slog.Logger
	token string
	ln    net.Listener
	host  string // the listen host, for the Host check
	port  string
	http  *http.Server
	hub   *hub
	net   atomic.Pointer[localNet] // the local test network, when in use
	files fs.FS

	gen     atomic.Uint64 // counts changes of what the lists show
	listsMu sync.Mutex    // guards lists
	lists   *lists        // the lists as of generation lists.gen

	convo convoState // the conversation settings' state (convo_settings.go)

	statusMu sync.Mutex // guards conn, warnings
	conn     *connection
	warnings []warning

	mu        sync.Mutex // guards c, runCancel, network
	c         *client.Client
	runCancel context.CancelFunc
	runDone   chan struct{}
	network   string // the network file in use
}

// New resolves the network (starting the local test network if that is the
// one to use), opens the account if the home has one, and starts listening.
// Serve then serves until its context ends.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DevnetNodes == 0 {
		cfg.DevnetNodes = 7
	}
	files := cfg.Assets
	if files == nil {
		sub, err := fs.Sub(webFiles, "web")
		if err != nil {
			return nil, err
		}
		files = sub
	}
	ln, host, port, err := listen(cfg.Listen, cfg.AllowRemote)
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		ln.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, token: hex.EncodeToString(tok), ln: ln, host: host, port: port, hub: newHub(), files: files}
	if err := s.openAccount(ctx); err != nil {
		s.shutdown()
		return nil, err
	}
	s.http = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// A whole request, body included, within 30 s; no write timeout,
		// which would cut the event streams.
		ReadTimeout:    30 * time.Second,
		MaxHeaderBytes: 64 << 10,
		IdleTimeout:    2 * time.Minute,
		ErrorLog:       slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// listen binds addr, refusing non-loopback addresses unless allowRemote.
func listen(addr string, allowRemote bool) (net.Listener, string, string, error) {
	fallback := false
	if addr == "" {
		addr, fallback = DefaultListen, true
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", "", fmt.Errorf("%w: %q", ErrBadListen, addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, "", "", fmt.Errorf("%w: %q", ErrBadListen, addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !isLoopback(host) && !allowRemote {
		return nil, "", "", fmt.Errorf("%w: %q", ErrRemoteListen, addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil && fallback {
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
	}
	if err != nil {
		return nil, "", "", err
	}
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return ln, host, port, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Remote reports whether the app listens on an address other than loopback.
func (s *Server) Remote() bool { return !isLoopback(s.host) }

// URL is the address to open, with the access token.
func (s *Server) URL() string {
	host := s.host
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, s.port) + "/?token=" + s.token
}

// BaseURL is the app's address without the token.
func (s *Server) BaseURL() string {
	u, _ := url.Parse(s.URL())
	u.RawQuery = ""
	return u.String()
}

// Serve serves the app until ctx ends, then stops the account's client and
// the local test network this app started.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	superCtx, stopSuper := context.WithCancel(ctx)
	superDone := make(chan struct{})
	go func() { defer close(superDone); s.supervise(superCtx) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stopSuper()
	<-superDone
	s.hub.close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(sctx)
	s.shutdown()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// shutdown closes the client, the Echo bot and the local network.
func (s *Server) shutdown() {
	s.mu.Lock()
	c, cancel, done := s.c, s.runCancel, s.runDone
	s.c = nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if c != nil {
		c.Close()
	}
	if ln := s.net.Swap(nil); ln != nil {
		ln.stop()
	}
	s.ln.Close()
}

// clientOptions are the options for the account's client.
func (s *Server) clientOptions() client.Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return client.Options{Home: s.cfg.Home, Network: s.network, SOCKS5: s.cfg.SOCKS5, Passphrase: s.cfg.Passphrase, Logger: s.log.With("part", "client")}
}

// openAccount opens the home's account, if any, after choosing the network.
func (s *Server) openAccount(ctx context.Context) error {
	network := s.cfg.Network
	c, err := client.Open(ctx, client.Options{Home: s.cfg.Home, Network: network, SOCKS5: s.cfg.SOCKS5, Passphrase: s.cfg.Passphrase, Logger: s.log.With("part", "client")})
	switch {
	case errors.Is(err, client.ErrNoAccount):
		c = nil
	case err != nil:
		return err
	}
	if network == "" && c != nil {
		network = c.NetworkStatus().NetworkFile
	}
	if network == "" || s.isLocal(network) {
		ln, err := startLocalNet(ctx, s.cfg, s.log)
		if err != nil {
			if c != nil {
				c.Close()
			}
			return err
		}
		s.net.Store(ln)
		network = ln.networkFile
		if c != nil && c.NetworkStatus().NetworkFile == "" {
			// An account that never had a network: reopen it on the local one.
			c.Close()
			if c, err = client.Open(ctx, client.Options{Home: s.cfg.Home, Network: network, SOCKS5: s.cfg.SOCKS5, Passphrase: s.cfg.Passphrase, Logger: s.log.With("part", "client")}); err != nil {
				return err
			}
		}
	}
	s.network = network
	if c != nil {
		s.attach(c)
	}
	return nil
}

// attach makes c the app's account and starts receiving for it.
func (s *Server) attach(c *client.Client) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	events := c.Subscribe(ctx)
	s.mu.Lock()
	s.c, s.runCancel, s.runDone = c, cancel, done
	s.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Run(ctx); err != nil {
			s.log.Warn("receiving stopped", "err", err)
		}
	})
	wg.Go(func() {
		for ev := range events {
			s.publishEvent(ev)
		}
	})
	wg.Go(func() { s.watch(ctx, c) })
	// The lists are read now, so that the first page load is served from
	// memory.
	wg.Go(func() { s.loadLists(ctx, c) })
	go func() { wg.Wait(); close(done) }()
	s.hub.publish("account", nil)
}

// localNet returns the local test network in use, or nil.
func (s *Server) localNet() *localNet { return s.net.Load() }

// superviseInterval is how often an app that joined the local test network
// checks that its nodes still answer.
const superviseInterval = 3 * time.Second

// supervise keeps the local test network alive for an app that joined it:
// when the app that ran it stops (and its nodes with it), this app starts
// the network again in the same directory and reopens the account on it,
// so the people still chatting are not left without a network.
func (s *Server) supervise(ctx context.Context) {
	misses := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(superviseInterval):
		}
		ln := s.localNet()
		if ln == nil || ln.dn != nil {
			continue // no local network, or this app runs it
		}
		if seedsAnswer(ctx, ln.networkFile) {
			misses = 0
			continue
		}
		if misses++; misses < 2 {
			continue
		}
		misses = 0
		s.log.Info("the local test network stopped; starting it again")
		next, err := startLocalNet(ctx, s.cfg, s.log)
		if err != nil {
			s.log.Warn("could not start the local test network again", "err", err)
			continue
		}
		s.net.Store(next)
		ln.stop()
		s.reopen(ctx)
		s.changed()
	}
}

// reopen closes the account's client and opens it again, so that it reads
// the network file afresh (a restarted network has new ports).
func (s *Server) reopen(ctx context.Context) {
	s.mu.Lock()
	c, cancel, done := s.c, s.runCancel, s.runDone
	s.c, s.runCancel, s.runDone = nil, nil, nil
	s.mu.Unlock()
	if c == nil {
		return
	}
	cancel()
	<-done
	c.Close()
	nc, err := client.Open(ctx, s.clientOptions())
	if err != nil {
		s.log.Warn("could not reopen the account", "err", err)
		return
	}
	s.attach(nc)
}

// account returns the open account, or nil before onboarding.
func (s *Server) account() *client.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// isLocal reports whether network is the local test network's file.
func (s *Server) isLocal(network string) bool {
	return s.cfg.DevnetDir != "" && sameFile(network, localNetworkFile(s.cfg.DevnetDir))
}

// handler is the whole app: Host check, security headers, token → cookie,
// the API and the embedded files.
func (s *Server) handler() http.Handler {
	api := http.NewServeMux()
	s.routes(api)
	cop := http.NewCrossOriginProtection()
	apiH := cop.Handler(s.requireJSON(api))
	files := s.fileServer()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !s.hostAllowed(r.Host) {
			http.Error(w, "forbidden: unknown host", http.StatusForbidden)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
			if !s.authorized(r) {
				writeError(w, http.StatusUnauthorized, "not signed in: open the link printed by `session app`")
				return
			}
			limit := int64(maxBody)
			if r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/files") || r.URL.Path == "/api/profile/avatar") {
				limit = maxUploadBody // a file, in base64
			} else if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
				limit = maxBody + maxPreviewImage*4/3 + 1024 // a link preview's picture, in base64
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			apiH.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/" && r.URL.Query().Has("token") {
			s.login(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// hostAllowed is the DNS-rebinding check: the Host header must name this
// app by address (or localhost), never by some other name.
func (s *Server) hostAllowed(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	if port != "" && port != s.port {
		return false
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	switch {
	case host == "localhost" || host == "127.0.0.1" || host == "::1" || host == s.host:
		return true
	case s.Remote():
		// Bound to the network on purpose: other machines reach it by IP
		// address; a DNS name is still refused.
		return net.ParseIP(host) != nil
	}
	return false
}

func (s *Server) cookieName() string { return cookiePrefix + s.port }

// authorized checks the session cookie in constant time.
func (s *Server) authorized(r *http.Request) bool {
	ck, err := r.Cookie(s.cookieName())
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(ck.Value), []byte(s.token)) == 1
}

// login turns the URL's token into the session cookie and redirects to a
// URL without it, so the token leaves the address bar and the history.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(s.token)) != 1 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintln(w, "This link is not valid: open the link `session app` printed.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: s.token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: false,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// requireJSON refuses state-changing requests that are not JSON: an HTML
// form on another site cannot send application/json without a preflight,
// which gets no CORS answer.
func (s *Server) requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			ct := r.Header.Get("Content-Type")
			if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(mt) != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, "requests must be application/json")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// fileServer serves the embedded web files; the index is never cached, so
// a new binary's files are picked up at once.
func (s *Server) fileServer() http.Handler {
	fsrv := http.FileServerFS(s.files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		fsrv.ServeHTTP(w, r)
	})
}
