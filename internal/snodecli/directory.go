package snodecli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/session-go/session-go/internal/directory"
	"github.com/session-go/session-go/internal/snode"
)

const directoryUsage = `usage:
  snode directory run   --data-dir DIR --listen ADDR --raft ADDR [--admin-listen ADDR] [--bootstrap]
                        [--trust KEY,…] [--grace DURATION] [--log-level LEVEL]
  snode directory join  --admin ADDR KEY@RAFTADDR   (ask the leader, through its admin address, to add a member)
  snode directory leave --admin ADDR KEY            (ask the leader to remove a member)
  snode directory status --admin ADDR`

func runDirectory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return UsageError{errors.New("directory: missing command\n" + directoryUsage)}
	}
	switch args[0] {
	case "run":
		return runDirectoryMember(ctx, args[1:], stderr)
	case "join", "leave", "status":
		return directoryAdmin(ctx, args[0], args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, directoryUsage)
		return nil
	}
	return UsageError{fmt.Errorf("directory: unknown command %q\n%s", args[0], directoryUsage)}
}

func runDirectoryMember(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flagSet("directory run", stderr)
	dataDir := fs.String("data-dir", "", "data directory (identity key, Raft log and snapshots)")
	listen := fs.String("listen", "", "HTTPS address of the member's API (nodes and clients), e.g. 127.0.0.1:7100")
	raftListen := fs.String("raft", "", "address Raft listens on (mutual TLS between members), e.g. 127.0.0.1:7000")
	admin := fs.String("admin-listen", "", "plain-HTTP operator address for join/leave/status; keep it on loopback")
	bootstrap := fs.Bool("bootstrap", false, "start a new cluster of one if the data directory holds none")
	trust := fs.String("trust", "", "comma-separated Ed25519 keys (hex) of existing members a joining member accepts Raft traffic from")
	grace := fs.Duration("grace", directory.DefaultGrace, "how long a node may miss heartbeats before it is decommissioned")
	var level slog.Level
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	format := fs.String("log-format", "text", "log format: text or json")
	watch := fs.Bool("watch-parent", false, "shut down when stdin closes (set by a devnet harness)")
	if err := parse(fs, args); err != nil {
		return err
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
	if *dataDir == "" || *listen == "" || *raftListen == "" {
		return UsageError{errors.New("directory run needs --data-dir, --listen and --raft\n" + directoryUsage)}
	}
	var keys []ed25519.PublicKey
	for k := range strings.SplitSeq(*trust, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		b, err := hex.DecodeString(k)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return UsageError{fmt.Errorf("--trust: %q is not a 64-hex-character key", k)}
		}
		keys = append(keys, b)
	}
	id, err := snode.LoadOrCreateIdentity(*dataDir)
	if err != nil {
		return err
	}
	s, err := directory.Start(ctx, directory.Config{
		DataDir: *dataDir, Key: id.Ed25519PrivateKey(), RaftListen: *raftListen, Trust: keys,
		Bootstrap: *bootstrap, Grace: *grace, Logger: newLogger(stderr, level, *format),
	})
	if err != nil {
		return err
	}
	return s.Serve(ctx, *listen, *admin)
}

func directoryAdmin(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("directory "+cmd, stderr)
	admin := fs.String("admin", "", "admin address of a member (the leader, for join and leave)")
	if err := fs.Parse(args); err != nil {
		return UsageError{err}
	}
	if err := envDefaults(fs); err != nil {
		return err
	}
	want := 1
	if cmd == "status" {
		want = 0
	}
	if *admin == "" || fs.NArg() != want {
		return UsageError{errors.New("directory " + cmd + ": bad arguments\n" + directoryUsage)}
	}
	var body []byte
	method, path := http.MethodPost, "/admin/"+cmd
	switch cmd {
	case "join":
		body, _ = json.Marshal(map[string]string{"raft_addr": fs.Arg(0)})
	case "leave":
		body, _ = json.Marshal(map[string]string{"id": fs.Arg(0)})
	case "status":
		method = http.MethodGet
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+*admin+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("directory %s: %w", cmd, err)
	}
	defer resp.Body.Close()
	ans, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("directory %s: HTTP %d: %s", cmd, resp.StatusCode, strings.TrimSpace(string(ans)))
	}
	_, err = stdout.Write(ans)
	return err
}
