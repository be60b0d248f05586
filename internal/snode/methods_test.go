package snode_test

import (
	"bytes"
	"crypto/rand"

	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/storagerpc"
)

// storeN stores the messages build gives for id on node, until it gives
// nil, waits until every member of id's swarm holds them, and returns
// their hashes.
func storeN(t *testing.T, node *devnet.Node, id *keys.Identity, build func(i int) *storagerpc.Store) []string {
	t.Helper()
	var hashes []string
	for i := 0; ; i++ {
		s := build(i)
		if s == nil {
			// A store is answered at a quorum of the swarm: the tests
			// check the effect of later requests on other members, so
			// every member holds every message first.
			members, _ := swarmOf(t, id.SessionID())
			awaitHeld(t, members, id, hashes...)
			return hashes
		}
		if status, body := rpc(t, node, s); status != http.StatusOK {
			t.Fatalf("store %d: %d %s", i, status, body)
		}
		hashes = append(hashes, storagerpc.MessageHash(s.Pubkey, s.Namespace, s.Data))
	}
}

// TestDeleteAndExpireReachEveryMember runs the account-owner methods on one
// member and checks their effect on another, through replication.
func TestDeleteAndExpireReachEveryMember(t *testing.T) {
	needNet(t)
	id := newAccount(t)
	members, _ := swarmOf(t, id.SessionID())
	entry, other := members[0], members[1]
	hashes := storeN(t, entry, id, func(i int) *storagerpc.Store {
		if i == 6 {
			return nil
		}
		return storeReq(id.SessionID(), []byte("message "+strconv.Itoa(i)))
	})

	// delete: two messages go, everywhere.
	del := &storagerpc.Delete{Messages: hashes[:2]}
	storagerpc.Sign(del, id)
	status, body := rpc(t, entry, del)
	var dr storagerpc.DeleteResponse
	if status != http.StatusOK || json.Unmarshal(body, &dr) != nil || len(dr.Swarm) != len(members) {
		t.Fatalf("delete: %d %s", status, body)
	}
	if got := retrieveAll(t, other, id); len(got) != 4 {
		t.Fatalf("after delete another member holds %d messages, want 4", len(got))
	}

	// expire (shorten) and get_expiries.
	soon := time.Now().Add(10 * time.Minute).UnixMilli()
	exp := &storagerpc.Expire{Messages: hashes[2:3], Expiry: []int64{soon}, Shorten: true}
	storagerpc.Sign(exp, id)
	if status, body := rpc(t, entry, exp); status != http.StatusOK || !bytes.Contains(body, []byte(hashes[2])) {
		t.Fatalf("expire: %d %s", status, body)
	}
	ge := &storagerpc.GetExpiries{Messages: hashes[2:4], Timestamp: time.Now().UnixMilli()}
	storagerpc.Sign(ge, id)
	status, body = rpc(t, other, ge)
	var ger storagerpc.GetExpiriesResponse
	if status != http.StatusOK || json.Unmarshal(body, &ger) != nil {
		t.Fatalf("get_expiries: %d %s", status, body)
	}
	if ger.Expiries[hashes[2]] != soon || ger.Expiries[hashes[3]] <= soon {
		t.Errorf("expiries on another member: %v (want %s at %d, %s later)", ger.Expiries, hashes[2], soon, hashes[3])
	}

	// batch and sequence: a sequence stops at the first failure.
	bad := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
	storagerpc.Sign(bad, id)
	bad.Signature[0] ^= 1
	good := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
	storagerpc.Sign(good, id)
	for _, seq := range []bool{false, true} {
		status, body = rpc(t, entry, &storagerpc.Batch{Requests: []storagerpc.Request{&storagerpc.Info{}, bad, good}, Sequence: seq})
		var br storagerpc.BatchResponse
		if status != http.StatusOK || json.Unmarshal(body, &br) != nil {
			t.Fatalf("batch: %d %s", status, body)
		}
		want := []int{200, 401, 200}
		if seq {
			want = want[:2]
		}
		if len(br.Results) != len(want) {
			t.Fatalf("sequence=%v: %d results, want %d", seq, len(br.Results), len(want))
		}
		for i, r := range br.Results {
			if r.Code != want[i] {
				t.Errorf("sequence=%v result %d: code %d, want %d", seq, i, r.Code, want[i])
			}
		}
	}

	// delete_before, then delete_all: nothing is left anywhere.
	db := &storagerpc.DeleteBefore{Before: time.Now().Add(-time.Hour).UnixMilli()}
	storagerpc.Sign(db, id)
	if status, body := rpc(t, entry, db); status != http.StatusOK {
		t.Fatalf("delete_before: %d %s", status, body)
	}
	if got := retrieveAll(t, other, id); len(got) != 4 {
		t.Fatalf("delete_before an hour ago removed messages: %d left", len(got))
	}
	da := &storagerpc.DeleteAll{Timestamp: time.Now().UnixMilli()}
	storagerpc.Sign(da, id)
	if status, body := rpc(t, entry, da); status != http.StatusOK {
		t.Fatalf("delete_all: %d %s", status, body)
	}
	for _, m := range members {
		if got := retrieveAll(t, m, id); len(got) != 0 {
			t.Errorf("member %d still holds %d messages after delete_all", m.Index, len(got))
		}
	}
}

