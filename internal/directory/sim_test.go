package directory

import (
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/session-go/session-go/internal/swarm"
)

// Simulation sizes: Session's network today is about 2 000 nodes.
const (
	simNodes    = 2000
	simAccounts = 1_000_000
	simEpochs   = 100
	// Each account holds 4 messages of 1 KiB; a catch-up summary entry
	// (hash, owner, namespace, times, sequence) is about 200 bytes.
	simRecordBytes  = 4 * 1024
	simSummaryBytes = 4 * 200
	// A hand-off request and its answer's envelope, and each swarm ID of
	// the layout before that a request names (hex in JSON).
	simRequestBytes = 512
	simSwarmIDBytes = 19
)

// BenchmarkChurnSimulation runs the directory's epochs (nextEpoch, with
// oxend's swarm rules) through 100 rounds of churn over 2 000 nodes and
// 1 000 000 accounts, and applies snode's hand-off policy (every node whose
// layout changed asks every node of both epochs for a summary of its
// swarm's accounts, and fetches only the records it lacks; graceful
// leavers serve during their drain, failed nodes are gone at once). It
// reports the bytes moved per epoch against the minimum (the records each
// new holder must receive), how many accounts had no holder in their new
// swarm at an epoch boundary (unavailable until the hand-off's first pull),
// and how many were lost. Run with:
//
//	go test -run '^$' -bench ChurnSimulation -benchtime 1x ./internal/directory
func BenchmarkChurnSimulation(b *testing.B) {
	for range b.N {
		runChurnSimulation(b)
	}
}

