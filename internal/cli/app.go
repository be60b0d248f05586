package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/session-go/session-go/internal/webapp"
)

// runApp is `session app`: the messenger as a web app on 127.0.0.1 (see
// internal/webapp). It prints one line, `app: <url>`, and serves until
// interrupted.
func runApp(ctx context.Context, env *Env, args []string) error {
	g := env.glob
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addGlobals(fs, &g)
	listen := fs.String("listen", "", "address to serve on (default "+webapp.DefaultListen+", or a free port if taken; :0 picks a free port)")
	allowRemote := fs.Bool("allow-remote", false, "allow --listen on an address other than loopback (exposes the app to the network)")
	noBrowser := fs.Bool("no-browser", false, "do not open the browser")
	verbose := fs.Bool("v", false, "log to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(env.Stdout, "usage: session app [--listen HOST:PORT] [--allow-remote] [--no-browser] [--home DIR] [--network FILE]")
			return nil
		}
		return usagef("app: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("app: unexpected argument %q", fs.Arg(0))
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	cfg := webapp.Config{
		Listen: *listen, AllowRemote: *allowRemote, Home: g.home, Network: g.network, SOCKS5: g.socks5,
		DevnetDir: defaultDevnetDir(env.Getenv), NodeCommand: []string{exe, "node"}, Version: env.Version,
		Logger: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level})),
	}
	if p := env.Getenv("SESSION_PASSPHRASE"); p != "" {
		cfg.Passphrase = []byte(p)
	}
	if cfg.Network == "" {
		fmt.Fprintln(env.Stderr, "app: starting… (the first run may start a local test network)")
	}
	srv, err := webapp.New(ctx, cfg)
	if errors.Is(err, webapp.ErrRemoteListen) || errors.Is(err, webapp.ErrBadListen) {
		return usagef("app: %v", err)
	}
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	if srv.Remote() {
		fmt.Fprintln(env.Stderr, "app: WARNING: listening on a network address; anyone who gets the link can read and send your messages")
	}
	fmt.Fprintf(env.Stdout, "app: %s\n", srv.URL())
	if !*noBrowser {
		if err := webapp.OpenBrowser(srv.URL()); err != nil {
			fmt.Fprintln(env.Stderr, "app: open the link above in your browser")
		}
	}
	return srv.Serve(ctx)
}
