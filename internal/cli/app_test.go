package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// appOutput is a concurrency-safe buffer that reports its first line.
type appOutput struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan struct{}
	once  sync.Once
}

func (w *appOutput) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if bytes.Contains(w.buf.Bytes(), []byte("\n")) {
		w.once.Do(func() { close(w.first) })
	}
	return n, err
}

func (w *appOutput) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestAppPrintsOneLineAndStops(t *testing.T) {
	dir := t.TempDir()
	out := &appOutput{first: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"app", "--no-browser", "--listen", "127.0.0.1:0", "--home", filepath.Join(dir, "home"),
			"--network", filepath.Join(dir, "network.json")}, Env{Stdout: out, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	}()
	select {
	case <-out.first:
	case code := <-done:
		t.Fatalf("app exited with %d before printing its link", code)
	case <-time.After(60 * time.Second):
		t.Fatal("app printed nothing")
	}
	cancel() // Ctrl-C
	if code := <-done; code != ExitOK {
		t.Errorf("app stopped with %d, want %d", code, ExitOK)
	}
	if !regexp.MustCompile(`^app: http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{64}\n$`).MatchString(out.String()) {
		t.Errorf("stdout is %q, want exactly one line `app: <url with token>`", out.String())
	}
}

func TestAppRefusesANetworkAddressWithoutAllowRemote(t *testing.T) {
	var stderr bytes.Buffer
	code := Run(context.Background(), []string{"app", "--no-browser", "--listen", "0.0.0.0:0", "--home", t.TempDir(), "--network", "x.json"},
		Env{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }})
	if code != ExitUsage || !strings.Contains(stderr.String(), "--allow-remote") {
		t.Errorf("exit %d, stderr %q; want %d and a hint about --allow-remote", code, stderr.String(), ExitUsage)
	}
}