func runChurnSimulation(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	newMember := func() Member {
		var k [32]byte
		for i := range k {
			k[i] = byte(rng.UintN(256))
		}
		var m Member
		m.Ed25519, m.X25519 = hex.EncodeToString(k[:]), hex.EncodeToString(k[:])
		m.IP, m.StoragePort, m.Version = "10.0.0.1", 22021, "1.0.0"
		return m
	}
	active := map[string]Member{}
	for range simNodes {
		m := newMember()
		active[m.Ed25519] = m
	}
	list := func() []Member {
		out := make([]Member, 0, len(active))
		for _, m := range active {
			out = append(out, m)
		}
		return out
	}
	e := nextEpoch(nil, list())
	space := make([]uint64, simAccounts)
	for i := range space {
		space[i] = rng.Uint64()
	}
	// holders[a]: the nodes holding account a (after the first epoch: its
	// swarm, as if it had always been there).
	type view struct {
		ids     []swarm.ID
		members map[swarm.ID][]string
		swarmOf map[string]swarm.ID
	}
	mkView := func(e *Epoch) view {
		v := view{members: map[swarm.ID][]string{}, swarmOf: map[string]swarm.ID{}}
		for _, n := range e.Nodes {
			v.members[n.SwarmID] = append(v.members[n.SwarmID], n.Ed25519)
			v.swarmOf[n.Ed25519] = n.SwarmID
		}
		for id := range v.members {
			v.ids = append(v.ids, id)
		}
		slices.Sort(v.ids)
		return v
	}
	cur := mkView(&e)
	holders := make([][]string, simAccounts)
	for a := range holders {
		s, _ := swarm.Pick(space[a], cur.ids)
		holders[a] = cur.members[s]
	}

	var movedTotal, movedAllTotal, minTotal, worstMoved, worstMin int64
	var worstUnavailable, lost int
	for range simEpochs {
		joins, leaves, fails := rng.IntN(16), rng.IntN(11), rng.IntN(4)
		keys := make([]string, 0, len(active))
		for k := range active {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		failed := map[string]bool{}
		for _, k := range keys[:fails] {
			failed[k] = true
			delete(active, k)
		}
		for _, k := range keys[fails : fails+leaves] {
			delete(active, k) // graceful: serves during its drain
		}
		for range joins {
			m := newMember()
			active[m.Ed25519] = m
		}
		prevView := cur
		next := nextEpoch(&e, list())
		e = next
		cur = mkView(&e)

		// Who runs a hand-off (snode's layoutChanged).
		idsChanged := !slices.Equal(prevView.ids, cur.ids)
		handoff := map[string]bool{}
		for n, s := range cur.swarmOf {
			ps, was := prevView.swarmOf[n]
			if idsChanged || !was || ps != s || !slices.Equal(sortedCopy(prevView.members[ps]), sortedCopy(cur.members[s])) {
				handoff[n] = true
			}
		}
		// Whom each hand-off asks (snode's handoff): the nodes of the
		// swarms that flow into its swarm, other than its own swarm
		// before, and its own swarm's old members that are not in it now
		// (their delta since catch-up, taken as empty here). Each request
		// costs its envelope, and the layout before when it names it.
		flows := swarm.Flows(prevView.ids, cur.ids)
		var overhead int64
		into := map[swarm.ID][]swarm.ID{} // the swarms that flow into each
		for f := range flows {
			into[f.To] = append(into[f.To], f.From)
		}
		for n := range handoff {
			s := cur.swarmOf[n]
			ps, was := prevView.swarmOf[n]
			for _, from := range into[s] {
				for _, p := range prevView.members[from] {
					switch {
					case p == n || failed[p]:
					case was && from == ps:
						if now, in := cur.swarmOf[p]; !in || now != s {
							overhead += simRequestBytes
						}
					default:
						overhead += simRequestBytes + int64(len(prevView.ids))*simSwarmIDBytes
					}
				}
			}
			if was && !slices.Contains(into[s], ps) {
				// Our old swarm flows elsewhere only: its members
				// that are not ours now give their delta.
				for _, p := range prevView.members[ps] {
					if now, in := cur.swarmOf[p]; p != n && !failed[p] && (!in || now != s) {
						overhead += simRequestBytes
					}
				}
			}
		}
		moved := overhead
		var minimum, movedAll int64
		unavailable := 0
		for a := range holders {
			s, _ := swarm.Pick(space[a], cur.ids)
			members := cur.members[s]
			var sources int
			held := map[string]bool{}
			for _, h := range holders[a] {
				if !failed[h] {
					held[h] = true
					sources++
				}
			}
			if sources == 0 {
				lost++
				holders[a] = members
				continue
			}
			inSwarm := 0
			for _, m := range members {
				if held[m] {
					inSwarm++
					continue
				}
				minimum += simRecordBytes
				moved += simRecordBytes
				movedAll += simRecordBytes
			}
			if inSwarm == 0 {
				unavailable++
			}
			for _, m := range members {
				if !handoff[m] {
					continue
				}
				// The old policy: every account of the swarm, from
				// every holder.
				movedAll += int64(sources) * simSummaryBytes
				// Now: only a node that did not hold the account
				// (the peers leave out what it held) gets its
				// summary, from each holder of the swarm it left.
				if !held[m] {
					moved += int64(sources) * simSummaryBytes
				}
			}
			holders[a] = members
		}
		movedTotal += moved
		movedAllTotal += movedAll
		minTotal += minimum
		worstMoved = max(worstMoved, moved)
		worstMin = max(worstMin, minimum)
		worstUnavailable = max(worstUnavailable, unavailable)
	}
	b.ReportMetric(float64(movedTotal)/simEpochs/(1<<20), "MiB-moved/epoch")
	b.ReportMetric(float64(minTotal)/simEpochs/(1<<20), "MiB-min/epoch")
	if minTotal > 0 {
		b.ReportMetric(float64(movedTotal)/float64(minTotal), "moved/min")
		b.ReportMetric(float64(movedAllTotal)/float64(minTotal), "ask-all-moved/min")
	}
	b.ReportMetric(float64(worstUnavailable), "worst-unavailable-accounts")
	b.ReportMetric(float64(lost), "lost-accounts")
	b.Logf("%d nodes, %d accounts, %d epochs (last %d, %d swarms): moved %.1f MiB/epoch (worst %.1f) against a minimum of %.1f MiB/epoch (worst %.1f): %.2f x the minimum (asking every holder for every account of a changed swarm: %.1f x); at most %d accounts without a holder in their new swarm at an epoch boundary (until the hand-off's first pull); %d lost",
		len(active), simAccounts, simEpochs, e.Number, len(cur.ids), float64(movedTotal)/simEpochs/(1<<20), float64(worstMoved)/(1<<20),
		float64(minTotal)/simEpochs/(1<<20), float64(worstMin)/(1<<20), float64(movedTotal)/float64(max(minTotal, 1)),
		float64(movedAllTotal)/float64(max(minTotal, 1)), worstUnavailable, lost)
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
