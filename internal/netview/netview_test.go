package netview

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

func testNodes(t *testing.T, n int) []Node {
	t.Helper()
	var out []Node
	for i := range n {
		ed, x := make([]byte, 32), make([]byte, 32)
		rand.Read(ed)
		rand.Read(x)
		out = append(out, Node{IP: "127.0.0.1", StoragePort: 20000 + i, Ed25519: hex.EncodeToString(ed), X25519: hex.EncodeToString(x)})
	}
	return out
}

func TestDirectorySwarms(t *testing.T) {
	for _, n := range []int{1, 5, 7, 12, 20, 40} {
		nodes := testNodes(t, n)
		d, err := NewDirectory(nodes)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, id := range d.SwarmIDs() {
			m := d.Swarm(id)
			total += len(m)
			if n >= 5 && len(m) < 5 {
				t.Errorf("%d nodes: swarm %v has %d members, want at least 5", n, id, len(m))
			}
		}
		if total != n {
			t.Errorf("%d nodes: swarms hold %d", n, total)
		}
		// The same list in another order gives the same assignment.
		rev := append([]Node(nil), nodes...)
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		d2, err := NewDirectory(rev)
		if err != nil {
			t.Fatal(err)
		}
		for _, node := range d.Nodes() {
			o, _ := d2.Node(node.Ed25519)
			if o.SwarmID != node.SwarmID {
				t.Fatalf("%d nodes: order changed the assignment", n)
			}
		}
		// Every account maps to a swarm with members.
		var acct keys.ID
		acct.Prefix = keys.PrefixStandard
		rand.Read(acct.Key[:])
		if _, members := d.SwarmFor(acct); len(members) == 0 {
			t.Errorf("%d nodes: account has an empty swarm", n)
		}
	}
}

func TestDirectoryRejectsBadNodes(t *testing.T) {
	good := testNodes(t, 2)
	bad := []func(n *Node){
		func(n *Node) { n.Ed25519 = "zz" },
		func(n *Node) { n.X25519 = "" },
		func(n *Node) { n.IP = "not an ip" },
		func(n *Node) { n.StoragePort = 70000 },
	}
	for i, mut := range bad {
		nodes := append([]Node(nil), good...)
		mut(&nodes[1])
		if _, err := NewDirectory(nodes); err == nil {
			t.Errorf("case %d: bad node accepted", i)
		}
	}
	if _, err := NewDirectory(append(good, good[0])); err == nil {
		t.Error("duplicate node accepted")
	}
	if _, err := NewDirectory(nil); err == nil {
		t.Error("empty directory accepted")
	}
}

func TestNodesAt(t *testing.T) {
	a := Node{IP: "127.0.0.1", StoragePort: 1, Ed25519: strings.Repeat("aa", 32), X25519: strings.Repeat("bb", 32)}
	b := Node{IP: "127.0.0.1", StoragePort: 2, Ed25519: strings.Repeat("cc", 32), X25519: strings.Repeat("dd", 32)}
	d, err := NewDirectory([]Node{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.NodesAt("127.0.0.1:2"); len(got) != 1 || got[0].Ed25519 != b.Ed25519 {
		t.Errorf("NodesAt(127.0.0.1:2) = %v, want node b", got)
	}
	if got := d.NodesAt("127.0.0.1:3"); len(got) != 0 {
		t.Errorf("NodesAt of an unlisted address = %v, want none", got)
	}
}
