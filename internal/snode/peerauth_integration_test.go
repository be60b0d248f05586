package snode_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/nodecert"
	"github.com/session-go/session-go/internal/snode"
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

// TestCompromisedPeerCannotForgeRecords is issue 8 points 2 and 6 on a
// devnet: a swarm member's key is in an attacker's hands (the member is
// stopped and the attacker answers at its address with its real identity,
// so TLS lets it through). Its catch-up answer holds, in this order:
//
//   - a record whose hash is not the hash of its owner, namespace and data;
//   - a record in another account's config namespace with no signature, and
//     one signed by a different account;
//   - the owner's own signed store into namespace 10 of data X, where the
//     swarm holds a stranger's namespace-0 message "10"+X with the same hash;
//   - tombstones of the owner's messages with no signed delete, with a
//     forged one, with the owner's real delete of another message, and with
//     the owner's real delete_before from before the message was stored;
//   - and last, an ordinary public-inbox message.
//
// Every member must skip all but the last, store the last (one bad record
// never stalls catch-up), keep every message the tombstones named, and log
// what it skipped.
func TestCompromisedPeerCannotForgeRecords(t *testing.T) {
	needNet(t)
	a := newAccount(t)
	members, _ := swarmOf(t, a.SessionID())
	if len(members) < 3 {
		t.Fatalf("swarm has %d members, want at least 3", len(members))
	}
	b := accountIn(t, members)
	attacker := newAccount(t)
	entry, victim := members[0], members[1]
	t.Cleanup(func() {
		if !victim.Running() {
			victim.Start()
		}
		testNet.WaitReady(context.Background())
	})
	store := func(req *storagerpc.Store) string {
		t.Helper()
		if status, resp := rpc(t, entry, req); status != http.StatusOK {
			t.Fatalf("store %q: %d %s", req.Data, status, resp)
		}
		return storagerpc.MessageHash(req.Pubkey, req.Namespace, req.Data)
	}
	signedStore := func(id *keys.Identity, ns storagerpc.Namespace, data []byte) *storagerpc.Store {
		r := storeReq(id.SessionID(), data)
		r.Namespace = ns
		storagerpc.Sign(r, id)
		return r
	}
	proofOf := func(req storagerpc.Request) []byte {
		t.Helper()
		body, err := storagerpc.EncodeBody(req)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}

	// The owner deleted one message with delete and older ones with
	// delete_before: the attacker, a swarm member, saw both requests.
	gone := store(storeReq(a.SessionID(), []byte("deleted by the owner")))
	del := &storagerpc.Delete{Messages: []string{gone}}
	storagerpc.Sign(del, a)
	if status, resp := rpc(t, entry, del); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, resp)
	}
	cut := time.Now().UnixMilli()
	before := &storagerpc.DeleteBefore{Namespace: storagerpc.NamespaceOrAll{Namespace: 0}, Before: cut}
	storagerpc.Sign(before, a)
	if status, resp := rpc(t, entry, before); status != http.StatusOK {
		t.Fatalf("delete_before: %d %s", status, resp)
	}
	for time.Now().UnixMilli() <= cut {
		time.Sleep(time.Millisecond)
	}
	// Four messages the attacker wants deleted, all stored after the cut.
	var targets []string
	for i := range 4 {
		targets = append(targets, store(storeReq(a.SessionID(), fmt.Appendf(nil, "target %d", i))))
	}
	// A stranger's namespace-0 message "10"+X, and the owner's signed
	// store of X into namespace 10, which has the same hash.
	x := fmt.Appendf(nil, "collision %d", time.Now().UnixNano())
	held := store(storeReq(a.SessionID(), append([]byte("10"), x...)))
	owned := signedStore(a, 10, x)
	if storagerpc.MessageHash(a.SessionID(), 10, x) != held {
		t.Fatal("test premise: the two messages should share a hash")
	}

	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	vid, err := snode.LoadOrCreateIdentity(victim.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := nodecert.New(vid.Ed25519PrivateKey(), time.Now())
	if err != nil {
		t.Fatal(err)
	}

	now := time.Now().UnixMilli()
	far := time.Now().Add(time.Hour).UnixMilli()
	record := func(owner keys.ID, ns storagerpc.Namespace, data []byte, hash string, proof []byte) map[string]any {
		return map[string]any{"seq": 1, "owner": owner.String(), "namespace": ns, "hash": hash,
			"timestamp": now, "expiry": far, "data": data, "proof": proof}
	}
	badHashData := []byte("data that is not what the hash says")
	badHash := storagerpc.MessageHash(a.SessionID(), 0, []byte("something else"))
	configData := []byte("forged config")
	configHash := storagerpc.MessageHash(b.SessionID(), 2, configData)
	good := []byte(fmt.Sprintf("an ordinary message after the bad ones %d", now))
	goodHash := storagerpc.MessageHash(a.SessionID(), 0, good)
	forgedDel := &storagerpc.Delete{Messages: []string{targets[1]}}
	storagerpc.Sign(forgedDel, attacker)
	forgedDel.Pubkey, forgedDel.PubkeyEd25519 = a.SessionID(), a.Ed25519PublicKey()
	answer, _ := json.Marshal(map[string]any{
		"records": []map[string]any{
			record(a.SessionID(), 0, badHashData, badHash, nil),
			record(b.SessionID(), 2, configData, configHash, nil),
			record(b.SessionID(), 2, configData, configHash, proofOf(signedStore(a, 2, nil))),
			record(a.SessionID(), 10, x, held, proofOf(&storagerpc.Store{Auth: owned.Auth, Namespace: 10,
				Timestamp: owned.Timestamp, TTL: owned.TTL})),
			record(a.SessionID(), 0, good, goodHash, nil),
		},
		"next": 1, "more": false,
		"tombstones": []map[string]any{
			{"seq": 1, "owner": a.SessionID().String(), "hash": targets[0], "expiry": far},
			{"seq": 2, "owner": a.SessionID().String(), "hash": targets[1], "expiry": far, "proof": 1},
			{"seq": 3, "owner": a.SessionID().String(), "hash": targets[2], "expiry": far, "proof": 2},
			{"seq": 4, "owner": a.SessionID().String(), "hash": targets[3], "expiry": far, "proof": 3},
		},
		"proofs":          [][]byte{proofOf(forgedDel), proofOf(del), proofOf(before)},
		"tombstones_next": 4, "tombstones_more": false,
	})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		if r.URL.Path != "/swarm/v1/sync" {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := listenRetry(victim.Addr)
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.StartTLS()
	defer srv.Close()

	// The good record shows on every other member once its catch-up has
	// read the answer.
	deadline := time.Now().Add(60 * time.Second)
	for _, m := range members {
		if m == victim {
			continue
		}
		for {
			if _, ok := retrieveAll(t, m, a)[goodHash]; ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %d never stored the good record listed after the bad ones", m.Index)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	for _, m := range members {
		if m == victim {
			continue
		}
		inbox := retrieveAll(t, m, a)
		for i, h := range targets {
			if _, ok := inbox[h]; !ok {
				t.Errorf("member %d deleted target %d on a tombstone the owner did not sign for it", m.Index, i)
			}
		}
		if _, ok := inbox[badHash]; ok {
			t.Errorf("member %d stored a record whose hash does not match its data", m.Index)
		}
		if got, ok := inbox[held]; !ok || string(got) != "10"+string(x) {
			t.Errorf("member %d: the namespace-0 message of the colliding pair is gone or changed", m.Index)
		}
		if len(retrieveNS(t, m, a, 10)) != 0 {
			t.Errorf("member %d holds the colliding namespace-10 copy as well", m.Index)
		}
		if _, ok := retrieveNS(t, m, b, 2)[configHash]; ok {
			t.Errorf("member %d stored an unsigned or wrongly signed record in another account's config namespace", m.Index)
		}
		logged, err := os.ReadFile(filepath.Join(m.DataDir, "snode.log"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(logged, []byte("catch-up skipped records")) {
			t.Errorf("member %d did not log the records it skipped", m.Index)
		}
	}
}

// TestHashCollisionDoesNotStallCatchUp is issue 8 point 6 as it happens
// without any hostile node: namespace 0 with data "10"+X (a stranger's
// unsigned store) and namespace 10 with data X (the owner's signed store)
// have the same hash. One member took the first while the rest of the
// swarm was down, and the rest took the second while it was down; then a
// message M was stored. When the member is back, every peer's catch-up
// answer holds the colliding record before M: the member must skip the one
// and still get M (it used to fail the whole batch, every time, from every
// peer, and never caught up again).
func TestHashCollisionDoesNotStallCatchUp(t *testing.T) {
	needNet(t)
	owner := newAccount(t)
	members, _ := swarmOf(t, owner.SessionID())
	if len(members) < 3 {
		t.Fatalf("swarm has %d members, want at least 3", len(members))
	}
	lone, rest := members[0], members[1:]
	t.Cleanup(func() {
		for _, m := range members {
			if !m.Running() {
				m.Start()
			}
		}
		testNet.WaitReady(context.Background())
	})
	x := fmt.Appendf(nil, "collision %d", time.Now().UnixNano())
	stranger := storeReq(owner.SessionID(), append([]byte("10"), x...))
	held := storagerpc.MessageHash(owner.SessionID(), 0, stranger.Data)

	for _, m := range rest {
		if err := m.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	if status, resp := rpc(t, lone, stranger); status != http.StatusOK {
		t.Fatalf("stranger's store at the lone member: %d %s", status, resp)
	}
	if err := lone.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, m := range rest {
		if err := m.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range rest {
		if err := m.WaitReady(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	own := storeReq(owner.SessionID(), x)
	own.Namespace = 10
	storagerpc.Sign(own, owner)
	if status, resp := rpc(t, rest[0], own); status != http.StatusOK {
		t.Fatalf("owner's store: %d %s", status, resp)
	}
	if storagerpc.MessageHash(owner.SessionID(), 10, x) != held {
		t.Fatal("test premise: the two stores should share a hash")
	}
	after := []byte("stored after the collision")
	if status, resp := rpc(t, rest[0], storeReq(owner.SessionID(), after)); status != http.StatusOK {
		t.Fatalf("store after: %d %s", status, resp)
	}
	afterHash := storagerpc.MessageHash(owner.SessionID(), 0, after)

	if err := lone.Start(); err != nil {
		t.Fatal(err)
	}
	if err := lone.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, ok := retrieveAll(t, lone, owner)[afterHash]; ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the member that holds the other copy never caught up with what was stored after it")
		}
		time.Sleep(300 * time.Millisecond)
	}
	// Each member keeps the copy it took first, and only that one.
	for _, m := range members {
		_, in0 := retrieveAll(t, m, owner)[held]
		_, in10 := retrieveNS(t, m, owner, 10)[held]
		if want0 := m == lone; in0 != want0 || in10 == want0 {
			t.Errorf("member %d holds namespace 0: %v, namespace 10: %v", m.Index, in0, in10)
		}
	}
	// Catch-up by summary never fetches the colliding record (the member
	// holds its hash); a peer that sends it whole anyway is skipped with a
	// log line, which TestCatchUpCursorPassesBadRecords checks.
}
