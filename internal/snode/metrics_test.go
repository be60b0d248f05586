package snode

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestMetricsAndGracefulShutdown runs an in-process single-node network with
// an admin listener, checks /metrics counts a store, and stops the node.
func TestMetricsAndGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	id, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, identityFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("identity file: %v, mode %v (want 0600)", err, st.Mode().Perm())
	}
	listen, admin := freeAddr(t), freeAddr(t)
	_, portStr, _ := net.SplitHostPort(listen)
	port, _ := strconv.Atoi(portStr)
	xpk := id.X25519PublicKey()
	nodes, _ := json.Marshal(netview.DirectoryFile{Nodes: []netview.Node{{IP: "127.0.0.1", StoragePort: port,
		Ed25519: hex.EncodeToString(id.Ed25519PublicKey()), X25519: hex.EncodeToString(xpk[:])}}})
	netFile := filepath.Join(dir, "nodes.json")
	os.WriteFile(netFile, nodes, 0o644)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Config{DataDir: dir, Listen: listen, Network: netFile, AdminListen: admin}) }()
	url := "https://" + listen
	for i := 0; ; i++ {
		resp, err := benchClient.Post(url+pathPing, "", nil)
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			t.Fatal("node did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var acct [33]byte
	acct[0] = 5
	acct[1] = 1
	body, _ := storagerpc.EncodeBody(&storagerpc.Store{Auth: storagerpc.Auth{Pubkey: mustID(t, hex.EncodeToString(acct[:]))},
		Timestamp: time.Now().UnixMilli(), TTL: time.Hour.Milliseconds(), Data: []byte("counted")})
	resp, err := benchClient.Post(url+pathStorageRPC, "application/json", strings.NewReader(string(body)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("store: %v %v", err, resp)
	}
	resp.Body.Close()

	resp, err = http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`snode_rpc_requests_total{method="store"} 1`, "snode_messages_stored_total 1", "snode_stored_messages 1", "# TYPE snode_onion_requests_total counter"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, text)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("node did not shut down")
	}
}

func mustID(t *testing.T, s string) keys.ID {
	t.Helper()
	v, err := keys.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
