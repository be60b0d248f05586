package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/mnemonic"
	"github.com/session-go/session-go/internal/termtext"
)

// globals are the flags every messaging command takes, before or after its
// name: --home (SESSION_HOME), --network (SESSION_NETWORK), --socks5
// (SESSION_SOCKS5) and --json.
type globals struct {
	home, network string
	socks5        string // host:port of a SOCKS5 proxy for all network traffic
	json          bool
}

// defaultHome is the per-user data directory of the OS, plus "session-go".
func defaultHome(getenv func(string) string) string {
	var base string
	switch runtime.GOOS {
	case "windows":
		base = getenv("AppData")
	case "darwin", "ios":
		if h, err := os.UserHomeDir(); err == nil {
			base = filepath.Join(h, "Library", "Application Support")
		}
	default:
		base = getenv("XDG_DATA_HOME")
		if base == "" {
			if h, err := os.UserHomeDir(); err == nil {
				base = filepath.Join(h, ".local", "share")
			}
		}
	}
	if base == "" {
		base = "."
	}
	return filepath.Join(base, "session-go")
}

// addGlobals adds --home, --network, --socks5 and --json to fs, defaulting
// to g.
func addGlobals(fs *flag.FlagSet, g *globals) {
	fs.StringVar(&g.home, "home", g.home, "account directory (env SESSION_HOME)")
	fs.StringVar(&g.network, "network", g.network, "network file, e.g. a devnet's network.json (env SESSION_NETWORK)")
	fs.StringVar(&g.socks5, "socks5", g.socks5, "reach the network through this SOCKS5 proxy, host:port, e.g. Tor's 127.0.0.1:9050 (env SESSION_SOCKS5)")
	fs.BoolVar(&g.json, "json", g.json, "print JSON")
}

// parseGlobals takes leading global flags off args.
func parseGlobals(env *Env, args []string) (globals, []string, error) {
	g := globals{home: env.Getenv("SESSION_HOME"), network: env.Getenv("SESSION_NETWORK"), socks5: env.Getenv("SESSION_SOCKS5")}
	if g.home == "" {
		g.home = defaultHome(env.Getenv)
	}
	fs := newFlags("session")
	addGlobals(fs, &g)
	if err := fs.Parse(args); err != nil {
		return g, nil, usagef("%v", err)
	}
	return g, fs.Args(), nil
}

// messengerCommand wraps a command that needs the account: it parses the
// command's flags (with the globals), opens the client and runs body.
type messengerCommand struct {
	name, summary, usage string
	minArgs, maxArgs     int // maxArgs < 0: any
	flags                func(fs *flag.FlagSet)
	body                 func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error
	// noAccount commands (init, restore) open the home themselves.
	noAccount func(ctx context.Context, env *Env, g globals, args []string) error
}

func (mc messengerCommand) run(g globals) func(ctx context.Context, env *Env, args []string) error {
	return func(ctx context.Context, env *Env, args []string) error {
		fs := newFlags(mc.name)
		addGlobals(fs, &g)
		if mc.flags != nil {
			mc.flags(fs)
		}
		rest, err := parseInterspersed(fs, args)
		if err != nil {
			hint := ""
			if strings.Contains(err.Error(), "not defined") && mc.maxArgs != 0 {
				hint = "; text that starts with - goes after --, e.g. session send Bob -- -hello"
			}
			return usagef("%s: %v (usage: session %s %s)%s", mc.name, err, mc.name, mc.usage, hint)
		}
		if len(rest) < mc.minArgs || mc.maxArgs >= 0 && len(rest) > mc.maxArgs {
			return usagef("usage: session %s %s", mc.name, mc.usage)
		}
		if mc.noAccount != nil {
			return mc.noAccount(ctx, env, g, rest)
		}
		c, err := openClient(ctx, env, g)
		if err != nil {
			return err
		}
		defer c.Close()
		return mc.body(ctx, env, g, c, rest)
	}
}

