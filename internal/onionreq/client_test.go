package onionreq

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/storagerpc"
)

func newTestClient(t *testing.T, src netview.Source, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{Source: src, RequestTimeout: 5 * time.Second, GuardTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newIdentity(t *testing.T) *keys.Identity {
	t.Helper()
	seed := make([]byte, 32)
	rand.Read(seed)
	id, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func storeFunc(id *keys.Identity, data []byte) RequestFunc {
	return func(now time.Time) (string, any, error) {
		s := &storagerpc.Store{Timestamp: now.UnixMilli(), TTL: 60_000, Data: data}
		storagerpc.Sign(s, id)
		return s.Method(), s, nil
	}
}

func retrieveFunc(id *keys.Identity) RequestFunc {
	return func(now time.Time) (string, any, error) {
		r := &storagerpc.Retrieve{Timestamp: now.UnixMilli()}
		storagerpc.Sign(r, id)
		return r.Method(), r, nil
	}
}

func retrieved(t *testing.T, body []byte) [][]byte {
	t.Helper()
	var r storagerpc.RetrieveResponse
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("retrieve reply: %v", err)
	}
	var out [][]byte
	for _, m := range r.Messages {
		out = append(out, m.Data)
	}
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClientStoreRetrieve(t *testing.T) {
	fn := newFakeNet(t, 7)
	c := newTestClient(t, fn.source(), nil)
	ctx := ctxT(t)
	if err := c.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	paths := c.Paths()
	if len(paths) != 3 {
		t.Fatalf("%d paths, want 3", len(paths))
	}
	guards := map[string]bool{}
	for _, p := range paths {
		if len(p) != 3 {
			t.Fatalf("path of %d hops, want 3", len(p))
		}
		if guards[p[0].Ed25519] {
			t.Errorf("guard %s used by two paths", p[0].Ed25519)
		}
		guards[p[0].Ed25519] = true
		seen := map[string]bool{}
		for _, h := range p {
			if seen[h.Ed25519] {
				t.Errorf("node %s twice in one path", h.Ed25519)
			}
			seen[h.Ed25519] = true
		}
	}

	alice := newIdentity(t)
	data := []byte("hello through three hops")
	status, _, err := c.SwarmRPC(ctx, alice.SessionID(), storeFunc(alice, data))
	if err != nil || status != http.StatusOK {
		t.Fatalf("store: %d %v", status, err)
	}
	status, body, err := c.SwarmRPC(ctx, alice.SessionID(), retrieveFunc(alice))
	if err != nil || status != http.StatusOK {
		t.Fatalf("retrieve: %d %v", status, err)
	}
	if got := retrieved(t, body); len(got) != 1 || string(got[0]) != string(data) {
		t.Fatalf("retrieved %q, want one message %q", got, data)
	}

	// The swarm was fetched once and cached, and it is the directory's.
	_, want := fn.dir.SwarmFor(alice.SessionID())
	got, err := c.Swarm(ctx, alice.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	if !sameNodes(got, want) {
		t.Errorf("cached swarm %v, want %v", eds(got), eds(want))
	}
	// Requests reached the destinations only as onion requests: every node
	// that ran a storage RPC call as the final destination is a swarm member
	// or answered get_swarm.
	var final int64
	for _, n := range fn.nodes {
		final += n.rpcs.Load()
	}
	if final < 3 {
		t.Errorf("%d calls reached a final destination, want at least 3 (get_swarm, store, retrieve)", final)
	}
	// Network time was learnt from the nodes' "t".
	if len(c.st.clock.samples) == 0 {
		t.Error("no network time sample taken")
	}
}

func eds(ns []netview.Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Ed25519[:8])
	}
	slices.Sort(out)
	return out
}

func sameNodes(a, b []netview.Node) bool { return slices.Equal(eds(a), eds(b)) }

func TestClientAESGCM(t *testing.T) {
	fn := newFakeNet(t, 5)
	c := newTestClient(t, fn.source(), func(cfg *Config) { cfg.EncType = onion.AESGCM })
	ctx := ctxT(t)
	dest := fn.nodes[0].info
	status, body, err := c.SnodeRPC(ctx, dest, storagerpc.MethodInfo, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("info: %d %v", status, err)
	}
	var info storagerpc.InfoResponse
	if err := json.Unmarshal(body, &info); err != nil || info.Timestamp == 0 {
		t.Fatalf("info reply %q: %v", body, err)
	}
	if fn.nodes[0].rpcs.Load() != 1 {
		t.Errorf("destination ran %d calls, want 1", fn.nodes[0].rpcs.Load())
	}
}

// TestClientPathAvoidsDestination checks that the request to a node never
// goes through that node: with 4 nodes every stored path may contain it, and
// the client must detour.
func TestClientPathAvoidsDestination(t *testing.T) {
	fn := newFakeNet(t, 4)
	c := newTestClient(t, fn.source(), nil)
	ctx := ctxT(t)
	for _, n := range fn.nodes {
		before := n.onions.Load()
		status, _, err := c.SnodeRPC(ctx, n.info, storagerpc.MethodInfo, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("info to %s: %d %v", n.info.Ed25519[:8], status, err)
		}
		// The destination received exactly one onion request: its own
		// layer, never one as a hop.
		if got := n.onions.Load() - before; got != 1 {
			t.Errorf("destination %s received %d onion requests, want 1", n.info.Ed25519[:8], got)
		}
	}
}

func TestClientRelayDown(t *testing.T) {
	fn := newFakeNet(t, 10)
	// No reload from the source during the test: it would forgive strikes.
	c := newTestClient(t, fn.source(), func(cfg *Config) { cfg.PoolMinLifetime = time.Hour })
	ctx := ctxT(t)
	if err := c.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	// Kill the middle hop of one path: only that path uses it, as 10 nodes
	// are enough for disjoint paths.
	paths := c.Paths()
	victim := paths[0][1]
	for _, p := range paths[1:] {
		if slices.ContainsFunc(p, func(n netview.Node) bool { return n.Ed25519 == victim.Ed25519 }) {
			t.Fatalf("relay %s is on two paths of a 10-node pool", victim.Ed25519[:8])
		}
	}
	fn.node(victim.Ed25519).kill()

	// Destinations not on the broken path.
	var dests []netview.Node
	for _, n := range fn.nodes {
		if !slices.ContainsFunc(paths[0], func(h netview.Node) bool { return h.Ed25519 == n.info.Ed25519 }) {
			dests = append(dests, n.info)
		}
	}
	inPool := func(ed string) bool {
		return slices.ContainsFunc(c.Nodes(), func(n netview.Node) bool { return n.Ed25519 == ed })
	}
	broken := paths[0][0].Ed25519
	for i := 0; i < 60 && inPool(broken); i++ {
		dest := dests[i%len(dests)]
		status, _, err := c.SnodeRPC(ctx, dest, storagerpc.MethodInfo, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, status, err)
		}
	}
	// The broken path kept failing while others worked, so it was struck
	// out: its guard left the pool and the dead relay got a strike.
	if inPool(broken) {
		t.Fatal("the guard of the broken path is still in the pool after 60 requests")
	}
	c.mu.Lock()
	strikes := c.st.strikes[victim.Ed25519]
	c.mu.Unlock()
	if inPool(victim.Ed25519) && strikes == 0 {
		t.Error("the dead relay has no strike")
	}
}

func TestClientDestinationDown(t *testing.T) {
	fn := newFakeNet(t, 10)
	c := newTestClient(t, fn.source(), nil)
	ctx := ctxT(t)
	if err := c.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	// A destination on no path.
	used := map[string]bool{}
	for _, p := range c.Paths() {
		for _, h := range p {
			used[h.Ed25519] = true
		}
	}
	var dest *fakeNode
	for _, n := range fn.nodes {
		if !used[n.info.Ed25519] {
			dest = n
		}
	}
	dest.kill()
	_, _, err := c.SnodeRPC(ctx, dest.info, storagerpc.MethodInfo, nil)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable", err)
	}
	// The paths are not blamed; the destination is.
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.st.paths {
		if p.strikes != 0 {
			t.Errorf("path via %s has %d strikes, want 0", p.guard().Ed25519[:8], p.strikes)
		}
	}
	if c.st.strikes[dest.info.Ed25519] != 1 {
		t.Errorf("destination has %d strikes, want 1", c.st.strikes[dest.info.Ed25519])
	}
}

