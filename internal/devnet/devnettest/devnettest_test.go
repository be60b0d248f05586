package devnettest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLazyStartsOnceAndCleansUp(t *testing.T) {
	l := &Lazy{Nodes: 2}
	n := l.Net(t)
	if again := l.Net(t); again != n {
		t.Fatal("second Net call started another devnet")
	}
	if len(n.Nodes) != 2 {
		t.Fatalf("devnet has %d nodes, want 2", len(n.Nodes))
	}
	if !strings.HasPrefix(filepath.Base(l.dir), "devnettest-devnet-") {
		t.Errorf("directory %q is not named after the test binary", l.dir)
	}
	if rel, err := filepath.Rel(l.dir, n.Dir); err != nil || rel != "net" {
		t.Errorf("devnet in %q, want the net folder of %q", n.Dir, l.dir)
	}
	for _, node := range n.Nodes {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := node.WaitReady(ctx)
		cancel()
		if err != nil {
			t.Errorf("node %d: %v", node.Index, err)
		}
	}

	finish(n, l.dir, 0)
	for _, node := range n.Nodes {
		if node.Running() {
			t.Errorf("node %d still running after finish", node.Index)
		}
	}
	if _, err := os.Stat(l.dir); !os.IsNotExist(err) {
		t.Errorf("directory of a passing run not removed: %v", err)
		os.RemoveAll(l.dir)
	}
}

func TestFinishKeepsFailedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet (skipped with -short)")
	}
	n, dir, err := start(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	finish(n, dir, 1)
	if n.Nodes[0].Running() {
		t.Error("node still running after finish")
	}
	if _, err := os.Stat(filepath.Join(n.Dir, "network.json")); err != nil {
		t.Errorf("devnet of a failed run not kept: %v", err)
	}
}
