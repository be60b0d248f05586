package onionreq

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Transport carries the client's own requests to service nodes: onion
// requests to a path's guard, guard tests, and nothing else. Everything past
// the guard travels inside the onion.
//
// A SOCKS5 dialer (for Tor) or a QUIC transport can replace the default one
// without the onion layer noticing.
type Transport interface {
	// Post sends body with an HTTPS POST to url and returns the response's
	// status code and body. It reads at most limit bytes of body and fails
	// with [ErrResponseTooLarge] past that, and it gives up when ctx ends.
	Post(ctx context.Context, url string, body []byte, limit int64) (status int, reply []byte, err error)
}

// DialContextFunc dials a TCP connection, like [net.Dialer.DialContext]. A
// SOCKS5 dialer from golang.org/x/net/proxy (its ContextDialer) fits.
type DialContextFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// HTTPConfig configures an [HTTPTransport].
type HTTPConfig struct {
	// DialContext opens the TCP connections; nil uses a [net.Dialer] with a
	// 10 s connect timeout. Every connection, including TLS handshakes, goes
	// through it, so a SOCKS5 dialer here routes all of the client's traffic.
	DialContext DialContextFunc
	// Timeout bounds each request (connection, TLS handshake, request and
	// reading the whole answer) when the caller's context has no earlier
	// deadline; 0 means 30 s.
	Timeout time.Duration
}

// HTTPTransport is the default [Transport]: HTTPS over net/http with
// keep-alive connections. It does not verify service-node certificates,
// which are self-signed; Session clients authenticate nodes by the X25519
// keys the onion layers are encrypted to, so a man in the middle learns
// nothing and can only drop requests.
type HTTPTransport struct {
	client  *http.Client
	timeout time.Duration
}

// NewHTTPTransport returns an HTTPTransport.
func NewHTTPTransport(cfg HTTPConfig) *HTTPTransport {
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tr := &http.Transport{
		// No proxy from the environment: a proxy set for other programs must
		// not silently see which guards this client uses.
		Proxy:       nil,
		DialContext: dial,
		TLSClientConfig: &tls.Config{
			// Service nodes use self-signed certificates; see the type's doc.
			InsecureSkipVerify: true, //nolint:gosec
			MinVersion:         tls.VersionTLS12,
		},
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		// Answers are small and already encrypted; a compressed body would
		// only let a node make the size cap count fewer bytes than it sent.
		DisableCompression: true,
	}
	return &HTTPTransport{
		client:  &http.Client{Transport: tr, Timeout: timeout},
		timeout: timeout,
	}
}

// Client returns the underlying *http.Client, to reach seed nodes (see
// [netview.NewSeedSource]) through the same dialer and TLS settings.
func (t *HTTPTransport) Client() *http.Client { return t.client }

// CloseIdleConnections closes the kept-alive connections.
func (t *HTTPTransport) CloseIdleConnections() { t.client.CloseIdleConnections() }

// Post implements [Transport].
func (t *HTTPTransport) Post(ctx context.Context, url string, body []byte, limit int64) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	var reqBody io.Reader = bytes.NewReader(body)
	pt := newProgressTracker(progressFrom(ctx), int64(len(body)))
	if pt != nil {
		reqBody = &countingReader{r: reqBody, add: pt.sent}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, reqBody)
	if err != nil {
		return 0, nil, fmt.Errorf("onionreq: %w", err)
	}
	req.ContentLength = int64(len(body))
	if pt != nil {
		// A request retried on a fresh connection starts its count again.
		req.GetBody = func() (io.ReadCloser, error) {
			pt.restart()
			return io.NopCloser(&countingReader{r: bytes.NewReader(body), add: pt.sent}), nil
		}
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("onionreq: %w", err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return resp.StatusCode, nil, fmt.Errorf("%w: %d bytes announced, the limit is %d", ErrResponseTooLarge, resp.ContentLength, limit)
	}
	var respBody io.Reader = resp.Body
	if pt != nil {
		pt.answer(resp.ContentLength)
		respBody = &countingReader{r: respBody, add: pt.received}
	}
	reply, err := io.ReadAll(io.LimitReader(respBody, limit+1))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("onionreq: reading the answer: %w", err)
	}
	if int64(len(reply)) > limit {
		return resp.StatusCode, nil, fmt.Errorf("%w: over %d bytes", ErrResponseTooLarge, limit)
	}
	return resp.StatusCode, reply, nil
}