func TestClientNodeNotFound(t *testing.T) {
	fn := newFakeNet(t, 6)
	// The client's directory has a node the network does not know.
	ghost := netview.Node{IP: "127.0.0.1", StoragePort: 1, Ed25519: fmt.Sprintf("%064x", 7), X25519: fmt.Sprintf("%064x", 9)}
	d, err := netview.NewDirectory(append(fn.dir.Nodes(), ghost))
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, &countingSource{dir: d}, nil)
	ctx := ctxT(t)
	for range 3 {
		_, _, err := c.SnodeRPC(ctx, ghost, storagerpc.MethodInfo, nil)
		if !errors.Is(err, ErrNodeNotFound) {
			t.Fatalf("got %v, want ErrNodeNotFound", err)
		}
		var pe *PathError
		if !errors.As(err, &pe) || pe.NotFound != ghost.Ed25519 {
			t.Fatalf("got %v, want a PathError naming the ghost", err)
		}
	}
	// Three strikes: the ghost is gone from the pool.
	if slices.ContainsFunc(c.Nodes(), func(n netview.Node) bool { return n.Ed25519 == ghost.Ed25519 }) {
		t.Error("the unknown node is still in the pool after 3 strikes")
	}
}

func TestClientWrongSwarm(t *testing.T) {
	fn := newFakeNet(t, 14)
	if len(fn.dir.SwarmIDs()) < 2 {
		t.Fatalf("%d swarms, want 2", len(fn.dir.SwarmIDs()))
	}
	c := newTestClient(t, fn.source(), nil)
	ctx := ctxT(t)
	alice := newIdentity(t)
	acct := alice.SessionID()
	id, right := fn.dir.SwarmFor(acct)
	var foreign []netview.Node
	for _, sid := range fn.dir.SwarmIDs() {
		if sid != id {
			foreign = fn.dir.Swarm(sid)
		}
	}

	// A store sent straight to a foreign node is a 421 carrying the swarm.
	method, params, _ := storeFunc(alice, []byte("x"))(c.Now())
	status, _, err := c.SnodeRPC(ctx, foreign[0], method, params)
	var ws *WrongSwarmError
	if status != http.StatusMisdirectedRequest || !errors.As(err, &ws) || !errors.Is(err, storagerpc.ErrMisdirected) {
		t.Fatalf("got %d %v, want a 421 WrongSwarmError", status, err)
	}
	if ws.Account != acct || !sameNodes(ws.Swarm, right) || ws.SwarmID != id.String() {
		t.Errorf("421 names swarm %s %v, want %s %v", ws.SwarmID, eds(ws.Swarm), id, eds(right))
	}
	got, _ := c.Swarm(ctx, acct)
	if !sameNodes(got, right) {
		t.Errorf("cache after 421: %v, want %v", eds(got), eds(right))
	}

	// A stale cache pointing at the foreign swarm is corrected by SwarmRPC.
	c.mu.Lock()
	c.st.setSwarm(acct, "stale", foreign, c.now())
	c.mu.Unlock()
	status, _, err = c.SwarmRPC(ctx, acct, storeFunc(alice, []byte("y")))
	if err != nil || status != http.StatusOK {
		t.Fatalf("store with a stale swarm: %d %v", status, err)
	}
	got, _ = c.Swarm(ctx, acct)
	if !sameNodes(got, right) {
		t.Errorf("cache after SwarmRPC: %v, want %v", eds(got), eds(right))
	}
}