// clientOptions are the client options for g. A --network given to a
// command other than init, restore and `network set` is used for that
// command only; without one the home's remembered network is used, or else
// the default devnet's when it runs.
// help prints the command's usage, summary and flags.
func (mc messengerCommand) help(w io.Writer) {
	fmt.Fprintf(w, "usage: session %s %s\n\n%s\n\nflags:\n", mc.name, mc.usage, mc.summary)
	fs := newFlags(mc.name)
	var g globals
	addGlobals(fs, &g)
	if mc.flags != nil {
		mc.flags(fs)
	}
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func clientOptions(env *Env, g globals) client.Options {
	opts := client.Options{Home: g.home, Network: g.network, SOCKS5: g.socks5}
	if devnet.Ready(defaultDevnetDir(env.Getenv)) {
		opts.DefaultNetwork = filepath.Join(defaultDevnetDir(env.Getenv), "network.json")
	}
	if p := env.Getenv("SESSION_PASSPHRASE"); p != "" {
		opts.Passphrase = []byte(p)
	}
	return opts
}

func openClient(ctx context.Context, env *Env, g globals) (*client.Client, error) {
	c, err := client.Open(ctx, clientOptions(env, g))
	if errors.Is(err, client.ErrNoAccount) {
		return nil, usagef("no account in %s: create one with `session init` or `session restore`", g.home)
	}
	return c, classify(err)
}

// classify turns client errors about the user's input into usage errors
// (exit 2); everything else stays a failure (exit 1).
func classify(err error) error {
	for _, e := range []error{client.ErrUnknownContact, client.ErrAmbiguousContact, client.ErrInvalidRecipient,
		client.ErrMessageTooLong, client.ErrEmptyMessage, client.ErrInvalidText, client.ErrNotRequest, client.ErrNotFailed, client.ErrNotFound, client.ErrAccountExists, client.ErrNoNetwork,
		client.ErrInvalidSOCKS5, client.ErrFileTooLarge, client.ErrNoFileServer, client.ErrNotQuotable, client.ErrInvalidSearch, client.ErrNotSupported, client.ErrInvalidDuration, client.ErrNotAuthor, client.ErrInvalidReaction, client.ErrNotEditable, client.ErrReupload,
		client.ErrNotGroupAdmin, client.ErrUnknownGroup} {
		if errors.Is(err, e) {
			return usagef("%v", err)
		}
	}
	return err
}

func messengerCommands(g globals) []command {
	var cmds []command
	for _, mc := range []messengerCommand{
		{name: "init", summary: "create an account and show its Session ID and recovery password", usage: "[--name NAME]", maxArgs: 0},
		{name: "restore", summary: "restore an account from its recovery password (read on stdin)", usage: "[--name NAME]", maxArgs: 0},
		{name: "profile", summary: "show your display name, or change it with --name (on every device)", usage: "[--name NAME]", maxArgs: 0},
		{name: "whoami", summary: "show your Session ID (--qr: as a QR code)", usage: "[--qr]", maxArgs: 0},
		{name: "send", summary: "send a message to a Session ID or contact name (at most 32 KiB of UTF-8; text \"-\" reads it from stdin; text that starts with - goes after --); --file attaches a file (at most 10 MB each; repeat for several), the text is then optional; --reply-to ID quotes message ID of that conversation", usage: "<id|name> [--file PATH]… [--legacy-format] [--reply-to ID] [--] [text…]", minArgs: 1, maxArgs: -1},
		{name: "search", summary: "find messages holding every word of the text (word starts, case and accents ignored), newest first, in every conversation or --in one", usage: "<text…> [--in <id|name>] [--limit N]", minArgs: 1, maxArgs: -1},
		{name: "receive", summary: "fetch new messages once and print them", usage: "", maxArgs: 0, body: cmdReceive},
		{name: "watch", summary: "print messages and events as they arrive, until interrupted", usage: "", maxArgs: 0, body: cmdWatch},
		{name: "inbox", summary: "list conversations", usage: "", maxArgs: 0, body: cmdInbox},
		{name: "read", summary: "show a conversation and mark it read", usage: "<id|name> [--limit N]", minArgs: 1, maxArgs: 1},
		{name: "unread", summary: "mark a conversation unread (on every device)", usage: "<id|name>", minArgs: 1, maxArgs: 1, body: contactAction("marked unread", (*client.Client).MarkUnread)},
		{name: "react", summary: "put an emoji on a message (Session offers 😂 🥰 😢 😡 😮 😈; any emoji works), or --remove it", usage: "<message-id> <emoji> [--remove]", minArgs: 2, maxArgs: 2},
		{name: "settings", summary: "show this device's privacy settings, or change them: read receipts and typing indicators (both off unless turned on, as in Session)", usage: "[--read-receipts on|off] [--typing on|off]", maxArgs: 0},
		{name: "disappear", summary: "make a conversation's messages disappear a while after they are read or sent (at least 10s, e.g. 5m, 12h, 168h), or turn it off; both sides and your other devices follow", usage: "<id|name> off|read|send [DURATION]", minArgs: 2, maxArgs: 3, body: cmdDisappear},
		{name: "edit", summary: "change the text of your message within 15 minutes of sending it (a session-go extension: session-go shows the new text in place, also on your other devices; Session shows it as a reply to the original)", usage: "<message-id> <text…>", minArgs: 2, maxArgs: -1, body: cmdEdit},
		{name: "delete", summary: "delete a message from this device, or --everyone: your message for everyone (Session's unsend, also on your other devices)", usage: "<message-id> [--everyone]", minArgs: 1, maxArgs: 1},
		{name: "pin", summary: "pin a conversation to the top of the inbox (on every device)", usage: "<id|name>", minArgs: 1, maxArgs: 1, body: contactAction("pinned", func(c *client.Client, ctx context.Context, who string) error { return c.Pin(ctx, who, true) })},
		{name: "unpin", summary: "unpin a conversation (on every device)", usage: "<id|name>", minArgs: 1, maxArgs: 1, body: contactAction("unpinned", func(c *client.Client, ctx context.Context, who string) error { return c.Pin(ctx, who, false) })},
		{name: "mute", summary: "silence a conversation's notifications, for a while (--for 8h) or until unmuted (on every device)", usage: "<id|name> [--for DURATION]", minArgs: 1, maxArgs: 1},
		{name: "unmute", summary: "let a conversation's notifications through again (on every device)", usage: "<id|name>", minArgs: 1, maxArgs: 1, body: contactAction("unmuted", (*client.Client).Unmute)},
		{name: "hide", summary: "hide a conversation from the inbox until a message is sent to it or it is unhidden (on every device)", usage: "<id|name>", minArgs: 1, maxArgs: 1, body: contactAction("hidden", (*client.Client).Hide)},
		{name: "unhide", summary: "show a hidden conversation again (on every device)", usage: "<id|name>", minArgs: 1, maxArgs: 1, body: contactAction("shown", (*client.Client).Unhide)},
		{name: "requests", summary: "list message requests (--refuse on: refuse them from strangers)", usage: "[--refuse on|off]", maxArgs: 0},
		{name: "accept", summary: "accept a message request", usage: "<id|name>", minArgs: 1, maxArgs: 1, body: contactAction("accepted", (*client.Client).Accept)},
		{name: "decline", summary: "delete a message request (--all: every one)", usage: "<id|name> | --all", maxArgs: 1},
		{name: "block", summary: "drop every later message from someone (--all-requests: from every requester)", usage: "<id|name> | --all-requests", maxArgs: 1},
		{name: "unblock", summary: "let someone's messages through again", usage: "<id|name>", minArgs: 1, maxArgs: 1, body: contactAction("unblocked", (*client.Client).Unblock)},
		{name: "contacts", summary: "list contacts", usage: "", maxArgs: 0, body: cmdContacts},
		{name: "name", summary: "give a contact a nickname (\"\" removes it)", usage: "<id|name> <nickname>", minArgs: 2, maxArgs: 2, body: cmdName},
		{name: "network", summary: "show the network this account uses; `network set FILE` remembers another (once it answers)", usage: "[set FILE]", maxArgs: 2, body: cmdNetwork},
		{name: "retry", summary: "send failed messages again (all, or one by id)", usage: "[message-id]", maxArgs: 1, body: cmdRetry},
		{name: "save", summary: "write a message's attachments into a folder (downloading them first if needed)", usage: "<message-id> --out DIR", minArgs: 1, maxArgs: 1},
		{name: "reupload", summary: "put the files of a message you sent back on the file server, when its copy expired or was damaged (same address: they can download again)", usage: "<message-id>", minArgs: 1, maxArgs: 1, body: cmdReupload},
	} {
		mc := mc
		switch mc.name {
		case "init":
			var name string
			mc.flags = func(fs *flag.FlagSet) { fs.StringVar(&name, "name", "", "display name") }
			mc.noAccount = func(ctx context.Context, env *Env, g globals, _ []string) error { return cmdInit(ctx, env, g, name) }
		case "restore":
			var name string
			mc.flags = func(fs *flag.FlagSet) { fs.StringVar(&name, "name", "", "display name") }
			mc.noAccount = func(ctx context.Context, env *Env, g globals, _ []string) error { return cmdRestore(ctx, env, g, name) }
		case "profile":
			var name string
			set := false
			mc.flags = func(fs *flag.FlagSet) {
				fs.Func("name", "new display name", func(v string) error { name, set = v, true; return nil })
			}
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, _ []string) error {
				if set {
					if err := c.SetDisplayName(ctx, name); err != nil {
						if errors.Is(err, client.ErrNotSynced) {
							return fmt.Errorf("profile: name set to %q %v", termtext.Line(name), err)
						}
						return usagef("profile: %v", err)
					}
				}
				if g.json {
					return writeJSON(env.Stdout, map[string]string{"session_id": c.SessionID(), "display_name": c.DisplayName()})
				}
				fmt.Fprintln(env.Stdout, termtext.Line(c.DisplayName())) // synced from other devices
				return nil
			}
		case "whoami":
			var qr bool
			mc.flags = func(fs *flag.FlagSet) { fs.BoolVar(&qr, "qr", false, "show a QR code") }
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, _ []string) error {
				return cmdWhoami(env, g, c, qr)
			}
		case "requests":
			var refuse string
			mc.flags = func(fs *flag.FlagSet) {
				fs.StringVar(&refuse, "refuse", "", "on: refuse message requests from strangers; off: accept them")
			}
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
				if refuse != "" {
					return cmdRefuse(ctx, env, g, c, refuse)
				}
				return cmdRequests(ctx, env, g, c, args)
			}
		case "decline", "block":
			var all bool
			flagName, done, one, bulk := "all", "declined", contactAction("declined", (*client.Client).Decline), (*client.Client).DeclineAllRequests
			if mc.name == "block" {
				flagName, done, one, bulk = "all-requests", "blocked", contactAction("blocked", (*client.Client).Block), (*client.Client).BlockAllRequests
			}
			mc.flags = func(fs *flag.FlagSet) { fs.BoolVar(&all, flagName, false, done+" every pending message request") }
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
				switch {
				case all && len(args) == 0:
					return cmdBulk(ctx, env, g, c, done, bulk)
				case !all && len(args) == 1:
					return one(ctx, env, g, c, args)
				}
				return usagef("usage: session %s %s", mc.name, mc.usage)
			}
		case "send":
			var files []string
			var replyTo int64
			var legacy bool
			mc.flags = func(fs *flag.FlagSet) {
				fs.Func("file", "attach the file at `PATH` (repeat for several)", func(v string) error { files = append(files, v); return nil })
				fs.Int64Var(&replyTo, "reply-to", 0, "id of the message this one replies to (quoted, as in Session)")
				fs.BoolVar(&legacy, "legacy-format", false, "encrypt the files in Session's older format (AES-CBC + HMAC), for a recipient on an older Session client")
			}
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
				return cmdSend(ctx, env, g, c, args, files, replyTo, legacy)
			}
		case "save":
			var out string
			mc.flags = func(fs *flag.FlagSet) {
				fs.StringVar(&out, "out", "", "folder to write the files into (created if needed)")
			}
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
				return cmdSave(ctx, env, g, c, args[0], out)
			}
		case "react":
			var remove bool
			mc.flags = func(fs *flag.FlagSet) { fs.BoolVar(&remove, "remove", false, "take the emoji off") }
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
				return cmdReact(ctx, env, g, c, args[0], args[1], remove)
			}
		case "settings":
			var receipts, typing string
			mc.flags = func(fs *flag.FlagSet) {
				fs.StringVar(&receipts, "read-receipts", "", "on: tell people when you read their messages; off: do not")
				fs.StringVar(&typing, "typing", "", "on: tell people when you are typing; off: do not")
			}
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, _ []string) error {
				return cmdSettings(ctx, env, g, c, receipts, typing)
			}
		case "delete":
			var everyone bool
			mc.flags = func(fs *flag.FlagSet) {
				fs.BoolVar(&everyone, "everyone", false, "delete your message for everyone, not only here")
			}
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
				return cmdDelete(ctx, env, g, c, args[0], everyone)
			}
		case "mute":
			var d time.Duration
			mc.flags = func(fs *flag.FlagSet) {
				fs.DurationVar(&d, "for", 0, "how long, e.g. 1h or 8h (default: until unmuted)")
			}
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
				if d < 0 {
					return usagef("mute: --for must be positive")
				}
				if d == 0 {
					d = client.Forever
				}
				return contactAction("muted", func(c *client.Client, ctx context.Context, who string) error { return c.Mute(ctx, who, d) })(ctx, env, g, c, args)
			}
		case "search":
			var in string
			limit := 50
			mc.flags = func(fs *flag.FlagSet) {
				fs.StringVar(&in, "in", "", "search only the conversation with this Session ID or contact")
				fs.IntVar(&limit, "limit", 50, fmt.Sprintf("how many results at most (1 to %d)", client.MaxSearchResults))
			}
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
				return cmdSearch(ctx, env, g, c, strings.Join(args, " "), in, limit)
			}
		case "read":
			limit := 50
			mc.flags = func(fs *flag.FlagSet) { fs.IntVar(&limit, "limit", 50, "how many of the latest messages") }
			mc.body = func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
				return cmdRead(ctx, env, g, c, args[0], limit)
			}
		}
		cmds = append(cmds, command{name: mc.name, summary: mc.summary, run: mc.run(g), help: mc.help})
	}
	return append(cmds, groupCommand(g))
}

