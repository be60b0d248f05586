package snode_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/devnet/devnettest"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/storagerpc"
)

// testNet is one devnet of real snode processes shared by the tests of this
// file: 14 nodes, which Session's rules split into two swarms of 7.
var testNet *devnet.Net

func TestMain(m *testing.M) { os.Exit(devnettest.Main(m, 14, &testNet)) }

func needNet(t *testing.T) {
	t.Helper()
	devnettest.Need(t, testNet)
}

var httpClient = &http.Client{
	Timeout:   40 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
}

func post(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := httpClient.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func directory(t *testing.T) *netview.Directory {
	t.Helper()
	d, err := (&netview.FileSource{Path: testNet.DirectoryFile}).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func nodeByEd(t *testing.T, ed string) *devnet.Node {
	t.Helper()
	for _, n := range testNet.Nodes {
		if n.Ed25519 == ed {
			return n
		}
	}
	t.Fatalf("node %s not in devnet", ed)
	return nil
}

func newAccount(t *testing.T) *keys.Identity {
	t.Helper()
	seed := make([]byte, 16)
	rand.Read(seed)
	id, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// swarmOf returns the devnet nodes of account's swarm and the others.
func swarmOf(t *testing.T, account keys.ID) (members, others []*devnet.Node) {
	t.Helper()
	_, ms := directory(t).SwarmFor(account)
	for _, n := range testNet.Nodes {
		if slices.ContainsFunc(ms, func(m netview.Node) bool { return m.Ed25519 == n.Ed25519 }) {
			members = append(members, n)
		} else {
			others = append(others, n)
		}
	}
	if len(members) == 0 {
		t.Fatal("account has no swarm")
	}
	return members, others
}

func rpc(t *testing.T, n *devnet.Node, req storagerpc.Request) (int, []byte) {
	t.Helper()
	body, err := storagerpc.EncodeBody(req)
	if err != nil {
		t.Fatal(err)
	}
	return post(t, n.URL()+"/storage_rpc/v1", body)
}

func storeReq(account keys.ID, data []byte) *storagerpc.Store {
	now := time.Now().UnixMilli()
	return &storagerpc.Store{Auth: storagerpc.Auth{Pubkey: account}, Timestamp: now, TTL: time.Hour.Milliseconds(), Data: data}
}

func retrieveAll(t *testing.T, n *devnet.Node, id *keys.Identity) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	last := ""
	for {
		r := &storagerpc.Retrieve{LastHash: last, Timestamp: time.Now().UnixMilli()}
		storagerpc.Sign(r, id)
		status, body := rpc(t, n, r)
		if status != http.StatusOK {
			t.Fatalf("retrieve on node %d: %d %s", n.Index, status, body)
		}
		var resp storagerpc.RetrieveResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.Messages {
			out[m.Hash] = m.Data
			last = m.Hash
		}
		if !resp.More || len(resp.Messages) == 0 {
			return out
		}
	}
}

// awaitHeld waits until every node in ns holds each of hashes for
// account id. A store is answered once a majority of the swarm has it, or
// storeQuorumWait after it is stored at the entry node, whichever is
// first; the other members get it from the push still under way or, if
// that fails, by catch-up. A test that checks a store's effect on another
// member waits for that first, however slow the machine.
func awaitHeld(t *testing.T, ns []*devnet.Node, id *keys.Identity, hashes ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, n := range ns {
		for {
			got := retrieveAll(t, n, id)
			missing := slices.IndexFunc(hashes, func(h string) bool { return got[h] == nil })
			if missing < 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d does not hold message %s 60 s after its store", n.Index, hashes[missing])
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func hop(t *testing.T, n *devnet.Node) onion.Hop {
	t.Helper()
	var h onion.Hop
	ed, _ := hex.DecodeString(n.Ed25519)
	x, _ := hex.DecodeString(n.X25519)
	copy(h.Ed25519[:], ed)
	copy(h.X25519[:], x)
	return h
}

// onionRPC sends a storage RPC through guard → relay → relay → dest and
// returns the destination's {"status", "body"}.
func onionRPC(t *testing.T, path []*devnet.Node, dest *devnet.Node, req storagerpc.Request, enc onion.EncType) (int, []byte) {
	t.Helper()
	payload, err := storagerpc.EncodeBody(req)
	if err != nil {
		t.Fatal(err)
	}
	d := hop(t, dest)
	var hops []onion.Hop
	for _, p := range path {
		hops = append(hops, hop(t, p))
	}
	blob, key, err := onion.Build(onion.SnodeDestination{Ed25519: d.Ed25519, X25519: d.X25519}, hops, payload, enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	status, body := post(t, path[0].URL()+"/onion_req/v2", blob)
	if status != http.StatusOK {
		t.Fatalf("onion request: path error %d %s", status, body)
	}
	ct, err := base64.StdEncoding.DecodeString(string(body))
	if err != nil {
		t.Fatalf("onion reply is not base64: %q", body)
	}
	plain, err := key.DecryptReply(ct)
	if err != nil {
		t.Fatalf("decrypting the onion reply: %v", err)
	}
	var reply struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	if err := json.Unmarshal(plain, &reply); err != nil {
		t.Fatalf("onion reply %q: %v", plain, err)
	}
	return reply.Status, []byte(reply.Body)
}

func TestOnionStoreReachesEverySwarmMember(t *testing.T) {
	needNet(t)
	for _, enc := range []onion.EncType{onion.XChaCha20, onion.AESGCM} {
		t.Run(enc.String(), func(t *testing.T) {
			id := newAccount(t)
			members, others := swarmOf(t, id.SessionID())
			if len(members) < 5 {
				t.Fatalf("swarm has %d members, want at least 5", len(members))
			}
			dest := members[0]
			// The path avoids the destination, as Session clients do.
			path := []*devnet.Node{others[0], others[1], members[1]}
			data := []byte("hello through " + enc.String())
			status, body := onionRPC(t, path, dest, storeReq(id.SessionID(), data), enc)
			if status != http.StatusOK {
				t.Fatalf("store: %d %s", status, body)
			}
			var resp storagerpc.StoreResponse
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			want := storagerpc.MessageHash(id.SessionID(), 0, data)
			if resp.Hash != want {
				t.Fatalf("store reply: hash %q, want %q", resp.Hash, want)
			}
			// The store is answered once a majority of the swarm holds
			// it, or storeQuorumWait after the entry node stored it
			// (which a loaded machine reaches first): every result it
			// carries is a member's signed acknowledgement, the entry
			// node's at least, and every member holds the message soon
			// after.
			signed := 0
			for _, m := range members {
				res, ok := resp.Swarm[m.Ed25519]
				if !ok {
					continue
				}
				key, _ := hex.DecodeString(m.Ed25519)
				if bool(res.Failed) || res.Hash != want || !ed25519.Verify(key, []byte(want), res.Signature) {
					t.Errorf("member %d: result %+v is not a signed acknowledgement", m.Index, res)
				}
				signed++
			}
			if _, ok := resp.Swarm[dest.Ed25519]; !ok || len(resp.Swarm) != signed {
				t.Fatalf("store reply: %d signed acknowledgements of %d results, want the entry node's among them", signed, len(resp.Swarm))
			}
			if signed < len(members)/2+1 {
				t.Logf("store answered at the quorum deadline with %d of %d members", signed, len(members))
			}
			for _, m := range members {
				deadline := time.Now().Add(30 * time.Second)
				for got := retrieveAll(t, m, id); !bytes.Equal(got[want], data); got = retrieveAll(t, m, id) {
					if time.Now().After(deadline) {
						t.Fatalf("member %d does not hold the message", m.Index)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			// The message is retrievable through an onion path as well.
			r := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
			storagerpc.Sign(r, id)
			status, body = onionRPC(t, []*devnet.Node{others[2], members[2], others[3]}, members[3], r, enc)
			if status != http.StatusOK || !bytes.Contains(body, []byte(want)) {
				t.Errorf("onion retrieve: %d %s", status, body)
			}
		})
	}
}

func TestKillTwoMembersDuringBurstLosesNothing(t *testing.T) {
	needNet(t)
	id := newAccount(t)
	members, _ := swarmOf(t, id.SessionID())
	entry, victims, survivors := members[0], members[1:3], append([]*devnet.Node{members[0]}, members[3:]...)
	t.Cleanup(func() {
		for _, v := range victims {
			if !v.Running() {
				v.Start()
			}
		}
		testNet.WaitReady(context.Background())
	})

	const total = 200
	hashes := make([]string, total)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				data := fmt.Appendf(nil, "burst message %d", i)
				status, body := rpc(t, entry, storeReq(id.SessionID(), data))
				if status != http.StatusOK {
					t.Errorf("store %d: %d %s", i, status, body)
				}
				hashes[i] = storagerpc.MessageHash(id.SessionID(), 0, data)
			}
		})
	}
	for i := range total {
		if i == total/4 {
			for _, v := range victims {
				if err := v.Kill(); err != nil {
					t.Fatal(err)
				}
			}
		}
		next <- i
	}
	close(next)
	wg.Wait()

	// A store is answered once a majority of the swarm has it: the other
	// survivors get it from pushes still running, or else from catch-up.
	for _, s := range survivors {
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := retrieveAll(t, s, id)
			missing := slices.IndexFunc(hashes, func(h string) bool { _, ok := got[h]; return !ok })
			if missing < 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("surviving member %d lost message %d", s.Index, missing)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// Restarted members catch up on what they missed.
	for _, v := range victims {
		if err := v.Start(); err != nil {
			t.Fatal(err)
		}
		if err := v.WaitReady(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, v := range victims {
		for {
			got := retrieveAll(t, v, id)
			missing := 0
			for _, h := range hashes {
				if _, ok := got[h]; !ok {
					missing++
				}
			}
			if missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("restarted member %d still misses %d of %d messages", v.Index, missing, total)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func TestErrorStatuses(t *testing.T) {
	needNet(t)
	id := newAccount(t)
	members, others := swarmOf(t, id.SessionID())

	t.Run("a foreign swarm answers 421 with the right swarm", func(t *testing.T) {
		status, body := rpc(t, others[0], storeReq(id.SessionID(), []byte("misdirected")))
		if status != http.StatusMisdirectedRequest {
			t.Fatalf("status %d %s, want 421", status, body)
		}
		var sw storagerpc.SwarmResponse
		if err := json.Unmarshal(body, &sw); err != nil {
			t.Fatal(err)
		}
		var got, want []string
		for _, s := range sw.Snodes {
			got = append(got, s.PubkeyEd25519)
		}
		for _, m := range members {
			want = append(want, m.Ed25519)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("421 names %v, want the account's swarm %v", got, want)
		}
	})
	t.Run("a stale timestamp answers 406", func(t *testing.T) {
		r := &storagerpc.Retrieve{Timestamp: time.Now().Add(-5 * time.Minute).UnixMilli()}
		storagerpc.Sign(r, id)
		if status, body := rpc(t, members[0], r); status != http.StatusNotAcceptable {
			t.Errorf("status %d %s, want 406", status, body)
		}
		s := storeReq(id.SessionID(), []byte("old"))
		s.Timestamp = time.Now().Add(-2 * time.Hour).UnixMilli()
		if status, body := rpc(t, members[0], s); status != http.StatusNotAcceptable {
			t.Errorf("old store: status %d %s, want 406", status, body)
		}
	})
	t.Run("a bad signature answers 401", func(t *testing.T) {
		r := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
		storagerpc.Sign(r, id)
		r.Signature[0] ^= 1
		if status, body := rpc(t, members[0], r); status != http.StatusUnauthorized {
			t.Errorf("status %d %s, want 401", status, body)
		}
		// Someone else's key cannot read this account.
		other := newAccount(t)
		r = &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
		storagerpc.Sign(r, other)
		r.Pubkey = id.SessionID()
		if status, body := rpc(t, members[0], r); status != http.StatusUnauthorized {
			t.Errorf("foreign key: status %d %s, want 401", status, body)
		}
	})
	t.Run("a relay to an unknown node answers 502 in plain text", func(t *testing.T) {
		ghost := &devnet.Node{Ed25519: hex.EncodeToString(make([]byte, 32)), X25519: members[0].X25519}
		payload, _ := storagerpc.EncodeBody(&storagerpc.Info{})
		g := hop(t, ghost)
		blob, _, err := onion.Build(onion.SnodeDestination{Ed25519: g.Ed25519, X25519: g.X25519},
			[]onion.Hop{hop(t, others[0]), hop(t, others[1])}, payload, onion.XChaCha20, nil)
		if err != nil {
			t.Fatal(err)
		}
		status, body := post(t, others[0].URL()+"/onion_req/v2", blob)
		if status != http.StatusBadGateway || !bytes.HasPrefix(body, []byte("Next node not found: ")) {
			t.Errorf("status %d %q, want 502 Next node not found", status, body)
		}
	})
}

func TestMalformedRequestsNeverBreakANode(t *testing.T) {
	needNet(t)
	n := testNet.Nodes[5]
	junk := make([]byte, 4096)
	rand.Read(junk)
	bodies := map[string][][]byte{
		"/storage_rpc/v1": {
			nil, []byte("{"), []byte(`[]`), []byte(`{"method":5}`), []byte(`{"method":"store"}`),
			[]byte(`{"method":"store","params":[]}`), []byte(`{"method":"nope","params":{}}`),
			[]byte(`{"method":"store","params":{"pubkey":"05zz","data":"!!","ttl":"x"}}`),
			[]byte(`{"method":"retrieve","params":{"pubkey":"` + newAccount(t).SessionID().String() + `","last_hash":"x"}}`),
			[]byte(`{"method":"batch","params":{"requests":[` + string(bytes.Repeat([]byte(`{"method":"info","params":{}},`), 21)) + `{"method":"info","params":{}}]}}`),
			[]byte(`{"method":"batch","params":{"requests":[{"method":"batch","params":{"requests":[]}}]}}`),
			bytes.Repeat([]byte("["), 100000), junk,
		},
		"/onion_req/v2":  {nil, []byte{1, 0, 0, 0}, []byte{0xff, 0xff, 0xff, 0xff, 1, 2}, append([]byte{4, 0, 0, 0, 1, 2, 3, 4}, []byte(`{"ephemeral_key":"00","enc_type":"xchacha20"}`)...), junk},
		"/json_rpc":      {nil, []byte(`{"method":"get_n_service_nodes","params":5}`), junk, []byte(`{"method":"drop_tables"}`)},
		"/swarm/v1/sync": {nil, []byte(`{"after":0}`)},
	}
	for path, list := range bodies {
		for i, b := range list {
			status, resp := post(t, n.URL()+path, b)
			if status < 400 || status >= 500 {
				t.Errorf("%s body %d: status %d %q, want a 4xx", path, i, status, truncate(resp))
			}
		}
	}
	huge := make([]byte, 11<<20)
	if status, _ := post(t, n.URL()+"/storage_rpc/v1", huge); status != http.StatusRequestEntityTooLarge {
		t.Errorf("11 MB body: status %d, want 413", status)
	}
	status, body := rpc(t, n, &storagerpc.Info{})
	if status != http.StatusOK || !n.Running() {
		t.Fatalf("node stopped answering after malformed input: %d %s", status, body)
	}
}

func truncate(b []byte) []byte {
	if len(b) > 120 {
		return b[:120]
	}
	return b
}

// A held poll's second run, after the wake, skips the checks of its
// signature and times (the first run passed them): so a poll that fails
// them must never be held. A forged poll is answered at once with its
// error, and a message stored meanwhile never reaches it.
func TestLongPollWithBadSignatureIsNotHeld(t *testing.T) {
	needNet(t)
	id := newAccount(t)
	members, _ := swarmOf(t, id.SessionID())
	r := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
	storagerpc.Sign(r, id)
	r.Signature[0] ^= 1
	p := longPollParams(r, 20000)
	batch, _ := json.Marshal(map[string]any{"method": "batch", "params": map[string]any{
		"requests":     []any{map[string]any{"method": "retrieve", "params": p}},
		"long_poll_ms": 20000,
	}})
	single, _ := json.Marshal(map[string]any{"method": "retrieve", "params": p})
	for _, body := range [][]byte{single, batch} {
		data := fmt.Appendf(nil, "not for a forged poll %d", len(body))
		status, got := pollWhileStoring(t, members, id, body, data)
		if bytes.Contains(got, []byte(storagerpc.MessageHash(id.SessionID(), 0, data))) {
			t.Fatalf("a poll with a bad signature got the message: %d %s", status, got)
		}
		if !bytes.Contains(got, []byte("401")) && status != http.StatusUnauthorized {
			t.Fatalf("a poll with a bad signature: %d %s, want 401", status, got)
		}
	}
}

func TestLongPollRetrieveWakesOnStore(t *testing.T) {
	needNet(t)
	id := newAccount(t)
	members, _ := swarmOf(t, id.SessionID())
	data := []byte("wake up")
	status, got := pollWhileStoring(t, members, id, longPollBody(t, id, 20000), data)
	if status != http.StatusOK || !bytes.Contains(got, []byte(storagerpc.MessageHash(id.SessionID(), 0, data))) {
		t.Fatalf("long poll returned %d %s, want the new message", status, got)
	}
}
