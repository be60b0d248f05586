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