// chooseNetwork picks the network a new account (init, restore) is made
// for: --network (or SESSION_NETWORK), or else the default devnet's, once
// it is ready if it is still starting. It returns "" when there is none.
// A network is only ever remembered after it answered (checkNetwork).
func chooseNetwork(ctx context.Context, env *Env, g globals) string {
	if g.network != "" {
		return g.network
	}
	dir := defaultDevnetDir(env.Getenv)
	if devnet.Running(dir) && !devnet.Ready(dir) {
		fmt.Fprintf(env.Stderr, "waiting for the devnet in %s to be ready…\n", dir)
		wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		devnet.AwaitReady(wctx, dir)
	}
	if devnet.Ready(dir) {
		return filepath.Join(dir, "network.json")
	}
	return ""
}

// checkNetwork fails (exit 1) unless the network in opts answers, before
// anything is created: a network that did not answer is never remembered.
func checkNetwork(ctx context.Context, cmd string, opts client.Options) error {
	if err := client.CheckNetwork(ctx, opts); err != nil {
		if errors.Is(err, client.ErrNetworkUnreachable) {
			return fmt.Errorf("%s: %v; nothing was created (start the network, or give another with --network FILE)", cmd, err)
		}
		return usagef("%s: %v", cmd, err)
	}
	return nil
}