// TestStoreTTLBoundsAndNamespaceAuth checks the per-namespace rules.
func TestStoreTTLBoundsAndNamespaceAuth(t *testing.T) {
	needNet(t)
	id := newAccount(t)
	members, _ := swarmOf(t, id.SessionID())
	n := members[0]
	long := storeReq(id.SessionID(), []byte("too long"))
	long.TTL = (15 * 24 * time.Hour).Milliseconds()
	if status, body := rpc(t, n, long); status != http.StatusForbidden {
		t.Errorf("15-day TTL in namespace 0: %d %s, want 403", status, body)
	}
	private := storeReq(id.SessionID(), []byte("config"))
	private.Namespace = 3
	private.TTL = (29 * 24 * time.Hour).Milliseconds()
	if status, body := rpc(t, n, private); status != http.StatusUnauthorized {
		t.Errorf("unsigned store to namespace 3: %d %s, want 401", status, body)
	}
	storagerpc.Sign(private, id)
	if status, body := rpc(t, n, private); status != http.StatusOK {
		t.Errorf("signed 29-day store to namespace 3: %d %s, want 200", status, body)
	}
	big := storeReq(id.SessionID(), make([]byte, storagerpc.MaxMessageSize+1))
	if status, _ := rpc(t, n, big); status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized message: %d, want 400", status)
	}
}

// TestOnionToHTTPServer sends a v4 onion request through three nodes to an
// HTTPS server on 127.0.0.1 (a stand-in for the devnet's file server, which
// the last node is allowed to reach) and decrypts its reply.
func TestOnionToHTTPServer(t *testing.T) {
	needNet(t)
	secret := make([]byte, 32)
	rand.Read(secret)
	serverKey, err := onion.NewNodeKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	var gotPath string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		layer, err := serverKey.Open(body)
		if err != nil {
			http.Error(w, "bad onion", http.StatusBadRequest)
			return
		}
		req, err := onion.ParseV4Request(layer.Plaintext)
		if err != nil {
			http.Error(w, "bad v4", http.StatusBadRequest)
			return
		}
		resp := &onion.V4Response{Code: 200, Headers: map[string]string{"content-type": "text/plain"}, Body: []byte("echo " + req.Method + " " + req.Endpoint)}
		plain, _ := resp.Encode()
		ct, err := layer.EncryptReply(plain, nil)
		if err != nil {
			http.Error(w, "encrypt", http.StatusInternalServerError)
			return
		}
		w.Write(ct)
	}))
	defer srv.Close()
	host, portStr, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)

	v4 := &onion.V4Request{Method: "GET", Endpoint: "/file/123", Headers: map[string]string{}}
	payload, err := v4.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dest := onion.ServerDestination{Host: host, Target: "/oxen/v4/lsrpc", Protocol: "https", Port: uint16(port), X25519: serverKey.PublicKey()}
	path := testNet.Nodes[:3]
	allowLocal(t, path[2], srv.Listener.Addr())
	blob, key, err := onion.Build(dest, []onion.Hop{hop(t, path[0]), hop(t, path[1]), hop(t, path[2])}, payload, onion.XChaCha20, nil)
	if err != nil {
		t.Fatal(err)
	}
	status, body := post(t, path[0].URL()+"/onion_req/v2", blob)
	if status != http.StatusOK {
		t.Fatalf("onion to server: %d %q", status, body)
	}
	plain, err := key.DecryptReply(body)
	if err != nil {
		t.Fatalf("decrypting the server's reply: %v", err)
	}
	resp, err := onion.ParseV4Response(plain)
	if err != nil || resp.Code != 200 || string(resp.Body) != "echo GET /file/123" {
		t.Fatalf("server reply %+v, %v", resp, err)
	}
	if gotPath != "/oxen/v4/lsrpc" {
		t.Errorf("server saw path %q", gotPath)
	}

	// A node that is not allowed to reach it refuses, and the server sees nothing.
	gotPath = ""
	blob, _, err = onion.Build(dest, []onion.Hop{hop(t, path[0]), hop(t, path[1]), hop(t, testNet.Nodes[3])}, payload, onion.XChaCha20, nil)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := post(t, path[0].URL()+"/onion_req/v2", blob); status != http.StatusBadGateway || gotPath != "" {
		t.Errorf("onion to a loopback server through a node not allowed to reach it: %d %q, server saw %q", status, body, gotPath)
	}

	// A target outside Session's URL rules is refused.
	dest.Target = "/admin"
	if _, _, err := onion.Build(dest, []onion.Hop{hop(t, path[0])}, payload, onion.XChaCha20, nil); err == nil {
		t.Error("building an onion request to /admin succeeded")
	}
}
