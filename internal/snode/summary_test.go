package snode

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/nodecert"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/store"
)

// TestCatchUpFetchesOnlyWhatIsMissing: a swarm peer (a real HTTPS server
// proving its node identity) answers catch-up with a summary of three
// records: one this node holds already and two it lacks. The node asks for
// the two missing ones only. The peer answers with one good record, one
// whose data does not match its hash and one it was not asked for: only
// the good one is stored, the others are counted as skipped, and the
// cursor moves past the summary.
func TestCatchUpFetchesOnlyWhatIsMissing(t *testing.T) {
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
	owner := keys.ID{Prefix: keys.PrefixStandard, Key: [32]byte{4, 5, 6}}
	now := time.Now()
	far := now.Add(time.Hour).UnixMilli()
	held, good, tampered, unasked := []byte("held"), []byte("good"), []byte("tampered"), []byte("unasked")
	hash := func(data []byte) string { return storagerpc.MessageHash(owner, 0, data) }
	whole := func(seq int64, data []byte, h string) syncRecord {
		return syncRecord{Seq: seq, Owner: owner.String(), Hash: h, Timestamp: now.UnixMilli(), Expiry: far, Data: data}
	}
	summary := syncReply{Summary: true, Next: 30, Records: []syncRecord{
		{Seq: 10, Owner: owner.String(), Hash: hash(held)},
		{Seq: 20, Owner: owner.String(), Hash: hash(good)},
		{Seq: 30, Owner: owner.String(), Hash: hash(tampered)},
	}}
	fetched := syncReply{Records: []syncRecord{
		whole(20, good, hash(good)),
		whole(30, []byte("not what was hashed"), hash(tampered)),
		whole(40, unasked, hash(unasked)),
	}}
	var mu sync.Mutex
	var asked [][]string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req syncRequest
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &req) != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		if len(req.Hashes) > 0 {
			mu.Lock()
			asked = append(asked, req.Hashes)
			mu.Unlock()
			writeJSON(w, http.StatusOK, fetched)
			return
		}
		if !req.Summary {
			t.Errorf("catch-up did not ask for a summary")
		}
		writeJSON(w, http.StatusOK, summary)
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
	ctx := context.Background()
	if _, err := n.db.Store(ctx, store.Message{Owner: owner, Hash: hash(held), Timestamp: now,
		Expiry: now.Add(time.Hour), Data: held}); err != nil {
		t.Fatal(err)
	}

	more, err := n.pullFrom(ctx, peerEd)
	if err != nil || more {
		t.Fatalf("pullFrom = %v, %v; want no error, no more", more, err)
	}
	if len(asked) != 1 || !slices.Equal(asked[0], []string{hash(good), hash(tampered)}) {
		t.Fatalf("asked for %q, want just the two missing records", asked)
	}
	if got := n.cursors.get(peerEd); got != 30 {
		t.Errorf("record cursor %d, want 30", got)
	}
	msgs, _, err := n.db.Retrieve(ctx, owner, 0, "", store.RetrieveLimits{})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range msgs {
		bodies = append(bodies, string(m.Data))
	}
	slices.Sort(bodies)
	if !slices.Equal(bodies, []string{"good", "held"}) {
		t.Errorf("the node holds %q, want good and held", bodies)
	}
	if got := n.metrics.syncRejected.Load(); got != 2 {
		t.Errorf("%d records counted as skipped, want 2 (tampered, unasked)", got)
	}
}
