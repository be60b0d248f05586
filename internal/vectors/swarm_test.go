package vectors

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/swarm"
)

// upstreamSwarm is upstream/swarm.json (README §4.8). u64 values are decimal
// strings, read with strconv.ParseUint.
type upstreamSwarm struct {
	Space []struct {
		Pubkey string `json:"pubkey"`
		Space  string `json:"space"`
	} `json:"pubkey_to_swarm_space"`
	BySwarm []struct {
		SwarmIDs []string `json:"swarm_ids"`
		Cases    []struct {
			Pubkey   string `json:"pubkey"`
			Expected string `json:"expected_swarm_id"`
		} `json:"cases"`
	} `json:"get_swarm_by_pk"`
}

// swarmPubkey reads a 33-byte hex pubkey with any prefix byte (the vectors
// include an ff prefix, which keys.ParseID would rightly refuse).
func swarmPubkey(t *testing.T, where, s string) keys.ID {
	t.Helper()
	b := unhex(t, where, s)
	if len(b) != keys.IDSize {
		t.Fatalf("%s: pubkey is %d bytes", where, len(b))
	}
	id := keys.ID{Prefix: keys.Prefix(b[0])}
	copy(id.Key[:], b[1:])
	return id
}

func parseU64(t *testing.T, where, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%s: bad u64 %q", where, s)
	}
	return v
}

func checkSwarmUpstream(t *testing.T, raw []byte) int {
	var v upstreamSwarm
	decode(t, raw, &v)
	n := 0
	for i, e := range v.Space {
		where := fmt.Sprintf("pubkey_to_swarm_space[%d]", i)
		id := swarmPubkey(t, where, e.Pubkey)
		if got, want := swarm.SpaceOf(id), parseU64(t, where, e.Space); got != want {
			t.Errorf("%s: space: got %d, want %d", where, got, want)
			continue
		}
		n++
	}
	for g, group := range v.BySwarm {
		ids := make([]swarm.ID, len(group.SwarmIDs))
		for i, s := range group.SwarmIDs {
			ids[i] = swarm.ID(parseU64(t, fmt.Sprintf("get_swarm_by_pk[%d].swarm_ids[%d]", g, i), s))
		}
		for c, e := range group.Cases {
			where := fmt.Sprintf("get_swarm_by_pk[%d].cases[%d]", g, c)
			want := swarm.ID(parseU64(t, where, e.Expected))
			got, ok := swarm.ForPubkey(swarmPubkey(t, where, e.Pubkey), ids)
			if !ok || got != want {
				t.Errorf("%s: expected_swarm_id: got %d (found %v), want %d", where, got, ok, want)
				continue
			}
			n++
		}
	}
	return n
}
