// Package devnet runs a whole Session network on 127.0.0.1: N real `snode`
// processes with free ports, one shared directory of nodes (and so one swarm
// assignment), and the seed file clients bootstrap from. `snode devnet` and
// the integration tests use this same code.
//
// # Files
//
// In the devnet directory:
//
//	nodes.json     the directory every node reads (--network): all nodes, their keys and ports
//	network.json   the seed file for clients: {"seeds": [{"url", "pubkey_ed25519"}, …],
//	               "file_server": {"url", "pubkey_x25519"}}, written once every node
//	               answers (so its presence means ready)
//	devnet.lock    held by the running harness (one devnet per directory)
//	control.json   with a directory: the address and token of the harness's
//	               control API (snode devnet add|remove|nodes), mode 0600
//	directory.json with a directory: the nodes' network file (the members)
//	directory-N/   with a directory: each member's data directory
//	node-NN/       each node's data directory (identity key, database, log)
//	fileserver/    the file server's folder (onion key, files, database, log)
//
// The file server is a `snode fileserver` process on 127.0.0.1. Service
// nodes refuse to proxy onion requests to local addresses, so every node
// is started with --onion-allow-local naming it (and nothing else).
//
// Each node's command line (Node.Args) is enough to restart it by hand.
//
// # Nodes never outlive the harness
//
// A node started by the harness gets a pipe as its stdin and
// SNODE_WATCH_PARENT=1 in its environment: it shuts down when the pipe
// closes, which happens however the harness ends (SIGHUP, kill -9, a
// crash). On Linux the kernel also sends it SIGTERM when the harness dies
// (the parent-death signal).
package devnet

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/session-go/session-go/internal/directory"
	"github.com/session-go/session-go/internal/fileserver"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/snode"
)

// Config describes a devnet to start.
type Config struct {
	// Nodes is the number of service nodes (at least 1).
	Nodes int
	// Dir holds the network files and every node's data directory; it is created if needed.
	Dir string
	// Binary is the snode executable to run.
	Binary string
	// PrefixArgs come before "run" on each node's command line, for a binary
	// that embeds the node under a subcommand (session node run …).
	PrefixArgs []string
	// Logger receives the harness's own messages; nil discards them.
	Logger *slog.Logger
	// ExtraArgs are appended to every node's `snode run` command line.
	ExtraArgs []string
	// Env is appended to every node's environment.
	Env []string
	// NoFileServer leaves the file server out.
	NoFileServer bool
	// Directory is the number of directory members (0: none, the nodes
	// read a static nodes.json). With a directory, nodes register with it
	// and follow its epochs, and nodes can be added and removed at run time.
	Directory int
}

// Net is a running devnet.
type Net struct {
	// Dir is the devnet directory.
	Dir string
	// NetworkFile is the clients' seed file (network.json).
	NetworkFile string
	// DirectoryFile is the nodes' directory (nodes.json).
	DirectoryFile string
	// Nodes are the service-node processes, in directory order.
	Nodes []*Node
	// FileServer is the file server's process (Index -1; X25519 is its
	// onion key), nil with Config.NoFileServer.
	FileServer *Node
	// Members are the directory's members (Addr is each one's HTTPS API),
	// empty without Config.Directory.
	Members []*Node

	cfg   Config
	extra []string // every node's extra arguments

	log  *slog.Logger
	lock *dirLock

	mu      sync.Mutex // guards Nodes while the devnet runs (AddNodes)
	addMu   sync.Mutex // one AddNodes at a time
	seedsMu sync.Mutex // guards writing network.json after Start
	seeds   networkFile
	control *http.Server // the control API (directory devnets), nil before Start ends

	epochOnce   sync.Once // makes epochClient for Epoch
	epochClient *directory.Client
	epochErr    error
}

// Node is one snode process of a devnet.
type Node struct {
	// Index is the node's position in the devnet (0-based).
	Index int
	// DataDir is its data directory.
	DataDir string
	// Addr is its HTTPS listen address, 127.0.0.1:PORT.
	Addr string
	// Ed25519 and X25519 are its public keys in hex.
	Ed25519, X25519 string
	// Args is its full command line, binary first.
	Args []string

	env  []string
	log  *slog.Logger
	kind string // "" for a service node, "fileserver"

	mu   sync.Mutex // guards cmd and done
	cmd  *exec.Cmd
	done chan struct{}
}

// URL returns the node's base URL.
func (n *Node) URL() string { return "https://" + n.Addr }

