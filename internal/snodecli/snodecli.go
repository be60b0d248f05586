// Package snodecli is the command line of the service node: `snode run`,
// `snode devnet` and `snode --version`. It is shared by cmd/snode and by the
// messenger binary, which embeds a service node so that `session devnet`
// needs nothing else.
//
// Every flag has an environment twin: --data-dir is SNODE_DATA_DIR, and so on.
package snodecli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/session-go/session-go/internal/buildinfo"
	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/snode"
)

// UsageError marks a bad command line (exit status 2).
type UsageError struct{ error }

const usage = `usage:
  snode run    --data-dir DIR --listen 127.0.0.1:PORT --network FILE [--admin-listen ADDR] [--log-level LEVEL]
  snode devnet --nodes N --dir DIR [--log-level LEVEL]
  snode --version`

// Run runs the snode command line args (without the program name). self is
// the command that runs a node when the devnet starts one: the path of this
// binary and the arguments that lead to Run (e.g. ["/usr/bin/snode"]).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, self []string) error {
	if len(args) == 0 {
		return UsageError{errors.New("missing command\n" + usage)}
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, "snode", buildinfo.Version())
		return nil
	case "run":
		return runNode(ctx, args[1:], stderr)
	case "devnet":
		return runDevnet(ctx, args[1:], stdout, stderr, self)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return UsageError{fmt.Errorf("unknown command %q\n%s", args[0], usage)}
}

// flagSet returns a flag set whose flags default to their SNODE_* environment twins.
func flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// envDefaults sets every flag not given on the command line from its
// environment twin: --data-dir ↔ SNODE_DATA_DIR.
func envDefaults(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		env := "SNODE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := f.Value.Set(v); e != nil {
				err = UsageError{fmt.Errorf("%s=%q: %v", env, v, e)}
			}
		}
	})
	return err
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return UsageError{err}
	}
	if fs.NArg() > 0 {
		return UsageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return envDefaults(fs)
}

func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runNode(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flagSet("run", stderr)
	var cfg snode.Config
	var level slog.Level
	fs.StringVar(&cfg.DataDir, "data-dir", "", "data directory (identity key, database)")
	fs.StringVar(&cfg.Listen, "listen", "", "HTTPS listen address, e.g. 127.0.0.1:22021")
	fs.StringVar(&cfg.Network, "network", "", "network file: a directory {\"nodes\":…} or seeds {\"seeds\":…}")
	fs.StringVar(&cfg.AdminListen, "admin-listen", "", "optional plain-HTTP address for /metrics")
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	format := fs.String("log-format", "text", "log format: text or json")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.DataDir == "" || cfg.Listen == "" || cfg.Network == "" {
		return UsageError{errors.New("run needs --data-dir, --listen and --network\n" + usage)}
	}
	cfg.Logger = newLogger(stderr, level, *format)
	return snode.Run(ctx, cfg)
}

func runDevnet(ctx context.Context, args []string, stdout, stderr io.Writer, self []string) error {
	fs := flagSet("devnet", stderr)
	nodes := fs.Int("nodes", 12, "number of service nodes")
	dir := fs.String("dir", "", "devnet directory (created if needed)")
	var level slog.Level
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log level of the harness")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return UsageError{errors.New("devnet needs --dir\n" + usage)}
	}
	net, err := devnet.Start(ctx, devnet.Config{Nodes: *nodes, Dir: *dir, Binary: self[0], PrefixArgs: self[1:], Logger: newLogger(stderr, level, "text")})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "devnet ready: %s\n", net.NetworkFile)
	<-ctx.Done()
	net.Stop()
	return nil
}
