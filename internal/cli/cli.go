// Package cli implements the `session` command line: flag parsing, output
// formats (text or --json) and exit statuses. It is kept out of cmd/session so
// that tests can run every command in-process.
//
// # Exit statuses
//
// 0 success, 1 failure (network, storage), 2 usage error or bad input. On a
// non-zero exit exactly one line that names the problem goes to stderr.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/session-go/session-go/internal/termtext"
)

// Exit statuses, part of the CLI contract scripts rely on.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Env is the process environment a command runs in. Tests substitute every field.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable; nil means os.Getenv.
	Getenv func(string) string
	// Version is printed by `session version`.
	Version string

	glob globals // leading global flags, set by Run
}

// usageError marks bad input or a bad command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns an error that makes the command exit with status 2.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// command is one subcommand: its name, a one-line summary and its body.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
	// help prints the command's usage (session CMD --help); nil prints
	// its summary.
	help func(w io.Writer)
}

func commands() []command {
	return []command{
		{name: "app", summary: "the messenger in your browser, served on 127.0.0.1 (--listen, --no-browser)", run: runApp,
			help: func(w io.Writer) {
				fmt.Fprintln(w, "usage: session app [--listen HOST:PORT] [--allow-remote] [--no-browser] [-v]\n\n"+
					"Serves the messenger on 127.0.0.1:7717 (or a free port) and prints its link, app: URL.\n"+
					"With no --network and none remembered, it runs a local test network with an Echo bot.\n"+
					"--allow-remote permits a --listen address other than loopback (exposes your messages).")
			}},
		{name: "account", summary: "account inspect | new [--json] | recovery-password: recovery password tools", run: runAccount,
			help: func(w io.Writer) {
				fmt.Fprintln(w, "usage: session account inspect | new [--json] | recovery-password [--json]\n\n"+
					"inspect: read a recovery password on stdin and print its keys as JSON\n"+
					"new: make a recovery password and Session ID without storing anything\n"+
					"recovery-password: show this account's recovery password (keep it secret)")
			}},
		{name: "devnet", summary: "run a network of service nodes on 127.0.0.1 (--nodes N, --dir DIR) until interrupted; --detach: in the background, --stop: stop it", run: runDevnet,
			help: func(w io.Writer) {
				fmt.Fprintln(w, "usage: session devnet [--nodes N] [--dir DIR] [--detach | --stop] [--log-level LEVEL]\n\n"+
					"Runs N service nodes (default 14, two swarms) on 127.0.0.1 from DIR (default $TMPDIR/session-devnet) until\n"+
					"Ctrl-C, SIGTERM or SIGHUP. --detach runs it in the background and returns once every node\n"+
					"answers; --stop stops the devnet running in DIR. One devnet per directory.")
			}},
		{name: "node", run: runNode},
		{name: "version", summary: "print the version", run: func(_ context.Context, env *Env, _ []string) error {
			fmt.Fprintln(env.Stdout, env.Version)
			return nil
		}},
	}
}

// Run runs the command line args (without the program name) and returns the exit status.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 2 && args[0] == "help" {
		args = []string{args[1], "--help"} // session help CMD
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(env.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		fmt.Fprintln(env.Stdout, env.Version)
		return ExitOK
	}
	g, args, err := parseGlobals(&env, args)
	if err != nil {
		return report(env.Stderr, err)
	}
	env.glob = g
	if len(args) == 0 {
		printUsage(env.Stdout)
		return ExitUsage
	}
	for _, c := range append(commands(), messengerCommands(g)...) {
		if c.name == args[0] {
			if c.summary != "" && wantsHelp(args[1:]) {
				if c.help != nil {
					c.help(env.Stdout)
				} else {
					fmt.Fprintf(env.Stdout, "usage: session %s …\n\n%s\n", c.name, c.summary)
				}
				return ExitOK
			}
			return report(env.Stderr, c.run(ctx, &env, args[1:]))
		}
	}
	return report(env.Stderr, usagef("unknown command %q (try `session help`)", args[0]))
}

// wantsHelp reports whether a command's arguments ask for its usage
// (-h, -help or --help before any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// report prints err as one line on stderr and maps it to an exit status.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	// An error may quote what a peer sent (a name, a node's answer).
	msg := termtext.Line(strings.ReplaceAll(err.Error(), "\n", " "))
	fmt.Fprintln(stderr, msg)
	var ue *usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: session <command> [flags] [args]")
	fmt.Fprintln(w)
	for _, c := range append(commands(), messengerCommands(globals{})...) {
		if c.summary == "" {
			continue // hidden
		}
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every messaging command takes --home DIR (env SESSION_HOME), --network FILE (env SESSION_NETWORK),\n--socks5 HOST:PORT (env SESSION_SOCKS5; e.g. Tor at 127.0.0.1:9050) and --json.\n`session <command> --help` shows a command's usage and flags. Exit status: 0 ok, 1 failure, 2 bad input.")
}
