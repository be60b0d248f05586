package snode_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/snode"
	"github.com/session-go/session-go/internal/storagerpc"
)

// restartWith restarts node with extra command-line arguments for the rest
// of the test, and restarts it as it was afterwards.
func restartWith(t *testing.T, node *devnet.Node, extra ...string) {
	t.Helper()
	orig := slices.Clone(node.Args)
	restart := func(args []string) error {
		if err := node.Stop(10 * time.Second); err != nil {
			return err
		}
		node.Args = args
		if err := node.Start(); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		return node.WaitReady(ctx)
	}
	if err := restart(append(slices.Clone(orig), extra...)); err != nil {
		t.Fatalf("restarting node %d with %s: %v", node.Index, strings.Join(extra, " "), err)
	}
	t.Cleanup(func() {
		if err := restart(orig); err != nil {
			t.Errorf("restarting node %d as it was: %v", node.Index, err)
		}
	})
}

// allowLocal restarts node so that its onion proxy may reach the given
// local servers, as a devnet's node may reach the devnet's file server.
func allowLocal(t *testing.T, node *devnet.Node, addrs ...net.Addr) {
	t.Helper()
	var list []string
	for _, a := range addrs {
		list = append(list, a.String())
	}
	restartWith(t, node, "--onion-allow-local", strings.Join(list, ","))
}

// clientFrom is an HTTPS client whose connections come from localIP (any
// address of 127.0.0.0/8), so that an attack and honest traffic have
// different client addresses on one machine, as they would on the internet.
func clientFrom(localIP string) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}}
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			DialContext:         d.DialContext,
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 64,
		},
	}
}

// send POSTs body with extra headers and returns status and body, or the
// transport error.
func send(c *http.Client, url string, body []byte, hdr map[string]string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, b, err
}

func x25519Of(t *testing.T, n *devnet.Node) [32]byte {
	t.Helper()
	var k [32]byte
	if b, err := hex.DecodeString(n.X25519); err != nil || len(b) != 32 {
		t.Fatalf("node %d X25519 %q", n.Index, n.X25519)
	} else {
		copy(k[:], b)
	}
	return k
}

// frame builds one layer, le32(N) ‖ blob ‖ meta.
func frame(t *testing.T, blob []byte, meta string) []byte {
	t.Helper()
	b, err := onion.BuildLayer(blob, []byte(meta))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seal encrypts plaintext to node with enc and frames it as a first layer.
// The reply key decrypts what that node answers.
func seal(t *testing.T, node *devnet.Node, plaintext []byte, enc onion.EncType) ([]byte, *onion.ReplyKey) {
	t.Helper()
	ct, rk, err := onion.SealLayer(enc, plaintext, x25519Of(t, node), nil)
	if err != nil {
		t.Fatal(err)
	}
	eph := rk.PublicKey()
	return frame(t, ct, fmt.Sprintf(`{"ephemeral_key":"%x","enc_type":"%s"}`, eph[:], enc)), rk
}

// chain builds, by hand and without onion.Build's limit on hops, an onion
// request for dest through relays (first relay first) carrying a storage
// RPC payload. The reply key decrypts the destination's answer.
func chain(t *testing.T, relays []*devnet.Node, dest *devnet.Node, payload []byte) ([]byte, *onion.ReplyKey) {
	t.Helper()
	ct, rk, err := onion.SealLayer(onion.XChaCha20, frame(t, payload, `{"headers":""}`), x25519Of(t, dest), nil)
	if err != nil {
		t.Fatal(err)
	}
	destKey, next := rk, dest
	for i := len(relays) - 1; i >= 0; i-- {
		eph := rk.PublicKey()
		meta := fmt.Sprintf(`{"destination":"%s","ephemeral_key":"%x","enc_type":"xchacha20"}`, next.Ed25519, eph[:])
		if ct, rk, err = onion.SealLayer(onion.XChaCha20, frame(t, ct, meta), x25519Of(t, relays[i]), nil); err != nil {
			t.Fatal(err)
		}
		next = relays[i]
	}
	eph := rk.PublicKey()
	return frame(t, ct, fmt.Sprintf(`{"ephemeral_key":"%x","enc_type":"xchacha20"}`, eph[:])), destKey
}

// openReply decrypts a node's base64 onion reply, {"status", "body"}.
func openReply(t *testing.T, key *onion.ReplyKey, body []byte) (int, string) {
	t.Helper()
	ct, err := base64.StdEncoding.DecodeString(string(body))
	if err != nil {
		t.Fatalf("onion reply is not base64: %q", truncate(body))
	}
	plain, err := key.DecryptReply(ct)
	if err != nil {
		t.Fatalf("decrypting the onion reply: %v", err)
	}
	var reply struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	if err := json.Unmarshal(plain, &reply); err != nil {
		t.Fatalf("onion reply %q: %v", plain, err)
	}
	return reply.Status, reply.Body
}

// canary is an HTTP server on 127.0.0.1 that counts the requests reaching it.
type canary struct {
	*httptest.Server
	hits atomic.Int64
}

func newCanary(t *testing.T) *canary {
	c := &canary{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		io.WriteString(w, "canary reached")
	}))
	t.Cleanup(c.Close)
	return c
}

