package swarm

import "slices"

// Flow is a part of the swarm space that swarm From served in one layout
// and swarm To serves in the next: the accounts there moved from From to
// To (From == To: they stayed).
type Flow struct{ From, To ID }

// Flows returns every flow between two layouts' swarm IDs: the pairs
// (From, To) such that some swarm-space position is served by From among
// prev and by To among cur (see [Pick]). A node of swarm To needs, after a
// change, only the accounts of the flows into To from swarms other than
// its own before, and only from the nodes of those swarms.
//
// Under Pick each swarm serves one arc of the ring, ending halfway (ties
// to the left) to the next ID; the arcs of both layouts together cut the
// ring into pieces served by one swarm in each, and each piece starts just
// after an arc's end (or, with no cuts, anywhere). So Pick at each such
// start gives every flow, in O((p+c)·log) rather than per account.
func Flows(prev, cur []ID) map[Flow]bool {
	p, c := validIDs(prev), validIDs(cur)
	if len(p) == 0 || len(c) == 0 {
		return nil
	}
	starts := []uint64{0}
	for _, ids := range [][]ID{p, c} {
		if len(ids) < 2 {
			continue
		}
		for i, l := range ids {
			r := ids[(i+1)%len(ids)]
			// The last position l serves before r: l + ⌊(r−l)/2⌋, on
			// the ring (the subtraction wraps for the last arc).
			end := uint64(l) + (uint64(r)-uint64(l))/2
			starts = append(starts, end+1)
		}
	}
	out := map[Flow]bool{}
	for _, v := range starts {
		from, _ := Pick(v, p)
		to, _ := Pick(v, c)
		out[Flow{from, to}] = true
	}
	return out
}

// validIDs returns ids without InvalidID, sorted and without duplicates.
func validIDs(ids []ID) []ID {
	out := make([]ID, 0, len(ids))
	for _, id := range ids {
		if id != InvalidID {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
