// Command snode is the session-go service node.
//
//	snode run    --data-dir DIR --listen 127.0.0.1:PORT --network FILE [--admin-listen ADDR]
//	snode devnet --nodes N --dir DIR
//	snode --version
//
// Every flag has an environment twin: --data-dir is SNODE_DATA_DIR, and so on.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/session-go/session-go/internal/snodecli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	err = snodecli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, []string{self})
	stop()
	var ue snodecli.UsageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "snode:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "snode:", err)
		os.Exit(1)
	}
}
