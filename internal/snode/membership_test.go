package snode

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/directory"
	"github.com/session-go/session-go/internal/netview"
)

// TestNodesFollowTheDirectory: nodes given a directory's network file
// register themselves, see each other in the epochs, and a node that shuts
// down leaves the next epoch at once.
func TestNodesFollowTheDirectory(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	d, err := directory.Start(context.Background(), directory.Config{
		DataDir: t.TempDir(), Key: key, RaftListen: "127.0.0.1:0", Bootstrap: true, Fast: true, Grace: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewTLSServer(d.Handler())
	t.Cleanup(func() { api.Close(); d.Close() })
	for !d.IsLeader() {
		time.Sleep(20 * time.Millisecond)
	}
	netFile := filepath.Join(t.TempDir(), "network.json")
	b, _ := json.Marshal(directory.NetworkFile{Directory: []netview.Seed{{URL: api.URL, Ed25519: hex.EncodeToString(key.Public().(ed25519.PublicKey))}}})
	if err := os.WriteFile(netFile, b, 0o644); err != nil {
		t.Fatal(err)
	}

	start := func() (*Node, func()) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		n, err := New(ctx, Config{DataDir: t.TempDir(), Listen: "127.0.0.1:" + strconv.Itoa(port), Network: netFile,
			DirectoryRefresh: 100 * time.Millisecond, Heartbeat: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { n.Serve(ctx); close(done) }()
		return n, func() { cancel(); <-done }
	}
	a, stopA := start()
	defer stopA()
	b2, stopB := start()
	stopped := false
	defer func() {
		if !stopped {
			stopB()
		}
	}()

	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("both nodes in both views", func() bool {
		da, db := a.Directory(), b2.Directory()
		return da.Len() == 2 && db.Len() == 2 && da.Epoch() == db.Epoch()
	})
	if _, ok := a.Directory().Node(b2.Ed25519()); !ok {
		t.Fatal("node A does not see node B")
	}
	before := a.Directory().Epoch()
	// Every reply names the node's epoch, an error's too.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for _, path := range []string{pathPing, pathStorageRPC, "/nowhere"} {
		resp, err := hc.Post("https://"+a.cfg.Listen+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get(headerEpoch); got != strconv.FormatUint(before, 10) {
			t.Errorf("%s answered %d with epoch %q, want %d", path, resp.StatusCode, got, before)
		}
	}
	// Heartbeats keep them in (the directory's epoch does not move).
	time.Sleep(time.Second)
	if e, _ := d.Epoch(); e.Number != before {
		t.Fatalf("heartbeats changed the epoch: %d → %d", before, e.Number)
	}
	stopB()
	stopped = true
	wait("node B gone from A's view", func() bool { return a.Directory().Len() == 1 && a.Directory().Epoch() > before })
	if _, ok := a.Directory().Node(b2.Ed25519()); ok {
		t.Fatal("node B still listed after leaving")
	}
}