func cmdInit(ctx context.Context, env *Env, g globals, name string) error {
	if _, err := os.Stat(filepath.Join(g.home, "session.db")); err == nil {
		return usagef("init: %s already holds an account (see `session whoami`)", g.home)
	}
	opts := clientOptions(env, g)
	opts.Network, opts.DefaultNetwork = chooseNetwork(ctx, env, g), ""
	if opts.Network != "" {
		if err := checkNetwork(ctx, "init", opts); err != nil {
			return err
		}
	}
	c, words, err := client.Create(ctx, opts, name)
	if err != nil {
		if errors.Is(err, client.ErrAccountExists) {
			return usagef("init: %s already holds an account (see `session whoami`)", g.home)
		}
		return classify(fmt.Errorf("init: %w", err))
	}
	defer c.Close()
	if opts.Network != "" {
		// Publish the profile now, so that the account's next device finds it.
		_, _ = c.Receive(ctx)
	}
	if g.json {
		return writeJSON(env.Stdout, newAccount{SessionID: c.SessionID(), RecoveryPassword: words})
	}
	fmt.Fprintf(env.Stdout, "Session ID:        %s\nRecovery password: %s\n", c.SessionID(), words)
	fmt.Fprintln(env.Stdout, "Share your Session ID with people you want to talk to. Keep the recovery password secret:")
	fmt.Fprintln(env.Stdout, "it restores this account on another device (session restore).")
	if opts.Network == "" {
		fmt.Fprintln(env.Stdout, "No network yet: start one (session devnet --detach), or give one with `session network set FILE`.")
	}
	return nil
}

func cmdRestore(ctx context.Context, env *Env, g globals, name string) error {
	if _, err := os.Stat(filepath.Join(g.home, "session.db")); err == nil {
		return usagef("restore: %s already holds an account", g.home)
	}
	opts := clientOptions(env, g)
	opts.Network, opts.DefaultNetwork = chooseNetwork(ctx, env, g), ""
	if opts.Network == "" {
		return usagef("restore: %v", client.ErrNoNetwork)
	}
	if err := checkNetwork(ctx, "restore", opts); err != nil {
		return err
	}
	seed, err := promptRecoveryPassword(env)
	if err != nil {
		return err
	}
	words, err := mnemonic.Encode(seed)
	if err != nil {
		return err
	}
	// The name is not handed to Restore: the account's profile on the
	// network decides it, and --name only names an account that has none.
	c, err := client.Restore(ctx, opts, words, "")
	if err != nil {
		if errors.Is(err, client.ErrAccountExists) {
			return usagef("restore: %s already holds an account", g.home)
		}
		return classify(fmt.Errorf("restore: %w", err))
	}
	defer c.Close()
	// Fetch at once: the profile, contacts, conversations and messages.
	ms, rerr := c.Receive(ctx)
	if rerr == nil && name != "" && c.DisplayName() == "" {
		rerr = c.SetDisplayName(ctx, name)
	}
	if g.json {
		if err := writeJSON(env.Stdout, map[string]any{"session_id": c.SessionID(), "display_name": c.DisplayName(), "messages": len(ms)}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "Restored %s (%s), %d messages fetched\n", c.SessionID(), termtext.Line(orDash(c.DisplayName())), len(ms))
		if name != "" && c.DisplayName() != name {
			fmt.Fprintf(env.Stdout, "The account is named %q on its other devices; `session profile --name` renames it everywhere.\n", termtext.Line(c.DisplayName()))
		}
	}
	if rerr != nil {
		return fmt.Errorf("restore: restored, but fetching failed: %w (`session receive` tries again)", rerr)
	}
	return nil
}

func cmdWhoami(env *Env, g globals, c *client.Client, qr bool) error {
	if g.json {
		return writeJSON(env.Stdout, map[string]string{"session_id": c.SessionID(), "display_name": c.DisplayName()})
	}
	fmt.Fprintln(env.Stdout, c.SessionID())
	if qr {
		q, err := qrcode.New(c.SessionID(), qrcode.Medium)
		if err != nil {
			return err
		}
		fmt.Fprint(env.Stdout, q.ToSmallString(false))
	}
	return nil
}

