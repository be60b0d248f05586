package snode

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/session-go/session-go/internal/netview"
)

// FuzzServeRPCBody runs arbitrary storage RPC bodies through a real node
// (real SQLite file) without the HTTP layer: no panic, and garbage is a
// client error (4xx), never a server error.
func FuzzServeRPCBody(f *testing.F) {
	for _, s := range []string{
		`{"method":"info","params":{}}`,
		`{"method":"store","params":{"pubkey":"0501010101010101010101010101010101010101010101010101010101010101","timestamp":1,"ttl":10000,"data":"aGk="}}`,
		`{"method":"retrieve","params":{"pubkey":"0501010101010101010101010101010101010101010101010101010101010101","long_poll_ms":1}}`,
		`{"method":"batch","params":{"requests":[{"method":"info","params":{}}]}}`,
		`{"method":"get_swarm","params":{"pubkey":"0501010101010101010101010101010101010101010101010101010101010101"}}`,
		`{"method":"delete_all","params":{"pubkey":"05","timestamp":"x"}}`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	id, err := LoadOrCreateIdentity(dir)
	if err != nil {
		f.Fatal(err)
	}
	xpk := id.X25519PublicKey()
	nodes, _ := json.Marshal(netview.DirectoryFile{Nodes: []netview.Node{{IP: "127.0.0.1", StoragePort: 1,
		Ed25519: hex.EncodeToString(id.Ed25519PublicKey()), X25519: hex.EncodeToString(xpk[:])}}})
	netFile := filepath.Join(dir, "nodes.json")
	if err := os.WriteFile(netFile, nodes, 0o644); err != nil {
		f.Fatal(err)
	}
	n, err := New(context.Background(), Config{DataDir: dir, Listen: "127.0.0.1:0", Network: netFile, MaxLongPoll: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.db.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		res := n.serveRPCBody(context.Background(), body)
		if res.status >= 500 && res.status != http.StatusServiceUnavailable {
			t.Fatalf("status %d for %q: %s", res.status, body, res.body)
		}
	})
}
