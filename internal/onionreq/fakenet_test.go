package onionreq

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/swarm"
)

// fakeNet is an in-process network of service nodes that speak the real
// onion protocol (the onion package peels and relays layers) over real
// HTTPS, with a small in-memory storage RPC behind them: enough to test the
// client's I/O paths without the snode binary.
type fakeNet struct {
	t      *testing.T
	nodes  []*fakeNode
	dir    *netview.Directory
	client *http.Client

	mu    sync.Mutex
	store map[swarm.ID]map[keys.ID][]storagerpc.RetrievedMessage
}

type fakeNode struct {
	fn   *fakeNet
	srv  *httptest.Server
	key  *onion.NodeKey
	info netview.Node

	skew    atomic.Int64  // the node's clock minus the real one, ns
	onions  atomic.Int64  // onion requests received
	rpcs    atomic.Int64  // storage RPC calls run as the final destination
	failAll atomic.Bool   // answer every onion request with a plaintext 503
	epoch   atomic.Uint64 // the directory epoch its replies name (0: none)
}

func (n *fakeNode) now() time.Time { return time.Now().Add(time.Duration(n.skew.Load())) }

// kill closes the node's listener: connections to it are refused.
func (n *fakeNode) kill() { n.srv.Close() }

func newFakeNet(t *testing.T, size int) *fakeNet {
	t.Helper()
	fn := &fakeNet{
		t: t,
		client: &http.Client{
			Timeout:   5 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		},
		store: map[swarm.ID]map[keys.ID][]storagerpc.RetrievedMessage{},
	}
	var infos []netview.Node
	for range size {
		n := &fakeNode{fn: fn}
		secret := make([]byte, 32)
		rand.Read(secret)
		k, err := onion.NewNodeKey(secret)
		if err != nil {
			t.Fatal(err)
		}
		n.key = k
		ed := make([]byte, 32)
		rand.Read(ed)
		n.srv = httptest.NewUnstartedServer(http.HandlerFunc(n.serve))
		n.srv.StartTLS()
		host, port, _ := net.SplitHostPort(n.srv.Listener.Addr().String())
		p, _ := strconv.Atoi(port)
		pub := k.PublicKey()
		n.info = netview.Node{IP: host, StoragePort: p, Ed25519: hex.EncodeToString(ed), X25519: hex.EncodeToString(pub[:])}
		infos = append(infos, n.info)
		fn.nodes = append(fn.nodes, n)
	}
	d, err := netview.NewDirectory(infos)
	if err != nil {
		t.Fatal(err)
	}
	fn.dir = d
	for _, n := range fn.nodes {
		n.info, _ = d.Node(n.info.Ed25519)
	}
	t.Cleanup(func() {
		for _, n := range fn.nodes {
			n.srv.Close()
		}
		fn.client.CloseIdleConnections()
	})
	return fn
}

func (fn *fakeNet) node(ed string) *fakeNode {
	for _, n := range fn.nodes {
		if n.info.Ed25519 == ed {
			return n
		}
	}
	return nil
}

func (fn *fakeNet) source() *countingSource { return &countingSource{dir: fn.dir} }

// countingSource is a netview.Source serving a fixed directory.
type countingSource struct {
	mu    sync.Mutex
	dir   *netview.Directory
	err   error
	loads int
}

func (s *countingSource) Load(context.Context) (*netview.Directory, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if s.err != nil {
		return nil, s.err
	}
	return s.dir, nil
}

func (s *countingSource) set(d *netview.Directory) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir = d
}

func (s *countingSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}

func (n *fakeNode) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, onion.MaxRequestSize+1))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case "/storage_rpc/v1":
		status, reply := n.rpc(body)
		w.WriteHeader(status)
		w.Write(reply)
	case "/onion_req/v2":
		n.onions.Add(1)
		n.onion(w, body)
	default:
		http.NotFound(w, r)
	}
}

func (n *fakeNode) onion(w http.ResponseWriter, body []byte) {
	if n.failAll.Load() {
		http.Error(w, "Snode not ready", http.StatusServiceUnavailable)
		return
	}
	l, route, err := n.key.Peel(body)
	if err != nil {
		if l != nil {
			n.encrypted(w, l, http.StatusBadRequest, []byte("Invalid json"))
			return
		}
		http.Error(w, "Invalid ciphertext", http.StatusBadRequest)
		return
	}
	switch r := route.(type) {
	case *onion.RelayToNode:
		next, ok := n.fn.dir.Node(hex.EncodeToString(r.Next[:]))
		if !ok {
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(notFoundPrefix + hex.EncodeToString(r.Next[:])))
			return
		}
		req, err := r.Request()
		if err != nil {
			http.Error(w, "relay error", http.StatusBadGateway)
			return
		}
		n.forward(w, next.URL()+"/onion_req/v2", req)
	case *onion.RelayToServer:
		u, err := r.URL()
		if err != nil {
			n.encrypted(w, l, http.StatusBadRequest, []byte("Invalid url"))
			return
		}
		n.forward(w, u, r.Body)
	case *onion.FinalDestination:
		n.rpcs.Add(1)
		status, reply := n.rpc(r.Payload)
		n.encrypted(w, l, status, reply)
	}
}

