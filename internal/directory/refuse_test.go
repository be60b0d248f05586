package directory

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/nodecert"
)

func single(t *testing.T, grace time.Duration) (*member, *Client) {
	t.Helper()
	m := startMember(t, newKey(t), t.TempDir(), true, nil, grace)
	waitFor(t, "leadership", m.srv.IsLeader)
	c, err := NewClient([]netview.Seed{m.seed()}, insecureClient())
	if err != nil {
		t.Fatal(err)
	}
	return m, c
}

// TestForgedRegistrationsRefused: a bad signature, a replay, an older
// timestamp, someone else's key, a stale clock and a heartbeat of an
// unregistered node are all refused, and honest traffic still flows.
func TestForgedRegistrationsRefused(t *testing.T) {
	m, c := single(t, time.Hour)
	ctx := context.Background()
	a, b := newNode(t, 30001), newNode(t, 30002)

	honest := a.msg(KindRegister)
	if _, err := c.Submit(ctx, honest); err != nil {
		t.Fatalf("honest registration: %v", err)
	}

	cases := map[string]*Registration{}
	cases["replay"] = honest

	bad := a.msg(KindHeartbeat)
	sig, _ := hex.DecodeString(bad.Signature)
	sig[0] ^= 1
	bad.Signature = hex.EncodeToString(sig)
	cases["bad signature"] = bad

	moved := a.msg(KindRegister)
	moved.StoragePort = 31337 // changed after signing
	cases["field changed after signing"] = moved

	// b signs a registration claiming a's key (to steal a's place).
	stolen := a.msg(KindRegister)
	stolen.IP = "127.0.0.2"
	stolen.Signature = hex.EncodeToString(ed25519.Sign(b.key, stolen.SignedMessage()))
	cases["someone else's key"] = stolen

	older := a.msg(KindHeartbeat)
	older.Timestamp = honest.Timestamp - 1
	older.Sign(a.key)
	cases["older timestamp"] = older

	stale := b.msg(KindRegister)
	stale.Timestamp = time.Now().Add(-time.Hour).UnixMilli()
	stale.Sign(b.key)
	cases["signed an hour ago"] = stale

	cases["heartbeat before registering"] = b.msg(KindHeartbeat)

	for name, r := range cases {
		if _, err := c.Submit(ctx, r); !errors.Is(err, ErrBadRegistration) {
			t.Errorf("%s: got %v, want ErrBadRegistration", name, err)
		}
	}
	if _, err := c.Submit(ctx, a.msg(KindHeartbeat)); err != nil {
		t.Fatalf("honest heartbeat after the attacks: %v", err)
	}
	if _, err := c.Submit(ctx, b.msg(KindRegister)); err != nil {
		t.Fatalf("honest registration after the attacks: %v", err)
	}
	e, _ := m.srv.Epoch()
	if e.Number != 2 || len(e.Nodes) != 2 {
		t.Fatalf("epoch %d with %d nodes, want 2 with 2", e.Number, len(e.Nodes))
	}
	for _, n := range e.Nodes {
		if n.IP != "127.0.0.1" || n.StoragePort == 31337 {
			t.Fatalf("a forged field reached the epoch: %+v", n)
		}
	}
}

// TestBadDirectorySignatureIgnored: answers signed by a key that is not the
// member's, tampered answers and rolled-back epochs are ignored.
func TestBadDirectorySignatureIgnored(t *testing.T) {
	m, c := single(t, time.Hour)
	ctx := context.Background()
	a := newNode(t, 30001)
	for range 2 {
		if _, err := c.Submit(ctx, a.msg(KindRegister)); err != nil {
			t.Fatal(err)
		}
		a.port++ // a new address: a new epoch
	}
	real, err := c.Epoch(ctx, 0)
	if err != nil || real.Number != 2 {
		t.Fatalf("epoch %v, %v; want 2", real, err)
	}

	// A fake member answering with a forged epoch signed by its own key,
	// listed under the real member's key.
	forger := newKey(t)
	forged := *real
	forged.Number = 99
	forged.Nodes = nil
	h := epochHash(nil, forged.Number, nil)
	forged.Hash, forged.PrevHash = hex.EncodeToString(h[:]), ""
	fake := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(forged)
		netview.SignSeedAnswer(w.Header(), forger, time.Now(), body)
		w.Write(body)
	}))
	defer fake.Close()
	pub := hex.EncodeToString(m.key.Public().(ed25519.PublicKey))
	onlyFake, _ := NewClient([]netview.Seed{{URL: fake.URL, Ed25519: pub}}, insecureClient())
	if _, err := onlyFake.Epoch(ctx, 0); !errors.Is(err, ErrBadAnswer) {
		t.Fatalf("forged signature: got %v, want ErrBadAnswer", err)
	}
	both, _ := NewClient([]netview.Seed{{URL: fake.URL, Ed25519: pub}, m.seed()}, insecureClient())
	for range 5 {
		e, err := both.Epoch(ctx, 0)
		if err != nil || e.Hash != real.Hash {
			t.Fatalf("with one forger among members: %v, %v; want the real epoch", e, err)
		}
	}
	// Nodes and clients read the directory through a Source: the forged
	// epoch 99 never becomes their view.
	src := &Source{Client: both}
	for range 5 {
		d, err := src.Load(ctx)
		if err != nil || d.Epoch() != real.Number || d.Len() != len(real.Nodes) {
			t.Fatalf("a node's or client's view with a forger among members: %v, %v; want epoch %d", d, err, real.Number)
		}
	}
	if _, err := (&Source{Client: onlyFake}).Load(ctx); !errors.Is(err, ErrBadAnswer) {
		t.Fatalf("a view from the forger alone: %v, want ErrBadAnswer", err)
	}

	// Signed by the real key but tampered (hash no longer matches).
	tampered := *real
	tampered.Nodes = append([]Member(nil), real.Nodes...)
	tampered.Nodes[0].IP = "10.6.6.6"
	// A lagging (or malicious) member re-signing epoch 1 now.
	old := nextEpoch(nil, real.Nodes)
	for name, e := range map[string]Epoch{"tampered": tampered, "rolled back": old} {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := json.Marshal(e)
			netview.SignSeedAnswer(w.Header(), m.key, time.Now(), body)
			w.Write(body)
		}))
		cl, _ := NewClient([]netview.Seed{{URL: srv.URL, Ed25519: pub}}, insecureClient())
		cl.latest = real
		if _, err := cl.Epoch(ctx, 0); !errors.Is(err, ErrBadAnswer) {
			t.Errorf("%s: got %v, want ErrBadAnswer", name, err)
		}
		srv.Close()
	}
}

