package onionreq

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/devnet/devnettest"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

// The devnet tests share one network of 14 real snode processes (two
// swarms of 7), started on first use and stopped by TestMain, so that the
// fast tests above do not wait for it and -short skips it entirely.
var shared = devnettest.Lazy{Nodes: 14}

func TestMain(m *testing.M) { os.Exit(shared.Main(m)) }

// devnetClient returns a client that bootstraps from the devnet's seed
// file, as a real client does: seeds answer get_n_service_nodes, signed.
func devnetClient(t *testing.T, dn *devnet.Net, mod func(*Config)) *Client {
	t.Helper()
	tr := NewHTTPTransport(HTTPConfig{})
	t.Cleanup(tr.CloseIdleConnections)
	src, err := netview.OpenFile(dn.NetworkFile, tr.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*netview.SeedSource); !ok {
		t.Fatalf("%s is not a seed file", dn.NetworkFile)
	}
	return newTestClient(t, src, func(cfg *Config) {
		cfg.Transport = tr
		if mod != nil {
			mod(cfg)
		}
	})
}

func devnetDirectory(t *testing.T, dn *devnet.Net) *netview.Directory {
	t.Helper()
	d, err := (&netview.FileSource{Path: dn.DirectoryFile}).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// sendVia runs one storage RPC call on dest through the given path only.
func sendVia(t *testing.T, c *Client, p *path, dest netview.Node, method string, params any) (int, []byte) {
	t.Helper()
	payload, _, err := encodeRPC(method, params)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := snodeDestination(dest)
	if err != nil {
		t.Fatal(err)
	}
	pt, perr, err := c.send(t.Context(), p, sd, payload)
	if err != nil || perr != nil {
		t.Fatalf("via path %d to %s: %v %v", p.id, dest.Ed25519[:8], err, perr)
	}
	status, body, err := parseSnodeReply(pt)
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

func TestDevnetStoreThenRetrieveOnOtherPaths(t *testing.T) {
	dn := shared.Net(t)
	c := devnetClient(t, dn, nil)
	ctx := ctxT(t)
	if err := c.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Nodes()); n != len(dn.Nodes) {
		t.Fatalf("pool has %d nodes from the seeds, want %d", n, len(dn.Nodes))
	}

	alice := newIdentity(t)
	data := []byte("stored through an onion path")
	status, body, err := c.SwarmRPC(ctx, alice.SessionID(), storeFunc(alice, data))
	if err != nil || status != http.StatusOK {
		t.Fatalf("store: %d %v", status, err)
	}
	var sr storagerpc.StoreResponse
	if err := json.Unmarshal(body, &sr); err != nil || sr.Hash != storagerpc.MessageHash(alice.SessionID(), 0, data) {
		t.Fatalf("store reply %s: %v", body, err)
	}

	// Retrieve through each path in turn, each time from another member
	// of the swarm: every path and every member sees the message.
	members, err := c.Swarm(ctx, alice.SessionID())
	if err != nil {
		t.Fatal(err)
	}
	_, want := devnetDirectory(t, dn).SwarmFor(alice.SessionID())
	if !sameNodes(members, want) {
		t.Fatalf("get_swarm gave %v, the directory says %v", eds(members), eds(want))
	}
	c.mu.Lock()
	paths := slices.Clone(c.st.paths)
	c.mu.Unlock()
	tested := 0
	for k, p := range paths {
		var dest *netview.Node
		for j := range members {
			if m := members[(k+j)%len(members)]; !p.contains(m.Ed25519) {
				dest = &m
				break
			}
		}
		if dest == nil {
			continue
		}
		// A store is answered once a quorum of the swarm holds it; the
		// other members get it by push a moment later, so a member that
		// has nothing yet is asked again. What it gives must be the message.
		deadline := time.Now().Add(30 * time.Second)
		for {
			method, params, _ := retrieveFunc(alice)(c.Now())
			status, body := sendVia(t, c, p, *dest, method, params)
			if status != http.StatusOK {
				t.Fatalf("retrieve via path %d from %s: %d %s", p.id, dest.Ed25519[:8], status, body)
			}
			got := retrieved(t, body)
			if len(got) == 0 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if len(got) != 1 || string(got[0]) != string(data) {
				t.Fatalf("retrieve via path %d from %s: %q", p.id, dest.Ed25519[:8], got)
			}
			break
		}
		tested++
	}
	if tested < 2 {
		t.Fatalf("retrieved through %d paths, want at least 2", tested)
	}
	// A second client, with its own paths, sees the message too.
	c2 := devnetClient(t, dn, nil)
	if got := retrieveSoon(ctx, t, c2, alice); len(got) != 1 || string(got[0]) != string(data) {
		t.Errorf("second client retrieved %q", got)
	}
	// Network time came from the nodes and is close to ours (same machine).
	if off := c.Offset(); off < -2*time.Second || off > 2*time.Second {
		t.Errorf("network offset %v on one machine", off)
	}
}

func TestDevnetRelayKilled(t *testing.T) {
	dn := shared.Net(t)
	c := devnetClient(t, dn, func(cfg *Config) { cfg.PoolMinLifetime = time.Hour })
	ctx := ctxT(t)
	if err := c.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	paths := c.Paths()
	victim := paths[0][1]
	for _, p := range paths[1:] {
		if slices.ContainsFunc(p, func(n netview.Node) bool { return n.Ed25519 == victim.Ed25519 }) {
			t.Fatalf("relay %s is on two paths of a 14-node pool", victim.Ed25519[:8])
		}
	}
	var proc *devnet.Node
	for _, n := range dn.Nodes {
		if n.Ed25519 == victim.Ed25519 {
			proc = n
		}
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := proc.Start(); err == nil {
			proc.WaitReady(context.Background())
		}
	})

	var dests []netview.Node
	for _, n := range c.Nodes() {
		if n.Ed25519 != victim.Ed25519 {
			dests = append(dests, n)
		}
	}
	inPool := func(ed string) bool {
		return slices.ContainsFunc(c.Nodes(), func(n netview.Node) bool { return n.Ed25519 == ed })
	}
	for i := 0; i < 40 && inPool(victim.Ed25519); i++ {
		status, _, err := c.SnodeRPC(ctx, dests[i%len(dests)], storagerpc.MethodInfo, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("request %d with a dead relay: %d %v", i, status, err)
		}
	}
	// The guard named the dead relay ("Next node is unreachable"), so the
	// relay, not the guard, was struck out, and with it every path through
	// it.
	if inPool(victim.Ed25519) {
		t.Fatal("the dead relay is still in the pool after 40 requests")
	}
	if !inPool(paths[0][0].Ed25519) {
		t.Error("the guard of the broken path was dropped; the relay was at fault")
	}
	for _, p := range c.Paths() {
		if slices.ContainsFunc(p, func(n netview.Node) bool { return n.Ed25519 == victim.Ed25519 }) {
			t.Error("a path still goes through the dead relay")
		}
	}

	// A request to the dead node itself fails at once as unreachable, and
	// no path is blamed for it.
	c.mu.Lock()
	before := map[uint64]int{}
	for _, p := range c.st.paths {
		before[p.id] = p.strikes
	}
	c.mu.Unlock()
	if _, _, err := c.SnodeRPC(ctx, victim, storagerpc.MethodInfo, nil); !errors.Is(err, ErrUnreachable) {
		t.Errorf("request to the dead node: %v, want ErrUnreachable", err)
	}
	c.mu.Lock()
	for _, p := range c.st.paths {
		if s, ok := before[p.id]; ok && p.strikes != s {
			t.Errorf("path %d was struck for a dead destination", p.id)
		}
	}
	c.mu.Unlock()

	// A store for an account whose swarm holds the dead node still works:
	// another member takes it.
	alice := newIdentity(t)
	status, _, err := c.SwarmRPC(ctx, alice.SessionID(), storeFunc(alice, []byte("despite a dead node")))
	if err != nil || status != http.StatusOK {
		t.Fatalf("store: %d %v", status, err)
	}
}

