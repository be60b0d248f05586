package onionreq

import (
	"cmp"
	"math/rand/v2"
	"net"
	"slices"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/swarm"
)

// state is the client's view of the network: the node pool and its strikes,
// the onion paths, the swarm cache and the network-time samples. It does no
// I/O and reads no clock (every method that needs the time is given it),
// and every random choice comes from rng, so the rules below are tested as
// plain functions. [Client] guards it with its mutex.
type state struct {
	cfg Config // with defaults applied
	rng *rand.Rand

	pool        map[string]netview.Node // by Ed25519 hex
	directory   map[string]netview.Node // the last load, untouched by strikes, by Ed25519 hex
	swarmIDs    []swarm.ID              // the swarms of the last load, ascending
	strikes     map[string]int          // node strikes, by Ed25519 hex
	loadedAt    time.Time               // last load from the source
	loadedCount int                     // pool size right after that load

	paths  []*path
	nextID uint64
	// pendingGuards are the would-be guards being tested together: as
	// good as guards already, so that one's path does not take another
	// as a relay.
	pendingGuards map[string]bool

	swarms map[keys.ID]*swarmEntry

	// epoch is the directory epoch of the last load (0: a static list);
	// epochLoading marks a load prompted by a node's newer epoch under
	// way, and epochAsked when the last such load started.
	epoch        uint64
	epochLoading bool
	epochAsked   time.Time
	// epochFailed is the lowest epoch a node named that the load it
	// prompted did not find (0: none), and epochWait the backoff that
	// loads for it and any later epoch wait out (see epochLoaded).
	epochFailed uint64
	epochWait   time.Duration

	clock clockSamples
}

// path is one onion path: hops[0] is its guard.
type path struct {
	id      uint64
	hops    []netview.Node
	strikes int
	built   time.Time
}

func (p *path) guard() netview.Node { return p.hops[0] }

func (p *path) contains(ed string) bool {
	return slices.ContainsFunc(p.hops, func(n netview.Node) bool { return n.Ed25519 == ed })
}

// swarmEntry is the cached swarm of one account.
type swarmEntry struct {
	id      string
	nodes   []netview.Node
	fetched time.Time
	// count is how many members the swarm had when fetched: a swarm that
	// shrank by strikes is fetched again, one that was small is not.
	count int
}

func newState(cfg Config, rng *rand.Rand) *state {
	return &state{
		cfg:     cfg,
		rng:     rng,
		pool:    map[string]netview.Node{},
		strikes: map[string]int{},
		swarms:  map[keys.ID]*swarmEntry{},
	}
}

// usable reports whether a node can be a hop or a destination: it has an
// address to reach it at.
func usable(n netview.Node) bool {
	ip := net.ParseIP(n.IP)
	return ip != nil && !ip.IsUnspecified() && n.StoragePort > 0 && n.StoragePort <= 65535 &&
		len(n.Ed25519) == 64 && len(n.X25519) == 64
}

// setPool replaces the pool with a fresh list from the source. Strikes start
// over (the network just vouched for these nodes), and paths and cached
// swarm members no longer in the network are forgotten.
func (s *state) setPool(nodes []netview.Node, now time.Time) {
	s.pool = make(map[string]netview.Node, len(nodes))
	s.directory = make(map[string]netview.Node, len(nodes))
	s.swarmIDs = nil
	for _, n := range nodes {
		if usable(n) {
			s.pool[n.Ed25519] = n
			s.directory[n.Ed25519] = n
			if n.SwarmID != swarm.InvalidID && !slices.Contains(s.swarmIDs, n.SwarmID) {
				s.swarmIDs = append(s.swarmIDs, n.SwarmID)
			}
		}
	}
	slices.Sort(s.swarmIDs)
	s.strikes = map[string]int{}
	s.loadedAt, s.loadedCount = now, len(s.pool)
	// A node is kept only as the directory lists it now: a path or a
	// swarm member (from before, or from a cache) at another address or
	// key is dropped.
	gone := func(n netview.Node) bool {
		d, ok := s.pool[n.Ed25519]
		return !ok || d.IP != n.IP || d.StoragePort != n.StoragePort || d.X25519 != n.X25519
	}
	s.paths = slices.DeleteFunc(s.paths, func(p *path) bool { return slices.ContainsFunc(p.hops, gone) })
	for acct, e := range s.swarms {
		e.nodes = slices.DeleteFunc(e.nodes, gone)
		if len(e.nodes) == 0 {
			delete(s.swarms, acct)
		}
	}
}