func accountRecoveryPassword(ctx context.Context, env *Env, args []string) error {
	g := env.glob
	fs := newFlags("account recovery-password")
	addGlobals(fs, &g)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	c, err := openClient(ctx, env, g)
	if err != nil {
		return err
	}
	defer c.Close()
	words, err := c.RecoveryPassword()
	if err != nil {
		return err
	}
	if g.json {
		return writeJSON(env.Stdout, map[string]string{"recovery_password": words})
	}
	fmt.Fprintln(env.Stdout, words)
	return nil
}

func cmdSend(ctx context.Context, env *Env, g globals, c *client.Client, args, files []string, replyTo int64, legacy bool) error {
	if len(args) < 2 && len(files) == 0 {
		return usagef("usage: session send <id|name> [--file PATH]… [--] [text…]")
	}
	// Every file is checked before anything is stored or sent.
	if err := client.CheckFiles(files); err != nil {
		return usagef("send: %v", err)
	}
	text := strings.Join(args[1:], " ")
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(env.Stdin, client.MaxMessageBytes+2))
		if err != nil {
			return err
		}
		text = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if len(text) > client.MaxMessageBytes {
			// What was read is cut at the cap: do not name its size.
			return usagef("send: %v: the message on stdin is over the limit of 32 KiB (%d bytes)", client.ErrMessageTooLong, client.MaxMessageBytes)
		}
	}
	var m client.Message
	var err error
	switch {
	case replyTo != 0 && legacy:
		return usagef("send: --legacy-format does not go with --reply-to")
	case replyTo != 0:
		m, err = sendReply(ctx, c, args[0], replyTo, text, files)
	case legacy:
		fs := make([]client.File, len(files))
		for i, p := range files {
			fs[i] = client.File{Path: p, Legacy: true}
		}
		m, err = c.SendFiles(ctx, args[0], text, fs...)
	default:
		m, err = c.SendFile(ctx, args[0], text, files...)
	}
	if err != nil {
		if errors.Is(err, client.ErrSendFailed) {
			return fmt.Errorf("send: %v (message %d kept; `session retry %d` sends it again)", err, m.ID, m.ID)
		}
		return classify(fmt.Errorf("send: %w", err))
	}
	if g.json {
		return writeJSON(env.Stdout, m)
	}
	fmt.Fprintf(env.Stdout, "sent (message %d)\n", m.ID)
	return nil
}

// sendReply sends text quoting message replyTo, which must belong to the
// conversation with who: a reply never goes to someone the user did not
// name.
func sendReply(ctx context.Context, c *client.Client, who string, replyTo int64, text string, files []string) (client.Message, error) {
	id, err := c.Resolve(ctx, who)
	if err != nil {
		return client.Message{}, err
	}
	orig, err := c.Message(ctx, replyTo)
	if err != nil {
		return client.Message{}, err
	}
	if orig.Conversation != id {
		return client.Message{}, usagef("send: message %d is not in the conversation with %s", replyTo, termtext.Line(who))
	}
	return c.Reply(ctx, replyTo, text, files...)
}

func cmdReact(ctx context.Context, env *Env, g globals, c *client.Client, idArg, emoji string, remove bool) error {
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id <= 0 {
		return usagef("react: %q is not a message id", idArg)
	}
	if err := c.React(ctx, id, emoji, remove); err != nil {
		return classify(fmt.Errorf("react: %w", err))
	}
	done := "reacted"
	if remove {
		done = "reaction removed"
	}
	if g.json {
		return writeJSON(env.Stdout, map[string]any{"id": id, "emoji": emoji, "result": done})
	}
	fmt.Fprintf(env.Stdout, "message %d: %s %s\n", id, done, termtext.Line(emoji))
	return nil
}

func cmdSettings(ctx context.Context, env *Env, g globals, c *client.Client, receipts, typing string) error {
	s, err := c.Settings(ctx)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
		dst     *bool
	}{{"--read-receipts", receipts, &s.ReadReceipts}, {"--typing", typing, &s.TypingIndicators}} {
		switch f.v {
		case "":
		case "on":
			*f.dst = true
		case "off":
			*f.dst = false
		default:
			return usagef("settings: %s takes on or off, not %q", f.name, f.v)
		}
	}
	if receipts != "" || typing != "" {
		if err := c.SetSettings(ctx, s); err != nil {
			return err
		}
	}
	if g.json {
		return writeJSON(env.Stdout, s)
	}
	onOff := map[bool]string{true: "on", false: "off"}
	fmt.Fprintf(env.Stdout, "read receipts: %s\ntyping indicators: %s\n", onOff[s.ReadReceipts], onOff[s.TypingIndicators])
	return nil
}

func cmdDisappear(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
	mode := args[1]
	var d time.Duration
	switch {
	case mode == client.DisappearOff && len(args) == 2:
	case (mode == client.DisappearAfterRead || mode == client.DisappearAfterSend) && len(args) == 3:
		var err error
		if d, err = time.ParseDuration(args[2]); err != nil {
			return usagef("disappear: %q is not a duration (e.g. 30s, 5m, 12h)", args[2])
		}
	default:
		return usagef("usage: session disappear <id|name> off|read|send [DURATION]")
	}
	if err := c.Disappear(ctx, args[0], mode, d); err != nil {
		return classify(fmt.Errorf("disappear: %w", err))
	}
	if g.json {
		return writeJSON(env.Stdout, map[string]any{"mode": mode, "seconds": int64(d / time.Second)})
	}
	if mode == client.DisappearOff {
		fmt.Fprintln(env.Stdout, "disappearing messages off")
	} else {
		fmt.Fprintf(env.Stdout, "messages disappear %v after they are %s\n", d, map[string]string{"read": "read", "send": "sent"}[mode])
	}
	return nil
}

