package snode

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/swarm"
)

// TestHandoffAfterSwarmDissolves: when an epoch dissolves the swarm that
// kept an account, the node whose swarm keeps it now pulls its messages
// (checked as catch-up checks them) from the old holder, and serves them;
// before the hand-off the new owner had none, and the old holder answers
// 421 naming the new swarm. The old holder has not read the new epoch when
// the hand-off starts: it answers "behind" and reads the directory at once
// (the refresh interval is an hour here), and the pull is retried.
func TestHandoffAfterSwarmDissolves(t *testing.T) {
	type running struct {
		n    *Node
		node netview.Node
	}
	dir := t.TempDir()
	var rs []*running
	var static []netview.Node
	for i := range 2 {
		d := filepath.Join(dir, strconv.Itoa(i))
		id, err := LoadOrCreateIdentity(d)
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		x := id.X25519PublicKey()
		nd := netview.Node{IP: "127.0.0.1", StoragePort: port, Ed25519: hex.EncodeToString(id.Ed25519PublicKey()), X25519: hex.EncodeToString(x[:])}
		static = append(static, nd)
		rs = append(rs, &running{node: nd})
	}
	b, _ := json.Marshal(netview.DirectoryFile{Nodes: static})
	netFile := filepath.Join(dir, "nodes.json")
	if err := os.WriteFile(netFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i, r := range rs {
		// No refresh and no catch-up during the test: the views are set
		// by hand, and only the hand-off moves data.
		n, err := New(ctx, Config{DataDir: filepath.Join(dir, strconv.Itoa(i)), Listen: r.node.Addr(), Network: netFile,
			DirectoryRefresh: time.Hour, CatchUpInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		n.source = &switchSource{}
		r.n = n
		done := make(chan struct{})
		go func() { n.Serve(ctx); close(done) }()
		defer func() { <-done }()
	}
	defer cancel()
	a, old := rs[0], rs[1]

	// Epoch 1: two swarms; epoch 2: the old holder's swarm is dissolved.
	const far = swarm.ID(1 << 63)
	e1nodes := []netview.Node{a.node, old.node}
	e1nodes[0].SwarmID, e1nodes[1].SwarmID = 0, far
	e1, err := netview.NewAssignedDirectory(e1nodes, 1)
	if err != nil {
		t.Fatal(err)
	}
	e2node := a.node
	e2node.SwarmID = 0
	e2, err := netview.NewAssignedDirectory([]netview.Node{e2node}, 2)
	if err != nil {
		t.Fatal(err)
	}
	a.n.dir.Store(e1)
	old.n.dir.Store(e1)
	waitUp := func(n *Node) {
		for range 200 {
			if c, err := net.Dial("tcp", n.cfg.Listen); err == nil {
				c.Close()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("node not listening")
	}
	waitUp(a.n)
	waitUp(old.n)

	// An account of the far swarm.
	var acct *keys.Identity
	for {
		seed := make([]byte, keys.SeedSize)
		_, _ = rand.Read(seed)
		id, err := keys.NewIdentity(seed)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := swarm.ForPubkey(id.SessionID(), e1.SwarmIDs()); s == far {
			acct = id
			break
		}
	}
	call := func(n *Node, req storagerpc.Request) rpcResult {
		t.Helper()
		body, err := storagerpc.EncodeBody(req)
		if err != nil {
			t.Fatal(err)
		}
		return n.serveRPCBody(ctx, body, pollSender{key: "test"})
	}
	want := map[string]bool{}
	for i := range 3 {
		s := &storagerpc.Store{Auth: storagerpc.Auth{Pubkey: acct.SessionID()}, Timestamp: time.Now().UnixMilli(),
			TTL: time.Hour.Milliseconds(), Data: []byte("message " + strconv.Itoa(i))}
		if r := call(old.n, s); r.status != http.StatusOK {
			t.Fatalf("store on the holder: %d %s", r.status, r.body)
		}
		want[storagerpc.MessageHash(s.Pubkey, s.Namespace, s.Data)] = true
	}
	retrieve := func(n *Node) (int, map[string]bool) {
		r := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
		storagerpc.Sign(r, acct)
		res := call(n, r)
		got := map[string]bool{}
		if res.status == http.StatusOK {
			var resp storagerpc.RetrieveResponse
			if err := json.Unmarshal(res.body, &resp); err != nil {
				t.Fatal(err)
			}
			for _, m := range resp.Messages {
				got[m.Hash] = true
			}
		}
		return res.status, got
	}

	// The directory gives epoch 2; only the new owner has read it.
	a.n.source.(*switchSource).d.Store(e2)
	old.n.source.(*switchSource).d.Store(e2)
	a.n.dir.Store(e2)
	if status, got := retrieve(a.n); status != http.StatusOK || len(got) != 0 {
		t.Fatalf("before the hand-off the new owner answered %d with %d messages, want 200 with none", status, len(got))
	}
	if !a.n.handoff(ctx, e1, e2) {
		t.Fatal("hand-off did not finish")
	}
	if e := old.n.Directory().Epoch(); e != 2 {
		t.Fatalf("the old holder is at epoch %d after a peer named epoch 2, want 2", e)
	}
	if status, _ := retrieve(old.n); status != http.StatusMisdirectedRequest {
		t.Fatalf("the old holder answered %d for an account no longer its, want 421", status)
	}
	status, got := retrieve(a.n)
	if status != http.StatusOK || len(got) != len(want) {
		t.Fatalf("after the hand-off: %d with %d messages, want 200 with %d", status, len(got), len(want))
	}
	for h := range want {
		if !got[h] {
			t.Fatalf("message %s lost in the hand-off", h)
		}
	}
	// A pull that names the swarm we were in before gets only the accounts
	// that were not ours then: none here when we claim "far", all three
	// messages when we claim swarm 0.
	for before, want := range map[swarm.ID]int{far: 0, 0: len(want)} {
		body, _ := json.Marshal(syncRequest{Summary: true, Limit: syncBatch,
			PrevSwarm: before.String(), PrevSwarms: []string{swarm.ID(0).String(), far.String()}})
		status, resp, err := a.n.peerPost(ctx, old.node, pathSync, body, maxSyncReply)
		if err != nil || status != http.StatusOK {
			t.Fatalf("sync naming swarm %v before: %d %v", before, status, err)
		}
		var rep syncReply
		if err := json.Unmarshal(resp, &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Records) != want {
			t.Fatalf("sync naming swarm %v before: %d records, want %d", before, len(rep.Records), want)
		}
	}
	// Its cursors stay for this layout: a later hand-off (a member left)
	// does not pull from this node again from the start.
	if c := a.n.cursors.get("handoff/" + layoutKey(e2, a.n.edHex) + "/" + old.node.Ed25519); c == 0 {
		t.Fatal("hand-off cursor not kept")
	}
}

// switchSource is a netview.Source whose directory a test sets.
type switchSource struct {
	d atomic.Pointer[netview.Directory]
}

func (s *switchSource) Load(context.Context) (*netview.Directory, error) {
	if d := s.d.Load(); d != nil {
		return d, nil
	}
	return nil, errors.New("no directory yet")
}
