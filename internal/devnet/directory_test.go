package devnet

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDevnetWithDirectory: a devnet run by a 3-member directory registers
// its nodes; after kill -9 of the first member (the bootstrap leader) a node
// added at run time by `snode devnet add` (another process) still
// registers, and a node removed gracefully by `snode devnet remove` leaves
// the next epoch; the seed file names the running nodes throughout.
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
	// A removed node drains for 10 s, not the default minute.
	dn, err := Start(ctx, Config{Nodes: 3, Directory: 3, Dir: t.TempDir(), Binary: bin, NoFileServer: true,
		ExtraArgs: []string{"--directory-refresh", "1s", "--leave-drain", "10s"}})
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
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("snode %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := cli("devnet", "add", "--dir", dn.Dir, "1")
	added := dn.snapshotNodes()[3:]
	if len(added) != 1 || !strings.Contains(out, added[0].Ed25519) {
		t.Fatalf("devnet add: %d nodes added, output %q", len(added), out)
	}
	seedsHave := func(ed string) bool {
		var nf networkFile
		b, err := os.ReadFile(dn.NetworkFile)
		if err != nil || json.Unmarshal(b, &nf) != nil {
			t.Fatalf("seed file: %v", err)
		}
		for _, s := range nf.Seeds {
			if s.Ed25519 == ed {
				return true
			}
		}
		return false
	}
	if !seedsHave(added[0].Ed25519) {
		t.Fatal("the seed file does not name the added node")
	}
	second := epochWith("a node added", 4)
	if second <= first {
		t.Fatalf("epoch %d after a join, was %d", second, first)
	}
	out = cli("devnet", "remove", "--dir", dn.Dir, dn.Nodes[0].Ed25519)
	if !strings.Contains(out, dn.Nodes[0].Ed25519) || dn.Nodes[0].Running() {
		t.Fatalf("devnet remove: node still running, output %q", out)
	}
	if seedsHave(dn.Nodes[0].Ed25519) {
		t.Fatal("the seed file still names the removed node")
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
