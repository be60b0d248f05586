package swarm

import (
	"math/rand/v2"
	"testing"
)

// TestFlowsMatchPick: Flows lists exactly the (old, new) swarm pairs that
// positions of the ring take, checked against Pick at the arcs' edges and
// at many random positions, for random layouts of 1 to 40 swarms.
func TestFlowsMatchPick(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	randomIDs := func() []ID {
		ids := make([]ID, 1+rng.IntN(40))
		for i := range ids {
			ids[i] = ID(rng.Uint64() >> 1)
		}
		if rng.IntN(4) == 0 {
			ids[0] = 0 // the first swarm's ID
		}
		return ids
	}
	for trial := range 300 {
		prev := randomIDs()
		cur := prev
		switch trial % 3 {
		case 0: // a swarm added
			cur = append(append([]ID{}, prev...), ID(rng.Uint64()>>1))
		case 1: // a swarm dissolved
			if len(prev) > 1 {
				cur = append(append([]ID{}, prev[:1]...), prev[2:]...)
			}
		default: // unrelated
			cur = randomIDs()
		}
		got := Flows(prev, cur)
		seen := map[Flow]bool{}
		check := func(v uint64) {
			from, _ := Pick(v, prev)
			to, _ := Pick(v, cur)
			f := Flow{from, to}
			seen[f] = true
			if !got[f] {
				t.Fatalf("trial %d: position %#x moves %v → %v, not in Flows %v", trial, v, from, to, got)
			}
		}
		for range 2000 {
			check(rng.Uint64())
		}
		for _, ids := range [][]ID{prev, cur} {
			for _, id := range ids {
				for _, d := range []uint64{0, 1, 1 << 62, 1<<63 - 1, 1 << 63, 1<<63 + 1} {
					check(uint64(id) + d)
					check(uint64(id) - d)
				}
			}
		}
		if trial%3 == 0 && len(prev) == 1 && len(got) != 2 {
			t.Fatalf("one swarm split in two: %d flows, want 2", len(got))
		}
		// Every listed flow is real: Flows only evaluates Pick.
		for f := range got {
			if f.From == InvalidID || f.To == InvalidID {
				t.Fatalf("invalid flow %v", f)
			}
		}
	}
	if Flows(nil, []ID{1}) != nil || Flows([]ID{1}, nil) != nil {
		t.Fatal("flows from or into no swarm")
	}
	same := []ID{0, 1 << 62, 1 << 63}
	for f := range Flows(same, same) {
		if f.From != f.To {
			t.Fatalf("an unchanged layout moves %v", f)
		}
	}
}
