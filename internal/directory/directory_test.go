package directory

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/netview"
)

// member is one in-process directory member with its HTTPS API.
type member struct {
	key  ed25519.PrivateKey
	dir  string
	srv  *Server
	http *httptest.Server
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func startMember(t *testing.T, key ed25519.PrivateKey, dir string, bootstrap bool, trust []ed25519.PublicKey, grace time.Duration) *member {
	t.Helper()
	s, err := Start(context.Background(), Config{
		DataDir: dir, Key: key, RaftListen: "127.0.0.1:0", Trust: trust,
		Bootstrap: bootstrap, Fast: true, Grace: grace,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &member{key: key, dir: dir, srv: s, http: httptest.NewTLSServer(s.Handler())}
	t.Cleanup(m.stop)
	return m
}

func (m *member) stop() {
	m.http.Close()
	_ = m.srv.Close()
}

func (m *member) seed() netview.Seed {
	return netview.Seed{URL: m.http.URL, Ed25519: hex.EncodeToString(m.key.Public().(ed25519.PublicKey))}
}

func insecureClient() *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// node is a service node's identity as the directory sees it.
type node struct {
	key  ed25519.PrivateKey
	x    string
	port int
	ts   int64
}

func newNode(t testing.TB, port int) *node {
	x := make([]byte, 32)
	_, _ = rand.Read(x)
	return &node{key: newKey(t), x: hex.EncodeToString(x), port: port, ts: time.Now().UnixMilli()}
}

func (n *node) msg(kind string) *Registration {
	n.ts++
	r := &Registration{Kind: kind, X25519: n.x, IP: "127.0.0.1", StoragePort: n.port, Version: "1.0.0", Timestamp: n.ts}
	r.Sign(n.key)
	return r
}

func epochOf(m *member) uint64 {
	e, _ := m.srv.Epoch()
	if e == nil {
		return 0
	}
	return e.Number
}

func startCluster(t *testing.T, n int) []*member {
	t.Helper()
	base := t.TempDir()
	keys := make([]ed25519.PrivateKey, n)
	var pubs []ed25519.PublicKey
	for i := range keys {
		keys[i] = newKey(t)
		pubs = append(pubs, keys[i].Public().(ed25519.PublicKey))
	}
	ms := []*member{startMember(t, keys[0], filepath.Join(base, "m0"), true, nil, time.Hour)}
	waitFor(t, "the first member to lead", ms[0].srv.IsLeader)
	for i := 1; i < n; i++ {
		m := startMember(t, keys[i], filepath.Join(base, fmt.Sprint("m", i)), false, pubs, time.Hour)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := ms[0].srv.Join(ctx, m.srv.RaftAddr()); err != nil {
			t.Fatalf("join member %d: %v", i, err)
		}
		cancel()
		ms = append(ms, m)
	}
	return ms
}

func submitEventually(t *testing.T, c *Client, r *Registration) uint64 {
	t.Helper()
	var last error
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		n, err := c.Submit(ctx, r)
		cancel()
		if err == nil {
			return n
		}
		if errors.Is(err, ErrBadRegistration) {
			t.Fatalf("honest registration refused: %v", err)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("registration never accepted: %v", last)
	return 0
}

// TestClusterSurvivesLeaderLoss: a 3-member cluster keeps accepting
// registrations after its leader dies, and the dead member, restarted from
// its data directory, catches up.
func TestClusterSurvivesLeaderLoss(t *testing.T) {
	ms := startCluster(t, 3)
	var seeds []netview.Seed
	for _, m := range ms {
		seeds = append(seeds, m.seed())
	}
	c, err := NewClient(seeds, insecureClient())
	if err != nil {
		t.Fatal(err)
	}
	a := newNode(t, 30001)
	if n := submitEventually(t, c, a.msg(KindRegister)); n != 1 {
		t.Fatalf("first registration committed epoch %d, want 1", n)
	}
	waitFor(t, "every member at epoch 1", func() bool {
		return epochOf(ms[0]) == 1 && epochOf(ms[1]) == 1 && epochOf(ms[2]) == 1
	})

	var leader *member
	var rest []*member
	for _, m := range ms {
		if m.srv.IsLeader() {
			leader = m
		} else {
			rest = append(rest, m)
		}
	}
	if leader == nil {
		t.Fatal("no leader")
	}
	leader.stop()

	b := newNode(t, 30002)
	if n := submitEventually(t, c, b.msg(KindRegister)); n != 2 {
		t.Fatalf("registration after the leader's death committed epoch %d, want 2", n)
	}
	// Heartbeats still flow too.
	submitEventually(t, c, a.msg(KindHeartbeat))
	waitFor(t, "survivors at epoch 2", func() bool { return epochOf(rest[0]) == 2 && epochOf(rest[1]) == 2 })
	e, err := c.Epoch(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if e.Number != 2 || len(e.Nodes) != 2 {
		t.Fatalf("epoch %d with %d nodes, want 2 with 2", e.Number, len(e.Nodes))
	}

	// The dead member comes back from its data directory and catches up.
	var pubs []ed25519.PublicKey
	for _, m := range ms {
		pubs = append(pubs, m.key.Public().(ed25519.PublicKey))
	}
	back := startMember(t, leader.key, leader.dir, false, pubs, time.Hour)
	// Its Raft address changed (new port): the leader must learn it.
	for _, m := range rest {
		if m.srv.IsLeader() {
			_ = m.srv.Leave(context.Background(), back.srv.ID())
			if err := m.srv.Join(context.Background(), back.srv.RaftAddr()); err != nil {
				t.Fatalf("rejoin: %v", err)
			}
		}
	}
	waitFor(t, "the restarted member at epoch 2", func() bool { return epochOf(back) == 2 })
	e2, _ := back.srv.Epoch()
	e1, _ := rest[0].srv.Epoch()
	if e1.Hash != e2.Hash {
		t.Fatalf("members disagree on epoch 2: %s vs %s", e1.Hash, e2.Hash)
	}
}
