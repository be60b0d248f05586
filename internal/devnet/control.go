package devnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/session-go/session-go/internal/netview"
)

// Control of a running devnet from another process (`snode devnet add` and
// `snode devnet remove`). A devnet with a directory serves a small HTTP API
// on 127.0.0.1 and writes its address and a random token to ControlFile
// (mode 0600, in the devnet directory, which is 0700): whoever can read the
// devnet's files may control it, nobody else on the machine can. The token
// is compared in constant time.

// ControlFile is the name of the file in a devnet directory that tells
// other processes how to reach the running harness.
const ControlFile = "control.json"

// ErrControl reports a control request the devnet refused or could not do.
var ErrControl = errors.New("devnet: control")

// Limits of the control API.
const (
	maxControlBody = 4 << 10
	// maxAddAtOnce caps one add request: ports and processes are finite.
	maxAddAtOnce = 64
	// removeTimeout bounds a graceful remove (the node drains first).
	removeTimeout = 3 * time.Minute
)

// controlFile is ControlFile's content.
type controlFile struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
}

// NodeInfo describes a service node in a control answer.
type NodeInfo struct {
	Index   int    `json:"index"`
	URL     string `json:"url"`
	Ed25519 string `json:"pubkey_ed25519"`
	X25519  string `json:"pubkey_x25519"`
	Running bool   `json:"running"`
}

func infoOf(n *Node) NodeInfo {
	return NodeInfo{Index: n.Index, URL: n.URL(), Ed25519: n.Ed25519, X25519: n.X25519, Running: n.Running()}
}

// serveControl starts the control API and writes ControlFile.
func (dn *Net) serveControl() error {
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("devnet: control listen: %w", err)
	}
	token := hex.EncodeToString(tok)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /nodes", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, dn.nodeInfos(dn.snapshotNodes()))
	})
	mux.HandleFunc("POST /add", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			N int `json:"n"`
		}
		if !readControl(w, r, &req) {
			return
		}
		if req.N < 1 || req.N > maxAddAtOnce {
			http.Error(w, fmt.Sprintf("n=%d: add 1 to %d nodes at a time", req.N, maxAddAtOnce), http.StatusBadRequest)
			return
		}
		added, err := dn.AddNodes(r.Context(), req.N)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeControl(w, dn.nodeInfos(added))
	})
	mux.HandleFunc("POST /remove", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Ed25519 string `json:"pubkey_ed25519"`
		}
		if !readControl(w, r, &req) {
			return
		}
		n := dn.nodeByKey(req.Ed25519)
		if n == nil {
			http.Error(w, fmt.Sprintf("no node %q in this devnet", req.Ed25519), http.StatusNotFound)
			return
		}
		if !n.Running() {
			http.Error(w, fmt.Sprintf("node %s is not running", req.Ed25519), http.StatusConflict)
			return
		}
		if err := dn.RemoveNode(n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeControl(w, dn.nodeInfos([]*Node{n}))
	})
	want := []byte("Bearer " + token)
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "bad or missing token", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: auth, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second}
	path := filepath.Join(dn.Dir, ControlFile)
	b, _ := json.Marshal(controlFile{Addr: ln.Addr().String(), Token: token})
	if err := writeSecret(path, b); err != nil {
		ln.Close()
		return err
	}
	dn.control = srv
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// writeSecret writes b to path through a new file of mode 0600 renamed
// into place. The file is created exclusively under a random name: a
// fixed temporary name that someone left behind (with a wider mode, or
// as a symbolic link elsewhere) would keep its mode or be followed.
func writeSecret(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// stopControl closes the control API and removes ControlFile.
func (dn *Net) stopControl() {
	if dn.control == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = dn.control.Shutdown(ctx)
	cancel()
	_ = dn.control.Close()
	_ = os.Remove(filepath.Join(dn.Dir, ControlFile))
	dn.control = nil
}

func readControl(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlBody))
	if err != nil {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func writeControl(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (dn *Net) nodeInfos(nodes []*Node) []NodeInfo {
	out := make([]NodeInfo, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, infoOf(n))
	}
	return out
}

// nodeByKey returns the service node with the given Ed25519 key, or nil.
func (dn *Net) nodeByKey(ed string) *Node {
	for _, n := range dn.snapshotNodes() {
		if strings.EqualFold(n.Ed25519, ed) {
			return n
		}
	}
	return nil
}

// ControlAdd asks the devnet running in dir to start k more service nodes
// and returns them once they answer.
func ControlAdd(ctx context.Context, dir string, k int) ([]NodeInfo, error) {
	var out []NodeInfo
	err := control(ctx, dir, http.MethodPost, "/add", map[string]int{"n": k}, &out)
	return out, err
}

// ControlRemove asks the devnet running in dir to stop the service node
// with the given Ed25519 key gracefully (it leaves the directory and
// drains first); it returns once the node has exited.
func ControlRemove(ctx context.Context, dir, ed25519 string) (NodeInfo, error) {
	var out []NodeInfo
	if err := control(ctx, dir, http.MethodPost, "/remove", map[string]string{"pubkey_ed25519": ed25519}, &out); err != nil {
		return NodeInfo{}, err
	}
	if len(out) != 1 {
		return NodeInfo{}, fmt.Errorf("%w: the devnet answered %d nodes", ErrControl, len(out))
	}
	return out[0], nil
}

// ControlNodes lists the service nodes of the devnet running in dir.
func ControlNodes(ctx context.Context, dir string) ([]NodeInfo, error) {
	var out []NodeInfo
	err := control(ctx, dir, http.MethodGet, "/nodes", nil, &out)
	return out, err
}

func control(ctx context.Context, dir, method, path string, in, out any) error {
	if !Running(dir) {
		return fmt.Errorf("%w: no devnet runs in %s", ErrControl, dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, ControlFile))
	if err != nil {
		return fmt.Errorf("%w: the devnet in %s has no control file (does it run with --directory?): %v", ErrControl, dir, err)
	}
	var cf controlFile
	if err := json.Unmarshal(b, &cf); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrControl, ControlFile, err)
	}
	if ap, err := net.ResolveTCPAddr("tcp", cf.Addr); err != nil || !ap.IP.IsLoopback() {
		return fmt.Errorf("%w: %s names %q, not a loopback address", ErrControl, ControlFile, cf.Addr)
	}
	var body io.Reader
	if in != nil {
		j, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+cf.Addr+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+cf.Token)
	req.Header.Set("Content-Type", "application/json")
	hc := &http.Client{Timeout: removeTimeout + time.Minute}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrControl, err)
	}
	defer resp.Body.Close()
	ans, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrControl, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: HTTP %d: %s", ErrControl, resp.StatusCode, bytes.TrimSpace(ans))
	}
	if err := json.Unmarshal(ans, out); err != nil {
		return fmt.Errorf("%w: answer: %v", ErrControl, err)
	}
	return nil
}

// writeSeeds rewrites network.json from the running nodes, so that the seed
// file a client reads next names nodes that answer.
func (dn *Net) writeSeeds() error {
	dn.seedsMu.Lock() // nodes removed at once write one after the other
	defer dn.seedsMu.Unlock()
	var seeds []netview.Seed
	for _, n := range dn.snapshotNodes() {
		if n.Running() {
			seeds = append(seeds, netview.Seed{URL: n.URL(), Ed25519: n.Ed25519})
		}
	}
	nf := dn.seeds
	nf.Seeds = seeds
	return writeJSON(dn.NetworkFile, nf)
}