// setEpoch records the epoch of a load; it reports whether that is a
// newer epoch than before, in which case every cached swarm is re-derived
// from the directory (accounts may have moved, members joined or left): an
// account's swarm is the directory's members of the swarm it maps to now.
func (s *state) setEpoch(epoch uint64, now time.Time) bool {
	if epoch <= s.epoch {
		return false
	}
	old := s.epoch
	s.epoch = epoch
	if old == 0 {
		return false
	}
	for acct, e := range s.swarms {
		want, ok := swarm.ForPubkey(acct, s.swarmIDs)
		if !ok {
			delete(s.swarms, acct)
			continue
		}
		var nodes []netview.Node
		for _, d := range s.directory {
			if d.SwarmID == want {
				nodes = append(nodes, d)
			}
		}
		if len(nodes) == 0 {
			delete(s.swarms, acct)
			continue
		}
		slices.SortFunc(nodes, func(a, b netview.Node) int { return cmp.Compare(a.Ed25519, b.Ed25519) })
		e.id, e.nodes, e.fetched, e.count = want.String(), nodes, now, len(nodes)
	}
	return true
}

// wantEpoch reports whether a node's answer from epoch should prompt a
// load of the pool now, and if so marks one as started: the epoch is newer
// than the pool's, no such load is under way, and the last one started at
// least PoolMinLifetime ago.
func (s *state) wantEpoch(epoch uint64, now time.Time) bool {
	if s.epochFailed != 0 && s.epoch >= s.epochFailed {
		s.epochFailed, s.epochWait = 0, 0 // reached since (a regular load)
	}
	wait := s.cfg.PoolMinLifetime
	if s.epochFailed != 0 && epoch >= s.epochFailed {
		wait = max(wait, s.epochWait)
	}
	if epoch <= s.epoch || s.epochLoading || (!s.epochAsked.IsZero() && now.Sub(s.epochAsked) < wait) {
		return false
	}
	s.epochLoading, s.epochAsked = true, now
	return true
}

// maxEpochWait bounds the backoff of loads prompted by an epoch the
// directory does not give: the pool's own refresh still runs meanwhile.
const maxEpochWait = 10 * time.Minute

// epochLoaded ends a load prompted by a node naming epoch named. When the
// directory gave that epoch, the backoff is over. When it did not (a node
// that lies, or one a little ahead of the directory), loads prompted by
// that epoch or a later one wait twice as long each time, up to
// maxEpochWait: a node naming an epoch that never comes costs a handful of
// directory reads an hour, not one every PoolMinLifetime for ever. A lower
// epoch, such as an honest node's, is still followed at once.
func (s *state) epochLoaded(named uint64, ok bool) {
	s.epochLoading = false
	if !ok {
		return // a failed read says nothing of the epoch
	}
	if s.epoch >= named {
		s.epochFailed, s.epochWait = 0, 0
		return
	}
	if s.epochFailed == 0 || named < s.epochFailed {
		s.epochFailed = named
	}
	s.epochWait = min(max(2*s.epochWait, 2*s.cfg.PoolMinLifetime), maxEpochWait)
}

// needRefresh reports whether the pool should be loaded again: it is empty,
// too old, or has lost nodes to strikes below the minimum size. A network
// that is simply small is not asked again and again; neither is one asked
// less than PoolMinLifetime ago.
func (s *state) needRefresh(now time.Time) bool {
	if len(s.pool) == 0 {
		return true
	}
	age := now.Sub(s.loadedAt)
	if age >= s.cfg.PoolExpiry {
		return true
	}
	if age < s.cfg.PoolMinLifetime {
		return false
	}
	return len(s.pool) < s.cfg.MinPoolSize && len(s.pool) < s.loadedCount
}