func cmdEdit(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("edit: %q is not a message id", args[0])
	}
	m, err := c.Edit(ctx, id, strings.Join(args[1:], " "))
	if err != nil {
		return classify(fmt.Errorf("edit: %w", err))
	}
	if g.json {
		return writeJSON(env.Stdout, m)
	}
	fmt.Fprintf(env.Stdout, "message %d edited\n", id)
	return nil
}

func cmdDelete(ctx context.Context, env *Env, g globals, c *client.Client, idArg string, everyone bool) error {
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id <= 0 {
		return usagef("delete: %q is not a message id", idArg)
	}
	if err := c.Delete(ctx, id, everyone); err != nil {
		return classify(fmt.Errorf("delete: %w", err))
	}
	done := "deleted here"
	if everyone {
		done = "deleted for everyone"
	}
	if g.json {
		return writeJSON(env.Stdout, map[string]any{"id": id, "result": done})
	}
	fmt.Fprintf(env.Stdout, "message %d %s\n", id, done)
	return nil
}

func cmdSearch(ctx context.Context, env *Env, g globals, c *client.Client, text, in string, limit int) error {
	if limit <= 0 || limit > client.MaxSearchResults {
		return usagef("search: --limit must be between 1 and %d", client.MaxSearchResults)
	}
	ms, err := c.Search(ctx, text, in, limit)
	if err != nil {
		return classify(fmt.Errorf("search: %w", err))
	}
	if err := printMessages(env, g, c, ms); err != nil {
		return err
	}
	if len(ms) == 0 && !g.json {
		fmt.Fprintln(env.Stdout, "no message found")
	}
	return nil
}

func printMessages(env *Env, g globals, c *client.Client, ms []client.Message) error {
	if g.json {
		if ms == nil {
			ms = []client.Message{}
		}
		return writeJSON(env.Stdout, ms)
	}
	names := contactNames(context.Background(), c)
	for _, m := range ms {
		printMessage(env.Stdout, m, names)
	}
	return nil
}

// contactNames maps Session IDs to the names to show for them.
func contactNames(ctx context.Context, c *client.Client) map[string]string {
	names := map[string]string{}
	if gs, err := c.Groups(ctx); err == nil {
		for _, x := range gs {
			names[x.ID] = termtext.Line(x.Name)
		}
		// Group members who are not contacts, by the names they gave
		// (contacts' names, below, win).
		for _, x := range gs {
			if mn, err := c.GroupNames(ctx, x.ID); err == nil {
				for id, n := range mn {
					names[id] = termtext.Line(n)
				}
			}
		}
	}
	if cts, err := c.Contacts(ctx); err == nil {
		for _, ct := range cts {
			if n := ct.Nickname; n != "" {
				names[ct.SessionID] = termtext.Line(n)
			} else if ct.Name != "" {
				names[ct.SessionID] = shownName(ct.Name, ct.NameNote)
			}
		}
	}
	return names
}

func printMessage(w io.Writer, m client.Message, names map[string]string) {
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n + " (" + client.ShortID(id) + ")"
		}
		return id
	}
	who := name(m.From)
	switch {
	case m.Outgoing:
		who = "me → " + name(m.Conversation)
	case m.Conversation != m.From:
		who += " in " + name(m.Conversation) // a group
	}
	status := ""
	if m.Outgoing && m.Status != "sent" {
		status = " [" + m.Status + "]"
	}
	when := m.SentAt.Local().Format("2006-01-02 15:04:05")
	if m.Kind == client.KindNotice {
		// A line about the conversation ("Alice added Bob"), not a message.
		fmt.Fprintf(w, "%s [%d] — %s —\n", when, m.ID, termtext.Line(m.Body))
		return
	}
	if m.TimeUnverified {
		when += " [time unverified]"
	}
	if q := m.Quote; q != nil {
		quoted := "a message not on this device"
		if q.ID != 0 {
			quoted = fmt.Sprintf("message %d: %s", q.ID, termtext.Line(preview(q.Body, 60)))
		}
		fmt.Fprintf(w, "  ↪ replying to %s, %s\n", name(q.From), quoted)
	}
	body := termtext.Body(m.Body, "    ")
	if m.Deleted {
		body = "(This message was deleted)"
	} else if m.Edited {
		body += " (edited)"
	}
	fmt.Fprintf(w, "%s [%d] %s%s: %s\n", when, m.ID, who, status, body)
	if len(m.Reactions) > 0 {
		counts := map[string][]string{}
		var order []string
		for _, r := range m.Reactions {
			if counts[r.Emoji] == nil {
				order = append(order, r.Emoji)
			}
			counts[r.Emoji] = append(counts[r.Emoji], name(r.From))
		}
		var parts []string
		for _, e := range order {
			parts = append(parts, fmt.Sprintf("%s %d (%s)", termtext.Line(e), len(counts[e]), strings.Join(counts[e], ", ")))
		}
		fmt.Fprintf(w, "    %s\n", strings.Join(parts, "  "))
	}
	for _, a := range m.Attachments {
		state := "downloaded"
		switch {
		case a.Error != "" && !a.Downloaded:
			state = "not downloaded: " + termtext.Line(a.Error)
		case !a.Downloaded:
			state = "not downloaded yet (session save " + strconv.FormatInt(m.ID, 10) + " --out DIR fetches it)"
		}
		fmt.Fprintf(w, "    [file] %s (%s, %d bytes) %s\n", termtext.Line(orDash(a.FileName)), termtext.Line(a.ContentType), a.Size, state)
	}
	if p := m.LinkPreview; p != nil {
		fmt.Fprintf(w, "    [link] %s — %s\n", termtext.Line(orDash(p.Title)), termtext.Line(p.URL))
	}
}

