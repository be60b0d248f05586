package swarm

import (
	"encoding/hex"
	"math"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

func mustID(t *testing.T, s string) keys.ID {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 33 {
		t.Fatalf("bad test pubkey %q", s)
	}
	var id keys.ID
	id.Prefix = keys.Prefix(b[0])
	copy(id.Key[:], b[1:])
	return id
}

func TestSpaceIgnoresPrefix(t *testing.T) {
	a := mustID(t, "05000000000000000000000000000000000000000000000000ffffffffffffffff")
	b := a
	b.Prefix = keys.PrefixGroup
	if SpaceOf(a) != SpaceOf(b) || SpaceOf(a) != math.MaxUint64 {
		t.Fatalf("SpaceOf: %d and %d, want both %d", SpaceOf(a), SpaceOf(b), uint64(math.MaxUint64))
	}
}

func TestSpaceXorsBigEndianWords(t *testing.T) {
	var k [32]byte
	k[7] = 1    // word 0 = 1
	k[8] = 0x80 // word 1 = 2^63
	k[31] = 3   // word 3 = 3
	if got, want := Space(k), uint64(1^(1<<63)^3); got != want {
		t.Fatalf("Space = %d, want %d", got, want)
	}
}

func TestPick(t *testing.T) {
	const top = math.MaxUint64
	tests := []struct {
		name string
		v    uint64
		ids  []ID
		want ID
		ok   bool
	}{
		{"no swarms", 5, nil, 0, false},
		{"only invalid", 5, []ID{InvalidID}, 0, false},
		{"single swarm takes everything", top, []ID{100}, 100, true},
		{"exact hit", 200, []ID{100, 200, 300}, 200, true},
		{"nearer right", 160, []ID{100, 200}, 200, true},
		{"nearer left", 140, []ID{100, 200}, 100, true},
		{"tie goes left", 150, []ID{100, 200}, 100, true},
		{"unsorted input with duplicates", 160, []ID{200, 100, 200}, 200, true},
		{"wrap below smallest goes to largest when nearer", 10, []ID{100, top - 20}, top - 20, true},
		{"wrap above largest goes to smallest when nearer", top - 1, []ID{1, 1 << 62}, 1, true},
		{"wrap tie goes to largest", 40, []ID{100, top - 19}, top - 19, true},
		{"invalid id is never a candidate", top, []ID{InvalidID, 1 << 63}, 1 << 63, true},
	}
	for _, tt := range tests {
		got, ok := Pick(tt.v, tt.ids)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: Pick(%d, %v) = %d, %v; want %d, %v", tt.name, tt.v, tt.ids, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseIDRoundTrip(t *testing.T) {
	for _, id := range []ID{0, 1, 0xabc, MaxID, InvalidID} {
		got, err := ParseID(id.String())
		if err != nil || got != id {
			t.Errorf("ParseID(%q) = %d, %v; want %d", id.String(), got, err, id)
		}
	}
	for _, bad := range []string{"", "0x10", "-1", "+1", "xyz", "10000000000000000"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) succeeded", bad)
		}
	}
}