// nodes returns the pool, sorted by Ed25519 key.
func (s *state) nodes() []netview.Node {
	out := make([]netview.Node, 0, len(s.pool))
	for _, n := range s.pool {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b netview.Node) int { return cmp.Compare(a.Ed25519, b.Ed25519) })
	return out
}

// strikeNode counts a failure of a node and drops it at the threshold. It
// reports whether the node was dropped.
func (s *state) strikeNode(ed string) bool {
	s.strikes[ed]++
	if s.strikes[ed] < s.cfg.NodeStrikes {
		return false
	}
	s.dropNode(ed)
	return true
}

// dropNode removes a node from the pool, from every cached swarm and from
// every path (a path through it is dropped; its guard stays in the pool).
func (s *state) dropNode(ed string) {
	delete(s.pool, ed)
	delete(s.strikes, ed)
	for acct, e := range s.swarms {
		e.nodes = slices.DeleteFunc(e.nodes, func(n netview.Node) bool { return n.Ed25519 == ed })
		if len(e.nodes) == 0 {
			delete(s.swarms, acct)
		}
	}
	s.paths = slices.DeleteFunc(s.paths, func(p *path) bool { return p.contains(ed) })
}

// strikePath counts a failure of a path. At the threshold the path is
// dropped, its guard leaves the pool (it is the one node a path failure
// surely involves) and every other hop gets a strike, so that a dead relay
// does not keep coming back in new paths. It reports whether the path was
// dropped.
func (s *state) strikePath(id uint64) bool {
	i := slices.IndexFunc(s.paths, func(p *path) bool { return p.id == id })
	if i < 0 {
		return false
	}
	p := s.paths[i]
	p.strikes++
	if p.strikes < s.cfg.PathStrikes {
		return false
	}
	s.paths = slices.Delete(s.paths, i, i+1)
	s.dropNode(p.guard().Ed25519)
	for _, n := range p.hops[1:] {
		s.strikeNode(n.Ed25519)
	}
	return true
}

// expirePaths drops paths older than PathRotation, so that traffic moves to
// fresh paths over time. Their nodes stay in the pool.
func (s *state) expirePaths(now time.Time) {
	if s.cfg.PathRotation <= 0 {
		return
	}
	s.paths = slices.DeleteFunc(s.paths, func(p *path) bool { return now.Sub(p.built) >= s.cfg.PathRotation })
}

// missingPaths returns how many paths to build.
func (s *state) missingPaths() int { return max(0, s.cfg.Paths-len(s.paths)) }

// canBuild reports whether the pool is large enough for a path to a service
// node: Hops nodes plus the destination, which a path avoids.
func (s *state) canBuild() bool { return len(s.pool) >= s.cfg.Hops+1 }

// use says how a node already serves the current paths; new paths prefer
// nodes in lower tiers, so that paths share as few nodes as the pool allows
// and one dead node breaks as few paths as possible.
func (s *state) use(ed string) int {
	if s.pendingGuards[ed] {
		return 2
	}
	tier := 0
	for _, p := range s.paths {
		if p.guard().Ed25519 == ed {
			return 2
		}
		if p.contains(ed) {
			tier = 1
		}
	}
	return tier
}

// shuffledByUse returns the pool nodes keep accepts, in random order within
// each tier of [state.use].
func (s *state) shuffledByUse(keep func(netview.Node) bool) []netview.Node {
	var out []netview.Node
	for _, n := range s.nodes() {
		if keep(n) {
			out = append(out, n)
		}
	}
	s.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	tier := make(map[string]int, len(out))
	for _, n := range out {
		tier[n.Ed25519] = s.use(n.Ed25519)
	}
	slices.SortStableFunc(out, func(a, b netview.Node) int { return cmp.Compare(tier[a.Ed25519], tier[b.Ed25519]) })
	return out
}