func TestClientClockSkew(t *testing.T) {
	fn := newFakeNet(t, 6)
	const skew = 5 * time.Minute
	for _, n := range fn.nodes {
		n.skew.Store(int64(skew))
	}
	c := newTestClient(t, fn.source(), nil)
	ctx := ctxT(t)
	alice := newIdentity(t)
	if err := c.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	// The guard tests already taught the client the network's time.
	if off := c.Offset(); off < skew-5*time.Second || off > skew+5*time.Second {
		t.Fatalf("offset %v after guard tests, want about %v", off, skew)
	}
	// Make the client's idea wrong again: the node refuses the timestamp,
	// the client resyncs and SwarmRPC retries with the corrected time.
	c.mu.Lock()
	c.st.clock.reset(0)
	c.mu.Unlock()
	method, params, _ := retrieveFunc(alice)(c.Now())
	_, members := fn.dir.SwarmFor(alice.SessionID())
	status, _, err := c.SnodeRPC(ctx, members[0], method, params)
	var ce *ClockError
	if status != http.StatusNotAcceptable || !errors.As(err, &ce) || !errors.Is(err, ErrClockSkew) || !errors.Is(err, storagerpc.ErrNotAcceptable) {
		t.Fatalf("got %d %v, want a 406 ClockError", status, err)
	}
	if ce.Offset < skew-5*time.Second || ce.Offset > skew+5*time.Second {
		t.Errorf("offset after resync %v, want about %v", ce.Offset, skew)
	}
	c.mu.Lock()
	c.st.clock.reset(0)
	c.mu.Unlock()
	status, _, err = c.SwarmRPC(ctx, alice.SessionID(), retrieveFunc(alice))
	if err != nil || status != http.StatusOK {
		t.Fatalf("retrieve after a clock error: %d %v", status, err)
	}
	if d := c.Now().Sub(time.Now()); d < skew-5*time.Second || d > skew+5*time.Second {
		t.Errorf("Now is %v ahead, want about %v", d, skew)
	}
}

