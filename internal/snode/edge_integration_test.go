package snode_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
)

// restartWith restarts node with extra command-line arguments for the rest
// of the test, and restarts it as it was afterwards.
func restartWith(t *testing.T, node *devnet.Node, extra ...string) {
	t.Helper()
	orig := slices.Clone(node.Args)
	restart := func(args []string) error {
		if err := node.Stop(10 * time.Second); err != nil {
			return err
		}
		node.Args = args
		if err := node.Start(); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		return node.WaitReady(ctx)
	}
	if err := restart(append(slices.Clone(orig), extra...)); err != nil {
		t.Fatalf("restarting node %d with %s: %v", node.Index, strings.Join(extra, " "), err)
	}
	t.Cleanup(func() {
		if err := restart(orig); err != nil {
			t.Errorf("restarting node %d as it was: %v", node.Index, err)
		}
	})
}

// allowLocal restarts node so that its onion proxy may reach the given
// local servers, as a devnet's node may reach the devnet's file server.
func allowLocal(t *testing.T, node *devnet.Node, addrs ...net.Addr) {
	t.Helper()
	var list []string
	for _, a := range addrs {
		list = append(list, a.String())
	}
	restartWith(t, node, "--onion-allow-local", strings.Join(list, ","))
}
