// Command session is the session-go messenger client: account tools today,
// the messaging CLI and the local web app as they land.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/session-go/session-go/internal/buildinfo"
	"github.com/session-go/session-go/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Version: buildinfo.Version(),
	})
	stop()
	os.Exit(code)
}