func TestClientServerRequest(t *testing.T) {
	fn := newFakeNet(t, 5)
	srv := newFakeServer(t)
	c := newTestClient(t, fn.source(), nil)
	ctx := ctxT(t)
	resp, err := c.ServerRequest(ctx, srv.dest, onion.V4Request{
		Method: "POST", Endpoint: "/file", Headers: map[string]string{"Content-Type": "application/octet-stream"}, Body: []byte("payload"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != http.StatusCreated || string(resp.Body) != "POST /file payload" || resp.Headers["content-type"] != "text/plain" {
		t.Errorf("got %d %q %v", resp.Code, resp.Body, resp.Headers)
	}
}

func TestClientPoolTooSmall(t *testing.T) {
	fn := newFakeNet(t, 3)
	src := fn.source()
	c := newTestClient(t, src, nil)
	_, _, err := c.SnodeRPC(ctxT(t), fn.nodes[0].info, storagerpc.MethodInfo, nil)
	if !errors.Is(err, ErrPoolTooSmall) {
		t.Fatalf("got %v, want ErrPoolTooSmall", err)
	}
}

func TestClientSourceFails(t *testing.T) {
	src := &countingSource{err: errors.New("no seed answered")}
	c := newTestClient(t, src, nil)
	err := c.Bootstrap(ctxT(t))
	if err == nil || !errors.Is(err, src.err) {
		t.Fatalf("got %v, want the source's error", err)
	}
}

func TestClientDeadGuardCandidate(t *testing.T) {
	fn := newFakeNet(t, 6)
	dead := fn.nodes[2]
	dead.kill()
	c := newTestClient(t, fn.source(), nil)
	if err := c.Bootstrap(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Paths() {
		if p[0].Ed25519 == dead.info.Ed25519 {
			t.Errorf("a dead node became a guard")
		}
	}
}

func TestClientConcurrent(t *testing.T) {
	fn := newFakeNet(t, 8)
	c := newTestClient(t, fn.source(), nil)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			id := newIdentity(t)
			data := fmt.Appendf(nil, "message %d", i)
			if _, _, err := c.SwarmRPC(ctx, id.SessionID(), storeFunc(id, data)); err != nil {
				errs <- err
				return
			}
			_, body, err := c.SwarmRPC(ctx, id.SessionID(), retrieveFunc(id))
			if err != nil {
				errs <- err
				return
			}
			var r storagerpc.RetrieveResponse
			if err := json.Unmarshal(body, &r); err != nil || len(r.Messages) != 1 || string(r.Messages[0].Data) != string(data) {
				errs <- fmt.Errorf("goroutine %d retrieved %s", i, body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClientClosed(t *testing.T) {
	fn := newFakeNet(t, 5)
	c := newTestClient(t, fn.source(), nil)
	c.Close()
	if _, _, err := c.SnodeRPC(ctxT(t), fn.nodes[0].info, storagerpc.MethodInfo, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
}

// SwarmRPCPrefer asks the preferred member first; SwarmRPCNode tells the
// request which member it goes to.
func TestSwarmRPCPrefer(t *testing.T) {
	fn := newFakeNet(t, 7)
	c := newTestClient(t, fn.source(), nil)
	ctx := ctxT(t)
	alice := newIdentity(t)
	members, err := c.Swarm(ctx, alice.SessionID())
	if err != nil || len(members) < 2 {
		t.Fatalf("swarm: %d members, %v", len(members), err)
	}
	for _, want := range members {
		var got []string
		status, _, err := c.SwarmRPCPrefer(ctx, alice.SessionID(), want.Ed25519, func(now time.Time, n netview.Node) (string, any, error) {
			got = append(got, n.Ed25519)
			m, p, err := retrieveFunc(alice)(now)
			return m, p, err
		})
		if err != nil || status != http.StatusOK || len(got) != 1 || got[0] != want.Ed25519 {
			t.Fatalf("prefer %s: asked %v (%d, %v)", want.Ed25519, got, status, err)
		}
	}
}
