package snode

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/swarm"
)

// Hand-off after a swarm change (directory epochs only). Replication and
// catch-up are pulls filtered by the asker's swarm: a peer answers a sync
// request with the records of accounts that the asker's swarm keeps in the
// peer's view. So when an epoch moves accounts between swarms, the records
// of accounts now ours are pulled, from the start of each holder's store,
// from the nodes of the swarms they come from (see handoff). Every record is
// checked exactly as catch-up checks it (owner proofs included), and
// pulling one twice is harmless. A hand-off has its own cursors, kept with
// catch-up's (so a failed pull resumes where it stopped), goes one peer and
// one batch at a time with a pause between batches so that client traffic
// keeps the node, and is dropped for the next one if another epoch comes.

// handoffPause is the pause between two batches of a hand-off.
const handoffPause = 20 * time.Millisecond

// handoffLoop watches the network view for epochs that change the swarm
// layout and runs a hand-off for each.
func (n *Node) handoffLoop(ctx context.Context) {
	prev := n.dir.Load()
	t := time.NewTicker(n.cfg.DirectoryRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.epochChanged:
		}
		cur := n.dir.Load()
		if cur.Epoch() == 0 || cur.Epoch() == prev.Epoch() {
			continue
		}
		if !layoutChanged(prev, cur, n.edHex) {
			prev = cur
			continue
		}
		// No waiting for the peers to learn the epoch: each pull carries
		// ours, a peer still behind answers 425 (and reads the directory
		// at once), and the pull from it is retried shortly (see
		// pullCaughtUp).
		if n.handoff(ctx, prev, cur) {
			prev = cur
		}
	}
}

// behindRetry is the pause before asking again a peer that was behind.
const behindRetry = 200 * time.Millisecond

// pullCaughtUp is pullWith that, while the peer is behind our epoch,
// waits for it to catch up (it reads the directory as soon as it learns
// of our epoch) for up to two refresh intervals.
func (n *Node) pullCaughtUp(ctx context.Context, peer netview.Node, key string, held *heldLayout) (bool, error) {
	deadline := time.Now().Add(2*n.cfg.DirectoryRefresh + time.Second)
	for {
		more, err := n.pullSince(ctx, peer, key, held)
		if !errors.Is(err, errPeerBehind) || time.Now().After(deadline) {
			return more, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(behindRetry):
		}
	}
}

// layoutChanged reports whether node may now lack records of its swarm's
// accounts: its swarm, the set of swarms, or its swarm's members changed
// (a member that left may hold what no remaining member has).
func layoutChanged(a, b *netview.Directory, node string) bool {
	if !slices.Equal(a.SwarmIDs(), b.SwarmIDs()) {
		return true
	}
	na, okA := a.Node(node)
	nb, okB := b.Node(node)
	if okA != okB || na.SwarmID != nb.SwarmID {
		return true
	}
	members := func(d *netview.Directory, id swarm.ID) []string {
		var out []string
		for _, m := range d.Swarm(id) {
			out = append(out, m.Ed25519)
		}
		slices.Sort(out)
		return out
	}
	return !slices.Equal(members(a, na.SwarmID), members(b, nb.SwarmID))
}

