package devnet

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/session-go/session-go/internal/directory"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/snode"
)

// networkFile is the clients' network.json: the seeds (nodes), the file
// server and, with a directory, its members (which clients then follow).
type networkFile struct {
	Seeds      []netview.Seed      `json:"seeds"`
	FileServer *netview.FileServer `json:"file_server,omitempty"`
	Directory  []netview.Seed      `json:"directory,omitempty"`
}

// member is what the harness knows of a directory member beyond its Node.
type memberAddrs struct {
	raft, admin string
}

// startDirectory starts cfg.Directory members: the first bootstraps the
// cluster, the others join through its admin address. It returns the
// members' API URLs and keys.
func (dn *Net) startDirectory(ctx context.Context) ([]netview.Seed, error) {
	cfg := dn.cfg
	var seeds []netview.Seed
	var addrs []memberAddrs
	for i := range cfg.Directory {
		dataDir := filepath.Join(dn.Dir, fmt.Sprintf("directory-%d", i))
		id, err := snode.LoadOrCreateIdentity(dataDir)
		if err != nil {
			return nil, err
		}
		var ports [3]int
		for j := range ports {
			if ports[j], err = freePort(); err != nil {
				return nil, err
			}
		}
		m := &Node{
			Index:   -2 - i,
			DataDir: dataDir,
			Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
			Ed25519: hex.EncodeToString(id.Ed25519PublicKey()),
			env:     cfg.Env,
			log:     dn.log,
			kind:    "directory",
		}
		a := memberAddrs{
			raft:  net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
			admin: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2])),
		}
		m.Args = append(append(append([]string{cfg.Binary}, cfg.PrefixArgs...), "directory", "run"),
			"--data-dir", dataDir, "--listen", m.Addr, "--raft", a.raft, "--admin-listen", a.admin)
		dn.Members = append(dn.Members, m)
		addrs = append(addrs, a)
		seeds = append(seeds, netview.Seed{URL: m.URL(), Ed25519: m.Ed25519})
	}
	var keys []string
	for _, m := range dn.Members {
		keys = append(keys, m.Ed25519)
	}
	dn.Members[0].Args = append(dn.Members[0].Args, "--bootstrap")
	for _, m := range dn.Members[1:] {
		m.Args = append(m.Args, "--trust", strings.Join(keys, ","))
	}
	for _, m := range dn.Members {
		if err := m.Start(); err != nil {
			return nil, err
		}
	}
	for _, m := range dn.Members {
		if err := m.WaitReady(ctx); err != nil {
			return nil, err
		}
	}
	first := addrs[0].admin
	if err := waitStatus(ctx, first, func(st memberStatus) bool { return st.Leader == dn.Members[0].Ed25519 }); err != nil {
		return nil, fmt.Errorf("devnet: the first directory member never led: %w", err)
	}
	for i, m := range dn.Members[1:] {
		raftAddr := m.Ed25519 + "@" + addrs[i+1].raft
		if err := adminPost(ctx, first, "/admin/join", map[string]string{"raft_addr": raftAddr}); err != nil {
			return nil, fmt.Errorf("devnet: joining directory member %d: %w", i+1, err)
		}
	}
	dn.log.Info("directory ready", "members", len(dn.Members))
	return seeds, nil
}

// memberStatus is a member's /admin/status answer.
type memberStatus struct {
	Leader  string   `json:"leader"`
	Members []string `json:"members"`
	Epoch   uint64   `json:"epoch"`
}

func waitStatus(ctx context.Context, admin string, ok func(memberStatus) bool) error {
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/admin/status", nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err == nil {
			var st memberStatus
			err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st)
			resp.Body.Close()
			if err == nil && ok(st) {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("timed out (last: %v)", last)
}

func adminPost(ctx context.Context, admin, path string, v any) error {
	b, _ := json.Marshal(v)
	c := &http.Client{Timeout: time.Minute}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+admin+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	ans, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(ans))
	}
	return nil
}

// AddNodes starts k more service nodes while the devnet runs; they
// register with the directory (Config.Directory must be set) and the
// network re-forms its swarms around them.
func (dn *Net) AddNodes(ctx context.Context, k int) ([]*Node, error) {
	if dn.cfg.Directory == 0 {
		return nil, fmt.Errorf("devnet: nodes can be added only to a devnet with a directory")
	}
	dn.addMu.Lock()
	defer dn.addMu.Unlock()
	var added []*Node
	for range k {
		n, _, err := dn.newNode(len(dn.snapshotNodes()))
		if err != nil {
			return added, err
		}
		if err := n.Start(); err != nil {
			return added, err
		}
		dn.mu.Lock()
		dn.Nodes = append(dn.Nodes, n)
		dn.mu.Unlock()
		added = append(added, n)
	}
	for _, n := range added {
		if err := n.WaitReady(ctx); err != nil {
			return added, err
		}
	}
	return added, dn.writeSeeds()
}

// RemoveNode stops a service node gracefully: it sends the directory a
// leave, and the network re-forms its swarms without it.
func (dn *Net) RemoveNode(n *Node) error {
	if dn.cfg.Directory == 0 {
		return fmt.Errorf("devnet: nodes can be removed only from a devnet with a directory")
	}
	// A leaving node serves its successors for a while (snode's
	// LeaveDrain) before it exits.
	if err := n.Stop(90 * time.Second); err != nil {
		return err
	}
	return dn.writeSeeds()
}

// Epoch returns the directory's current epoch as a member (any that
// answers) reports it, signature checked. One client serves every call:
// its connections are kept (a fresh TLS handshake per call is what a
// starved member answers slowest), and it waits up to 30 s, as nodes do.
func (dn *Net) Epoch(ctx context.Context) (*directory.Epoch, error) {
	dn.epochOnce.Do(func() {
		var seeds []netview.Seed
		for _, m := range dn.Members {
			seeds = append(seeds, netview.Seed{URL: m.URL(), Ed25519: m.Ed25519})
		}
		hc := insecureClient()
		hc.Timeout = 30 * time.Second
		dn.epochClient, dn.epochErr = directory.NewClient(seeds, hc)
	})
	if dn.epochErr != nil {
		return nil, dn.epochErr
	}
	return dn.epochClient.Epoch(ctx, 0)
}
