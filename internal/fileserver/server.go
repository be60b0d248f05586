package fileserver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/session-go/session-go/internal/onion"
)

// Defaults of Config.
const (
	// DefaultMaxFileSize is Session's attachment limit, 10 000 000 bytes of
	// plaintext; the largest blob either format makes of it is a little
	// over, so the default leaves room for the deterministic format's
	// padding (10 223 616 bytes for the largest file libsession encrypts).
	DefaultMaxFileSize = 10_223_616
	// DefaultTTL is how long a file is kept when the uploader asks for
	// nothing else (Session's file server: 2 weeks).
	DefaultTTL = 14 * 24 * time.Hour
	// DefaultMaxTTL is the longest X-FS-TTL honoured.
	DefaultMaxTTL = 60 * 24 * time.Hour
	// DefaultMaxTotalBytes caps the disk used by all files together.
	DefaultMaxTotalBytes = 20 << 30
	// DefaultMaxInFlight is how many requests are handled at once.
	DefaultMaxInFlight = 32
	// DefaultMaxBuffered bounds the memory requests may hold: an upload
	// holds its onion request (up to 10 MiB) twice while it is decrypted,
	// and reserves that much before its body is read; a download reserves
	// only its small request (its reply is streamed from disk).
	DefaultMaxBuffered = 48 << 20
	// minTTL is the shortest expiry granted, so that a file outlives the
	// message that points to it being delivered.
	minTTL = time.Minute
	// TargetV4 is the onion target the server answers on.
	TargetV4 = "/oxen/v4/lsrpc"
)

// Config configures a Server.
type Config struct {
	// Dir holds the files and the database; it is created if needed.
	Dir string
	// Key is the server's onion-request key (required).
	Key *onion.NodeKey
	// MaxFileSize caps one file; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// MaxTotalBytes caps all files together; 0 means DefaultMaxTotalBytes.
	MaxTotalBytes int64
	// DefaultTTL and MaxTTL: 0 means the package defaults.
	DefaultTTL, MaxTTL time.Duration
	// MaxInFlight caps concurrent requests; 0 means DefaultMaxInFlight.
	MaxInFlight int
	// MaxBuffered caps the request bytes held in memory at once (each
	// request counts twice its body: ciphertext and plaintext); 0 means
	// DefaultMaxBuffered.
	MaxBuffered int64
	// Logger receives operational events; nil discards them. It never
	// sees file contents or keys.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is a running file server. Its Handler is safe for concurrent use.
type Server struct {
	cfg   Config
	st    *store
	log   *slog.Logger
	slots chan struct{}
	mu    sync.Mutex // orders writes: upload, extend, sweep

	bufMu    sync.Mutex // guards buffered
	buffered int64      // bytes reserved by requests in flight
}

// Open opens (or creates) the server's storage in cfg.Dir and reconciles
// it after a crash.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Key == nil {
		return nil, fmt.Errorf("%w: no onion key", ErrConfig)
	}
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: no folder", ErrConfig)
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	if cfg.MaxTotalBytes <= 0 {
		cfg.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if cfg.DefaultTTL <= 0 {
		cfg.DefaultTTL = DefaultTTL
	}
	if cfg.MaxTTL <= 0 {
		cfg.MaxTTL = DefaultMaxTTL
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxBuffered <= 0 {
		cfg.MaxBuffered = DefaultMaxBuffered
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := openStore(ctx, cfg.Dir)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, st: st, log: log, slots: make(chan struct{}, cfg.MaxInFlight)}, nil
}

// Close closes the database. Requests still running fail.
func (s *Server) Close() error { return s.st.close() }

// PublicKey is the X25519 key clients encrypt to.
func (s *Server) PublicKey() [onion.KeySize]byte { return s.cfg.Key.PublicKey() }

// Sweep deletes expired files and returns how many.
func (s *Server) Sweep(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.sweep(ctx, s.now())
}

// RunSweeper sweeps every interval until ctx ends.
func (s *Server) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Sweep(ctx); err != nil {
				s.log.Warn("file sweep failed", "err", err)
			} else if n > 0 {
				s.log.Info("expired files deleted", "count", n)
			}
		}
	}
}

