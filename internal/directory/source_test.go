package directory

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/netview"
)

// TestOpenNetwork: a directory network file gives a Source that follows
// the epochs with the directory's swarms; other files and presets stay
// netview's.
func TestOpenNetwork(t *testing.T) {
	m, c := single(t, time.Hour)
	ctx := context.Background()
	var nodes []*node
	for i := range 3 {
		n := newNode(t, 30000+i)
		nodes = append(nodes, n)
		if _, err := c.Submit(ctx, n.msg(KindRegister)); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	write := func(name string, v any) string {
		b, _ := json.Marshal(v)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src, err := OpenNetwork(write("network.json", NetworkFile{Directory: []netview.Seed{m.seed()}}), insecureClient())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := src.(*Source); !ok {
		t.Fatalf("a directory file gave a %T", src)
	}
	d, err := src.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := m.srv.Epoch()
	if d.Epoch() != e.Number || d.Len() != 3 {
		t.Fatalf("view at epoch %d with %d nodes, want %d with 3", d.Epoch(), d.Len(), e.Number)
	}
	for _, n := range e.Nodes {
		if got, _ := d.Node(n.Ed25519); got.SwarmID != n.SwarmID {
			t.Fatalf("node %s in swarm %v, the epoch says %v", n.Ed25519, got.SwarmID, n.SwarmID)
		}
	}
	// The view follows a new epoch.
	if _, err := c.Submit(ctx, nodes[0].msg(KindLeave)); err != nil {
		t.Fatal(err)
	}
	if d, err = src.Load(ctx); err != nil || d.Len() != 2 || d.Epoch() != e.Number+1 {
		t.Fatalf("after a leave: %v nodes at epoch %v (%v)", d.Len(), d.Epoch(), err)
	}

	if src, err := OpenNetwork(write("nodes.json", netview.DirectoryFile{Nodes: d.Nodes()}), insecureClient()); err != nil {
		t.Fatal(err)
	} else if _, ok := src.(*netview.FileSource); !ok {
		t.Fatalf("a nodes file gave a %T", src)
	}
	if _, err := OpenNetwork(netview.PresetMainnet, insecureClient()); err != nil {
		t.Fatalf("the mainnet preset: %v", err)
	}
}
