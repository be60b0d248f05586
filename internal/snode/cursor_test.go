package snode

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/nodecert"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/store"
)

// TestCatchUpCursorPassesBadRecords is issue 8 point 6: a swarm peer (a real
// HTTPS server proving its node identity) answers catch-up with a record
// that collides with one this node holds, a record with a wrong hash and a
// tombstone without the owner's signed delete, then a good record. The pull
// succeeds, stores the good record, and both cursors move to what the peer
// said, so that the next pull starts past the bad entries.
func TestCatchUpCursorPassesBadRecords(t *testing.T) {
	dir := t.TempDir()
	me, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	peerID, err := keys.NewIdentity(make([]byte, keys.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := nodecert.New(peerID.Ed25519PrivateKey(), time.Now())
	if err != nil {
		t.Fatal(err)
	}

	owner := keys.ID{Prefix: keys.PrefixStandard, Key: [32]byte{1, 2, 3}}
	x := []byte("payload")
	now := time.Now()
	far := now.Add(time.Hour).UnixMilli()
	good := []byte("good")
	rec := func(ns storagerpc.Namespace, data []byte, hash string) syncRecord {
		return syncRecord{Seq: 1, Owner: owner.String(), Namespace: int16(ns), Hash: hash,
			Timestamp: now.UnixMilli(), Expiry: far, Data: data}
	}
	// The colliding record is in namespace 0 so that it needs no proof:
	// this node holds the namespace-10 twin (as if stored by its owner).
	answer := syncReply{
		Records: []syncRecord{
			rec(0, append([]byte("10"), x...), storagerpc.MessageHash(owner, 10, x)),
			rec(0, []byte("not the hashed data"), storagerpc.MessageHash(owner, 0, []byte("other"))),
			rec(0, good, storagerpc.MessageHash(owner, 0, good)),
		},
		Next: 1000, Tombstones: []syncTombstone{{Seq: 7, Owner: owner.String(), Hash: storagerpc.MessageHash(owner, 0, good), Expiry: far}},
		TombstonesNext: 77,
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, answer)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	_, portText, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portText)

	xme, xpeer := me.X25519PublicKey(), peerID.X25519PublicKey()
	peerEd := hex.EncodeToString(peerID.Ed25519PublicKey())
	nodes, _ := json.Marshal(netview.DirectoryFile{Nodes: []netview.Node{
		{IP: "127.0.0.1", StoragePort: 1, Ed25519: hex.EncodeToString(me.Ed25519PublicKey()), X25519: hex.EncodeToString(xme[:])},
		{IP: "127.0.0.1", StoragePort: port, Ed25519: peerEd, X25519: hex.EncodeToString(xpeer[:])},
	}})
	netFile := filepath.Join(dir, "nodes.json")
	if err := os.WriteFile(netFile, nodes, 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := New(t.Context(), Config{DataDir: dir, Listen: "127.0.0.1:0", Network: netFile})
	if err != nil {
		t.Fatal(err)
	}
	defer n.db.Close()
	if _, peers, ok := n.mySwarm(); !ok || len(peers) != 1 {
		t.Fatalf("test premise: the two nodes should share a swarm (%d peers)", len(peers))
	}
	ctx := context.Background()
	twin := store.Message{Owner: owner, Namespace: 10, Hash: storagerpc.MessageHash(owner, 10, x),
		Timestamp: now, Expiry: now.Add(time.Hour), Data: x}
	if _, err := n.db.Store(ctx, twin); err != nil {
		t.Fatal(err)
	}

	more, err := n.pullFrom(ctx, peerEd)
	if err != nil || more {
		t.Fatalf("pullFrom = %v, %v; want no error, no more", more, err)
	}
	if got := n.cursors.get(peerEd); got != 1000 {
		t.Errorf("record cursor %d, want 1000", got)
	}
	if got := n.cursors.get(peerEd + "/t"); got != 77 {
		t.Errorf("tombstone cursor %d, want 77", got)
	}
	msgs, _, err := n.db.Retrieve(ctx, owner, 0, "", store.RetrieveLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || string(msgs[0].Data) != "good" {
		t.Errorf("namespace 0 holds %d messages, want just the good one", len(msgs))
	}
	if got := n.metrics.syncRejected.Load(); got != 3 {
		t.Errorf("%d entries counted as skipped, want 3 (collision, bad hash, proofless tombstone)", got)
	}
}
