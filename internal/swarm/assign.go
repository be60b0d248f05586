package swarm

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
)

// Swarm sizing rules, from oxend's service_node_rules.h.
const (
	// MinSwarmSize is the smallest healthy swarm. A smaller swarm first takes
	// nodes from large swarms and, failing that, is dissolved.
	MinSwarmSize = 5
	// IdealSwarmMargin is how many nodes above MinSwarmSize each existing
	// swarm keeps in reserve before excess nodes may form a new swarm.
	IdealSwarmMargin = 2
	// IdealSwarmSize is the target size of a swarm.
	IdealSwarmSize = MinSwarmSize + IdealSwarmMargin
	// NewSwarmSize is how many nodes a newly created swarm starts with.
	NewSwarmSize = IdealSwarmSize
	// ExcessBase is the size above which a swarm's members count as excess.
	ExcessBase = MinSwarmSize
	// FillSwarmLowerPercentile: new nodes join a random swarm among the
	// smallest quarter.
	FillSwarmLowerPercentile = 25
	// StealingSwarmUpperPercentile: an undersized swarm takes nodes from
	// swarms larger than the 75th-percentile size.
	StealingSwarmUpperPercentile = 75
	// DecommissionedRedistributionLowerPercentile: members of a dissolved
	// swarm go to the very smallest swarms.
	DecommissionedRedistributionLowerPercentile = 0
)

// NodeKey identifies a service node by its 32-byte primary (legacy) public
// key. Nodes are ordered by comparing keys byte by byte, as oxend does.
type NodeKey [32]byte

// Compare orders node keys bytewise.
func (k NodeKey) Compare(o NodeKey) int { return bytes.Compare(k[:], o[:]) }

// Assignment maps each swarm ID to its member nodes.
type Assignment map[ID][]NodeKey