// guardCandidates returns the nodes that may become a new path's guard, in
// the order to test them: nodes not yet a guard, unused ones first, in
// random order. With subnet diversity on, nodes sharing a subnet with a
// current guard come last.
func (s *state) guardCandidates() []netview.Node {
	guards := map[string]bool{}
	nets := map[string]bool{}
	for _, p := range s.paths {
		guards[p.guard().Ed25519] = true
		if sn, ok := subnetOf(p.guard().IP, s.cfg.SubnetDiversity); ok {
			nets[sn] = true
		}
	}
	out := s.shuffledByUse(func(n netview.Node) bool { return !guards[n.Ed25519] })
	slices.SortStableFunc(out, func(a, b netview.Node) int {
		return cmp.Compare(s.sharesNet(a, nets), s.sharesNet(b, nets))
	})
	return out
}

func (s *state) sharesNet(n netview.Node, nets map[string]bool) int {
	if sn, ok := subnetOf(n.IP, s.cfg.SubnetDiversity); ok && nets[sn] {
		return 1
	}
	return 0
}

// pathHops chooses the hops of a path starting at guard and avoiding the
// node exclude (a destination; "" for none). Hops are distinct and, with
// subnet diversity on, no two share a subnet.
func (s *state) pathHops(guard netview.Node, exclude string) ([]netview.Node, error) {
	hops := []netview.Node{guard}
	nets := map[string]bool{}
	if sn, ok := subnetOf(guard.IP, s.cfg.SubnetDiversity); ok {
		nets[sn] = true
	}
	cands := s.shuffledByUse(func(n netview.Node) bool {
		return n.Ed25519 != guard.Ed25519 && n.Ed25519 != exclude
	})
	for _, n := range cands {
		if len(hops) == s.cfg.Hops {
			break
		}
		sn, ok := subnetOf(n.IP, s.cfg.SubnetDiversity)
		if ok && nets[sn] {
			continue
		}
		if ok {
			nets[sn] = true
		}
		hops = append(hops, n)
	}
	if len(hops) < s.cfg.Hops {
		return nil, ErrPoolTooSmall
	}
	return hops, nil
}

// addPath stores a new path.
func (s *state) addPath(hops []netview.Node, now time.Time) *path {
	s.nextID++
	p := &path{id: s.nextID, hops: slices.Clone(hops), built: now}
	s.paths = append(s.paths, p)
	return p
}

