// Package snodecli is the command line of the service node: `snode run`,
// `snode devnet` and `snode --version`. It is shared by cmd/snode and by the
// messenger binary, which embeds a service node so that `session devnet`
// needs nothing else.
//
// Every flag has an environment twin: --data-dir is SNODE_DATA_DIR, and so on.
package snodecli

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/session-go/session-go/internal/buildinfo"
	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/fileserver"
	"github.com/session-go/session-go/internal/snode"
)

// UsageError marks a bad command line (exit status 2).
type UsageError struct{ error }

const usage = `usage:
  snode run    --data-dir DIR --listen 127.0.0.1:PORT --network FILE [--admin-listen ADDR] [--log-level LEVEL]
               [--onion-allow-local IP:PORT,…]   (devnet only: local servers the onion proxy may reach)
               [--directory-refresh D] [--heartbeat D] [--leave-drain D]   (following a network's directory)
               [--account-max-messages N] [--account-max-bytes N] [--inbox-max-messages N] [--inbox-max-bytes N]
               [--inbox-sender-max-messages N] [--inbox-sender-max-bytes N]   (storage limits per account)
  snode devnet --nodes N [--directory 3] --dir DIR [--log-level LEVEL] [--detach | --stop]
  snode devnet add    --dir DIR N         (start N more nodes in the running devnet; needs --directory)
  snode devnet remove --dir DIR ED25519   (stop one node gracefully: it leaves and hands off its data)
  snode devnet nodes  --dir DIR           (list the running devnet's service nodes)
  snode directory run|join|leave|status …   (membership authority; snode directory help)
  snode fileserver --dir DIR --listen ADDR [--max-file-size N] [--max-total-bytes N] [--log-level LEVEL]
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
	case "fileserver":
		return runFileServer(ctx, args[1:], stderr)
	case "directory":
		return runDirectory(ctx, args[1:], stdout, stderr)
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
	watch := fs.Bool("watch-parent", false, "shut down when stdin closes (a devnet harness sets SNODE_WATCH_PARENT=1, so that no node outlives it)")
	fs.Func("onion-allow-local", "devnet only: comma-separated IP:PORT of local servers (the devnet's file server) the onion proxy may reach", func(v string) error {
		for f := range strings.SplitSeq(v, ",") {
			ap, err := netip.ParseAddrPort(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("onion-allow-local: %q is not IP:PORT", f)
			}
			cfg.OnionAllowLocal = append(cfg.OnionAllowLocal, ap)
		}
		return nil
	})
	fs.DurationVar(&cfg.DirectoryRefresh, "directory-refresh", 0, "how often the node reads the network file or the directory's epoch (0: the default, 5s)")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", 0, "with a directory: how often the node tells it that it is alive (0: the default, 30s; keep it well under the directory's --grace)")
	fs.DurationVar(&cfg.LeaveDrain, "leave-drain", 0, "with a directory: how long a stopping node keeps serving after its leave, so that its successors pull its data (0: twelve --directory-refresh intervals)")
	fs.Int64Var(&cfg.Store.MaxOwnerMessages, "account-max-messages", 0, "messages one account may keep in the namespaces it signs for, together (0: the default, 200000)")
	fs.Int64Var(&cfg.Store.MaxOwnerBytes, "account-max-bytes", 0, "bytes one account may keep in the namespaces it signs for, together (0: the default, 512 MiB)")
	fs.Int64Var(&cfg.Store.MaxInboxMessages, "inbox-max-messages", 0, "messages one account's public inbox keeps before evicting the oldest (0: the default, 50000)")
	fs.Int64Var(&cfg.Store.MaxInboxBytes, "inbox-max-bytes", 0, "bytes one account's public inbox keeps before evicting the oldest (0: the default, 256 MiB)")
	fs.Int64Var(&cfg.Store.MaxSenderMessages, "inbox-sender-max-messages", 0, "messages one sender keeps in an account's public inbox before its oldest is evicted (0: the default, 3000)")
	fs.Int64Var(&cfg.Store.MaxSenderBytes, "inbox-sender-max-bytes", 0, "bytes one sender keeps in an account's public inbox before its oldest is evicted (0: the default, 16 MiB)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *watch {
		// The harness holds the only write end of our stdin: EOF (or any
		// error) means it is gone.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	if cfg.DataDir == "" || cfg.Listen == "" || cfg.Network == "" {
		return UsageError{errors.New("run needs --data-dir, --listen and --network\n" + usage)}
	}
	cfg.Logger = newLogger(stderr, level, *format)
	return snode.Run(ctx, cfg)
}

func runFileServer(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flagSet("fileserver", stderr)
	var cfg fileserver.Config
	var level slog.Level
	fs.StringVar(&cfg.Dir, "dir", "", "folder of the files, their database and the onion key (created if needed)")
	listen := fs.String("listen", "", "HTTP listen address, e.g. 127.0.0.1:8080 (requests are onion-encrypted end to end)")
	fs.Int64Var(&cfg.MaxFileSize, "max-file-size", 0, "largest file in bytes (0: the default, Session's 10 MB plus padding)")
	fs.Int64Var(&cfg.MaxTotalBytes, "max-total-bytes", 0, "disk space for all files together (0: the default, 20 GiB)")
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	format := fs.String("log-format", "text", "log format: text or json")
	watch := fs.Bool("watch-parent", false, "shut down when stdin closes (set by a devnet harness)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Dir == "" || *listen == "" {
		return UsageError{errors.New("fileserver needs --dir and --listen\n" + usage)}
	}
	if *watch {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	cfg.Logger = newLogger(stderr, level, *format)
	key, err := fileserver.LoadOrCreateKey(cfg.Dir)
	if err != nil {
		return err
	}
	cfg.Key = key
	return fileserver.Run(ctx, cfg, *listen, nil)
}

func runDevnet(ctx context.Context, args []string, stdout, stderr io.Writer, self []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "add", "remove", "nodes":
			return devnetControl(ctx, args[0], args[1:], stdout, stderr)
		}
	}
	fs := flagSet("devnet", stderr)
	nodes := fs.Int("nodes", 14, "number of service nodes (14: two swarms of 7)")
	members := fs.Int("directory", 0, "run the network with a directory of this many members (1, 3 or 5; 0: a static nodes.json)")
	dir := fs.String("dir", "", "devnet directory (created if needed)")
	var level slog.Level
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log level of the harness")
	detach := fs.Bool("detach", false, "run in the background: return once every node answers (stop it with --stop)")
	stop := fs.Bool("stop", false, "stop the devnet that runs in --dir")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return UsageError{errors.New("devnet needs --dir\n" + usage)}
	}
	if *detach && *stop {
		return UsageError{errors.New("devnet: --detach and --stop exclude each other")}
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	switch {
	case *stop:
		return stopDevnet(ctx, abs, stdout)
	case *detach:
		return detachDevnet(ctx, abs, stdout, self, []string{"devnet", "--nodes", strconv.Itoa(*nodes), "--directory", strconv.Itoa(*members), "--dir", abs, "--log-level", level.String()})
	}
	net, err := devnet.Start(ctx, devnet.Config{Nodes: *nodes, Directory: *members, Dir: abs, Binary: self[0], PrefixArgs: self[1:], Logger: newLogger(stderr, level, "text")})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "devnet ready: %s (Ctrl-C stops it)\n", net.NetworkFile)
	<-ctx.Done()
	net.Stop()
	return nil
}

// detachTimeout bounds the wait for a detached devnet to be ready.
const detachTimeout = 3 * time.Minute

// detachDevnet starts the devnet as a background process of its own
// (logging to DIR/devnet.log) and returns once every node answers, so that
// the next command of a pasted script finds a network. A devnet already
// running in dir is reused.
func detachDevnet(ctx context.Context, dir string, stdout io.Writer, self, args []string) error {
	network := filepath.Join(dir, "network.json")
	if pid, ok := devnet.LockHolder(dir); ok {
		wctx, cancel := context.WithTimeout(ctx, detachTimeout)
		defer cancel()
		if !devnet.AwaitReady(wctx, dir) {
			return fmt.Errorf("devnet: the devnet in %s (process %d) did not get ready", dir, pid)
		}
		fmt.Fprintf(stdout, "devnet ready: %s (already running, process %d; --stop stops it)\n", network, pid)
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "devnet.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(self[0], append(append([]string{}, self[1:]...), args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = detachedProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("devnet: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	timeout := time.After(detachTimeout)
	for {
		if devnet.Ready(dir) {
			fmt.Fprintf(stdout, "devnet ready: %s (running in the background, process %d; its log: %s; --stop stops it)\n", network, cmd.Process.Pid, logPath)
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("devnet: the background devnet exited (%v): %s", err, lastLine(logPath))
		case <-timeout:
			_ = cmd.Process.Kill()
			return fmt.Errorf("devnet: not ready after %v (see %s)", detachTimeout, logPath)
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lastLine returns the last non-empty line of a log file (the error that
// ended a process), or where to look.
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "see " + path
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if l := lines[len(lines)-1]; l != "" {
		return l
	}
	return "see " + path
}

// stopDevnet stops the devnet that runs in dir and waits until it is gone.
func stopDevnet(ctx context.Context, dir string, stdout io.Writer) error {
	pid, ok := devnet.LockHolder(dir)
	if !ok {
		fmt.Fprintf(stdout, "no devnet runs in %s\n", dir)
		return nil
	}
	p, err := os.FindProcess(pid)
	if err != nil || pid <= 0 {
		return fmt.Errorf("devnet: cannot find its process %d", pid)
	}
	if err := terminate(p); err != nil {
		return fmt.Errorf("devnet: stopping process %d: %w", pid, err)
	}
	deadline := time.After(time.Minute)
	for devnet.Running(dir) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("devnet: process %d still runs after a minute", pid)
		case <-time.After(100 * time.Millisecond):
		}
	}
	fmt.Fprintf(stdout, "devnet stopped: %s\n", dir)
	return nil
}

// devnetControl runs `snode devnet add|remove|nodes`: it asks the devnet
// harness running in --dir (another process) to act, through the control
// API whose address and token the harness keeps in the directory.
func devnetControl(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("devnet "+cmd, stderr)
	dir := fs.String("dir", "", "directory of the running devnet")
	if err := fs.Parse(args); err != nil {
		return UsageError{err}
	}
	if err := envDefaults(fs); err != nil {
		return err
	}
	want := map[string]int{"add": 1, "remove": 1, "nodes": 0}[cmd]
	if *dir == "" || fs.NArg() != want {
		return UsageError{fmt.Errorf("devnet %s: wrong arguments\n%s", cmd, usage)}
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	var nodes []devnet.NodeInfo
	switch cmd {
	case "add":
		k, err := strconv.Atoi(fs.Arg(0))
		if err != nil || k < 1 {
			return UsageError{fmt.Errorf("devnet add: %q is not a number of nodes", fs.Arg(0))}
		}
		if nodes, err = devnet.ControlAdd(ctx, abs, k); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %d node(s); they registered with the directory:\n", len(nodes))
	case "remove":
		ed := strings.ToLower(fs.Arg(0))
		if b, err := hex.DecodeString(ed); err != nil || len(b) != 32 {
			return UsageError{fmt.Errorf("devnet remove: %q is not an Ed25519 key (64 hex characters)", fs.Arg(0))}
		}
		n, err := devnet.ControlRemove(ctx, abs, ed)
		if err != nil {
			return err
		}
		nodes = []devnet.NodeInfo{n}
		fmt.Fprintln(stdout, "removed (it left the directory and handed off its data):")
	case "nodes":
		if nodes, err = devnet.ControlNodes(ctx, abs); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		state := "running"
		if !n.Running {
			state = "stopped"
		}
		fmt.Fprintf(stdout, "%3d  %s  %s  %s\n", n.Index, n.Ed25519, n.URL, state)
	}
	return nil
}
