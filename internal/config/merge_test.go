package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

func testIdentity(t testing.TB, n byte) *keys.Identity {
	t.Helper()
	seed := bytes.Repeat([]byte{n}, 32)
	id, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// swarm stands in for the account's namespace on the storage servers.
type swarm map[string][]byte

func serverHash(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:8])
}

// pushTo pushes c if it needs it, stores the result, deletes what it
// obsoletes and confirms, as a client would.
func (s swarm) pushTo(t *testing.T, c *Config) bool {
	t.Helper()
	if !c.NeedsPush() {
		return false
	}
	p, err := c.Push()
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	h := serverHash(p.Data)
	s[h] = p.Data
	for _, o := range p.Obsolete {
		delete(s, o)
	}
	c.ConfirmPushed(p.Seqno, h)
	return true
}

func (s swarm) messages(r *rand.Rand) []Received {
	var out []Received
	for _, h := range slices.Sorted(func(yield func(string) bool) {
		for h := range s {
			if !yield(h) {
				return
			}
		}
	}) {
		out = append(out, Received{Hash: h, Data: s[h]})
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// randomEdit makes one random change to c's data, over a small key space so
// that devices collide often.
func randomEdit(r *rand.Rand, c *Config) {
	keys := []string{"a", "b", "c"}
	path := []string{keys[r.IntN(len(keys))]}
	for r.IntN(3) == 0 && len(path) < 3 {
		path = append(path, keys[r.IntN(len(keys))])
	}
	scalar := func() any {
		if r.IntN(2) == 0 {
			return int64(r.IntN(5) - 2)
		}
		return fmt.Sprint("v", r.IntN(4))
	}
	switch r.IntN(5) {
	case 0, 1:
		c.setScalar(scalar(), path...)
	case 2:
		c.erase(path...)
	case 3:
		c.setInsert(scalar(), path...)
	case 4:
		c.setErase(scalar(), path...)
	}
}

func dataBytes(c *Config) string {
	d := copyData(c.msg.data)
	prune(d)
	return string(mustEncodeBT(d))
}

// TestMergeConvergence lets several devices edit concurrently, push and
// merge everything on the swarm in random orders until nobody needs to
// push; all must then hold the same data and seqno.
func TestMergeConvergence(t *testing.T) {
	id := testIdentity(t, 7)
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 1))
		s := swarm{}
		devs := make([]*Config, 2+r.IntN(3))
		for i := range devs {
			up, err := NewUserProfile(id, nil)
			if err != nil {
				t.Fatal(err)
			}
			up.SetCompression(r.IntN(2) == 0)
			up.SetLegacyWrap(r.IntN(2) == 0)
			devs[i] = &up.Config
		}
		for epoch := range 6 {
			for _, d := range devs {
				for range r.IntN(4) {
					randomEdit(r, d)
				}
			}
			converged := false
			for range 30 {
				pushed := false
				for _, i := range r.Perm(len(devs)) {
					pushed = s.pushTo(t, devs[i]) || pushed
				}
				for _, d := range devs {
					msgs := s.messages(r)
					if r.IntN(2) == 0 {
						d.Merge(msgs)
					} else {
						for _, m := range msgs { // one at a time
							d.Merge([]Received{m})
						}
					}
				}
				if !pushed {
					converged = true
					break
				}
			}
			if !converged {
				t.Fatalf("seed %d epoch %d: devices still pushing after 30 rounds", seed, epoch)
			}
			for i, d := range devs[1:] {
				if dataBytes(d) != dataBytes(devs[0]) || d.Seqno() != devs[0].Seqno() {
					t.Fatalf("seed %d epoch %d: device %d has %q at seqno %d, device 0 %q at seqno %d",
						seed, epoch, i+1, dataBytes(d), d.Seqno(), dataBytes(devs[0]), devs[0].Seqno())
				}
			}
			// Devices that compress or wrap differently store the same
			// message as different bytes; what is left must all be that
			// one message.
			for h, data := range s {
				plain, err := devs[0].open(data)
				if err != nil || MessageHash(plain) != MessageHash(devs[0].msg.serialize()) {
					t.Fatalf("seed %d epoch %d: swarm message %s is not the current config (%v)", seed, epoch, h, err)
				}
			}
		}
	}
}

