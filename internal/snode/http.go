package snode

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/session-go/session-go/internal/buildinfo"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

// Paths of the node's HTTPS endpoints. The first five are Session's; the
// /swarm/ ones are between our nodes only and need a node signature.
const (
	pathStorageRPC = "/storage_rpc/v1"
	pathOnion      = "/onion_req/v2"
	pathJSONRPC    = "/json_rpc"
	pathPing       = "/ping_test/v1"
	pathStats      = "/get_stats/v1"
	pathStorageCC  = "/swarm/v1/storage_cc"
	pathSync       = "/swarm/v1/sync"
)

// Headers of node-to-node requests.
const (
	headerNode     = "X-Snode-Ed25519"
	headerNodeTime = "X-Snode-Timestamp"
	headerNodeSig  = "X-Snode-Request-Signature"
	headerOnionHop = "X-Snode-Onion-Hop"
	headerLongPoll = "X-Loki-Long-Poll"
	// headerEpoch carries, on every reply of a node that follows a
	// directory, the epoch of its network view, so that a client talking
	// straight to it learns that the network changed (Session's clients
	// ignore the header). Onion replies carry it inside, as "epoch".
	headerEpoch     = "X-Snode-Epoch"
	peerClockWindow = 70 * time.Second
)

func (n *Node) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathStorageRPC, n.handleStorageRPC)
	mux.HandleFunc("POST "+pathOnion, n.handleOnion)
	mux.HandleFunc("POST "+pathJSONRPC, n.handleJSONRPC)
	mux.HandleFunc("POST "+pathPing, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Snode-Pubkey", n.edHex)
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET "+pathStats, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": buildinfo.Version()})
	})
	mux.HandleFunc("POST "+pathStorageCC, n.peerOnly(n.handleStorageCC))
	mux.HandleFunc("POST "+pathSync, n.peerOnly(n.handleSync))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusNotFound, fmt.Sprintf("%s %s Not Found", r.Method, r.URL.Path))
	})
	return n.recoverer(n.withEpoch(mux))
}

// epoch returns the epoch of the node's network view (0: a static list).
func (n *Node) epoch() uint64 {
	if d := n.dir.Load(); d != nil {
		return d.Epoch()
	}
	return 0
}

// withEpoch sets headerEpoch on every reply (none for a static node list).
func (n *Node) withEpoch(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := n.epoch(); e > 0 {
			w.Header().Set(headerEpoch, strconv.FormatUint(e, 10))
		}
		h.ServeHTTP(w, r)
	})
}

// peerOnly guards a node-to-node endpoint: a request that cannot be a
// peer's (no node of the directory named, or a stale timestamp) is a
// stranger's, charged to its rate limit and refused before its body is
// read. The handler still verifies the signature of the rest.
func (n *Node) peerOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := n.plausiblePeer(r); !ok {
			if !n.allowClient(w, r) {
				return
			}
			// A node new in a newer epoch than ours is unknown to us
			// until we read it: it is told to come back, and we read
			// the directory (at most every minNudgeGap, whoever asks).
			if theirs := parseEpoch(r.Header); theirs > n.epoch() {
				n.noteEpoch(theirs)
				writeText(w, http.StatusTooEarly, "behind: this node has an older epoch")
				return
			}
			writeText(w, http.StatusUnauthorized, "unknown or unauthenticated peer")
			return
		}
		h(w, r)
	}
}

// recoverer turns a panic in a handler into a 500 and a log line, so that
// bad input never takes the node down. The panic value is not echoed to the
// client.
func (n *Node) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				n.log.Error("handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
				writeText(w, http.StatusInternalServerError, "request failed")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, text)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeText(w, http.StatusInternalServerError, "request failed")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func (res rpcResult) write(w http.ResponseWriter) {
	if res.status >= 200 && res.status < 300 || res.status == http.StatusMisdirectedRequest {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(res.status)
	w.Write(res.body)
}

// readBody reads a request body up to limit bytes; a longer body is an error.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

var errTooLarge = errors.New("request body too large")

// clientKey returns the address a request came from, the key of its rate
// limit: the IP, or its /64 for IPv6 (see addressKey).
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return addressKey(host)
}