func cmdSave(ctx context.Context, env *Env, g globals, c *client.Client, idArg, out string) error {
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil {
		return usagef("save: %q is not a message id", idArg)
	}
	if out == "" {
		return usagef("usage: session save <message-id> --out DIR")
	}
	paths, err := c.SaveAttachments(ctx, id, out)
	if g.json {
		if paths == nil {
			paths = []string{}
		}
		if jerr := writeJSON(env.Stdout, map[string]any{"message": id, "files": paths}); jerr != nil {
			return jerr
		}
	} else {
		for _, p := range paths {
			fmt.Fprintln(env.Stdout, termtext.Line(p))
		}
	}
	if err != nil {
		return classify(fmt.Errorf("save: %w", err))
	}
	return nil
}

// preview is the first n characters of s, on one line, with "…" if cut.
func preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func cmdReceive(ctx context.Context, env *Env, g globals, c *client.Client, _ []string) error {
	defer collectWarnings(ctx, env, c)()
	ms, err := c.Receive(ctx)
	// Files of approved contacts arrive with their messages.
	if _, derr := c.DownloadPending(ctx, 32); derr != nil && err == nil {
		fmt.Fprintf(env.Stderr, "receive: some attachments could not be downloaded yet (retried later): %v\n", derr)
	}
	if len(ms) > 0 {
		ms = c.RefreshMessages(ctx, ms)
	}
	// What was saved is shown even when the poll failed: a failure must
	// not hide the messages fetched with it. The exit status still says
	// that something was not saved (it comes again with the next poll).
	perr := printMessages(env, g, c, ms)
	if err != nil {
		return fmt.Errorf("receive: %w", err)
	}
	if len(ms) == 0 && !g.json {
		fmt.Fprintln(env.Stdout, "no new messages")
	}
	return perr
}

func cmdWatch(ctx context.Context, env *Env, g globals, c *client.Client, _ []string) error {
	events := c.Subscribe(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	warnings := newWarningPrinter(env.Stderr)
	var names namesCache
	out := bufio.NewWriter(env.Stdout)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return <-errc
			}
			if w, ok := ev.(client.Warning); ok {
				warnings.print(w)
				continue
			}
			if cc, ok := ev.(client.ConnectionChanged); ok && !g.json {
				// A status, not data: stderr, one line per change.
				if cc.Connected {
					fmt.Fprintln(env.Stderr, "network reachable again")
				} else {
					fmt.Fprintf(env.Stderr, "network unreachable: %s; retrying with backoff (next try in %v)\n", termtext.Line(cc.Err.Error()), cc.RetryIn.Round(time.Second))
				}
				continue
			}
			writeEvent(out, g, ev, names.get(ctx, c))
			out.Flush()
		case err := <-errc:
			return err
		}
	}
}

func writeEvent(w io.Writer, g globals, ev client.Event, names map[string]string) {
	type wire struct {
		Type         string               `json:"type"`
		Message      *client.Message      `json:"message,omitempty"`
		Conversation *client.Conversation `json:"conversation,omitempty"`
		Connected    *bool                `json:"connected,omitempty"`
		Error        string               `json:"error,omitempty"`
	}
	var e wire
	switch ev := ev.(type) {
	case client.ConnectionChanged:
		e = wire{Type: "connection", Connected: &ev.Connected}
		if ev.Err != nil {
			e.Error = ev.Err.Error()
		}
	case client.MessageReceived:
		e = wire{Type: "message", Message: &ev.Message}
	case client.MessageStatusChanged:
		e = wire{Type: "status", Message: &ev.Message}
	case client.RequestReceived:
		e = wire{Type: "request", Conversation: &ev.Conversation}
	case client.MessageEdited:
		e = wire{Type: "edited", Message: &ev.Message}
	default:
		return
	}
	if g.json {
		writeJSON(w, e)
		return
	}
	switch {
	case e.Type == "message":
		printMessage(w, *e.Message, names)
	case e.Type == "status":
		fmt.Fprintf(w, "message %d is %s\n", e.Message.ID, e.Message.Status)
	case e.Type == "edited":
		fmt.Fprintf(w, "message %d edited: %s\n", e.Message.ID, termtext.Body(e.Message.Body, "    "))
	case e.Type == "request":
		fmt.Fprintf(w, "message request from %s %s (session accept / decline / block)\n", e.Conversation.SessionID, shownName(e.Conversation.Name, e.Conversation.NameNote))
	}
}

func printConversations(env *Env, g globals, cvs []client.Conversation, empty string) error {
	if g.json {
		if cvs == nil {
			cvs = []client.Conversation{}
		}
		return writeJSON(env.Stdout, cvs)
	}
	if len(cvs) == 0 {
		fmt.Fprintln(env.Stdout, empty)
		return nil
	}
	fmt.Fprintf(env.Stdout, "%-66s  %-20s  %10s  %s\n", "SESSION ID", "NAME", "UNREAD", "LAST MESSAGE")
	for _, cv := range cvs {
		name := cv.Name
		if name == "" {
			name = "-"
		}
		marks := ""
		if cv.Pinned {
			marks += "[pinned] "
		}
		if cv.Muted {
			marks += "[muted] "
		}
		fmt.Fprintf(env.Stdout, "%s  %-20s  %3d unread  %s%s\n", cv.SessionID, shownName(name, cv.NameNote), cv.Unread, marks, termtext.Line(cv.Preview))
	}
	return nil
}

func cmdInbox(ctx context.Context, env *Env, g globals, c *client.Client, _ []string) error {
	cvs, err := c.Inbox(ctx)
	if err != nil {
		return err
	}
	return printConversations(env, g, cvs, "no conversations yet")
}

func cmdRequests(ctx context.Context, env *Env, g globals, c *client.Client, _ []string) error {
	cvs, err := c.Requests(ctx)
	if err != nil {
		return err
	}
	return printConversations(env, g, cvs, "no message requests")
}

