package snode

import (
	"context"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/buildinfo"
	"github.com/session-go/session-go/internal/directory"
)

// registerTimeout bounds a node's first registration with the directory.
const registerTimeout = 2 * time.Minute

// leaveDirectory, on a graceful shutdown of a node that a directory runs,
// sends the leave and keeps serving for the drain period: the nodes that
// take over its accounts pull them from it (see handoff.go) once they see
// the epoch without it.
func (n *Node) leaveDirectory() {
	if n.registrar == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err := n.registrar.Leave(ctx)
	cancel()
	if err != nil {
		n.log.Warn("leaving the directory failed; it drops this node after its grace period", "err", err)
		return
	}
	drain := n.cfg.LeaveDrain
	if drain == 0 {
		drain = 12 * n.cfg.DirectoryRefresh
	}
	n.log.Info("left the directory; serving the successors before shutting down", "drain", drain)
	time.Sleep(drain)
}

// joinDirectory, when a directory runs the network, registers the node
// (its keys, listen address and version, signed by its identity) before it
// reads its first epoch, so that the epoch it serves includes it.
func (n *Node) joinDirectory(ctx context.Context) error {
	src, ok := n.source.(*directory.Source)
	if !ok {
		return nil
	}
	r, err := directory.NewRegistrar(src.Client, n.id.Ed25519PrivateKey(), n.id.X25519PublicKey(), n.cfg.Listen, buildinfo.Version())
	if err != nil {
		return fmt.Errorf("snode: %w", err)
	}
	r.Every, r.Logger = n.cfg.Heartbeat, n.log
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	epoch, err := r.Register(ctx)
	if err != nil {
		return fmt.Errorf("snode: registering with the directory: %w", err)
	}
	n.log.Info("registered with the directory", "epoch", epoch)
	n.registrar = r
	return nil
}
