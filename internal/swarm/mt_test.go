package swarm

import (
	"slices"
	"testing"
)

// The C++ standard requires the 10000th output of a default-constructed
// std::mt19937_64 (seed 5489) to be 9981545732273789042.
func TestMT19937_64Standard(t *testing.T) {
	m := newMT19937_64(5489)
	var x uint64
	for range 10000 {
		x = m.next()
	}
	if x != 9981545732273789042 {
		t.Fatalf("10000th output = %d", x)
	}
}

func TestUniformBounds(t *testing.T) {
	m := newMT19937_64(1)
	seen := make([]bool, 7)
	for range 1000 {
		v := m.uniform(7)
		if v >= 7 {
			t.Fatalf("uniform(7) = %d", v)
		}
		seen[v] = true
	}
	if slices.Contains(seen, false) {
		t.Fatalf("uniform(7) missed a value in 1000 draws: %v", seen)
	}
	if v := m.uniform(1); v != 0 {
		t.Fatalf("uniform(1) = %d", v)
	}
}

// Upstream oxend tests/unit_tests/service_nodes_swarm.cpp, unassigned_swarm_bug.
func TestNewSwarmIDUpstream(t *testing.T) {
	const max = uint64(MaxID)
	var ids []ID
	add := func(id ID) { i, _ := slices.BinarySearch(ids, id); ids = slices.Insert(ids, i, id) }
	del := func(id ID) { i, _ := slices.BinarySearch(ids, id); ids = slices.Delete(ids, i, i+1) }
	step := func(want uint64) ID {
		t.Helper()
		got := newSwarmID(ids)
		if uint64(got) != want {
			t.Fatalf("newSwarmID(%v) = %d, want %d", ids, got, want)
		}
		return got
	}
	a := step(0)
	add(a)
	b := step(max / 2)
	add(b)
	c := step(max/2 + max/4 + 1)
	add(c)
	d := step(max / 4)
	add(d)
	del(a)
	del(c)
	del(d)
	step(max)

	cases := []struct {
		ids  []uint64
		want uint64
	}{
		{[]uint64{max / 4}, max/2 + max/4},
		{[]uint64{12345678901234567890}, 12345678901234567890 - max/2 - 1},
		{[]uint64{max/2 - 100, max/2 + 100}, max},
		{[]uint64{max/2 - 100, max/2 + 101}, 0},
		{[]uint64{max/2 - 101, max/2 + 101}, max},
		{[]uint64{max/2 - 101, max/2 + 102}, 0},
	}
	for _, c := range cases {
		ids = ids[:0]
		for _, v := range c.ids {
			ids = append(ids, ID(v))
		}
		step(c.want)
	}
}

// Upstream oxend tests/unit_tests/service_nodes_swarm.cpp,
// deterministic_swarm_ids: 10000 random adds and removals driven by
// mt19937_64(12345) must leave exactly these IDs.
func TestNewSwarmIDDeterministicUpstream(t *testing.T) {
	rng := newMT19937_64(12345)
	var ids []ID
	for range 10000 {
		n := rng.next()
		if n < 1<<62 {
			if len(ids) == 0 {
				t.Fatal("remove from empty set")
			}
			i := int(n % uint64(len(ids)))
			ids = slices.Delete(ids, i, i+1)
			continue
		}
		id := newSwarmID(ids)
		i, found := slices.BinarySearch(ids, id)
		if found {
			t.Fatalf("newSwarmID returned existing id %d", id)
		}
		ids = slices.Insert(ids, i, id)
	}
	if len(ids) != 5048 {
		t.Fatalf("%d swarms, want 5048", len(ids))
	}
	want := map[int]uint64{
		0: 1548112371908607, 1: 4398046511103999, 2: 7247980650299391, 3: 10097914789494783,
		4: 12947848928690175, 25: 72796465851793407, 29: 84196202408574975, 42: 121245346218115071,
		99: 283691592152252415, 404: 1203745330089164798, 888: 2829738309616402430,
		999: 3243154681660178430, 2000: 6581905302285713406, 3000: 10403878089179267070,
		3333: 11669248846982021118, 4567: 16860997617805426686, 5000: 18311495347400081406,
		5045: 18439742383663874046, 5046: 18442592317803069438, 5047: 18445442251942264830,
	}
	for i, w := range want {
		if uint64(ids[i]) != w {
			t.Errorf("ids[%d] = %d, want %d", i, ids[i], w)
		}
	}
}