// Start takes the directory's lock (ErrInUse if another devnet holds it),
// creates every node's identity, writes the directory, starts the
// processes and, once every node answers, writes the seed file. On error
// the nodes already started are stopped.
func Start(ctx context.Context, cfg Config) (*Net, error) {
	if cfg.Nodes < 1 {
		return nil, fmt.Errorf("devnet: need at least 1 node, got %d", cfg.Nodes)
	}
	if cfg.Binary == "" {
		return nil, errors.New("devnet: no snode binary")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			lock.release()
		}
	}()
	// A seed file left by an earlier devnet would say "ready" too early.
	if err := os.Remove(filepath.Join(dir, "network.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	dn := &Net{
		Dir:           dir,
		NetworkFile:   filepath.Join(dir, "network.json"),
		DirectoryFile: filepath.Join(dir, "nodes.json"),
		log:           log,
		lock:          lock,
		cfg:           cfg,
	}
	var entries []netview.Node
	var seeds []netview.Seed
	extra := cfg.ExtraArgs
	var fsInfo *netview.FileServer
	if !cfg.NoFileServer {
		fsDir := filepath.Join(dir, "fileserver")
		key, err := fileserver.LoadOrCreateKey(fsDir)
		if err != nil {
			return nil, err
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		pub := key.PublicKey()
		f := &Node{
			Index:   -1,
			DataDir: fsDir,
			Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			X25519:  hex.EncodeToString(pub[:]),
			env:     cfg.Env,
			log:     log,
			kind:    "fileserver",
		}
		f.Args = append(append(append([]string{cfg.Binary}, cfg.PrefixArgs...), "fileserver"), "--dir", fsDir, "--listen", f.Addr)
		dn.FileServer = f
		fsInfo = &netview.FileServer{URL: "http://" + f.Addr, X25519: f.X25519}
		extra = append(append([]string{}, extra...), "--onion-allow-local", f.Addr)
	}
	var members []netview.Seed
	if cfg.Directory > 0 {
		if members, err = dn.startDirectory(ctx); err != nil {
			dn.stopNodes()
			return nil, err
		}
		dn.DirectoryFile = filepath.Join(dir, "directory.json")
		if err := writeJSON(dn.DirectoryFile, directory.NetworkFile{Directory: members}); err != nil {
			dn.stopNodes()
			return nil, err
		}
	}
	dn.extra = extra
	for i := range cfg.Nodes {
		n, port, err := dn.newNode(i)
		if err != nil {
			return nil, err
		}
		dn.Nodes = append(dn.Nodes, n)
		entries = append(entries, netview.Node{IP: "127.0.0.1", StoragePort: port, Ed25519: n.Ed25519, X25519: n.X25519})
		seeds = append(seeds, netview.Seed{URL: n.URL(), Ed25519: n.Ed25519})
	}
	if cfg.Directory == 0 {
		if err := writeJSON(dn.DirectoryFile, netview.DirectoryFile{Nodes: entries}); err != nil {
			return nil, err
		}
	}
	for _, n := range dn.all() {
		if err := n.Start(); err != nil {
			dn.stopNodes()
			return nil, err
		}
	}
	if err := dn.WaitReady(ctx); err != nil {
		dn.stopNodes()
		return nil, err
	}
	dn.seeds = networkFile{Seeds: seeds, FileServer: fsInfo, Directory: members}
	if cfg.Directory > 0 {
		if err := dn.serveControl(); err != nil {
			dn.stopNodes()
			return nil, err
		}
	}
	if err := writeJSON(dn.NetworkFile, dn.seeds); err != nil {
		dn.stopControl()
		dn.stopNodes()
		return nil, err
	}
	ok = true
	return dn, nil
}

// all returns every process of the devnet: the nodes and the file server.
func (dn *Net) all() []*Node {
	nodes := dn.snapshotNodes()
	if dn.FileServer == nil {
		return nodes
	}
	return append(nodes, dn.FileServer)
}

// snapshotNodes returns a copy of Nodes, safe while nodes are added.
func (dn *Net) snapshotNodes() []*Node {
	dn.mu.Lock()
	defer dn.mu.Unlock()
	return append([]*Node{}, dn.Nodes...)
}

// WaitReady returns once every running node answers a ping and the file
// server accepts connections.
func (dn *Net) WaitReady(ctx context.Context) error {
	for _, n := range dn.all() {
		if !n.Running() {
			continue
		}
		if err := n.WaitReady(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops every node (SIGTERM, then SIGKILL after a grace period),
// waits for them and releases the directory's lock.
func (dn *Net) Stop() {
	dn.stopControl()
	dn.stopNodes()
	dn.lock.release()
}

func (dn *Net) stopNodes() {
	var wg sync.WaitGroup
	for _, n := range dn.all() {
		wg.Go(func() { n.Stop(10 * time.Second) })
	}
	wg.Wait()
	// The directory last, so that the nodes' leaves reach it.
	for _, m := range dn.Members {
		wg.Go(func() { m.Stop(10 * time.Second) })
	}
	wg.Wait()
}

// Start starts the node's process (again, after a Kill or Stop).
func (n *Node) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return fmt.Errorf("devnet: node %d is already running", n.Index)
	}
	logf, err := os.OpenFile(n.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	// The node's stdin is a pipe whose write end only this process holds:
	// when it dies, however it dies, the node reads EOF and shuts down.
	pr, pw, err := os.Pipe()
	if err != nil {
		logf.Close()
		return err
	}
	cmd := exec.Command(n.Args[0], n.Args[1:]...)
	cmd.Stdin = pr
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = append(append(os.Environ(), n.env...), "SNODE_WATCH_PARENT=1")
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	pr.Close()
	if err != nil {
		pw.Close()
		logf.Close()
		return fmt.Errorf("devnet: starting node %d: %w", n.Index, err)
	}
	done := make(chan struct{})
	n.cmd, n.done = cmd, done
	go func() {
		err := cmd.Wait()
		pw.Close()
		logf.Close()
		n.log.Info("node exited", "node", n.Index, "err", err)
		n.mu.Lock()
		if n.cmd == cmd {
			n.cmd = nil
		}
		n.mu.Unlock()
		close(done)
	}()
	n.log.Info("node started", "node", n.Index, "addr", n.Addr, "pid", cmd.Process.Pid)
	return nil
}

// PID returns the process id of the running process, or 0.
func (n *Node) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// LogFile is where the process's output goes.
func (n *Node) LogFile() string {
	if n.kind != "" {
		return filepath.Join(n.DataDir, n.kind+".log")
	}
	return filepath.Join(n.DataDir, "snode.log")
}

// Running reports whether the node's process is running.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// Kill kills the node's process with SIGKILL (a crash) and waits for it to exit.
func (n *Node) Kill() error {
	return n.signal(syscall.SIGKILL, 0)
}

// Stop asks the node to shut down gracefully, killing it after grace.
func (n *Node) Stop(grace time.Duration) error {
	return n.signal(syscall.SIGTERM, grace)
}

func (n *Node) signal(sig syscall.Signal, grace time.Duration) error {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	if grace > 0 {
		select {
		case <-done:
			return nil
		case <-time.After(grace):
			_ = cmd.Process.Kill()
		}
	}
	<-done
	return nil
}

// WaitReady polls the node's ping endpoint until it answers or ctx ends.
func (n *Node) WaitReady(ctx context.Context) error {
	client := insecureClient()
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if n.kind != "" {
			// A file server answers onion requests only, a directory
			// member its own API: accepting a connection is their sign
			// of life.
			c, err := net.DialTimeout("tcp", n.Addr, time.Second)
			if err == nil {
				c.Close()
				return nil
			}
		} else {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL()+"/ping_test/v1", nil)
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		if !n.Running() {
			return fmt.Errorf("devnet: node %d exited during start (see %s)", n.Index, n.LogFile())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("devnet: node %d not ready after 60s", n.Index)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// insecureClient talks to devnet nodes, whose certificates are self-signed
// (Session clients authenticate nodes by their onion keys, not by TLS).
func insecureClient() *http.Client {
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// BuildSnode builds cmd/snode of the module around the working directory
// into dir and returns the binary's path. Tests call it once per process.
func BuildSnode(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "snode")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/snode")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("devnet: building snode: %v\n%s", err, b)
	}
	return out, nil
}

func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("devnet: no go.mod above %s", wd)
		}
	}
}

// newNode prepares service node i (not started): its data directory and
// identity, a free port, and the command line that runs it against the
// devnet's directory file with the devnet's extra flags.
func (dn *Net) newNode(i int) (*Node, int, error) {
	dataDir := filepath.Join(dn.Dir, fmt.Sprintf("node-%02d", i))
	id, err := snode.LoadOrCreateIdentity(dataDir)
	if err != nil {
		return nil, 0, err
	}
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	xpk := id.X25519PublicKey()
	n := &Node{
		Index:   i,
		DataDir: dataDir,
		Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Ed25519: hex.EncodeToString(id.Ed25519PublicKey()),
		X25519:  hex.EncodeToString(xpk[:]),
		env:     dn.cfg.Env,
		log:     dn.log,
	}
	n.Args = append(append(append([]string{dn.cfg.Binary}, dn.cfg.PrefixArgs...), "run"), "--data-dir", dataDir, "--listen", n.Addr, "--network", dn.DirectoryFile)
	n.Args = append(n.Args, dn.extra...)
	return n, port, nil
}
