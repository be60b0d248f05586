package swarm

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
)

// oracle is testdata/oxend_calc_swarm_changes.json: digests of what oxend's
// own calc_swarm_changes (and libstdc++'s std::sort) produced; see
// testdata/oxend-oracle/README.md.
type oracle struct {
	Sorts []struct {
		N    int    `json:"n"`
		K    uint64 `json:"k"`
		Sort string `json:"sort_fnv64"`
		Heap string `json:"heap_fnv64"`
	} `json:"sorts"`
	Scenarios []struct {
		Name    string `json:"name"`
		RNGSeed uint64 `json:"rng_seed"`
		Steps   []struct {
			Step   int    `json:"step"`
			Swarms int    `json:"swarms"`
			Nodes  int    `json:"nodes"`
			FNV    string `json:"fnv64"`
		} `json:"steps"`
	} `json:"scenarios"`
}

func loadOracle(t *testing.T) oracle {
	t.Helper()
	raw, err := os.ReadFile("testdata/oxend_calc_swarm_changes.json")
	if err != nil {
		t.Fatal(err)
	}
	var o oracle
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

type fnv64 uint64

func newFNV() fnv64 { return 1469598103934665603 }

func (h *fnv64) u64(v uint64) {
	for b := 0; b < 8; b++ {
		*h ^= fnv64((v >> (8 * b)) & 0xff)
		*h *= 1099511628211
	}
}

func (h fnv64) String() string { return fmt.Sprintf("%016x", uint64(h)) }

func TestSortMatchesLibstdcxx(t *testing.T) {
	o := loadOracle(t)
	if len(o.Sorts) == 0 {
		t.Fatal("no sort cases")
	}
	rng := newMT19937_64(99)
	for i, c := range o.Sorts {
		n := int(rng.next()%400 + 1)
		k := rng.next()%12 + 1
		if n != c.N || k != c.K {
			t.Fatalf("sort case %d: generated n=%d k=%d, oracle has n=%d k=%d", i, n, k, c.N, c.K)
		}
		v := make([]swarmSize, n)
		for j := range v {
			v[j] = swarmSize{ID(j), int(rng.next() % k)}
		}
		a, b := slices.Clone(v), slices.Clone(v)
		sortBySize(a)
		heapSort(b, 0, len(b))
		for _, got := range []struct {
			name string
			s    []swarmSize
			want string
		}{{"introsort", a, c.Sort}, {"heap sort", b, c.Heap}} {
			if !slices.IsSortedFunc(got.s, func(x, y swarmSize) int { return x.size - y.size }) {
				t.Errorf("sort case %d: %s output is not sorted", i, got.name)
			}
			h := newFNV()
			for _, e := range got.s {
				h.u64(uint64(e.id))
			}
			if h.String() != got.want {
				t.Errorf("sort case %d (n=%d): %s order digest %s, libstdc++ gives %s", i, n, got.name, h, got.want)
			}
		}
	}
}

func nodeKey(i uint64) NodeKey {
	var k NodeKey
	binary.BigEndian.PutUint64(k[24:], i)
	return k
}

func nodeIndex(k NodeKey) uint64 { return binary.BigEndian.Uint64(k[24:]) }

// TestAssignMatchesOxend replays the oracle's two histories (same draws as
// testdata/oxend-oracle/driver.cpp) through Assign and compares every step
// with what oxend computed.
func TestAssignMatchesOxend(t *testing.T) {
	o := loadOracle(t)
	rules := map[string]struct {
		adds, rems func(step int, r uint64) uint64
	}{
		"grow-churn-shrink": {
			adds: func(s int, r uint64) uint64 {
				switch {
				case s < 60:
					return r % 40
				case s == 60:
					return 1000
				case s < 200:
					return r % 12
				}
				return 0
			},
			rems: func(s int, r uint64) uint64 {
				switch {
				case s < 60:
					return r % 3
				case s < 200:
					return r % 9
				}
				return r % 60
			},
		},
		"tiny": {
			adds: func(_ int, r uint64) uint64 { return r % 8 },
			rems: func(_ int, r uint64) uint64 { return r % 7 },
		},
	}
	if len(o.Scenarios) != len(rules) {
		t.Fatalf("oracle has %d scenarios, want %d", len(o.Scenarios), len(rules))
	}
	for _, sc := range o.Scenarios {
		rule, ok := rules[sc.Name]
		if !ok {
			t.Fatalf("unknown scenario %q", sc.Name)
		}
		t.Run(sc.Name, func(t *testing.T) {
			rng := newMT19937_64(sc.RNGSeed)
			var next uint64
			var active []uint64 // ascending
			var prev Assignment
			for _, want := range sc.Steps {
				nAdd := rule.adds(want.Step, rng.next())
				nRem := rule.rems(want.Step, rng.next())
				for k := uint64(0); k < nRem && len(active) > 5; k++ {
					i := rng.next() % uint64(len(active))
					active = slices.Delete(active, int(i), int(i)+1)
				}
				if ids := prev.IDs(); len(ids) > 0 && rng.next()%10 == 0 {
					victim := ids[rng.next()%uint64(len(ids))]
					keep := int(rng.next() % 5)
					var members []uint64
					for _, n := range active {
						if id, ok := prev.SwarmOf(nodeKey(n)); ok && id == victim {
							members = append(members, n)
						}
					}
					for len(members) > keep && len(active) > 5 {
						last := members[len(members)-1]
						members = members[:len(members)-1]
						i, _ := slices.BinarySearch(active, last)
						active = slices.Delete(active, i, i+1)
					}
				}
				for range nAdd {
					active = append(active, next)
					next++
				}
				keys := make([]NodeKey, len(active))
				for i, n := range active {
					keys[i] = nodeKey(n)
				}
				got := Assign(prev, keys, rng.next())

				h := newFNV()
				total := 0
				for _, id := range got.IDs() {
					m := got[id]
					h.u64(uint64(id))
					h.u64(uint64(len(m)))
					for _, k := range m {
						h.u64(nodeIndex(k))
					}
					total += len(m)
				}
				if len(got) != want.Swarms || total != want.Nodes || h.String() != want.FNV {
					t.Fatalf("step %d: %d swarms, %d nodes, digest %s; oxend: %d swarms, %d nodes, digest %s",
						want.Step, len(got), total, h, want.Swarms, want.Nodes, want.FNV)
				}
				prev = got
			}
		})
	}
}

// checkInvariants verifies what every layout must satisfy: each active node
// in exactly one swarm, members sorted, no InvalidID swarm, and every swarm at
// least MinSwarmSize unless there are too few nodes for even one.
func checkInvariants(t *testing.T, a Assignment, active []NodeKey) {
	t.Helper()
	want := slices.Clone(active)
	slices.SortFunc(want, NodeKey.Compare)
	want = slices.Compact(want)
	var got []NodeKey
	for id, m := range a {
		if id == InvalidID {
			t.Fatalf("layout uses InvalidID")
		}
		if !slices.IsSortedFunc(m, NodeKey.Compare) {
			t.Fatalf("swarm %s members not sorted", id)
		}
		if len(m) < MinSwarmSize && len(a) > 1 {
			t.Fatalf("swarm %s has %d members among %d swarms", id, len(m), len(a))
		}
		got = append(got, m...)
	}
	slices.SortFunc(got, NodeKey.Compare)
	if !slices.Equal(got, want) {
		t.Fatalf("layout holds %d nodes, want the %d active ones exactly once", len(got), len(want))
	}
}

// Upstream oxend register_snodes_one_by_one / register_snodes_in_bulk: with
// registrations only, the number of swarms is 1 + (n−7)/7 and the excess is
// 2 per swarm plus n mod 7.
func TestAssignRegistrationsOnly(t *testing.T) {
	check := func(a Assignment, n int) {
		t.Helper()
		wantSwarms := 1 + max(n-IdealSwarmSize, 0)/IdealSwarmSize
		if len(a) != wantSwarms {
			t.Fatalf("%d nodes: %d swarms, want %d", n, len(a), wantSwarms)
		}
		if n >= IdealSwarmSize {
			excess := 0
			for _, m := range a {
				excess += max(len(m)-MinSwarmSize, 0)
			}
			if want := wantSwarms*IdealSwarmMargin + n%IdealSwarmSize; excess != want {
				t.Fatalf("%d nodes: excess %d, want %d", n, excess, want)
			}
		}
	}
	var nodes []NodeKey
	var a Assignment
	for i := range 40 * IdealSwarmSize {
		nodes = append(nodes, nodeKey(uint64(i)*7919+13))
		a = Assign(a, nodes, uint64(i))
		checkInvariants(t, a, nodes)
		check(a, len(nodes))
	}
	nodes, a = nil, nil
	for i, bulk := range []int{1, 3, 19, 4, 8, 13, 1, 22, 1, 7, 2, 1, 11, 18, 6, 10} {
		for range bulk {
			nodes = append(nodes, nodeKey(uint64(len(nodes))))
		}
		a = Assign(a, nodes, uint64(i))
		checkInvariants(t, a, nodes)
		check(a, len(nodes))
	}
}

func TestAssignDeterministicAndOrderFree(t *testing.T) {
	var nodes []NodeKey
	for i := range 100 {
		nodes = append(nodes, nodeKey(uint64(i)))
	}
	a := Assign(nil, nodes, 42)
	rev := slices.Clone(nodes)
	slices.Reverse(rev)
	b := Assign(nil, append(rev, nodes[:10]...), 42)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("Assign depends on the order of active or on duplicates")
	}
	if c := Assign(nil, nodes, 43); fmt.Sprint(a) == fmt.Sprint(c) {
		t.Fatal("a different seed gave the same layout for 100 nodes")
	}
	if len(Assign(a, nil, 1)) != 0 {
		t.Fatal("no active nodes should give an empty layout")
	}

	// A node listed twice in prev belongs to the lower swarm; a node under
	// InvalidID is new.
	var seven []NodeKey
	for i := range 7 {
		seven = append(seven, nodeKey(uint64(i)))
	}
	prev := Assignment{10: seven[:6], 20: seven[:1], InvalidID: seven[6:]}
	got := Assign(prev, seven, 5)
	if len(got) != 1 || len(got[10]) != 7 {
		t.Fatalf("Assign(%v) = %v", prev, got)
	}
	if id, ok := got.SwarmOf(seven[0]); !ok || id != 10 {
		t.Fatalf("SwarmOf = %s, %v", id, ok)
	}
}