func (n *fakeNode) forward(w http.ResponseWriter, url string, body []byte) {
	resp, err := n.fn.client.Post(url, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		http.Error(w, "Request time out", http.StatusGatewayTimeout)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	w.WriteHeader(resp.StatusCode)
	w.Write(b)
}

// encrypted answers as a final destination does: {"status","body"}
// encrypted to the client and base64-encoded.
func (n *fakeNode) encrypted(w http.ResponseWriter, l *onion.Layer, status int, body []byte) {
	reply, _ := json.Marshal(struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
		Epoch  uint64 `json:"epoch,omitempty"`
	}{status, string(body), n.epoch.Load()})
	ct, err := l.EncryptReply(reply, nil)
	if err != nil {
		http.Error(w, "encrypt", http.StatusInternalServerError)
		return
	}
	w.Write([]byte(base64.StdEncoding.EncodeToString(ct)))
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// rpc runs a storage RPC call against the network's shared store, with the
// storage server's swarm and clock checks.
func (n *fakeNode) rpc(payload []byte) (int, []byte) {
	req, err := storagerpc.ParseBody(payload)
	if err != nil {
		return errorReply(err)
	}
	now := n.now()
	meta := storagerpc.Meta{T: now.UnixMilli(), HF: []int{19, 4}}
	var account keys.ID
	switch r := req.(type) {
	case *storagerpc.Info:
		return http.StatusOK, jsonBody(storagerpc.InfoResponse{Version: []int{2, 8, 0}, Timestamp: now.UnixMilli(), Meta: meta})
	case *storagerpc.GetSwarm:
		return http.StatusOK, n.fn.swarmBody(r.Pubkey, meta)
	case *storagerpc.Store:
		account = r.Pubkey
	case *storagerpc.Retrieve:
		account = r.Pubkey
	default:
		return http.StatusBadRequest, []byte("unsupported by the fake network")
	}
	id, members := n.fn.dir.SwarmFor(account)
	if !slices.ContainsFunc(members, func(m netview.Node) bool { return m.Ed25519 == n.info.Ed25519 }) {
		return http.StatusMisdirectedRequest, n.fn.swarmBody(account, meta)
	}
	if err := storagerpc.Validate(req, now, false); err != nil {
		return errorReply(err)
	}
	n.fn.mu.Lock()
	defer n.fn.mu.Unlock()
	if n.fn.store[id] == nil {
		n.fn.store[id] = map[keys.ID][]storagerpc.RetrievedMessage{}
	}
	msgs := n.fn.store[id][account]
	switch r := req.(type) {
	case *storagerpc.Store:
		h := storagerpc.MessageHash(account, r.Namespace, r.Data)
		if !slices.ContainsFunc(msgs, func(m storagerpc.RetrievedMessage) bool { return m.Hash == h }) {
			n.fn.store[id][account] = append(msgs, storagerpc.RetrievedMessage{Hash: h, Timestamp: r.Timestamp, Expiration: r.ExpiryTime(), Data: r.Data})
		}
		res := map[string]storagerpc.StoreResult{}
		for _, m := range members {
			res[m.Ed25519] = storagerpc.StoreResult{Hash: h, Expiry: r.ExpiryTime()}
		}
		return http.StatusOK, jsonBody(storagerpc.StoreResponse{Swarm: res, Hash: h, Meta: meta})
	case *storagerpc.Retrieve:
		start := 0
		if i := slices.IndexFunc(msgs, func(m storagerpc.RetrievedMessage) bool { return m.Hash == r.LastHash }); i >= 0 {
			start = i + 1
		}
		return http.StatusOK, jsonBody(storagerpc.RetrieveResponse{Messages: slices.Clone(msgs[start:]), Meta: meta})
	}
	return http.StatusInternalServerError, nil
}

func errorReply(err error) (int, []byte) {
	var e *storagerpc.Error
	if errors.As(err, &e) {
		return e.Status, []byte(e.Reason)
	}
	return http.StatusInternalServerError, []byte("request failed")
}

func (fn *fakeNet) swarmBody(account keys.ID, meta storagerpc.Meta) []byte {
	id, members := fn.dir.SwarmFor(account)
	resp := storagerpc.SwarmResponse{Swarm: id.String(), Meta: meta, Snodes: []storagerpc.Snode{}}
	for _, m := range members {
		resp.Snodes = append(resp.Snodes, storagerpc.Snode{
			PubkeyEd25519: m.Ed25519, PubkeyX25519: m.X25519, IP: m.IP,
			Port: strconv.Itoa(m.StoragePort), PortHTTPS: m.StoragePort,
		})
	}
	return jsonBody(resp)
}

// fakeServer is an HTTP server reached through onion requests (v4), like a
// file server: it echoes the request's endpoint and body.
type fakeServer struct {
	srv  *httptest.Server
	key  *onion.NodeKey
	dest onion.ServerDestination
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	k, err := onion.NewNodeKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{key: k}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		l, err := k.Open(body)
		if err != nil {
			http.Error(w, "Invalid ciphertext", http.StatusBadRequest)
			return
		}
		req, err := onion.ParseV4Request(l.Plaintext)
		if err != nil {
			http.Error(w, "bad v4", http.StatusBadRequest)
			return
		}
		resp := onion.V4Response{Code: http.StatusCreated, Headers: map[string]string{"content-type": "text/plain"},
			Body: append([]byte(req.Method+" "+req.Endpoint+" "), req.Body...)}
		pt, _ := resp.Encode()
		ct, _ := l.EncryptReply(pt, nil)
		w.Write(ct)
	}))
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	host, port, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	s.dest = onion.ServerDestination{Host: host, Port: uint16(p), Target: "/oxen/v4/lsrpc", Protocol: "https", X25519: k.PublicKey()}
	return s
}
