package swarm

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/session-go/session-go/internal/keys"
)

// ID is a swarm identifier: a point in the 64-bit swarm space.
type ID uint64

// InvalidID is the swarm ID of a node that is in no swarm (unassigned or
// decommissioned). It is never a candidate when mapping an account to a swarm
// and is never handed out to a new swarm.
const InvalidID ID = math.MaxUint64

// MaxID is the largest ID a swarm can have.
const MaxID ID = InvalidID - 1

// String returns the ID in lowercase hexadecimal without padding, as the
// storage server writes it in the "swarm" field of get_swarm replies.
func (id ID) String() string { return strconv.FormatUint(uint64(id), 16) }

// ParseID parses a swarm ID written in hexadecimal (the get_swarm "swarm"
// field). Upper-case digits are accepted; a sign or a 0x prefix is not.
func ParseID(s string) (ID, error) {
	if s == "" || len(s) > 16 || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("%w %q", ErrInvalidID, s)
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%w %q", ErrInvalidID, s)
	}
	return ID(v), nil
}

// Space returns the swarm-space position of a 32-byte account key (the key
// without its one-byte prefix): the XOR of its four 8-byte big-endian words.
func Space(key [32]byte) uint64 {
	return binary.BigEndian.Uint64(key[0:8]) ^
		binary.BigEndian.Uint64(key[8:16]) ^
		binary.BigEndian.Uint64(key[16:24]) ^
		binary.BigEndian.Uint64(key[24:32])
}

// SpaceOf returns the swarm-space position of a 33-byte account ID. The prefix
// byte plays no part, so 05, 03 and any other prefix of the same key land in
// the same place.
func SpaceOf(id keys.ID) uint64 { return Space(id.Key) }

// Pick returns the swarm that serves swarm-space position v, out of the given
// swarm IDs (in any order; duplicates and [InvalidID] are ignored). It reports
// false when there is no valid swarm at all.
//
// The rule is the storage server's: with the IDs sorted, "right" is the first
// ID ≥ v (wrapping to the smallest) and "left" the one before it (wrapping to
// the largest). The distances right−v and v−left are taken modulo 2^64 and the
// nearer one wins; a tie goes to left.
func Pick(v uint64, swarms []ID) (ID, bool) {
	ids := make([]ID, 0, len(swarms))
	for _, id := range swarms {
		if id != InvalidID {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return 0, false
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 1 {
		return ids[0], true
	}
	r, _ := slices.BinarySearch(ids, ID(v))
	if r == len(ids) {
		r = 0
	}
	l := r - 1
	if l < 0 {
		l = len(ids) - 1
	}
	right, left := uint64(ids[r]), uint64(ids[l])
	// Both subtractions deliberately wrap: distances are measured around the ring.
	if right-v < v-left {
		return ids[r], true
	}
	return ids[l], true
}

// ForPubkey returns the swarm that serves the account id (see [Pick]).
func ForPubkey(id keys.ID, swarms []ID) (ID, bool) { return Pick(SpaceOf(id), swarms) }
