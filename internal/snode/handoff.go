package snode

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/session-go/session-go/internal/netview"
)

// Hand-off after a swarm change (directory epochs only). Replication and
// catch-up are pulls filtered by the asker's swarm: a peer answers a sync
// request with the records of accounts that the asker's swarm keeps in the
// peer's view. So when an epoch moves accounts between swarms, the records
// of accounts now ours are pulled, from the start of each holder's store,
// from every node of the previous and of the new epoch. Every record is
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
		}
		cur := n.dir.Load()
		if cur.Epoch() == 0 || cur.Epoch() == prev.Epoch() {
			continue
		}
		if !layoutChanged(prev, cur, n.edHex) {
			prev = cur
			continue
		}
		// Peers learn the epoch within one refresh interval; one that has
		// not yet would answer for our old swarm.
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * n.cfg.DirectoryRefresh):
		}
		if n.handoff(ctx, prev, cur) {
			prev = cur
		}
	}
}

// layoutChanged reports whether the accounts that node's swarm keeps may
// differ between two views: its swarm, or the set of swarms, changed.
func layoutChanged(a, b *netview.Directory, node string) bool {
	if !slices.Equal(a.SwarmIDs(), b.SwarmIDs()) {
		return true
	}
	na, okA := a.Node(node)
	nb, okB := b.Node(node)
	return okA != okB || na.SwarmID != nb.SwarmID
}

// handoff pulls from every node of prev and cur what this node's swarm now
// keeps. It reports whether it finished (false: ctx ended, or a newer epoch
// came, which starts a hand-off of its own).
func (n *Node) handoff(ctx context.Context, prev, cur *netview.Directory) bool {
	if _, ok := cur.Node(n.edHex); !ok {
		return true // no swarm of ours: nothing to receive
	}
	prefix := "handoff/" + strconv.FormatUint(cur.Epoch(), 10) + "/"
	sources := map[string]netview.Node{}
	for _, d := range []*netview.Directory{prev, cur} {
		for _, p := range d.Nodes() {
			if p.Ed25519 != n.edHex {
				sources[p.Ed25519] = p
			}
		}
	}
	keys := make([]string, 0, len(sources))
	for k := range sources {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n.log.Info("swarm layout changed: pulling the accounts now ours", "epoch", cur.Epoch(), "sources", len(keys))
	pending := keys
	for attempt := 0; len(pending) > 0; attempt++ {
		var failed []string
		for _, k := range pending {
			for {
				if ctx.Err() != nil || n.dir.Load().Epoch() != cur.Epoch() {
					n.cursors.save()
					return false
				}
				more, err := n.pullWith(ctx, sources[k], prefix+k)
				if err != nil {
					n.log.Debug("hand-off pull failed", "peer", k, "err", err)
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
	n.cursors.dropPrefix("handoff/")
	n.cursors.save()
	n.log.Info("hand-off done", "epoch", cur.Epoch())
	return true
}

// dropPrefix forgets the cursors whose key starts with prefix.
func (c *peerCursors) dropPrefix(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, prefix) {
			delete(c.m, k)
			c.dirty = true
		}
	}
}
