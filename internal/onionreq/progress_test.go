package onionreq

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// The transport reports a request's bytes going out and its answer's
// coming in, ending with both complete, and nothing without WithProgress.
func TestTransportProgress(t *testing.T) {
	answer := bytes.Repeat([]byte("a"), 300_000)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write(answer) // large: net/http announces no length unless told
	}))
	defer srv.Close()
	tr := NewHTTPTransport(HTTPConfig{Timeout: 5 * time.Second})
	defer tr.CloseIdleConnections()

	var mu sync.Mutex
	var seen []Progress
	ctx := WithProgress(context.Background(), func(p Progress) {
		mu.Lock()
		seen = append(seen, p)
		mu.Unlock()
	})
	body := bytes.Repeat([]byte("b"), 200_000)
	_, reply, err := tr.Post(ctx, srv.URL, body, 1<<20)
	if err != nil || len(reply) != len(answer) {
		t.Fatalf("post: %d bytes, %v", len(reply), err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 3 {
		t.Fatalf("%d progress reports, want several", len(seen))
	}
	last := seen[len(seen)-1]
	if last.Sent != int64(len(body)) || last.SendTotal != int64(len(body)) || last.Received != int64(len(answer)) {
		t.Fatalf("last report %+v, want all %d sent and %d received", last, len(body), len(answer))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Received < seen[i-1].Received {
			t.Fatalf("received went back: %+v then %+v", seen[i-1], seen[i])
		}
	}

	// Without WithProgress nothing is called (and nothing breaks).
	if _, _, err := tr.Post(context.Background(), srv.URL, body, 1<<20); err != nil {
		t.Fatal(err)
	}
}
