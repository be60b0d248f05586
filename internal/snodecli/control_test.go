package snodecli

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
)

// TestDetachedDevnetGrows: a devnet with a directory started with
// --detach (a background process of its own) takes a node added by
// `snode devnet add` from another process, lists it with `snode devnet
// nodes`, and stops with --stop.
func TestDetachedDevnetGrows(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin, err := devnet.BuildSnode(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	snode := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("snode %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	snode("devnet", "--nodes", "2", "--directory", "1", "--dir", dir, "--detach")
	defer func() {
		if devnet.Running(dir) {
			snode("devnet", "--stop", "--dir", dir)
		}
	}()
	out := snode("devnet", "add", "--dir", dir, "1")
	if !strings.Contains(out, "added 1 node") {
		t.Fatalf("devnet add: %q", out)
	}
	list := snode("devnet", "nodes", "--dir", dir)
	if n := strings.Count(list, " running"); n != 3 {
		t.Fatalf("devnet nodes lists %d running nodes, want 3:\n%s", n, list)
	}
	added := strings.Fields(strings.Split(strings.TrimSpace(out), "\n")[1])[1]
	if !strings.Contains(list, added) {
		t.Fatalf("the added node %s is not listed:\n%s", added, list)
	}
	snode("devnet", "--stop", "--dir", dir)
	if _, err := devnet.ControlNodes(ctx, dir); err == nil {
		t.Fatal("the control API answers after --stop")
	}
}
