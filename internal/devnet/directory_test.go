package devnet

import (
	"context"
	"testing"
	"time"
)

// TestDevnetWithDirectory: a devnet run by a 3-member directory registers
// its nodes; after kill -9 of the first member (the bootstrap leader) a node
// added at run time still registers, and a node removed gracefully leaves
// the next epoch.
func TestDevnetWithDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := BuildSnode(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dn, err := Start(ctx, Config{Nodes: 3, Directory: 3, Dir: t.TempDir(), Binary: bin, NoFileServer: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dn.Stop()
	epochWith := func(what string, want int) uint64 {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			e, err := dn.Epoch(ctx)
			if err == nil && len(e.Nodes) == want {
				return e.Number
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: epoch never had %d nodes (last: %v, %v)", what, want, e, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	first := epochWith("start", 3)

	if err := dn.Members[0].Kill(); err != nil {
		t.Fatal(err)
	}
	added, err := dn.AddNodes(ctx, 1)
	if err != nil {
		t.Fatalf("adding a node after the leader's death: %v", err)
	}
	second := epochWith("a node added", 4)
	if second <= first {
		t.Fatalf("epoch %d after a join, was %d", second, first)
	}
	if err := dn.RemoveNode(dn.Nodes[0]); err != nil {
		t.Fatal(err)
	}
	epochWith("a node removed", 3)
	e, err := dn.Epoch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Nodes {
		if n.Ed25519 == dn.Nodes[0].Ed25519 {
			t.Fatal("the removed node is still active")
		}
	}
	found := false
	for _, n := range e.Nodes {
		found = found || n.Ed25519 == added[0].Ed25519
	}
	if !found {
		t.Fatal("the added node is not active")
	}
}