// handoff pulls what this node's swarm keeps now and this node lacks, from
// the nodes that hold it. It reports whether it finished (false: ctx
// ended, or a newer epoch came, which starts a hand-off of its own).
//
// Only what changed is asked for, and only of whom holds it:
//   - the accounts that moved into our swarm from another one (the flows
//     between the two layouts, [swarm.Flows]), from the nodes of that
//     swarm in prev, each pull naming our swarm in prev so that the peer
//     leaves out the accounts we held already;
//   - from the members of our swarm in prev that are not in it now (they
//     left, or moved), what they took in since our last catch-up from
//     them: the catch-up cursor goes on where it was.
//
// A node new to its swarm held nothing: it asks the nodes of every swarm
// that flows into its own, its swarm's old members included.
func (n *Node) handoff(ctx context.Context, prev, cur *netview.Directory) bool {
	me, ok := cur.Node(n.edHex)
	if !ok {
		return true // no swarm of ours: nothing to receive
	}
	// The cursors stay valid while this node's swarm and the set of
	// swarms stay the same (what a peer sends us depends on nothing else),
	// so an epoch that changes neither does not restart the hand-off.
	layout := layoutKey(cur, n.edHex)
	prefix := "handoff/" + layout + "/"
	// Cursors of another layout are worthless now; those of this one are
	// kept, so that a hand-off after a member left pulls again only from
	// the nodes it has not pulled from yet (and from the leaver).
	n.cursors.dropOthers("handoff/", prefix)
	type source struct {
		node netview.Node
		key  string // cursor key
		held *heldLayout
	}
	was, wasIn := prev.Node(n.edHex)
	var held *heldLayout
	if wasIn {
		held = &heldLayout{swarm: was.SwarmID.String()}
		for _, id := range prev.SwarmIDs() {
			held.swarms = append(held.swarms, id.String())
		}
	}
	flows := swarm.Flows(prev.SwarmIDs(), cur.SwarmIDs())
	sources := map[string]source{}
	for _, p := range prev.Nodes() {
		if p.Ed25519 == n.edHex {
			continue
		}
		now, still := cur.Node(p.Ed25519)
		switch {
		case wasIn && p.SwarmID == was.SwarmID:
			if still && now.SwarmID == me.SwarmID {
				continue // still our swarm's: catch-up goes on
			}
			sources[p.Ed25519] = source{node: p, key: p.Ed25519}
		case flows[swarm.Flow{From: p.SwarmID, To: me.SwarmID}]:
			sources[p.Ed25519] = source{node: p, key: prefix + p.Ed25519, held: held}
		}
	}
	keys := make([]string, 0, len(sources))
	for k := range sources {
		keys = append(keys, k)
	}
	// Nodes that left first: they serve only for their drain period.
	slices.SortFunc(keys, func(a, b string) int {
		_, inA := cur.Node(a)
		_, inB := cur.Node(b)
		switch {
		case !inA && inB:
			return -1
		case inA && !inB:
			return 1
		}
		return strings.Compare(a, b)
	})
	n.log.Info("swarm layout changed: pulling the accounts now ours", "epoch", cur.Epoch(), "sources", len(keys), "nodes", prev.Len())
	pending := keys
	for attempt := 0; len(pending) > 0; attempt++ {
		var failed []string
		for _, k := range pending {
			src := sources[k]
			for {
				if ctx.Err() != nil || layoutKey(n.dir.Load(), n.edHex) != layout {
					n.cursors.save()
					return false
				}
				more, err := n.pullCaughtUp(ctx, src.node, src.key, src.held)
				if err != nil {
					n.log.Warn("hand-off pull failed", "peer", k, "err", err)
					failed = append(failed, k)
					break
				}
				if !more {
					break
				}
				time.Sleep(handoffPause)
			}
		}
		n.cursors.save()
		pending = failed
		if len(pending) == 0 || attempt >= 5 {
			break
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Duration(attempt+1) * time.Second):
		}
	}
	if len(pending) > 0 {
		// A node that is gone for good holds nothing its swarm mates lack.
		n.log.Warn("hand-off: some nodes could not be reached", "epoch", cur.Epoch(), "unreached", len(pending))
	}
	n.cursors.save()
	n.log.Info("hand-off done", "epoch", cur.Epoch())
	return true
}

// layoutKey names what a node receives in a hand-off: its swarm and the
// set of swarms.
func layoutKey(d *netview.Directory, node string) string {
	h := fnv.New64a()
	for _, id := range d.SwarmIDs() {
		h.Write([]byte(id.String() + ","))
	}
	me, _ := d.Node(node)
	return me.SwarmID.String() + "-" + strconv.FormatUint(h.Sum64(), 16)
}

// dropOthers forgets the cursors whose key starts with prefix but not
// with keep.
func (c *peerCursors) dropOthers(prefix, keep string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, prefix) && !strings.HasPrefix(k, keep) {
			delete(c.m, k)
			c.dirty = true
		}
	}
}
