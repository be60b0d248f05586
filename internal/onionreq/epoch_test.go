package onionreq

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/swarm"
)

// TestClientFollowsNewerEpoch: a node answering from a newer directory
// epoch than the client's pool makes the client load the pool again and
// re-derive its cached swarms from the new layout; a node naming an epoch
// the directory does not give costs at most one load per PoolMinLifetime.
func TestClientFollowsNewerEpoch(t *testing.T) {
	fn := newFakeNet(t, 6)
	nodes := fn.dir.Nodes()
	d1, err := netview.NewAssignedDirectory(nodes, 1)
	if err != nil {
		t.Fatal(err)
	}
	src := &countingSource{dir: d1}
	c := newTestClient(t, src, func(cfg *Config) { cfg.PoolMinLifetime = time.Hour })
	ctx := ctxT(t)
	alice := newIdentity(t)
	acct := alice.SessionID()
	if status, _, err := c.SwarmRPC(ctx, acct, storeFunc(alice, []byte("x"))); err != nil || status != http.StatusOK {
		t.Fatalf("store: %d %v", status, err)
	}
	loads := src.count()
	before, _ := c.Swarm(ctx, acct)

	// Epoch 2 splits the one swarm in two: the account's cached swarm must
	// become the members of the swarm it maps to now.
	moved := slices.Clone(nodes)
	var newID swarm.ID = 1 << 40
	for i := range moved[:3] {
		moved[i].SwarmID = newID
	}
	d2, err := netview.NewAssignedDirectory(moved, 2)
	if err != nil {
		t.Fatal(err)
	}
	src.set(d2)
	for _, n := range fn.nodes {
		n.epoch.Store(2)
	}
	dest := before[0]
	if _, _, err := c.SnodeRPC(ctx, dest, "info", struct{}{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the client loads epoch 2", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.st.epoch == 2
	})
	if got := src.count(); got != loads+1 {
		t.Fatalf("%d loads after a newer epoch, want %d", got, loads+1)
	}
	_, want := d2.SwarmFor(acct)
	got, _ := c.Swarm(ctx, acct)
	if !sameNodes(got, want) {
		t.Fatalf("cached swarm after epoch 2: %v, want %v (was %v)", eds(got), eds(want), eds(before))
	}

	// A node naming epoch 99, again and again, once PoolMinLifetime has
	// passed: one load, then none.
	c.mu.Lock()
	c.st.epochAsked = c.st.epochAsked.Add(-2 * time.Hour)
	c.mu.Unlock()
	for _, n := range fn.nodes {
		n.epoch.Store(99)
	}
	for range 5 {
		if _, _, err := c.SnodeRPC(ctx, dest, "info", struct{}{}); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "the prompted load ends", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return !c.st.epochLoading
	})
	if got := src.count(); got != loads+2 {
		t.Fatalf("%d loads after a node named epoch 99 five times, want %d", got, loads+2)
	}
	c.mu.Lock()
	epoch := c.st.epoch
	c.mu.Unlock()
	if epoch != 2 {
		t.Fatalf("the client took epoch %d from a node's word; the directory gives 2", epoch)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