// TestDecommissionAndSwarms: nodes that stop heartbeating leave the active
// set after the grace period; every epoch carries a full swarm assignment.
func TestDecommissionAndSwarms(t *testing.T) {
	m, c := single(t, 2*time.Second)
	ctx := context.Background()
	var nodes []*node
	for i := range 12 {
		n := newNode(t, 30000+i)
		nodes = append(nodes, n)
		if _, err := c.Submit(ctx, n.msg(KindRegister)); err != nil {
			t.Fatal(err)
		}
	}
	e, _ := m.srv.Epoch()
	if e.Number != 12 || len(e.Nodes) != 12 {
		t.Fatalf("epoch %d with %d nodes, want 12 with 12", e.Number, len(e.Nodes))
	}
	if got := len(e.Assignment()); got != 1 {
		t.Fatalf("12 nodes in %d swarms, want 1 (oxend forms a second at 7 excess + 2)", got)
	}
	// Keep the first 10 alive; the last 2 fall silent.
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, n := range nodes[:10] {
			if _, err := c.Submit(ctx, n.msg(KindHeartbeat)); err != nil {
				t.Fatal(err)
			}
		}
		e, _ = m.srv.Epoch()
		if len(e.Nodes) == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("silent nodes never decommissioned: epoch %d has %d nodes", e.Number, len(e.Nodes))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, n := range e.Nodes {
		for _, gone := range nodes[10:] {
			if n.Ed25519 == hex.EncodeToString(gone.key.Public().(ed25519.PublicKey)) {
				t.Fatal("a silent node is still active")
			}
		}
	}
	// A decommissioned node may come back by registering again.
	if _, err := c.Submit(ctx, nodes[10].msg(KindRegister)); err != nil {
		t.Fatalf("re-registration: %v", err)
	}
	// And leaves gracefully.
	if _, err := c.Submit(ctx, nodes[0].msg(KindLeave)); err != nil {
		t.Fatalf("leave: %v", err)
	}
	e, _ = m.srv.Epoch()
	if len(e.Nodes) != 10 {
		t.Fatalf("%d nodes after one return and one leave, want 10", len(e.Nodes))
	}
}

// TestStateSurvivesRestart: a member restarted from its data directory (log
// and snapshot) has the same epoch.
func TestStateSurvivesRestart(t *testing.T) {
	key, dir := newKey(t), filepath.Join(t.TempDir(), "m")
	m := startMember(t, key, dir, true, nil, time.Hour)
	waitFor(t, "leadership", m.srv.IsLeader)
	c, _ := NewClient([]netview.Seed{m.seed()}, insecureClient())
	a, b := newNode(t, 30001), newNode(t, 30002)
	if _, err := c.Submit(context.Background(), a.msg(KindRegister)); err != nil {
		t.Fatal(err)
	}
	if err := m.srv.Snapshot(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if _, err := c.Submit(context.Background(), b.msg(KindRegister)); err != nil {
		t.Fatal(err)
	}
	want, _ := m.srv.Epoch()
	m.stop()

	m2 := startMember(t, key, dir, true, nil, time.Hour)
	waitFor(t, "the restarted member to replay its log", func() bool { return epochOf(m2) == want.Number })
	got, _ := m2.srv.Epoch()
	if got.Hash != want.Hash {
		t.Fatalf("restarted epoch hash %s, want %s", got.Hash, want.Hash)
	}
	// Replay protection survives the restart too.
	c2, _ := NewClient([]netview.Seed{m2.seed()}, insecureClient())
	b.ts--
	if _, err := c2.Submit(context.Background(), b.msg(KindRegister)); !errors.Is(err, ErrBadRegistration) {
		t.Fatalf("replay after restart: %v, want ErrBadRegistration", err)
	}
}

// TestRaftRefusesStrangers: the Raft port accepts only members' keys.
func TestRaftRefusesStrangers(t *testing.T) {
	m := startMember(t, newKey(t), t.TempDir(), true, nil, time.Hour)
	_, hostport, err := splitRaftAddress(m.srv.RaftAddr())
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := nodecert.New(newKey(t), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", hostport, &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{stranger}, MinVersion: tls.VersionTLS13})
	if err == nil {
		// TLS 1.3 reports the client certificate's rejection on first read.
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "certificate") && !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("a stranger's TLS connection to Raft: %v, want refused", err)
	}
	// A dial to a member under the wrong key fails too.
	s := &tlsStream{cert: stranger}
	if _, err := s.Dial("", time.Second); err == nil {
		t.Fatal("dial of an empty address succeeded")
	}
	wrong := RaftAddress(newKey(t).Public().(ed25519.PublicKey), hostport)
	if _, err := s.Dial(raftAddrOf(wrong), 5*time.Second); err == nil {
		t.Fatal("dial to a member under another key succeeded")
	}
}