func hostPort(t *testing.T, a net.Addr) (string, uint16) {
	t.Helper()
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return h, uint16(port)
}

// serverOnion builds a one-hop onion request through node to an HTTP server.
func serverOnion(t *testing.T, node *devnet.Node, host string, port uint16, protocol, target string) []byte {
	t.Helper()
	var key [32]byte
	rand.Read(key[:])
	v4 := &onion.V4Request{Method: "GET", Endpoint: "/file/1", Headers: map[string]string{}}
	payload, err := v4.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dest := onion.ServerDestination{Host: host, Port: port, Protocol: protocol, Target: target, X25519: key}
	blob, _, err := onion.Build(dest, []onion.Hop{hop(t, node)}, payload, onion.XChaCha20, nil)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// honestOnionInfo checks that an ordinary onion request through three nodes
// still works.
func honestOnionInfo(t *testing.T, path []*devnet.Node, dest *devnet.Node) {
	t.Helper()
	status, body := onionRPC(t, path, dest, &storagerpc.Info{}, onion.XChaCha20)
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"version"`)) {
		t.Fatalf("honest onion request: %d %s", status, body)
	}
}

// TestOnionProxyIsNoWayIntoPrivateNetworks (issue 8 point 3): a node does not
// fetch from its own loopback or private networks for a stranger, by name or
// by address, and answers a closed port exactly as an open one.
func TestOnionProxyIsNoWayIntoPrivateNetworks(t *testing.T) {
	needNet(t)
	node := testNet.Nodes[4]
	can := newCanary(t)
	host, port := hostPort(t, can.Listener.Addr())
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, closedPort := hostPort(t, closed.Addr())
	closed.Close()

	type dest struct {
		host string
		port uint16
	}
	var answers []string
	for _, d := range []dest{{host, port}, {"localhost", port}, {host, closedPort}, {"[::1]", port},
		{"0.0.0.0", port}, {"127.1.2.3", port}, {"169.254.169.254", 80}, {"10.0.0.1", 80}, {"192.168.1.1", 443}, {"100.64.0.1", 80}} {
		for _, proto := range []string{"http", "https"} {
			status, body := post(t, node.URL()+"/onion_req/v2", serverOnion(t, node, d.host, d.port, proto, "/oxen/v4/lsrpc"))
			answers = append(answers, fmt.Sprintf("%d %s", status, body))
			if status != http.StatusBadGateway {
				t.Errorf("%s://%s:%d: %d %q, want 502", proto, d.host, d.port, status, truncate(body))
			}
		}
	}
	for i, a := range answers {
		if a != answers[0] {
			t.Errorf("answer %d %q differs from %q: the proxy tells destinations apart", i, a, answers[0])
		}
	}
	if n := can.hits.Load(); n != 0 {
		t.Fatalf("the loopback canary was reached %d times", n)
	}

	// Targets that would climb out of the onion endpoints are refused
	// before any connection, with an encrypted "Invalid url".
	for _, target := range []string{"/oxen/../metrics/lsrpc", "/oxen//lsrpc", "/oxen/%2e%2e/metrics/lsrpc", "/oxen/./v4/lsrpc", "/loki/%2F/lsrpc"} {
		meta := fmt.Sprintf(`{"host":%q,"port":%d,"protocol":"http","target":%q}`, host, port, target)
		blob, key := seal(t, node, frame(t, []byte("x"), meta), onion.XChaCha20)
		status, body := post(t, node.URL()+"/onion_req/v2", blob)
		if status != http.StatusOK {
			t.Fatalf("target %q: path error %d %q", target, status, body)
		}
		if code, text := openReply(t, key, body); code != http.StatusBadRequest || text != "Invalid url" {
			t.Errorf("target %q: %d %q, want 400 Invalid url", target, code, text)
		}
	}
	if n := can.hits.Load(); n != 0 {
		t.Fatalf("the loopback canary was reached %d times", n)
	}
	honestOnionInfo(t, testNet.Nodes[4:7], testNet.Nodes[7])
}

// TestOnionProxyNeverFollowsRedirects (issue 8 point 3): even a server the
// node may reach (the devnet's own file server) cannot bounce it elsewhere,
// and its replies are capped.
func TestOnionProxyNeverFollowsRedirects(t *testing.T) {
	needNet(t)
	node := testNet.Nodes[8]
	can := newCanary(t)
	const big = 17 << 20
	fs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oxen/v4/lsrpc":
			io.WriteString(w, "file server")
		case "/loki/v3/lsrpc":
			http.Redirect(w, r, can.URL+"/oxen/v4/lsrpc", http.StatusTemporaryRedirect)
		case "/oxen/metrics/lsrpc":
			http.Redirect(w, r, can.URL+"/metrics", http.StatusFound)
		case "/oxen/big/lsrpc": // no Content-Length: streamed
			chunk := bytes.Repeat([]byte("b"), 1<<20)
			for range big >> 20 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		case "/oxen/declared/lsrpc":
			w.Header().Set("Content-Length", strconv.Itoa(big))
			w.Write([]byte("short"))
		}
	}))
	t.Cleanup(fs.Close)
	host, port := hostPort(t, fs.Listener.Addr())
	allowLocal(t, node, fs.Listener.Addr())

	status, body := post(t, node.URL()+"/onion_req/v2", serverOnion(t, node, host, port, "http", "/oxen/v4/lsrpc"))
	if status != http.StatusOK || string(body) != "file server" {
		t.Fatalf("the allowed file server: %d %q, want 200 \"file server\"", status, truncate(body))
	}
	for target, want := range map[string]int{"/loki/v3/lsrpc": http.StatusTemporaryRedirect, "/oxen/metrics/lsrpc": http.StatusFound} {
		status, body := post(t, node.URL()+"/onion_req/v2", serverOnion(t, node, host, port, "http", target))
		if status != want {
			t.Errorf("%s: %d %q, want the redirect %d passed back", target, status, truncate(body), want)
		}
	}
	if n := can.hits.Load(); n != 0 {
		t.Fatalf("the node followed a redirect: the canary was reached %d times", n)
	}

	// A reply over the cap is never passed on whole.
	status, body, err := send(httpClient, node.URL()+"/onion_req/v2", serverOnion(t, node, host, port, "http", "/oxen/big/lsrpc"), nil)
	if err == nil && status == http.StatusOK && len(body) >= big {
		t.Errorf("a %d-byte streamed reply was passed on whole", len(body))
	}
	if status, body := post(t, node.URL()+"/onion_req/v2", serverOnion(t, node, host, port, "http", "/oxen/declared/lsrpc")); status != http.StatusBadGateway {
		t.Errorf("a reply declaring %d bytes: %d %q, want 502", big, status, truncate(body))
	}
	status, body = post(t, node.URL()+"/onion_req/v2", serverOnion(t, node, host, port, "http", "/oxen/v4/lsrpc"))
	if status != http.StatusOK || string(body) != "file server" {
		t.Fatalf("the file server after the oversized replies: %d %q", status, truncate(body))
	}
}

// peerHeaders are the headers a node sends with a relayed request. Without
// an identity the signature is junk.
func peerHeaders(t *testing.T, from *devnet.Node, hopHdr string, body []byte, signed bool) map[string]string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "https://x/onion_req/v2", nil)
	if hopHdr != "" {
		req.Header.Set("X-Snode-Onion-Hop", hopHdr)
	}
	if signed {
		id, err := snode.LoadOrCreateIdentity(from.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		snode.SignPeerRequest(id, req, "/onion_req/v2", body)
	} else {
		req.Header.Set("X-Snode-Ed25519", from.Ed25519)
		req.Header.Set("X-Snode-Timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
		req.Header.Set("X-Snode-Request-Signature", base64.StdEncoding.EncodeToString(make([]byte, 64)))
	}
	out := map[string]string{}
	for k := range req.Header {
		out[k] = req.Header.Get(k)
	}
	return out
}

// TestPeerHeaderBuysNothing (issue 8 point 4): naming a node in
// X-Snode-Ed25519 without its signature does not skip the rate limit.
func TestPeerHeaderBuysNothing(t *testing.T) {
	needNet(t)
	node, claimed := testNet.Nodes[6], testNet.Nodes[7]
	attacker := clientFrom("127.0.0.3")
	junk := make([]byte, 256)
	rand.Read(junk)
	const total = 2000
	var limited, served atomic.Int64
	var wg sync.WaitGroup
	next := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			for range next {
				status, _, err := send(attacker, node.URL()+"/onion_req/v2", junk, peerHeaders(t, claimed, "1", junk, false))
				switch {
				case err != nil:
				case status == http.StatusTooManyRequests:
					limited.Add(1)
				default:
					served.Add(1)
				}
			}
		})
	}
	for range total {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	t.Logf("%d of %d junk requests claiming to be node %d were rate-limited (%d answered)", limited.Load(), total, claimed.Index, served.Load())
	if limited.Load() == 0 {
		t.Fatalf("none of %d junk requests with a peer's key in X-Snode-Ed25519 was rate-limited", total)
	}
	// Honest clients elsewhere, and the nodes themselves, are not held up.
	honestOnionInfo(t, []*devnet.Node{node, testNet.Nodes[9], testNet.Nodes[10]}, testNet.Nodes[11])

	// The node-to-node endpoints refuse strangers before reading their
	// bodies, and charge them like any client.
	stranger := clientFrom("127.0.0.5")
	var refused, limitedPeerPaths atomic.Int64
	next = make(chan struct{})
	for range 16 {
		wg.Go(func() {
			for range next {
				for _, path := range []string{"/swarm/v1/sync", "/swarm/v1/storage_cc"} {
					status, _, err := send(stranger, node.URL()+path, junk, nil)
					switch {
					case err != nil:
					case status == http.StatusUnauthorized:
						refused.Add(1)
					case status == http.StatusTooManyRequests:
						limitedPeerPaths.Add(1)
					default:
						t.Errorf("a stranger's %s: %d", path, status)
					}
				}
			}
		})
	}
	for range total / 2 {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	t.Logf("strangers at the node-to-node endpoints: %d refused, %d rate-limited", refused.Load(), limitedPeerPaths.Load())
	if refused.Load() == 0 || limitedPeerPaths.Load() == 0 {
		t.Fatalf("strangers at the node-to-node endpoints: %d refused, %d rate-limited; want both", refused.Load(), limitedPeerPaths.Load())
	}
	// Replication between the nodes goes on.
	id := newAccount(t)
	members, _ := swarmOf(t, id.SessionID())
	data := []byte("replicated after the flood")
	if status, b := rpc(t, members[0], storeReq(id.SessionID(), data)); status != http.StatusOK {
		t.Fatalf("store: %d %s", status, b)
	}
	// The store is answered at a quorum (or its deadline), so another
	// member may get it a moment later, by push or catch-up.
	awaitHeld(t, members[1:2], id, storagerpc.MessageHash(id.SessionID(), 0, data))
}

// TestOnionHopCount (issue 8 point 4): the hop number counts only when a
// node signed it; a chain longer than Session's 15 hops fails whether sent
// as a client or with a forged negative, zero or unparsable hop.
func TestOnionHopCount(t *testing.T) {
	needNet(t)
	info, _ := storagerpc.EncodeBody(&storagerpc.Info{})
	nodes := testNet.Nodes
	var long []*devnet.Node
	for i := range 20 {
		long = append(long, nodes[i%12])
	}
	dest := nodes[13]
	prev := nodes[12] // the "previous node" whose key signs forged headers
	first := long[0]

	check := func(name string, blob []byte, hdr map[string]string, wantHops bool) {
		t.Helper()
		status, body, err := send(httpClient, first.URL()+"/onion_req/v2", blob, hdr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tooMany := status == http.StatusBadRequest && string(body) == "too many onion hops"
		if tooMany != wantHops {
			t.Errorf("%s: %d %q; want too many hops: %v", name, status, truncate(body), wantHops)
		}
	}
	blob, _ := chain(t, long, dest, info)
	check("20 relays as a client", blob, nil, true)
	for _, h := range []string{"-1000", "0", "abc", "-2147483648", "99999999999999999999"} {
		check("20 relays signed with hop "+h, blob, peerHeaders(t, prev, h, blob, true), true)
		check("20 relays unsigned with hop "+h, blob, peerHeaders(t, prev, h, blob, false), true)
	}
	check("20 relays with no hop header", blob, peerHeaders(t, prev, "", blob, true), true)

	short, key := chain(t, []*devnet.Node{first, nodes[1], nodes[2]}, dest, info)
	// A signed hop is believed: a node at hop 15 relays no further.
	check("3 relays signed at hop 15", short, peerHeaders(t, prev, "15", short, true), true)
	// The hop is inside the signature: raising it after signing makes the
	// request a client's again, which starts at hop 0.
	hdr := peerHeaders(t, prev, "1", short, true)
	hdr["X-Snode-Onion-Hop"] = "14"
	check("3 relays, hop raised after signing", short, hdr, false)
	// And honest requests, direct or relayed by a real peer, still go through.
	status, body, err := send(httpClient, first.URL()+"/onion_req/v2", short, peerHeaders(t, prev, "1", short, true))
	if err != nil || status != http.StatusOK {
		t.Fatalf("3 relays from a real peer at hop 1: %d %q %v", status, truncate(body), err)
	}
	if code, text := openReply(t, key, body); code != http.StatusOK || !strings.Contains(text, `"version"`) {
		t.Fatalf("3 relays from a real peer: %d %q", code, text)
	}
}

// TestOnionRefusesCBC (issue 8 point 9): an aes-cbc layer is refused before
// it is decrypted, with the one answer every bad layer gets.
func TestOnionRefusesCBC(t *testing.T) {
	needNet(t)
	node := testNet.Nodes[3]
	info, _ := storagerpc.EncodeBody(&storagerpc.Info{})
	inner := frame(t, info, `{"headers":""}`)
	good, _ := seal(t, node, inner, onion.AESCBC)
	bad := bytes.Clone(good)
	bad[4+20] ^= 1 // inside the ciphertext
	short, _ := seal(t, node, inner[:5], onion.AESCBC)
	var answers []string
	for _, b := range [][]byte{good, bad, short} {
		status, body := post(t, node.URL()+"/onion_req/v2", b)
		answers = append(answers, fmt.Sprintf("%d %s", status, body))
	}
	gcm, _ := seal(t, node, inner, onion.AESGCM)
	gcm[4+20] ^= 1
	status, body := post(t, node.URL()+"/onion_req/v2", gcm)
	answers = append(answers, fmt.Sprintf("%d %s", status, body))
	for i, a := range answers {
		if a != "400 Invalid ciphertext" {
			t.Errorf("layer %d: %q, want 400 Invalid ciphertext", i, a)
		}
	}
	for _, enc := range []onion.EncType{onion.AESGCM, onion.XChaCha20} {
		blob, key := seal(t, node, inner, enc)
		status, body := post(t, node.URL()+"/onion_req/v2", blob)
		if code, text := openReply(t, key, body); status != http.StatusOK || code != http.StatusOK || !strings.Contains(text, `"version"`) {
			t.Errorf("%v: %d, %d %q", enc, status, code, text)
		}
	}
}

// longPollBody is a signed retrieve of id's inbox that asks to be held.
func longPollBody(t *testing.T, id *keys.Identity, ms int) []byte {
	t.Helper()
	r := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
	storagerpc.Sign(r, id)
	body, _ := json.Marshal(map[string]any{"method": "retrieve", "params": longPollParams(r, ms)})
	return body
}

// longPollParams are the params of retrieve r (signed, or forged by the
// caller) asking to be held for ms milliseconds.
func longPollParams(r *storagerpc.Retrieve, ms int) map[string]any {
	params, _ := json.Marshal(r)
	var p map[string]any
	json.Unmarshal(params, &p)
	p["long_poll_ms"] = ms
	return p
}

// pollWhileStoring posts body, a long-polling retrieve of id's inbox, to
// members[0], stores data for id through members[1] while it is held, and
// returns the poll's answer: whether the store woke it, and with what.
func pollWhileStoring(t *testing.T, members []*devnet.Node, id *keys.Identity, body, data []byte) (int, []byte) {
	t.Helper()
	type result struct {
		status int
		body   []byte
	}
	done := make(chan result, 1)
	go func() {
		status, b := post(t, members[0].URL()+"/storage_rpc/v1", body)
		done <- result{status, b}
	}()
	// Store on another member: replication must wake the waiting retrieve.
	time.Sleep(300 * time.Millisecond)
	if status, b := rpc(t, members[1], storeReq(id.SessionID(), data)); status != http.StatusOK {
		t.Fatalf("store: %d %s", status, b)
	}
	res := <-done
	return res.status, res.body
}

// TestThousandsOfLongPolls (issue 8 point 7): 3 000 long polls from one
// address are not all held: beyond the per-address cap (256) they are
// answered at once, while a client at another address is still held and
// woken, and stores go through.
func TestThousandsOfLongPolls(t *testing.T) {
	needNet(t)
	id := newAccount(t)
	members, _ := swarmOf(t, id.SessionID())
	node := members[0]
	const total, perAddress = 3000, 256
	body := longPollBody(t, id, 20_000)
	attacker := clientFrom("127.0.0.2")

	type reply struct {
		status int
		body   []byte
		err    error
	}
	replies := make(chan reply, total)
	for range total {
		go func() {
			status, b, err := send(attacker, node.URL()+"/storage_rpc/v1", body, nil)
			replies <- reply{status, b, err}
		}()
	}
	// Everything beyond the cap comes back without waiting for a message.
	var early, limited, failed int
	deadline := time.After(2 * time.Minute)
	for early+limited+failed < total-perAddress {
		select {
		case r := <-replies:
			switch {
			case r.err != nil:
				failed++
			case r.status == http.StatusTooManyRequests:
				limited++
			case r.status == http.StatusOK && bytes.Contains(r.body, []byte(`"messages":[]`)):
				early++
			default:
				t.Fatalf("long poll: %d %q", r.status, truncate(r.body))
			}
		case <-deadline:
			t.Fatalf("after 2 minutes only %d of %d long polls were answered (%d rate-limited, %d failed): more than %d are held",
				early+limited+failed, total, limited, failed, perAddress)
		}
	}
	t.Logf("answered at once: %d empty, %d rate-limited, %d failed", early, limited, failed)

	// An honest client at another address is held, and woken by a store.
	honest := make(chan reply, 1)
	go func() {
		status, b, err := send(httpClient, node.URL()+"/storage_rpc/v1", longPollBody(t, id, 20_000), nil)
		honest <- reply{status, b, err}
	}()
	time.Sleep(500 * time.Millisecond)
	data := []byte("through the flood")
	hash := storagerpc.MessageHash(id.SessionID(), 0, data)
	if status, b := rpc(t, members[1], storeReq(id.SessionID(), data)); status != http.StatusOK {
		t.Fatalf("store during the flood: %d %s", status, b)
	}
	h := <-honest
	if h.err != nil || h.status != http.StatusOK || !bytes.Contains(h.body, []byte(hash)) {
		t.Fatalf("honest long poll during the flood: %d %q %v", h.status, truncate(h.body), h.err)
	}
	// The held ones are woken by the same store: at most the cap of them.
	held := 0
	for range total - (early + limited + failed) {
		r := <-replies
		if r.err == nil && r.status == http.StatusOK && bytes.Contains(r.body, []byte(hash)) {
			held++
		}
	}
	t.Logf("held and woken: %d", held)
	if held < 1 || held > perAddress {
		t.Fatalf("%d long polls from one address were held, want 1 to %d", held, perAddress)
	}
}

// TestDeleteListsAreCapped (issue 8 point 7): a delete names at most 1 000
// hashes.
func TestDeleteListsAreCapped(t *testing.T) {
	needNet(t)
	id := newAccount(t)
	members, _ := swarmOf(t, id.SessionID())
	data := []byte("to delete")
	if status, b := rpc(t, members[0], storeReq(id.SessionID(), data)); status != http.StatusOK {
		t.Fatalf("store: %d %s", status, b)
	}
	hash := storagerpc.MessageHash(id.SessionID(), 0, data)
	filler := func(n int) []string {
		out := []string{hash}
		for i := 1; i < n; i++ {
			out = append(out, storagerpc.MessageHash(id.SessionID(), 0, fmt.Appendf(nil, "never stored %d", i)))
		}
		return out
	}
	del := &storagerpc.Delete{Messages: filler(storagerpc.MaxHashesPerRequest + 1)}
	storagerpc.Sign(del, id)
	if status, b := rpc(t, members[0], del); status != http.StatusBadRequest || !bytes.Contains(b, []byte("too many message hashes")) {
		t.Fatalf("delete of %d hashes: %d %q, want 400", len(del.Messages), status, truncate(b))
	}
	if got := retrieveAll(t, members[0], id); got[hash] == nil {
		t.Fatal("the refused delete deleted the message")
	}
	del = &storagerpc.Delete{Messages: filler(storagerpc.MaxHashesPerRequest)}
	storagerpc.Sign(del, id)
	if status, b := rpc(t, members[0], del); status != http.StatusOK {
		t.Fatalf("delete of %d hashes: %d %q", len(del.Messages), status, truncate(b))
	}
	for _, m := range members[:2] {
		if got := retrieveAll(t, m, id); got[hash] != nil {
			t.Errorf("member %d still holds the deleted message", m.Index)
		}
	}
}

// TestReplayedSignaturesChangeNothing (issue 8 point 9): a delete_all or an
// expire seen again, at the node that ran it or at another member that got
// it forwarded, runs as a no-op.
func TestReplayedSignaturesChangeNothing(t *testing.T) {
	needNet(t)
	id := newAccount(t)
	members, _ := swarmOf(t, id.SessionID())
	entry, other := members[0], members[1]
	storeOne := func(text string) string {
		t.Helper()
		data := []byte(text)
		if status, b := rpc(t, entry, storeReq(id.SessionID(), data)); status != http.StatusOK {
			t.Fatalf("store: %d %s", status, b)
		}
		h := storagerpc.MessageHash(id.SessionID(), 0, data)
		// Answered at a quorum: wait until the other member has it too,
		// or a replay there could not show what it leaves alone.
		awaitHeld(t, []*devnet.Node{entry, other}, id, h)
		return h
	}
	first := storeOne("before the delete_all")
	da := &storagerpc.DeleteAll{Timestamp: time.Now().UnixMilli()}
	storagerpc.Sign(da, id)
	if status, b := rpc(t, entry, da); status != http.StatusOK || !bytes.Contains(b, []byte(first)) {
		t.Fatalf("delete_all: %d %s", status, b)
	}
	after := storeOne("after the delete_all")
	for _, m := range []*devnet.Node{entry, other} {
		if status, b := rpc(t, m, da); status != http.StatusOK || bytes.Contains(b, []byte(after)) {
			t.Errorf("replayed delete_all at member %d: %d %s", m.Index, status, b)
		}
	}
	for _, m := range []*devnet.Node{entry, other} {
		if got := retrieveAll(t, m, id); got[after] == nil {
			t.Errorf("a replayed delete_all deleted a later message on member %d", m.Index)
		}
	}

	// expire: the owner sets an expiry, then extends it; the first request
	// replayed does not take the extension back.
	soon := time.Now().Add(20 * time.Minute).UnixMilli()
	later := time.Now().Add(50 * time.Minute).UnixMilli()
	exp1 := &storagerpc.Expire{Messages: []string{after}, Expiry: []int64{soon}}
	storagerpc.Sign(exp1, id)
	exp2 := &storagerpc.Expire{Messages: []string{after}, Expiry: []int64{later}}
	storagerpc.Sign(exp2, id)
	for _, e := range []*storagerpc.Expire{exp1, exp2, exp1} {
		if status, b := rpc(t, entry, e); status != http.StatusOK {
			t.Fatalf("expire: %d %s", status, b)
		}
	}
	if status, b := rpc(t, other, exp1); status != http.StatusOK {
		t.Fatalf("expire replayed at another member: %d %s", status, b)
	}
	for _, m := range []*devnet.Node{entry, other} {
		ge := &storagerpc.GetExpiries{Messages: []string{after}, Timestamp: time.Now().UnixMilli()}
		storagerpc.Sign(ge, id)
		status, b := rpc(t, m, ge)
		var ger storagerpc.GetExpiriesResponse
		if status != http.StatusOK || json.Unmarshal(b, &ger) != nil {
			t.Fatalf("get_expiries: %d %s", status, b)
		}
		if ger.Expiries[after] != later {
			t.Errorf("member %d: expiry %d after the replay, want the extended %d", m.Index, ger.Expiries[after], later)
		}
	}

	// A new request from the owner (a new timestamp) still works.
	da = &storagerpc.DeleteAll{Timestamp: time.Now().UnixMilli() + 1}
	storagerpc.Sign(da, id)
	if status, b := rpc(t, entry, da); status != http.StatusOK {
		t.Fatalf("second delete_all: %d %s", status, b)
	}
	for _, m := range members {
		if got := retrieveAll(t, m, id); len(got) != 0 {
			t.Errorf("member %d holds %d messages after the second delete_all", m.Index, len(got))
		}
	}
}

// TestSeedRequestsAreRateLimited (issue 8 point 7): get_n_service_nodes
// costs a token like any request, so a flood is cut off, while a client at
// another address is answered.
func TestSeedRequestsAreRateLimited(t *testing.T) {
	needNet(t)
	node := testNet.Nodes[9]
	attacker := clientFrom("127.0.0.4")
	body := []byte(`{"method":"get_n_service_nodes","params":{}}`)
	var limited, served atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				status, _, err := send(attacker, node.URL()+"/json_rpc", body, nil)
				switch {
				case err != nil:
				case status == http.StatusTooManyRequests:
					limited.Add(1)
				case status == http.StatusOK:
					served.Add(1)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("seed flood: %d served, %d rate-limited", served.Load(), limited.Load())
	if limited.Load() == 0 {
		t.Fatal("none of 1 600 seed requests from one address was rate-limited")
	}
	status, b := post(t, node.URL()+"/json_rpc", body)
	if status != http.StatusOK || !bytes.Contains(b, []byte(testNet.Nodes[0].Ed25519)) {
		t.Fatalf("an honest seed request: %d %q", status, truncate(b))
	}
}

// TestRelaysInFlightPerSender (issue 8 point 4): one sender cannot hold more
// than 64 proxied requests open at a node; others are still served.
func TestRelaysInFlightPerSender(t *testing.T) {
	needNet(t)
	node := testNet.Nodes[10]
	const perSender = 64
	var pending atomic.Int64
	release := make(chan struct{})
	fs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oxen/slow/lsrpc" {
			pending.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		io.WriteString(w, "file server")
	}))
	t.Cleanup(fs.Close)
	host, port := hostPort(t, fs.Listener.Addr())
	allowLocal(t, node, fs.Listener.Addr())

	attacker := clientFrom("127.0.0.6")
	slow := serverOnion(t, node, host, port, "http", "/oxen/slow/lsrpc")
	results := make(chan int, perSender)
	for range perSender {
		go func() {
			status, _, _ := send(attacker, node.URL()+"/onion_req/v2", slow, nil)
			results <- status
		}()
	}
	deadline := time.Now().Add(time.Minute)
	for pending.Load() < perSender {
		if time.Now().After(deadline) {
			t.Fatalf("only %d slow requests reached the server", pending.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	status, body, err := send(attacker, node.URL()+"/onion_req/v2", slow, nil)
	if err != nil || status != http.StatusServiceUnavailable {
		t.Errorf("request %d from one sender: %d %q %v, want 503", perSender+1, status, truncate(body), err)
	}
	// Another client is served meanwhile.
	status, body = post(t, node.URL()+"/onion_req/v2", serverOnion(t, node, host, port, "http", "/oxen/v4/lsrpc"))
	if status != http.StatusOK || string(body) != "file server" {
		t.Errorf("another client while one sender is at its cap: %d %q", status, truncate(body))
	}
	close(release)
	for range perSender {
		if s := <-results; s != http.StatusOK {
			t.Errorf("a held request ended with %d", s)
		}
	}
	// Its slots are free again.
	status, body, err = send(attacker, node.URL()+"/onion_req/v2", serverOnion(t, node, host, port, "http", "/oxen/v4/lsrpc"), nil)
	if err != nil || status != http.StatusOK {
		t.Errorf("the sender after its requests ended: %d %q %v", status, truncate(body), err)
	}
}