func (s *Server) now() float64 {
	return float64(s.cfg.Now().UnixMilli()) / 1000
}

// Handler answers onion requests on TargetV4 and nothing else.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TargetV4, s.handleOnion)
	return mux
}

func (s *Server) handleOnion(w http.ResponseWriter, r *http.Request) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		http.Error(w, "Too many requests in flight", http.StatusServiceUnavailable)
		return
	}
	if r.ContentLength > onion.MaxRequestSize {
		http.Error(w, "Request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	// Reserve memory for the body and its decryption before reading it; a
	// body of unknown length reserves the most it may be.
	size := r.ContentLength
	if size < 0 {
		size = onion.MaxRequestSize
	}
	release, ok := s.reserve(2 * size)
	if !ok {
		http.Error(w, "Too many requests in flight", http.StatusServiceUnavailable)
		return
	}
	defer release()
	body, err := io.ReadAll(io.LimitReader(r.Body, onion.MaxRequestSize+1))
	if err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	if len(body) > onion.MaxRequestSize {
		http.Error(w, "Request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	layer, err := s.cfg.Key.Open(body)
	body = nil
	if err != nil {
		http.Error(w, "Invalid ciphertext", http.StatusBadRequest)
		return
	}
	req, err := onion.ParseV4Request(layer.Plaintext)
	if err != nil {
		s.reply(w, layer, errResponse(http.StatusBadRequest, "invalid v4 request"))
		return
	}
	layer.Plaintext = nil
	if req.Method == http.MethodGet {
		if id, ok := strings.CutPrefix(pathOf(req.Endpoint), "/file/"); ok && validID(id) {
			s.download(r.Context(), w, layer, id)
			return
		}
	}
	s.reply(w, layer, s.serve(r.Context(), req))
}

// reserve takes n bytes of the memory budget, or reports false.
func (s *Server) reserve(n int64) (func(), bool) {
	s.bufMu.Lock()
	defer s.bufMu.Unlock()
	if s.buffered+n > s.cfg.MaxBuffered {
		return nil, false
	}
	s.buffered += n
	return func() {
		s.bufMu.Lock()
		s.buffered -= n
		s.bufMu.Unlock()
	}, true
}

// pathOf drops the query of an endpoint.
func pathOf(endpoint string) string {
	p, _, _ := strings.Cut(endpoint, "?")
	return p
}

func errResponse(code int, msg string) *onion.V4Response {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return &onion.V4Response{Code: code, Headers: map[string]string{"content-type": "application/json"}, Body: b}
}

func jsonResponse(v any) *onion.V4Response {
	b, _ := json.Marshal(v)
	return &onion.V4Response{Code: http.StatusOK, Headers: map[string]string{"content-type": "application/json"}, Body: b}
}

// reply encrypts resp for the client in the request's layer.
func (s *Server) reply(w http.ResponseWriter, layer *onion.Layer, resp *onion.V4Response) {
	pt, err := resp.Encode()
	if err != nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	ct, err := layer.EncryptReply(pt, rand.Reader)
	if err != nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(ct)))
	w.Write(ct)
}

// serve runs every request but a download.
func (s *Server) serve(ctx context.Context, req *onion.V4Request) *onion.V4Response {
	p := pathOf(req.Endpoint)
	switch {
	case req.Method == http.MethodPost && p == "/file":
		return s.upload(ctx, req)
	case strings.HasPrefix(p, "/file/"):
		rest := strings.TrimPrefix(p, "/file/")
		id, action, _ := strings.Cut(rest, "/")
		if !validID(id) {
			return errResponse(http.StatusNotFound, "no such file")
		}
		switch {
		case req.Method == http.MethodGet && action == "info":
			fi, ok, err := s.st.info(ctx, id, s.now())
			if err != nil {
				s.log.Error("file info failed", "err", err)
				return errResponse(http.StatusInternalServerError, "storage error")
			}
			if !ok {
				return errResponse(http.StatusNotFound, "no such file")
			}
			return jsonResponse(map[string]any{"size": fi.Size, "uploaded": fi.Uploaded, "expires": fi.Expires})
		case req.Method == http.MethodPost && action == "extend":
			ttl, bad := s.ttl(req.Headers)
			if bad != nil {
				return bad
			}
			s.mu.Lock()
			now := s.now()
			fi, ok, err := s.st.extend(ctx, id, now, now+ttl.Seconds())
			s.mu.Unlock()
			if err != nil {
				s.log.Error("file extend failed", "err", err)
				return errResponse(http.StatusInternalServerError, "storage error")
			}
			if !ok {
				return errResponse(http.StatusNotFound, "no such file")
			}
			return jsonResponse(map[string]any{"expires": fi.Expires, "size": fi.Size})
		}
	}
	return errResponse(http.StatusNotFound, "no such endpoint")
}

// ttl reads X-FS-TTL (seconds; header names are matched without regard to
// case), clamped to [minTTL, MaxTTL]; no header means DefaultTTL.
func (s *Server) ttl(h map[string]string) (time.Duration, *onion.V4Response) {
	for k, v := range h {
		if !strings.EqualFold(k, "X-FS-TTL") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
			return 0, errResponse(http.StatusBadRequest, fmt.Sprintf("invalid X-FS-TTL %q", clip(v, 40)))
		}
		d := time.Duration(min(f, s.cfg.MaxTTL.Seconds()) * float64(time.Second))
		return max(d, minTTL), nil
	}
	return s.cfg.DefaultTTL, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (s *Server) upload(ctx context.Context, req *onion.V4Request) *onion.V4Response {
	if len(req.Body) == 0 {
		return errResponse(http.StatusBadRequest, "empty file")
	}
	if int64(len(req.Body)) > s.cfg.MaxFileSize {
		return errResponse(http.StatusRequestEntityTooLarge, fmt.Sprintf("file is over %d bytes", s.cfg.MaxFileSize))
	}
	ttl, bad := s.ttl(req.Headers)
	if bad != nil {
		return bad
	}
	id := FileID(req.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if _, exists, _ := s.st.info(ctx, id, now); !exists {
		total, err := s.st.totalBytes(ctx)
		if err != nil {
			s.log.Error("file upload failed", "err", err)
			return errResponse(http.StatusInternalServerError, "storage error")
		}
		if total+int64(len(req.Body)) > s.cfg.MaxTotalBytes {
			return errResponse(http.StatusInsufficientStorage, "server storage is full")
		}
	}
	exp, err := s.st.put(ctx, id, req.Body, now, now+ttl.Seconds())
	if err != nil {
		s.log.Error("file upload failed", "err", err)
		return errResponse(http.StatusInsufficientStorage, "could not store the file")
	}
	return jsonResponse(map[string]any{"id": id, "expires": exp})
}

// download answers GET /file/<id>. Over xchacha20 the reply is encrypted
// while the file is read, a chunk at a time; over aes-gcm (which Go cannot
// encrypt in pieces) the file is read whole.
func (s *Server) download(ctx context.Context, w http.ResponseWriter, layer *onion.Layer, id string) {
	f, fi, err := s.st.open(ctx, id, s.now())
	if err != nil {
		s.log.Error("file download failed", "err", err)
		s.reply(w, layer, errResponse(http.StatusInternalServerError, "storage error"))
		return
	}
	if f == nil {
		s.reply(w, layer, errResponse(http.StatusNotFound, "no such file"))
		return
	}
	defer f.Close()
	headers := map[string]string{"content-type": "application/octet-stream"}
	if layer.EncType != onion.XChaCha20 {
		data, err := io.ReadAll(io.LimitReader(f, fi.Size+1))
		if err != nil || int64(len(data)) != fi.Size {
			s.reply(w, layer, errResponse(http.StatusInternalServerError, "storage error"))
			return
		}
		s.reply(w, layer, &onion.V4Response{Code: http.StatusOK, Headers: headers, Body: data})
		return
	}
	key, err := s.cfg.Key.LayerKey(layer.EncType, layer.EphemeralKey)
	if err != nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	if err := writeStreamReply(w, key, headers, f, fi.Size); err != nil && !errors.Is(err, os.ErrClosed) {
		s.log.Debug("download ended early", "err", err)
	}
}
