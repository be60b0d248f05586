package onionreq

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHTTPTransport(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/echo":
			w.Write(body)
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		case "/big-chunked":
			// No Content-Length: the cap must hold while reading.
			for range 4 {
				w.Write([]byte(strings.Repeat("y", 512)))
				w.(http.Flusher).Flush()
			}
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case "/status":
			http.Error(w, "Snode not ready", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()

	var dials atomic.Int32
	tr := NewHTTPTransport(HTTPConfig{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		Timeout: 2 * time.Second,
	})
	defer tr.CloseIdleConnections()
	ctx := context.Background()

	// A self-signed certificate is accepted, and the body comes back.
	status, reply, err := tr.Post(ctx, srv.URL+"/echo", []byte("ping"), 1024)
	if err != nil || status != 200 || string(reply) != "ping" {
		t.Fatalf("echo: %d %q %v", status, reply, err)
	}
	// Keep-alive: a second request reuses the connection.
	if _, _, err := tr.Post(ctx, srv.URL+"/echo", []byte("again"), 1024); err != nil {
		t.Fatal(err)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d dials for two requests, want 1 (keep-alive) through the custom dialer", n)
	}
	for _, p := range []string{"/big", "/big-chunked"} {
		if _, _, err := tr.Post(ctx, srv.URL+p, nil, 1024); !errors.Is(err, ErrResponseTooLarge) {
			t.Errorf("%s: got %v, want ErrResponseTooLarge", p, err)
		}
	}
	status, reply, err = tr.Post(ctx, srv.URL+"/status", nil, 1024)
	if err != nil || status != http.StatusServiceUnavailable || !strings.Contains(string(reply), "not ready") {
		t.Errorf("status: %d %q %v", status, reply, err)
	}
	// The caller's deadline bounds the request.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := tr.Post(short, srv.URL+"/slow", nil, 1024); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow: got %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("slow request took %v", d)
	}
	// So does the transport's own timeout when the caller has none.
	start = time.Now()
	if _, _, err := tr.Post(ctx, srv.URL+"/slow", nil, 1024); err == nil {
		t.Error("slow request without deadline succeeded")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the 2 s transport timeout took %v", d)
	}
}
