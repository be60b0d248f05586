package snode_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
)

// retrieveNS returns what n holds for id in namespace ns (one signed page).
func retrieveNS(t *testing.T, n *devnet.Node, id *keys.Identity, ns storagerpc.Namespace) map[string][]byte {
	t.Helper()
	r := &storagerpc.Retrieve{Namespace: ns, Timestamp: time.Now().UnixMilli()}
	storagerpc.Sign(r, id)
	status, body := rpc(t, n, r)
	if status != http.StatusOK {
		t.Fatalf("retrieve namespace %d on node %d: %d %s", ns, n.Index, status, body)
	}
	var resp storagerpc.RetrieveResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, m := range resp.Messages {
		out[m.Hash] = m.Data
	}
	return out
}

// TestForgedPeerAtAStoppedPeersAddress is the attack of issue 8 point 1: a
// plain HTTPS server with no node key answers at a stopped swarm member's
// address, and tells the catch-up of every other member that the owner
// deleted a real message and that another account's config namespace holds
// a message. No member may act on it: the TLS identity at the address is not
// the member's, so no answer is even read. Honest traffic still flows, and
// the real member catches up when it is back.
func TestForgedPeerAtAStoppedPeersAddress(t *testing.T) {
	needNet(t)
	a := newAccount(t)
	members, _ := swarmOf(t, a.SessionID())
	if len(members) < 3 {
		t.Fatalf("swarm has %d members, want at least 3", len(members))
	}
	b := accountIn(t, members)
	entry, victim := members[0], members[1]
	t.Cleanup(func() {
		if !victim.Running() {
			victim.Start()
		}
		testNet.WaitReady(context.Background())
	})

	data := []byte("a real message the forger wants deleted")
	if status, resp := rpc(t, entry, storeReq(a.SessionID(), data)); status != http.StatusOK {
		t.Fatalf("store: %d %s", status, resp)
	}
	real := storagerpc.MessageHash(a.SessionID(), 0, data)

	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	// The forger: a keyless HTTPS server (httptest's own certificate) at the
	// stopped member's address, answering every sync with a deletion of
	// a's message and a message in b's user-profile namespace.
	forgedData := []byte("forged config message")
	forgedNS := storagerpc.Namespace(2)
	forged := storagerpc.MessageHash(b.SessionID(), forgedNS, forgedData)
	far := time.Now().Add(time.Hour).UnixMilli()
	var handshakes, answered atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answered.Add(1)
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"records": []map[string]any{{
				"seq": 1, "owner": b.SessionID().String(), "namespace": forgedNS, "hash": forged,
				"timestamp": time.Now().UnixMilli(), "expiry": far, "data": forgedData,
			}},
			"next": 1, "more": false,
			"tombstones":      []map[string]any{{"seq": 1, "owner": a.SessionID().String(), "hash": real, "expiry": far}},
			"tombstones_next": 1, "tombstones_more": false,
		})
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			handshakes.Add(1)
		}
	}
	ln, err := listenRetry(victim.Addr)
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.StartTLS()
	defer srv.Close()

	// Every other member's catch-up dials the address (or, were the
	// connection accepted, asks over it) every couple of seconds; wait
	// until each has had a few tries.
	tries := int64(3 * (len(members) - 1))
	deadline := time.Now().Add(60 * time.Second)
	for handshakes.Load() < tries && answered.Load() < tries {
		if time.Now().After(deadline) {
			t.Fatalf("the forger saw %d connections in 60 s; catch-up never reached it", handshakes.Load())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := answered.Load(); n != 0 {
		t.Errorf("the forger answered %d requests: a node sent a request over an unauthenticated connection", n)
	}
	for _, m := range members {
		if m == victim {
			continue
		}
		if _, ok := retrieveAll(t, m, a)[real]; !ok {
			t.Errorf("member %d deleted %s on the forger's word", m.Index, real)
		}
		if _, ok := retrieveNS(t, m, b, forgedNS)[forged]; ok {
			t.Errorf("member %d took the forger's message into namespace %d", m.Index, forgedNS)
		}
	}

	// Honest traffic still flows while the forger is up ...
	honest := []byte("stored while the forger answers at a member's address")
	if status, resp := rpc(t, entry, storeReq(a.SessionID(), honest)); status != http.StatusOK {
		t.Fatalf("store while forged: %d %s", status, resp)
	}
	honestHash := storagerpc.MessageHash(a.SessionID(), 0, honest)
	// ... and the real member catches up once it is back.
	srv.Close()
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	if err := victim.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		got := retrieveAll(t, victim, a)
		_, h1 := got[real]
		_, h2 := got[honestHash]
		if h1 && h2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted member %d holds real=%v honest=%v after 60 s", victim.Index, h1, h2)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// listenRetry listens on addr, retrying while the killed process's socket
// is still going away.
func listenRetry(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, err
}