func TestDevnetWrongSwarmUpdatesCache(t *testing.T) {
	dn := shared.Net(t)
	d := devnetDirectory(t, dn)
	if len(d.SwarmIDs()) < 2 {
		t.Fatalf("the devnet has %d swarm(s), want 2", len(d.SwarmIDs()))
	}
	c := devnetClient(t, dn, nil)
	ctx := ctxT(t)
	alice := newIdentity(t)
	acct := alice.SessionID()
	id, right := d.SwarmFor(acct)
	var foreign []netview.Node
	for _, sid := range d.SwarmIDs() {
		if sid != id {
			foreign = d.Swarm(sid)
		}
	}

	// Seed the cache with the wrong swarm, as after a swarm change.
	c.mu.Lock()
	c.st.setSwarm(acct, "stale", foreign, c.now())
	c.mu.Unlock()
	method, params, _ := storeFunc(alice, []byte("x"))(c.Now())
	status, _, err := c.SnodeRPC(ctx, foreign[0], method, params)
	var ws *WrongSwarmError
	if status != http.StatusMisdirectedRequest || !errors.As(err, &ws) {
		t.Fatalf("store on a foreign node: %d %v, want a 421", status, err)
	}
	if ws.SwarmID != id.String() || !sameNodes(ws.Swarm, right) {
		t.Errorf("421 named %s %v, want %s %v", ws.SwarmID, eds(ws.Swarm), id, eds(right))
	}
	got, _ := c.Swarm(ctx, acct)
	if !sameNodes(got, right) {
		t.Errorf("cache after the 421: %v, want %v", eds(got), eds(right))
	}

	// SwarmRPC from a stale cache lands on the right swarm by itself.
	c.mu.Lock()
	c.st.setSwarm(acct, "stale", foreign, c.now())
	c.mu.Unlock()
	status, _, err = c.SwarmRPC(ctx, acct, storeFunc(alice, []byte("y")))
	if err != nil || status != http.StatusOK {
		t.Fatalf("store from a stale cache: %d %v", status, err)
	}
	if got := retrieveSoon(ctx, t, c, alice); len(got) != 1 {
		t.Fatalf("retrieve: %q, want the one message", got)
	}
}

// retrieveSoon retrieves id's namespace 0 through c, asking again while the
// member it reached has nothing yet: a store is answered once a quorum of
// the swarm holds it, and the other members get it by push a moment later.
func retrieveSoon(ctx context.Context, t *testing.T, c *Client, id *keys.Identity) [][]byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body, err := c.SwarmRPC(ctx, id.SessionID(), retrieveFunc(id))
		if err != nil || status != http.StatusOK {
			t.Fatalf("retrieve: %d %v %s", status, err, body)
		}
		if got := retrieved(t, body); len(got) > 0 || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}