// pickPath chooses, at random, a stored path that does not go through
// exclude and was not tried yet, or returns nil.
func (s *state) pickPath(exclude string, tried map[uint64]bool) *path {
	var ok []*path
	for _, p := range s.paths {
		if !tried[p.id] && !p.contains(exclude) {
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	return ok[s.rng.IntN(len(ok))]
}

// detour returns a one-off path for a destination every stored path goes
// through: the guard of an untried stored path (not the destination itself)
// with fresh hops after it. It carries that stored path's id, so its
// failures count against the guard's path. It returns nil when there is no
// such path.
func (s *state) detour(exclude string, tried map[uint64]bool) *path {
	order := s.rng.Perm(len(s.paths))
	for _, i := range order {
		p := s.paths[i]
		if tried[p.id] || p.guard().Ed25519 == exclude {
			continue
		}
		hops, err := s.pathHops(p.guard(), exclude)
		if err != nil {
			continue
		}
		return &path{id: p.id, hops: hops, built: p.built}
	}
	return nil
}

// swarm returns the cached swarm of an account if it is still good: not
// older than SwarmTTL, and not shrunk by strikes below MinSwarmSize.
func (s *state) swarm(account keys.ID, now time.Time) ([]netview.Node, bool) {
	e, ok := s.swarms[account]
	if !ok || len(e.nodes) == 0 {
		return nil, false
	}
	if s.cfg.SwarmTTL > 0 && now.Sub(e.fetched) >= s.cfg.SwarmTTL {
		return nil, false
	}
	if len(e.nodes) < s.cfg.MinSwarmSize && len(e.nodes) < e.count {
		return nil, false
	}
	return slices.Clone(e.nodes), true
}

// checkSwarm checks a swarm list that one node gave for account against the
// directory, since a node could otherwise send the account's traffic to
// nodes of its choosing: only listed nodes that the directory knows are
// kept, with the directory's addresses and keys, and, where the directory
// assigns swarms, only members of the swarm it computes for the account.
// When nothing is left the directory's own members of that swarm are
// returned; nil means the directory offers none.
func (s *state) checkSwarm(account keys.ID, listed []netview.Node) []netview.Node {
	want, assigned := swarm.ForPubkey(account, s.swarmIDs)
	var keep []netview.Node
	for _, n := range listed {
		d, ok := s.directory[n.Ed25519]
		if !ok || assigned && d.SwarmID != want {
			continue
		}
		keep = append(keep, d)
	}
	if len(keep) > 0 || !assigned {
		return keep
	}
	for _, d := range s.directory {
		if d.SwarmID == want {
			keep = append(keep, d)
		}
	}
	slices.SortFunc(keep, func(a, b netview.Node) int { return cmp.Compare(a.Ed25519, b.Ed25519) })
	return keep
}

// setSwarm replaces the cached swarm of an account.
func (s *state) setSwarm(account keys.ID, id string, nodes []netview.Node, now time.Time) {
	var keep []netview.Node
	for _, n := range nodes {
		if usable(n) {
			keep = append(keep, n)
		}
	}
	if len(keep) == 0 {
		delete(s.swarms, account)
		return
	}
	s.swarms[account] = &swarmEntry{id: id, nodes: keep, fetched: now, count: len(keep)}
}

// dropFromSwarm removes one node from an account's cached swarm, as after a
// 421 whose body could not be read.
func (s *state) dropFromSwarm(account keys.ID, ed string) {
	e, ok := s.swarms[account]
	if !ok {
		return
	}
	e.nodes = slices.DeleteFunc(e.nodes, func(n netview.Node) bool { return n.Ed25519 == ed })
	if len(e.nodes) == 0 {
		delete(s.swarms, account)
	}
}

// subnetOf returns the subnet a node's address is in for the diversity rule
// (a /24 for IPv4, a /48 for IPv6), and false when the rule does not apply
// to it: diversity is off, or it is Auto and the address is loopback (a
// devnet, where every node shares 127.0.0.1).
func subnetOf(ipStr string, d Diversity) (string, bool) {
	if d == DiversityOff {
		return "", false
	}
	ip := net.ParseIP(ipStr)
	if ip == nil {
		return "", false
	}
	if d == DiversityAuto && ip.IsLoopback() {
		return "", false
	}
	if v4 := ip.To4(); v4 != nil {
		return string(v4[:3]), true
	}
	return string(ip.To16()[:6]), true
}

// clockSamples keeps the last few network-time offsets and answers their
// median, so that one node with a wrong clock cannot move the client's
// network time alone.
type clockSamples struct {
	samples []time.Duration // newest last
}

const maxClockSamples = 5

// observe records the offset a reply implies: the node's time serverMs
// against the middle of the local send and receive times.
func (c *clockSamples) observe(serverMs int64, sent, received time.Time) time.Duration {
	mid := sent.Add(received.Sub(sent) / 2)
	off := time.UnixMilli(serverMs).Sub(mid.Round(0))
	c.samples = append(c.samples, off)
	if len(c.samples) > maxClockSamples {
		c.samples = slices.Delete(c.samples, 0, len(c.samples)-maxClockSamples)
	}
	return off
}

// reset keeps only the newest sample: after a clock error the older ones
// are what got the request refused.
func (c *clockSamples) reset(off time.Duration) { c.samples = []time.Duration{off} }

// offset returns the median offset (0 with no samples).
func (c *clockSamples) offset() time.Duration {
	if len(c.samples) == 0 {
		return 0
	}
	s := slices.Clone(c.samples)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