// IDs returns the swarm IDs in ascending order.
func (a Assignment) IDs() []ID {
	ids := make([]ID, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// SwarmOf returns the swarm node belongs to, or false if it is in none.
func (a Assignment) SwarmOf(node NodeKey) (ID, bool) {
	for _, id := range a.IDs() {
		if slices.Contains(a[id], node) {
			return id, true
		}
	}
	return InvalidID, false
}

// Pick returns the swarm of this assignment that serves swarm-space position
// v (see the package-level [Pick]).
func (a Assignment) Pick(v uint64) (ID, bool) { return Pick(v, a.IDs()) }

// SeedFromHash returns the random seed oxend derives from a block hash: its
// first eight bytes read as a little-endian integer.
func SeedFromHash(h [32]byte) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

// Assign recomputes the swarm layout after the set of active service nodes
// changed, as oxend's calc_swarm_changes does on a block that registers,
// decommissions or removes nodes.
//
// prev is the layout before the change (nil for none). active lists every
// node that is active now, in any order; duplicates are ignored. Nodes of
// prev that are not active are dropped, active nodes found in no swarm of
// prev (or under [InvalidID]) are new, and a node listed in several swarms of
// prev counts as a member of the lowest of them. seed drives every random
// choice (oxend uses [SeedFromHash] of the block); equal inputs give equal
// layouts.
//
// The rules, in order: each new node joins a random swarm among the smallest
// quarter; whenever the excess above five members summed over all swarms
// reaches 7 + 2 × (number of swarms), seven excess nodes form a new swarm
// whose ID halves the widest gap between existing IDs (the first swarm is 0);
// swarms under five members take random nodes from swarms above the
// 75th-percentile size; and a swarm still under five members is dissolved,
// its members spread over the smallest swarms.
//
// The returned assignment lists each swarm's members in ascending key order.
// It is empty only when active is. Where oxend would fail (the last swarm
// left is under five members and oxend dissolves it, then indexes an empty
// list), Assign keeps that one undersized swarm instead.
func Assign(prev Assignment, active []NodeKey, seed uint64) Assignment {
	nodes := slices.Clone(active)
	slices.SortFunc(nodes, NodeKey.Compare)
	nodes = slices.Compact(nodes)

	was := make(map[NodeKey]ID)
	for _, id := range prev.IDs() {
		for _, n := range prev[id] {
			if _, dup := was[n]; !dup {
				was[n] = id
			}
		}
	}

	// Build the input the way oxend does: walk the active nodes in key order
	// and append each to its current swarm, so members start out sorted.
	l := newLayout()
	var unassigned []NodeKey
	for _, n := range nodes {
		id, ok := was[n]
		if !ok || id == InvalidID {
			unassigned = append(unassigned, n)
			continue
		}
		l.add(id, n)
	}
	l.calcSwarmChanges(unassigned, seed)

	out := make(Assignment, len(l.ids))
	for _, id := range l.ids {
		m := slices.Clone(l.members[id])
		slices.SortFunc(m, NodeKey.Compare)
		out[id] = m
	}
	return out
}

// layout is oxend's swarm_snode_map_t: an ordered map from swarm ID to its
// members, in insertion order (which matters: random picks index into it).
type layout struct {
	ids     []ID // ascending
	members map[ID][]NodeKey
}

func newLayout() *layout { return &layout{members: make(map[ID][]NodeKey)} }

// add appends n to swarm id, creating the swarm if needed.
func (l *layout) add(id ID, n NodeKey) {
	l.ensure(id)
	l.members[id] = append(l.members[id], n)
}

// ensure creates swarm id (empty) if it does not exist yet.
func (l *layout) ensure(id ID) {
	if _, ok := l.members[id]; ok {
		return
	}
	i, _ := slices.BinarySearch(l.ids, id)
	l.ids = slices.Insert(l.ids, i, id)
	l.members[id] = nil
}

func (l *layout) erase(id ID) {
	if i, ok := slices.BinarySearch(l.ids, id); ok {
		l.ids = slices.Delete(l.ids, i, i+1)
	}
	delete(l.members, id)
}

// remove takes n out of swarm id, keeping the order of the others.
func (l *layout) remove(id ID, n NodeKey) {
	l.members[id] = slices.DeleteFunc(l.members[id], func(k NodeKey) bool { return k == n })
}

type swarmSize struct {
	id   ID
	size int
}

// sortedSizes lists the swarms in ID order and then sorts them by size
// exactly as oxend's calc_swarm_sizes does.
func (l *layout) sortedSizes() []swarmSize {
	s := make([]swarmSize, len(l.ids))
	for i, id := range l.ids {
		s[i] = swarmSize{id, len(l.members[id])}
	}
	sortBySize(s)
	return s
}

type poolNode struct {
	key   NodeKey
	swarm ID
}

// excessPool returns every member of every swarm larger than threshold (in
// swarm ID order), so that a uniform pick favours larger swarms, and the
// total excess of those swarms above MinSwarmSize.
func (l *layout) excessPool(threshold int) (pool []poolNode, excess int) {
	for _, id := range l.ids {
		m := l.members[id]
		if len(m) > threshold {
			excess += len(m) - MinSwarmSize
			for _, k := range m {
				pool = append(pool, poolNode{k, id})
			}
		}
	}
	return pool, excess
}

// excess is the number of nodes above ExcessBase summed over all swarms.
func (l *layout) excess() int {
	e := 0
	for _, id := range l.ids {
		e += max(len(l.members[id])-ExcessBase, 0)
	}
	return e
}

func (l *layout) anyStarving() bool {
	for _, id := range l.ids {
		if len(l.members[id]) < MinSwarmSize {
			return true
		}
	}
	return false
}

// newSwarmID returns the midpoint of the widest gap between existing IDs,
// counting the gap that wraps from the largest ID round to the smallest (in
// which MaxID and 0 are one apart). The first swarm gets 0.
func (l *layout) newSwarmID() ID {
	return newSwarmID(l.ids)
}

func newSwarmID(ids []ID) ID {
	if len(ids) == 0 {
		return 0
	}
	var maxDist uint64
	best := 0
	for i := 0; i+1 < len(ids); i++ {
		if d := uint64(ids[i+1] - ids[i]); d > maxDist {
			maxDist, best = d, i
		}
	}
	// All of this is modulo 2^64, as in oxend.
	if d := uint64(MaxID) - uint64(ids[len(ids)-1]) + uint64(ids[0]) + 1; d > maxDist {
		maxDist, best = d, len(ids)-1
	}
	diff := maxDist / 2
	toMax := uint64(MaxID) - uint64(ids[best])
	if diff > toMax {
		return ID(diff - toMax - 1)
	}
	return ids[best] + ID(diff)
}

func (l *layout) createNewSwarmsFromExcess(rng *mt19937_64) {
	if l.anyStarving() {
		return
	}
	for l.excess() >= NewSwarmSize+IdealSwarmMargin*len(l.ids) {
		fresh := make([]NodeKey, 0, NewSwarmSize)
		for len(fresh) < NewSwarmSize {
			pool, _ := l.excessPool(ExcessBase)
			if len(pool) == 0 {
				// Unreachable: the loop condition leaves more than seven
				// excess nodes. oxend logs an error and gives up here too.
				return
			}
			p := pool[rng.uniform(uint64(len(pool)))]
			fresh = append(fresh, p.key)
			l.remove(p.swarm, p.key)
		}
		id := l.newSwarmID()
		if _, exists := l.members[id]; exists {
			// oxend keeps the old swarm and drops the new one (and its
			// members) with a loud log line; it cannot happen while fewer
			// than 2^64 swarms exist.
			continue
		}
		l.ensure(id)
		l.members[id] = fresh
	}
}

// assignNodes places each node in a random swarm among those at or below the
// given size percentile, checking after each one whether excess nodes can
// form a new swarm.
func (l *layout) assignNodes(nodes []NodeKey, rng *mt19937_64, percentile int) {
	for _, n := range nodes {
		sizes := l.sortedSizes()
		pi := percentile * (len(sizes) - 1) / 100
		pv := sizes[pi].size
		upper := len(sizes) - 1
		for i := pi; i < len(sizes); i++ {
			if sizes[i].size > pv {
				upper = i - 1
				break
			}
		}
		id := sizes[rng.uniform(uint64(upper+1))].id
		l.members[id] = append(l.members[id], n)
		l.createNewSwarmsFromExcess(rng)
	}
}

// robinHood lets each swarm under MinSwarmSize take random nodes from swarms
// above the 75th-percentile size, smallest swarm first, stopping at the first
// swarm that cannot be brought up to size. Like oxend it works from the sizes
// as they were before any node moved.
func (l *layout) robinHood(rng *mt19937_64) {
	sizes := l.sortedSizes()
	for _, sw := range sizes {
		if sw.size >= MinSwarmSize {
			return
		}
		for {
			// Only swarms strictly above the percentile size give nodes away.
			// (oxend computes size−1 unsigned, so an empty swarm there means
			// nobody qualifies.)
			pv := math.MaxInt
			if s := sizes[StealingSwarmUpperPercentile*(len(sizes)-1)/100].size; s > 0 {
				pv = max(MinSwarmSize, s-1)
			}
			pool, excess := l.excessPool(pv)
			if excess < MinSwarmSize-len(l.members[sw.id]) {
				return // if this swarm cannot be saved, neither can the larger ones after it
			}
			p := pool[rng.uniform(uint64(len(pool)))]
			l.remove(p.swarm, p.key)
			l.members[sw.id] = append(l.members[sw.id], p.key)
			if len(l.members[sw.id]) >= MinSwarmSize {
				break
			}
		}
	}
}

// calcSwarmChanges is oxend's calc_swarm_changes on this layout plus the
// nodes that are not in any swarm yet.
func (l *layout) calcSwarmChanges(unassigned []NodeKey, seed uint64) {
	if len(l.ids) == 0 && len(unassigned) == 0 {
		return
	}
	rng := newMT19937_64(seed)

	// 0. There is always at least one swarm.
	if len(l.ids) == 0 {
		l.ensure(newSwarmID(nil))
	}
	// 1. New nodes fill the smallest swarms.
	l.assignNodes(unassigned, rng, FillSwarmLowerPercentile)
	// 2. Undersized swarms take nodes from the largest.
	l.robinHood(rng)
	// 3. Excess nodes form new swarms.
	l.createNewSwarmsFromExcess(rng)
	// 4. Swarms that are still undersized are dissolved.
	if len(l.ids) > 1 {
		for {
			var starving ID
			found := false
			for _, id := range l.ids {
				if len(l.members[id]) < MinSwarmSize {
					starving, found = id, true
					break
				}
			}
			if !found || len(l.ids) == 1 {
				return
			}
			orphans := l.members[starving]
			l.erase(starving)
			l.assignNodes(orphans, rng, DecommissionedRedistributionLowerPercentile)
		}
	}
}