// Upstream oxend swarm_above_min_size_unaffects_other_swarms and
// stealing_from_rich_swarms, decommission.
func TestAssignRemovals(t *testing.T) {
	var nodes []NodeKey
	for i := range 10 * IdealSwarmSize {
		nodes = append(nodes, nodeKey(uint64(i)))
	}
	base := Assign(nil, nodes, 70)
	ids := base.IDs()
	without := func(a Assignment, drop ...NodeKey) []NodeKey {
		var out []NodeKey
		for _, m := range a {
			for _, k := range m {
				if !slices.Contains(drop, k) {
					out = append(out, k)
				}
			}
		}
		return out
	}

	t.Run("shrinking to the minimum leaves others alone", func(t *testing.T) {
		first := ids[0]
		m := base[first]
		drop := m[MinSwarmSize:]
		a := Assign(base, without(base, drop...), 71)
		if len(a) != len(base) || len(a[first]) != MinSwarmSize {
			t.Fatalf("swarms %d→%d, victim has %d", len(base), len(a), len(a[first]))
		}
		for _, id := range ids[1:] {
			if !slices.Equal(a[id], base[id]) {
				t.Fatalf("swarm %s changed", id)
			}
		}
	})

	t.Run("undersized swarm steals one node", func(t *testing.T) {
		first := ids[0]
		m := base[first]
		drop := m[MinSwarmSize-1:]
		a := Assign(base, without(base, drop...), 72)
		checkInvariants(t, a, without(base, drop...))
		if len(a[first]) != MinSwarmSize {
			t.Fatalf("victim has %d members", len(a[first]))
		}
		affected := 0
		for _, id := range ids[1:] {
			if len(a[id]) < len(base[id]) {
				affected++
				if len(a[id]) != len(base[id])-1 {
					t.Fatalf("swarm %s lost %d nodes", id, len(base[id])-len(a[id]))
				}
			}
		}
		if affected != 1 {
			t.Fatalf("%d swarms gave nodes, want 1", affected)
		}
	})

	t.Run("swarm that cannot be saved is dissolved", func(t *testing.T) {
		var trimmed Assignment = make(Assignment)
		for id, m := range base {
			trimmed[id] = m[:MinSwarmSize]
		}
		trimmed[ids[0]] = trimmed[ids[0]][:MinSwarmSize-1]
		active := without(trimmed)
		a := Assign(trimmed, active, 73)
		checkInvariants(t, a, active)
		if len(a) != len(base)-1 {
			t.Fatalf("%d swarms, want %d", len(a), len(base)-1)
		}
		if _, ok := a[ids[0]]; ok {
			t.Fatal("undersized swarm survived")
		}
	})

	t.Run("last undersized swarm is kept", func(t *testing.T) {
		tiny := Assignment{10: {nodeKey(1), nodeKey(2)}, 20: {nodeKey(3)}}
		a := Assign(tiny, []NodeKey{nodeKey(1), nodeKey(2), nodeKey(3)}, 74)
		checkInvariants(t, a, []NodeKey{nodeKey(1), nodeKey(2), nodeKey(3)})
		if len(a) != 1 {
			t.Fatalf("%d swarms, want 1", len(a))
		}
	})
}

func FuzzAssign(f *testing.F) {
	f.Add(uint64(1), uint16(30), uint16(3), []byte{0, 1, 2})
	f.Add(uint64(2), uint16(2), uint16(0), []byte{})
	f.Add(uint64(3), uint16(300), uint16(40), []byte{9, 9, 9, 9})
	f.Fuzz(func(t *testing.T, seed uint64, n, drop uint16, remove []byte) {
		n %= 400
		var nodes []NodeKey
		for i := range uint64(n) {
			nodes = append(nodes, nodeKey(i*2654435761))
		}
		a := Assign(nil, nodes, seed)
		checkInvariants(t, a, nodes)
		// Remove a few nodes and add new ones, then re-check.
		keep := nodes[:0:0]
		for i, k := range nodes {
			if i < len(remove) && remove[i]%2 == 1 {
				continue
			}
			keep = append(keep, k)
		}
		for i := range uint64(drop % 50) {
			keep = append(keep, nodeKey(1<<40+i))
		}
		b := Assign(a, keep, seed+1)
		checkInvariants(t, b, keep)
	})
}