func (n *Node) handleStorageRPC(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(headerLongPoll) != "" {
		writeText(w, http.StatusGone, "long polling is no longer supported, use the long_poll_ms parameter of retrieve")
		return
	}
	if !n.limiter.allow(clientKey(r)) {
		n.metrics.rateLimited.Add(1)
		writeText(w, http.StatusTooManyRequests, "Too Many Requests")
		return
	}
	body, err := readBody(r, storagerpc.MaxRequestBodySize)
	if err != nil {
		writeText(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	n.serveRPCBody(r.Context(), body, pollSender{key: "addr:" + clientKey(r)}).write(w)
}

// serveRPCBody decodes and runs a storage RPC body, with the long-poll
// extension: a retrieve (or a batch of retrieves) carrying "long_poll_ms"
// in its params waits up to that long (capped) for a message to arrive when
// it would otherwise return nothing. sender is who asks, for the caps on
// held long polls and the inbox shares of stores.
func (n *Node) serveRPCBody(ctx context.Context, body []byte, sender pollSender) rpcResult {
	// The same key is the sender of a store into a public inbox (see
	// sender.go).
	ctx = withSender(ctx, n.inboxSender(sender.key))
	req, err := storagerpc.ParseBody(body)
	if err != nil {
		return errorResult(err)
	}
	// Only a retrieve, or a batch of them, can be held. The body was
	// decoded once, above, long_poll_ms included.
	if mailboxes(req) == nil {
		return n.runRPC(ctx, req, false)
	}
	wait := longPollWait(req, n.cfg.MaxLongPoll)
	if wait <= 0 {
		return n.runRPC(ctx, req, false)
	}
	return n.longPoll(ctx, req, wait, sender)
}

// longPollWait is how long req (a retrieve or a batch of them) asks to be
// held, capped at max.
func longPollWait(req storagerpc.Request, max time.Duration) time.Duration {
	var ms int64
	switch r := req.(type) {
	case *storagerpc.Retrieve:
		ms = r.LongPollMS
	case *storagerpc.Batch:
		ms = r.LongPollMS
	}
	if ms <= 0 {
		return 0
	}
	if ms > max.Milliseconds() {
		return max
	}
	return time.Duration(ms) * time.Millisecond
}

func (n *Node) handleJSONRPC(w http.ResponseWriter, r *http.Request) {
	if !n.allowClient(w, r) {
		return
	}
	body, err := readBody(r, 64<<10)
	if err != nil {
		writeText(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	var req struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeText(w, http.StatusBadRequest, "invalid json")
		return
	}
	if p := bytes.TrimSpace(req.Params); len(p) > 0 && p[0] != '{' {
		writeText(w, http.StatusBadRequest, "invalid json: params must be an object")
		return
	}
	switch req.Method {
	case "get_n_service_nodes", "get_service_nodes", "get_all_service_nodes":
	default:
		writeText(w, http.StatusBadRequest, "unsupported method "+strconv.Quote(req.Method))
		return
	}
	out, err := n.seeds.get(n.dir.Load(), func() ([]byte, error) {
		return json.Marshal(map[string]any{"jsonrpc": "2.0", "id": "0", "result": n.serviceNodeStates()})
	})
	if err != nil {
		writeText(w, http.StatusInternalServerError, "request failed")
		return
	}
	// Sign the exact body, with the time, so that clients can check that
	// the seed they asked is the one their seed file names (TLS is not
	// verified) and that the answer is not an old one replayed.
	netview.SignSeedAnswer(w.Header(), n.id.Ed25519PrivateKey(), n.now(), out)
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// seedCache keeps the get_n_service_nodes answer for one directory, so that
// a flood of seed requests costs a lookup each, not a marshalling of the
// whole network.
type seedCache struct {
	mu   sync.Mutex // guards dir and body
	dir  *netview.Directory
	body []byte
}

// get returns the answer for d, building it when d is a new directory.
func (c *seedCache) get(d *netview.Directory, build func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dir == d && c.body != nil {
		return c.body, nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	c.dir, c.body = d, b
	return b, nil
}

// storageServerVersion is the storage server version a node reports in the
// seed answer: the Session storage server release whose protocol it speaks.
var storageServerVersion = [3]int{2, 8, 0}

// serviceNodeStates is the result object of get_n_service_nodes, with
// Session's field names; swarm_id is always included.
//
// Every entry carries what Session's clients require of it: desktop rejects
// the whole answer unless each entry has a numeric requested_unlock_height
// (0: not leaving) and the result a numeric height; libsession reads
// storage_server_version. storage_lmq_port (oxen-libquic's QUIC port) is
// left out, because a node does not serve QUIC: libsession will therefore
// not use our nodes (see docs/compatibility.md).
func (n *Node) serviceNodeStates() any {
	type state struct {
		netview.Node
		Swarm                 string `json:"swarm"`
		RequestedUnlockHeight int    `json:"requested_unlock_height"`
		StorageServerVersion  [3]int `json:"storage_server_version"`
		Active                bool   `json:"active"`
		Funded                bool   `json:"funded"`
	}
	d := n.dir.Load()
	states := []state{}
	for _, m := range d.Nodes() {
		states = append(states, state{Node: m, Swarm: m.SwarmID.String(),
			StorageServerVersion: storageServerVersion, Active: true, Funded: true})
	}
	return map[string]any{"service_node_states": states, "height": 0, "hardfork": hardfork[0]}
}

// peerPost sends a signed node-to-node POST to peer and returns its status
// and body (at most limit bytes). The answer is authenticated: it must come
// over TLS from a server that proves peer's identity.
func (n *Node) peerPost(ctx context.Context, peer netview.Node, path string, body []byte, limit int64) (int, []byte, error) {
	return n.peerPostHeader(ctx, peer, path, body, limit, nil)
}

// peerPostHeader is peerPost with extra request headers.
func (n *Node) peerPostHeader(ctx context.Context, peer netview.Node, path string, body []byte, limit int64, h http.Header) (int, []byte, error) {
	status, b, _, err := n.peerPostEpoch(ctx, peer, path, body, limit, h)
	return status, b, err
}

// peerPostEpoch is peerPostHeader that also returns the epoch the peer
// answered from (0: none given). Every request carries this node's epoch,
// and a peer's newer epoch makes this node read the directory at once.
func (n *Node) peerPostEpoch(ctx context.Context, peer netview.Node, path string, body []byte, limit int64, h http.Header) (int, []byte, uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer.URL()+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if e := n.epoch(); e > 0 {
		req.Header.Set(headerEpoch, strconv.FormatUint(e, 10))
	}
	n.signPeerRequest(req, path, body)
	resp, err := n.peers.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	if err := checkPeerAnswer(resp, peer); err != nil {
		n.metrics.peerTLSRefused.Add(1)
		return 0, nil, 0, err
	}
	epoch := parseEpoch(resp.Header)
	n.noteEpoch(epoch)
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, nil, 0, err
	}
	if int64(len(b)) > limit {
		return 0, nil, 0, errTooLarge
	}
	return resp.StatusCode, b, epoch, nil
}

// parseEpoch reads headerEpoch (0 when absent or malformed: it is a hint).
func parseEpoch(h http.Header) uint64 {
	v, err := strconv.ParseUint(h.Get(headerEpoch), 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// peerSignedMessage is what a node signs for a node-to-node request. It
// covers the onion hop header (empty on other requests), so that the hop
// count a relay acts on is the one the previous node signed.
func peerSignedMessage(ts, hop, path string, body []byte) []byte {
	h := blake2b.Sum256(body)
	return append([]byte("snode-peer\x00"+ts+"\x00"+hop+"\x00"+path+"\x00"), h[:]...)
}

// signPeerRequest signs req as this node. Set the onion hop header first.
func (n *Node) signPeerRequest(req *http.Request, path string, body []byte) {
	signPeer(n.id, n.now(), req, path, body)
}

func signPeer(id *keys.Identity, now time.Time, req *http.Request, path string, body []byte) {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	msg := peerSignedMessage(ts, req.Header.Get(headerOnionHop), path, body)
	req.Header.Set(headerNode, hex.EncodeToString(id.Ed25519PublicKey()))
	req.Header.Set(headerNodeTime, ts)
	req.Header.Set(headerNodeSig, base64.StdEncoding.EncodeToString(id.Sign(msg)))
}

// plausiblePeer reports whether a request claims to come from a node of the
// directory with a fresh timestamp: the cheap checks, made before reading
// the body. Only verifyPeer decides that it does.
func (n *Node) plausiblePeer(r *http.Request) (netview.Node, bool) {
	peer, ok := n.dir.Load().Node(r.Header.Get(headerNode))
	if !ok {
		return netview.Node{}, false
	}
	ms, err := strconv.ParseInt(r.Header.Get(headerNodeTime), 10, 64)
	// Compared without subtracting ms, which could overflow.
	now, w := n.now().UnixMilli(), peerClockWindow.Milliseconds()
	if err != nil || ms < now-w || ms > now+w {
		return netview.Node{}, false
	}
	return peer, true
}

// verifyPeer checks a node-to-node request's signature and returns the
// sending node, which must be in the directory.
func (n *Node) verifyPeer(r *http.Request, body []byte) (netview.Node, bool) {
	peer, ok := n.plausiblePeer(r)
	if !ok {
		return netview.Node{}, false
	}
	ts := r.Header.Get(headerNodeTime)
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(headerNodeSig))
	key, kerr := hexKey(peer.Ed25519)
	if err != nil || kerr != nil || !ed25519.Verify(key, peerSignedMessage(ts, r.Header.Get(headerOnionHop), r.URL.Path, body), sig) {
		return netview.Node{}, false
	}
	return peer, true
}

// handleStorageCC runs a recursive request pushed by a swarm peer, locally only.
func (n *Node) handleStorageCC(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, storagerpc.MaxRequestBodySize)
	if err != nil {
		writeText(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	if _, ok := n.verifyPeer(r, body); !ok {
		writeText(w, http.StatusUnauthorized, "unknown or unauthenticated peer")
		return
	}
	req, err := storagerpc.ParseBody(body)
	if err != nil {
		errorResult(err).write(w)
		return
	}
	if _, isBatch := req.(*storagerpc.Batch); isBatch {
		writeText(w, http.StatusBadRequest, "batch cannot be forwarded")
		return
	}
	n.runRPC(withSender(r.Context(), forwardedSender(r.Header)), req, true).write(w)
}
