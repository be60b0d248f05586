package onionreq

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/swarm"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// testState returns a state with cfg's defaults and a fixed random stream.
func testState(t *testing.T, mod func(*Config)) *state {
	t.Helper()
	cfg := Config{Source: &countingSource{}}
	if mod != nil {
		mod(&cfg)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return newState(cfg, rand.New(rand.NewPCG(1, 2)))
}

// node i has IP ip and keys derived from i.
func node(i int, ip string) netview.Node {
	return netview.Node{IP: ip, StoragePort: 20000 + i, Ed25519: fmt.Sprintf("%064x", i+1), X25519: fmt.Sprintf("%064x", i+1000)}
}

// loopbackNodes returns n devnet-like nodes, all on 127.0.0.1.
func loopbackNodes(n int) []netview.Node {
	var out []netview.Node
	for i := range n {
		out = append(out, node(i, "127.0.0.1"))
	}
	return out
}

func TestSetPoolFilters(t *testing.T) {
	s := testState(t, nil)
	nodes := loopbackNodes(3)
	nodes = append(nodes,
		node(10, "0.0.0.0"),   // no address
		node(11, "not an ip"), // unparsable
		netview.Node{IP: "10.0.0.1", StoragePort: 0, Ed25519: fmt.Sprintf("%064x", 99), X25519: fmt.Sprintf("%064x", 98)},
	)
	s.setPool(nodes, t0)
	if got := len(s.pool); got != 3 {
		t.Fatalf("pool has %d nodes, want the 3 usable ones", got)
	}
	if s.loadedCount != 3 || !s.loadedAt.Equal(t0) {
		t.Errorf("loadedCount %d at %v", s.loadedCount, s.loadedAt)
	}
}

func TestNeedRefresh(t *testing.T) {
	s := testState(t, func(c *Config) { c.MinPoolSize = 12 })
	if !s.needRefresh(t0) {
		t.Error("an empty pool needs a load")
	}
	s.setPool(loopbackNodes(5), t0)
	// A small network is not asked again and again.
	if s.needRefresh(t0.Add(time.Minute)) {
		t.Error("a 5-node network that lost nothing was reloaded")
	}
	// Losing a node below the minimum size asks again, but not within
	// the minimum lifetime.
	s.dropNode(s.nodes()[0].Ed25519)
	if s.needRefresh(t0.Add(time.Second)) {
		t.Error("reloaded within PoolMinLifetime")
	}
	if !s.needRefresh(t0.Add(3 * time.Second)) {
		t.Error("a pool that shrank below MinPoolSize was not reloaded")
	}
	// A big pool that lost a node is fine until it expires.
	s.setPool(loopbackNodes(20), t0)
	s.dropNode(s.nodes()[0].Ed25519)
	if s.needRefresh(t0.Add(time.Hour)) {
		t.Error("a 19-node pool was reloaded before expiry")
	}
	if !s.needRefresh(t0.Add(2 * time.Hour)) {
		t.Error("a 2 h old pool was not reloaded")
	}
}

func TestStrikeNodeDropsEverywhere(t *testing.T) {
	s := testState(t, nil)
	nodes := loopbackNodes(8)
	s.setPool(nodes, t0)
	victim := nodes[4]
	p := s.addPath([]netview.Node{nodes[0], victim, nodes[1]}, t0)
	other := s.addPath([]netview.Node{nodes[2], nodes[3], nodes[5]}, t0)
	acct := keys.ID{Prefix: keys.PrefixStandard}
	s.setSwarm(acct, "1", []netview.Node{victim, nodes[6], nodes[7]}, t0)

	for i := 1; i < 3; i++ {
		if s.strikeNode(victim.Ed25519) {
			t.Fatalf("dropped after %d strikes, want 3", i)
		}
	}
	if !s.strikeNode(victim.Ed25519) {
		t.Fatal("not dropped after 3 strikes")
	}
	if _, ok := s.pool[victim.Ed25519]; ok {
		t.Error("still in the pool")
	}
	if slices.ContainsFunc(s.paths, func(q *path) bool { return q.id == p.id }) {
		t.Error("the path through it was kept")
	}
	if !slices.ContainsFunc(s.paths, func(q *path) bool { return q.id == other.id }) {
		t.Error("an unrelated path was dropped")
	}
	if _, ok := s.pool[nodes[0].Ed25519]; !ok {
		t.Error("the dropped path's guard left the pool; only the struck node should")
	}
	sw := s.swarms[acct].nodes
	if len(sw) != 2 || slices.ContainsFunc(sw, func(n netview.Node) bool { return n.Ed25519 == victim.Ed25519 }) {
		t.Errorf("swarm after drop: %v", eds(sw))
	}
}

func TestStrikePath(t *testing.T) {
	s := testState(t, nil)
	nodes := loopbackNodes(8)
	s.setPool(nodes, t0)
	p := s.addPath(nodes[:3], t0)
	if s.strikePath(p.id) || s.strikePath(p.id) {
		t.Fatal("path dropped before its third strike")
	}
	if !s.strikePath(p.id) {
		t.Fatal("path kept after 3 strikes")
	}
	if len(s.paths) != 0 {
		t.Errorf("%d paths left", len(s.paths))
	}
	if _, ok := s.pool[nodes[0].Ed25519]; ok {
		t.Error("the guard of a struck-out path is still in the pool")
	}
	for _, n := range nodes[1:3] {
		if s.strikes[n.Ed25519] != 1 {
			t.Errorf("relay %s has %d strikes, want 1", n.Ed25519[60:], s.strikes[n.Ed25519])
		}
	}
	if s.strikePath(p.id) {
		t.Error("striking a dropped path did something")
	}
}

func TestPathHopsAndDiversity(t *testing.T) {
	// Loopback under Auto: no subnet rule.
	s := testState(t, nil)
	nodes := loopbackNodes(4)
	s.setPool(nodes, t0)
	hops, err := s.pathHops(nodes[0], nodes[1].Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if len(hops) != 3 || hops[0] != nodes[0] {
		t.Fatalf("hops %v", eds(hops))
	}
	for _, h := range hops {
		if h.Ed25519 == nodes[1].Ed25519 {
			t.Error("the excluded node is on the path")
		}
	}
	if _, err := s.pathHops(nodes[0], nodes[1].Ed25519); err != nil {
		t.Fatal(err)
	}
	// 4 nodes, one excluded, guard fixed: the two others must be the relays.
	if !sameNodes(hops, []netview.Node{nodes[0], nodes[2], nodes[3]}) {
		t.Errorf("hops %v", eds(hops))
	}

	// The same addresses with diversity forced on: every node shares
	// 127.0.0.0/24, so no path is possible.
	s = testState(t, func(c *Config) { c.SubnetDiversity = DiversityOn })
	s.setPool(nodes, t0)
	if _, err := s.pathHops(nodes[0], ""); err != ErrPoolTooSmall {
		t.Errorf("diversity on loopback: got %v, want ErrPoolTooSmall", err)
	}

	// Public addresses: two nodes per /24; a path takes one from each.
	s = testState(t, nil)
	var pub []netview.Node
	for i := range 6 {
		pub = append(pub, node(i, fmt.Sprintf("198.51.%d.%d", 100+i/2, 10+i)))
	}
	s.setPool(pub, t0)
	for range 20 {
		hops, err := s.pathHops(pub[0], "")
		if err != nil {
			t.Fatal(err)
		}
		nets := map[string]bool{}
		for _, h := range hops {
			sn, _ := subnetOf(h.IP, DiversityAuto)
			if nets[sn] {
				t.Fatalf("two hops in one /24: %v", hops)
			}
			nets[sn] = true
		}
	}
	// With diversity off they may share.
	s = testState(t, func(c *Config) { c.SubnetDiversity = DiversityOff })
	s.setPool(pub[:3], t0) // 198.51.100.x ×2, 198.51.101.x
	if _, err := s.pathHops(pub[0], ""); err != nil {
		t.Errorf("diversity off: %v", err)
	}
}

func TestSubnetOf(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		d    Diversity
		want string
		ok   bool
	}{
		{"127.0.0.1", DiversityAuto, "", false},
		{"127.0.0.1", DiversityOn, "\x7f\x00\x00", true},
		{"::1", DiversityAuto, "", false},
		{"203.0.113.7", DiversityAuto, "\xcb\x00\x71", true},
		{"203.0.113.7", DiversityOff, "", false},
		{"2001:db8:1:2::5", DiversityAuto, "\x20\x01\x0d\xb8\x00\x01", true},
		{"bogus", DiversityOn, "", false},
	} {
		got, ok := subnetOf(tc.ip, tc.d)
		if got != tc.want || ok != tc.ok {
			t.Errorf("subnetOf(%q, %d) = %q, %v; want %q, %v", tc.ip, tc.d, got, ok, tc.want, tc.ok)
		}
	}
}

func TestGuardCandidatesPreferUnused(t *testing.T) {
	s := testState(t, nil)
	nodes := loopbackNodes(7)
	s.setPool(nodes, t0)
	s.addPath(nodes[:3], t0)
	cands := s.guardCandidates()
	if slices.ContainsFunc(cands, func(n netview.Node) bool { return n.Ed25519 == nodes[0].Ed25519 }) {
		t.Error("a current guard is a candidate")
	}
	if len(cands) != 6 {
		t.Fatalf("%d candidates, want 6", len(cands))
	}
	// Unused nodes (3..6) come before relays of the existing path (1, 2).
	for _, n := range cands[:4] {
		if n.Ed25519 == nodes[1].Ed25519 || n.Ed25519 == nodes[2].Ed25519 {
			t.Errorf("a used relay came before unused nodes: %v", eds(cands))
		}
	}
}

func TestPathsShareLittle(t *testing.T) {
	// 10 nodes are enough for 3 disjoint paths of 3.
	s := testState(t, nil)
	s.setPool(loopbackNodes(10), t0)
	for s.missingPaths() > 0 {
		g := s.guardCandidates()[0]
		hops, err := s.pathHops(g, "")
		if err != nil {
			t.Fatal(err)
		}
		s.addPath(hops, t0)
	}
	seen := map[string]bool{}
	for _, p := range s.paths {
		for _, h := range p.hops {
			if seen[h.Ed25519] {
				t.Errorf("node %s on two paths of a 10-node pool", h.Ed25519[60:])
			}
			seen[h.Ed25519] = true
		}
	}
}

func TestPickPathAndDetour(t *testing.T) {
	s := testState(t, nil)
	nodes := loopbackNodes(5)
	s.setPool(nodes, t0)
	a := s.addPath([]netview.Node{nodes[0], nodes[1], nodes[2]}, t0)
	b := s.addPath([]netview.Node{nodes[3], nodes[1], nodes[4]}, t0)

	for range 20 {
		if p := s.pickPath(nodes[2].Ed25519, nil); p == nil || p.id != b.id {
			t.Fatalf("pickPath avoiding node 2 chose %v", p)
		}
	}
	if p := s.pickPath(nodes[4].Ed25519, map[uint64]bool{a.id: true}); p != nil {
		t.Errorf("got path %d; a is tried and b contains the destination", p.id)
	}
	// Node 1 is on both paths: a detour keeps a guard and avoids it.
	if p := s.pickPath(nodes[1].Ed25519, nil); p != nil {
		t.Fatalf("pickPath returned path %d through the destination", p.id)
	}
	d := s.detour(nodes[1].Ed25519, nil)
	if d == nil {
		t.Fatal("no detour")
	}
	if d.contains(nodes[1].Ed25519) || len(d.hops) != 3 {
		t.Errorf("detour %v", eds(d.hops))
	}
	if d.id != a.id && d.id != b.id || d.guard() != nodes[0] && d.guard() != nodes[3] {
		t.Errorf("detour does not reuse a stored path's guard and id: %d %v", d.id, eds(d.hops))
	}
	if len(s.paths) != 2 {
		t.Error("a detour was stored")
	}
	if s.detour(nodes[1].Ed25519, map[uint64]bool{a.id: true, b.id: true}) != nil {
		t.Error("detour through a tried guard")
	}
}

func TestPathRotation(t *testing.T) {
	s := testState(t, func(c *Config) { c.PathRotation = 10 * time.Minute })
	s.setPool(loopbackNodes(6), t0)
	old := s.addPath(s.nodes()[:3], t0)
	young := s.addPath(s.nodes()[3:], t0.Add(5*time.Minute))
	s.expirePaths(t0.Add(9 * time.Minute))
	if len(s.paths) != 2 {
		t.Fatal("expired too early")
	}
	s.expirePaths(t0.Add(10 * time.Minute))
	if len(s.paths) != 1 || s.paths[0] != young {
		t.Fatalf("after rotation: %d paths", len(s.paths))
	}
	if _, ok := s.pool[old.guard().Ed25519]; !ok {
		t.Error("rotation dropped a guard from the pool")
	}
	// Without the knob paths stay.
	s = testState(t, nil)
	s.setPool(loopbackNodes(6), t0)
	s.addPath(s.nodes()[:3], t0)
	s.expirePaths(t0.Add(1000 * time.Hour))
	if len(s.paths) != 1 {
		t.Error("a path expired with rotation off")
	}
}

func TestSwarmCache(t *testing.T) {
	s := testState(t, func(c *Config) { c.SwarmTTL = time.Hour })
	nodes := loopbackNodes(6)
	s.setPool(nodes, t0)
	acct := keys.ID{Prefix: keys.PrefixStandard, Key: [32]byte{1}}
	if _, ok := s.swarm(acct, t0); ok {
		t.Fatal("empty cache answered")
	}
	s.setSwarm(acct, "a", nodes[:5], t0)
	if got, ok := s.swarm(acct, t0.Add(59*time.Minute)); !ok || len(got) != 5 {
		t.Fatalf("fresh swarm: %v %v", ok, len(got))
	}
	if _, ok := s.swarm(acct, t0.Add(time.Hour)); ok {
		t.Error("a swarm past SwarmTTL answered")
	}
	// Strikes shrink it below MinSwarmSize (3): fetch again.
	s.setSwarm(acct, "a", nodes[:5], t0)
	s.dropNode(nodes[0].Ed25519)
	s.dropNode(nodes[1].Ed25519)
	if _, ok := s.swarm(acct, t0); !ok {
		t.Error("a 3-member swarm is still good")
	}
	s.dropFromSwarm(acct, nodes[2].Ed25519)
	if _, ok := s.swarm(acct, t0); ok {
		t.Error("a swarm shrunk to 2 answered")
	}
	// A swarm that was small when fetched is not fetched again and again.
	s.setSwarm(acct, "b", nodes[4:6], t0)
	if _, ok := s.swarm(acct, t0); !ok {
		t.Error("a 2-member swarm as fetched did not answer")
	}
	// A pool reload forgets members the network no longer lists.
	s.setPool(nodes[5:], t0)
	if got := s.swarms[acct].nodes; len(got) != 1 || got[0] != nodes[5] {
		t.Errorf("after reload: %v", eds(got))
	}
}

func TestClockSamples(t *testing.T) {
	var c clockSamples
	if c.offset() != 0 {
		t.Fatal("offset without samples")
	}
	sent := t0
	recv := t0.Add(2 * time.Second)
	// The node's time at the midpoint is 1 min ahead.
	if off := c.observe(t0.Add(time.Second+time.Minute).UnixMilli(), sent, recv); off != time.Minute {
		t.Fatalf("offset %v, want 1m", off)
	}
	// One liar among five does not move the median.
	for _, d := range []time.Duration{time.Minute, time.Minute + time.Second, time.Hour, time.Minute - time.Second} {
		c.observe(t0.Add(time.Second+d).UnixMilli(), sent, recv)
	}
	if got := c.offset(); got != time.Minute {
		t.Errorf("median %v, want 1m", got)
	}
	// Only the last five count.
	for range 5 {
		c.observe(t0.Add(time.Second-time.Minute).UnixMilli(), sent, recv)
	}
	if got := c.offset(); got != -time.Minute {
		t.Errorf("median %v after five new samples, want -1m", got)
	}
	c.reset(3 * time.Second)
	if got := c.offset(); got != 3*time.Second || len(c.samples) != 1 {
		t.Errorf("after reset: %v, %d samples", got, len(c.samples))
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := Config{Source: &countingSource{}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Paths != 3 || cfg.Hops != 3 || cfg.NodeStrikes != 3 || cfg.PathStrikes != 3 || cfg.MaxAttempts != 3 ||
		cfg.MinPoolSize != 12 || cfg.PoolExpiry != 2*time.Hour || cfg.EncType.String() != "xchacha20" {
		t.Errorf("defaults: %+v", cfg)
	}
	if _, err := (Config{}).withDefaults(); err == nil {
		t.Error("no Source accepted")
	}
	if _, err := (Config{Source: &countingSource{}, Hops: 16}).withDefaults(); err == nil {
		t.Error("16 hops accepted")
	}
	if _, err := (Config{Source: &countingSource{}, EncType: 3}).withDefaults(); err == nil {
		t.Error("aes-cbc accepted")
	}
}

// A swarm list is one node's word: it is checked against the directory.
func TestCheckSwarmAgainstDirectory(t *testing.T) {
	s := testState(t, nil)
	nodes := loopbackNodes(8)
	for i := range nodes {
		nodes[i].SwarmID = swarm.ID(100 * (i % 2)) // two swarms: 0 (even) and 100 (odd)
	}
	s.setPool(nodes, t0)
	acct := keys.ID{Prefix: keys.PrefixStandard, Key: [32]byte{1}}
	want, _ := swarm.ForPubkey(acct, []swarm.ID{0, 100})
	var members, others []netview.Node
	for _, n := range nodes {
		if n.SwarmID == want {
			members = append(members, n)
		} else {
			others = append(others, n)
		}
	}
	// An unknown node, a known node at another address, and a member of
	// the other swarm are dropped or corrected.
	stranger := node(50, "203.0.113.9")
	moved := members[0]
	moved.IP, moved.StoragePort = "198.51.100.7", 443
	got := s.checkSwarm(acct, []netview.Node{stranger, moved, members[1], others[0]})
	if len(got) != 2 || got[0] != members[0] || got[1] != members[1] {
		t.Fatalf("checked swarm: %+v, want the directory's entries of %v", got, eds(members[:2]))
	}
	// A list of nothing but strangers falls back to the directory's swarm.
	got = s.checkSwarm(acct, []netview.Node{stranger, others[1]})
	if len(got) != len(members) {
		t.Fatalf("fallback: %v, want the directory's members %v", eds(got), eds(members))
	}
	for _, n := range got {
		if n.SwarmID != want {
			t.Errorf("fallback holds %s of swarm %d", n.Ed25519, n.SwarmID)
		}
	}
}

// TestEpochNobodyGivesBacksOff: a hostile node names an epoch the signed
// directory never gives, in every answer, for an hour. Each load it
// prompts finds the epoch missing, and the next waits twice as long (up
// to maxEpochWait): a few dozen directory reads in the hour, where one per
// PoolMinLifetime would be 1 800. An honest node naming the next real
// epoch is still followed at once, and once the directory gives an
// epoch, the backoff is over.
func TestEpochNobodyGivesBacksOff(t *testing.T) {
	s := testState(t, func(cfg *Config) { cfg.PoolMinLifetime = 2 * time.Second })
	s.setEpoch(2, t0)
	loads := 0
	now := t0
	for now.Before(t0.Add(time.Hour)) {
		if s.wantEpoch(1<<40, now) {
			loads++
			s.epochLoaded(1<<40, true) // the directory still gives epoch 2
		}
		now = now.Add(500 * time.Millisecond)
	}
	if loads > 20 {
		t.Fatalf("a lying node prompted %d directory loads in an hour", loads)
	}
	// A lower epoch (an honest node's) is not held back by the lie.
	now = now.Add(s.cfg.PoolMinLifetime)
	if !s.wantEpoch(3, now) {
		t.Fatal("an honest node's newer epoch waits out the liar's backoff")
	}
	s.setEpoch(3, now)
	s.epochLoaded(3, true)
	if s.epochWait != 0 || s.epochFailed != 0 {
		t.Fatalf("backoff after the directory gave the epoch named: %v, failed %d", s.epochWait, s.epochFailed)
	}
	// A node names the next epoch before the directory has it: backed
	// off. A regular load then reaches that epoch; the one after it is
	// followed at once again, not held back by the old backoff.
	now = now.Add(s.cfg.PoolMinLifetime)
	for range 5 {
		now = now.Add(time.Hour)
		if s.wantEpoch(4, now) {
			s.epochLoaded(4, true) // the directory still gives 3
		}
	}
	s.setEpoch(4, now) // the regular refresh
	if !s.wantEpoch(5, now.Add(s.cfg.PoolMinLifetime)) {
		t.Fatal("the epoch after one reached by a regular load waits out an old backoff")
	}
}