// TestMergeOrderIndependent: two devices that merge the same conflicting
// messages, given in different orders, publish the same bytes.
func TestMergeOrderIndependent(t *testing.T) {
	id := testIdentity(t, 8)
	base, _ := NewContacts(id, nil)
	bob, _ := keys.ParseSessionID("05" + hex.EncodeToString(bytes.Repeat([]byte{0xb0}, 32)))
	carol, _ := keys.ParseSessionID("05" + hex.EncodeToString(bytes.Repeat([]byte{0xc0}, 32)))
	if err := base.Set(Contact{SessionID: bob, Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	p0, _ := base.Push()
	msgs := []Received{{"h0", p0.Data}}
	var edits []Received
	for i, edit := range []func(*Contacts){
		func(c *Contacts) { ct, _ := c.Get(bob); ct.Nickname = "Bobby"; c.Set(ct) },
		func(c *Contacts) { ct, _ := c.Get(bob); ct.Blocked = true; c.Set(ct) },
		func(c *Contacts) { c.Set(Contact{SessionID: carol, Name: "Carol", Approved: true}) },
	} {
		dev, _ := NewContacts(id, nil)
		dev.Merge(msgs)
		edit(dev)
		p, err := dev.Push()
		if err != nil {
			t.Fatal(err)
		}
		edits = append(edits, Received{fmt.Sprint("e", i), p.Data})
	}
	var first []byte
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}} {
		dev, _ := NewContacts(id, nil)
		var in []Received
		for _, i := range order {
			in = append(in, edits[i])
		}
		dev.Merge(append(in, msgs...))
		if !dev.NeedsPush() {
			t.Fatal("a three-way conflict did not produce a merge to push")
		}
		p, err := dev.Push()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = p.Data
			got, _ := dev.Get(bob)
			if got.Nickname != "Bobby" || !got.Blocked {
				t.Errorf("merged Bob = %+v, want both edits", got)
			}
			if c, ok := dev.Get(carol); !ok || !c.Approved {
				t.Errorf("merged Carol = %+v, %v", c, ok)
			}
			if len(p.Obsolete) != 4 {
				t.Errorf("merge obsoletes %q, want all 4 inputs", p.Obsolete)
			}
		} else if !bytes.Equal(p.Data, first) {
			t.Errorf("order %v gives a different merge", order)
		}
	}
}

// TestConflictHigherHashWins: when two devices change the same value at the
// same seqno, the message with the greater hash wins, on both devices.
func TestConflictHigherHashWins(t *testing.T) {
	id := testIdentity(t, 9)
	a, _ := NewUserProfile(id, nil)
	b, _ := NewUserProfile(id, nil)
	a.SetName("base")
	pa, _ := a.Push()
	a.ConfirmPushed(pa.Seqno, "h1")
	b.Merge([]Received{{"h1", pa.Data}})
	a.SetName("from-a")
	b.SetName("from-b")
	pa2, _ := a.Push()
	pb2, _ := b.Push()
	a.ConfirmPushed(pa2.Seqno, "ha")
	b.ConfirmPushed(pb2.Seqno, "hb")
	plainA, _ := a.open(pa2.Data)
	plainB, _ := b.open(pb2.Data)
	want := "from-a"
	ha, hb := MessageHash(plainA), MessageHash(plainB)
	if bytes.Compare(hb[:], ha[:]) > 0 {
		want = "from-b"
	}
	a.Merge([]Received{{"hb", pb2.Data}})
	b.Merge([]Received{{"ha", pa2.Data}})
	if a.Name() != want || b.Name() != want {
		t.Errorf("names after merge: %q and %q, want %q", a.Name(), b.Name(), want)
	}
	if a.Seqno() != 3 || b.Seqno() != 3 || !a.NeedsPush() || !b.NeedsPush() {
		t.Errorf("after the conflict: seqnos %d, %d; need push %v, %v", a.Seqno(), b.Seqno(), a.NeedsPush(), b.NeedsPush())
	}
	pa3, _ := a.Push()
	pb3, _ := b.Push()
	if !bytes.Equal(pa3.Data, pb3.Data) {
		t.Error("both devices should publish the identical merge")
	}
	for _, p := range []*Pushed{pa3, pb3} {
		if !slices.Equal(p.Obsolete, []string{"ha", "hb"}) {
			t.Errorf("merge obsoletes %q, want [ha hb]", p.Obsolete)
		}
	}
}

// TestMergeKeepsUnknownData: data this version does not interpret (another
// client's fields, whole sections) survives edits and merges.
func TestMergeKeepsUnknownData(t *testing.T) {
	id := testIdentity(t, 10)
	newer, _ := NewUserGroups(id, nil)
	newer.setScalar("https://example.org", "o", "https://example.org", "#")
	newer.setScalar(int64(3), "o", "https://example.org", "R", "room", "+")
	newer.setInsert("member", "C", "future", "m")
	newer.setScalar("x", "Z")
	p, _ := newer.Push()

	u, _ := NewUserGroups(id, nil)
	if got := u.Merge([]Received{{"h1", p.Data}}); len(got) != 1 {
		t.Fatalf("accepted %q", got)
	}
	group := Group{ID: keys.ID{Prefix: keys.PrefixGroup, Key: [32]byte{1}}, Name: "G", AuthData: bytes.Repeat([]byte{7}, 100), JoinedAt: 5}
	if err := u.SetGroup(group); err != nil {
		t.Fatal(err)
	}
	p2, _ := u.Push()
	again, _ := NewUserGroups(id, nil)
	again.Merge([]Received{{"h2", p2.Data}})
	for _, path := range [][]string{{"o", "https://example.org", "R", "room", "+"}, {"C", "future", "m"}, {"Z"}} {
		want, _ := newer.Value(path...)
		got, ok := again.Value(path...)
		if !ok || string(mustEncodeBT(got)) != string(mustEncodeBT(want)) {
			t.Errorf("%q: got %#v, want %#v", path, got, want)
		}
	}
	g, ok := again.Group(group.ID)
	if !ok || g.Name != "G" || !bytes.Equal(g.AuthData, group.AuthData) || g.JoinedAt != 5 || g.SecretKey != nil {
		t.Errorf("group read back as %+v, %v", g, ok)
	}
}