func cmdRead(ctx context.Context, env *Env, g globals, c *client.Client, who string, limit int) error {
	if limit <= 0 || limit > 10000 {
		return usagef("read: --limit must be between 1 and 10000")
	}
	ms, err := c.Messages(ctx, who, limit)
	if err != nil {
		return classify(fmt.Errorf("read: %w", err))
	}
	var markErr error
	if len(ms) > 0 {
		if markErr = c.MarkRead(ctx, who); markErr != nil && !errors.Is(markErr, client.ErrNotSynced) {
			return classify(markErr)
		}
	}
	if err := printMessages(env, g, c, ms); err != nil {
		return err
	}
	if len(ms) == 0 && !g.json {
		fmt.Fprintln(env.Stdout, "no messages yet")
	}
	if markErr != nil {
		return fmt.Errorf("read: marked read %v", markErr)
	}
	return nil
}

func contactAction(done string, f func(*client.Client, context.Context, string) error) func(context.Context, *Env, globals, *client.Client, []string) error {
	return func(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
		id, err := c.Resolve(ctx, args[0])
		if err != nil {
			return classify(err)
		}
		if err := f(c, ctx, id); err != nil {
			if errors.Is(err, client.ErrNotSynced) {
				return fmt.Errorf("%s %s, %v", done, id, err)
			}
			return classify(err)
		}
		if g.json {
			return writeJSON(env.Stdout, map[string]string{"session_id": id, "result": done})
		}
		fmt.Fprintf(env.Stdout, "%s %s\n", done, id)
		return nil
	}
}

func cmdContacts(ctx context.Context, env *Env, g globals, c *client.Client, _ []string) error {
	cts, err := c.Contacts(ctx)
	if err != nil {
		return err
	}
	if g.json {
		if cts == nil {
			cts = []client.Contact{}
		}
		return writeJSON(env.Stdout, cts)
	}
	if len(cts) == 0 {
		fmt.Fprintln(env.Stdout, "no contacts yet")
		return nil
	}
	fmt.Fprintf(env.Stdout, "%-66s  %-20s  %-20s  %s\n", "SESSION ID", "NAME", "NICKNAME", "STATE")
	for _, ct := range cts {
		var flags []string
		if ct.Approved {
			flags = append(flags, "approved")
		}
		if ct.Blocked {
			flags = append(flags, "blocked")
		}
		if !ct.Approved && !ct.Blocked {
			flags = append(flags, "request")
		}
		fmt.Fprintf(env.Stdout, "%s  %-20s  %-20s  %s\n", ct.SessionID, shownName(orDash(ct.Name), ct.NameNote), termtext.Line(orDash(ct.Nickname)), strings.Join(flags, ","))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cmdName(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
	if err := c.SetNickname(ctx, args[0], args[1]); err != nil {
		if errors.Is(err, client.ErrNotSynced) {
			return fmt.Errorf("name: named %s, %v", termtext.Line(args[1]), err)
		}
		return classify(fmt.Errorf("name: %w", err))
	}
	if g.json {
		id, _ := c.Resolve(ctx, args[1])
		return writeJSON(env.Stdout, map[string]string{"session_id": id, "nickname": args[1]})
	}
	fmt.Fprintf(env.Stdout, "named %s\n", termtext.Line(args[1]))
	return nil
}

func cmdNetwork(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
	switch {
	case len(args) == 0:
	case len(args) == 2 && args[0] == "set":
		if err := c.SetNetwork(ctx, args[1]); err != nil {
			if errors.Is(err, client.ErrNetworkUnreachable) {
				return fmt.Errorf("network set: %v; the account keeps its network", err)
			}
			return usagef("network set: %v", err)
		}
	default:
		return usagef("usage: session network [set FILE]")
	}
	remembered := c.RememberedNetwork(ctx)
	if g.json {
		return writeJSON(env.Stdout, map[string]string{"remembered": remembered, "in_use": c.NetworkFile()})
	}
	switch {
	case len(args) == 2:
		fmt.Fprintf(env.Stdout, "network set: %s\n", remembered)
	case remembered == "" && c.NetworkFile() == "":
		fmt.Fprintln(env.Stdout, "no network (start one with `session devnet --detach`, or give one with `session network set FILE`)")
	case remembered == "":
		fmt.Fprintf(env.Stdout, "%s (not remembered: `session network set FILE` keeps one)\n", c.NetworkFile())
	default:
		fmt.Fprintln(env.Stdout, remembered)
	}
	return nil
}

func cmdRetry(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
	if len(args) == 1 {
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return usagef("retry: %q is not a message id", args[0])
		}
		m, err := c.Retry(ctx, id)
		if err != nil {
			return classify(fmt.Errorf("retry: %w", err))
		}
		if g.json {
			return writeJSON(env.Stdout, m)
		}
		fmt.Fprintf(env.Stdout, "message %d is %s\n", m.ID, m.Status)
		return nil
	}
	if err := c.RetryPending(ctx, 1<<30); err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	if !g.json {
		fmt.Fprintln(env.Stdout, "retried every unsent message")
		return nil
	}
	return writeJSON(env.Stdout, map[string]string{"result": "retried"})
}

// cmdReupload is `session reupload <message-id>`.
func cmdReupload(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return usagef("reupload: %q is not a message id", args[0])
	}
	m, err := c.Reupload(ctx, id)
	if err != nil {
		return classify(fmt.Errorf("reupload: %w", err))
	}
	if g.json {
		return writeJSON(env.Stdout, m)
	}
	fmt.Fprintf(env.Stdout, "the %d file(s) of message %d are on the file server again\n", len(m.Attachments), m.ID)
	return nil
}

// parseInterspersed parses flags wherever they appear among the arguments
// (session send ID hello --json), until a "--", after which everything is an
// argument.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		// A negative number (send Bob -1) is text, not a flag: no flag
		// is named by digits.
		if len(args) > 0 && isNegativeNumber(args[0]) {
			pos = append(pos, args[0])
			args = args[1:]
			continue
		}
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// isNegativeNumber reports whether s is "-" followed by a number, such as
// -1 or -0.5.
func isNegativeNumber(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	_, err := strconv.ParseFloat(s[1:], 64)
	return err == nil && s[1] >= '0' && s[1] <= '9'
}
