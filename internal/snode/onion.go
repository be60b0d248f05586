package snode

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/publicnet"
)

// Onion timeouts (Session: 30 s per relay hop, 25 s to an HTTP server).
const (
	onionRelayTimeout  = 30 * time.Second
	onionServerTimeout = 25 * time.Second
	// maxServerReply caps what a proxied HTTP server may answer. Replies are
	// streamed, never held whole.
	maxServerReply = 16 << 20
	// maxRelayReply caps what the next node may answer a relayed request:
	// a large retrieve, encrypted and base64-encoded, is above the 10 MiB
	// request limit.
	maxRelayReply = 16 << 20
)

// onionSender is who sent an onion request, as far as limits go.
type onionSender struct {
	key  string // "peer:<ed25519>" or "addr:<address key>"
	peer bool   // a verified peer
	hop  int    // hops so far: 0 for a client, 1..MaxHops for a peer
}

// handleOnion peels one layer of an onion request and acts on it: run it
// (final destination), relay it to the next node, or proxy it to an HTTP
// server. Path errors are answered in plain text, as Session's nodes do;
// errors at the destination are encrypted for the client.
//
// A request is from a peer only when a node of the directory signed it,
// hop number included, and that number is 1 to MaxHops; anything else
// (no header, a bad signature, a missing, zero, negative or unparsable hop)
// is a client's and pays the rate limit. Claiming a node's key buys nothing.
func (n *Node) handleOnion(w http.ResponseWriter, r *http.Request) {
	sender := onionSender{key: "addr:" + clientKey(r)}
	_, plausible := n.plausiblePeer(r)
	if !plausible && !n.allowClient(w, r) {
		return
	}
	body, err := readBody(r, onion.MaxRequestSize)
	if err != nil {
		writeText(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	if plausible {
		peer, ok := n.verifyPeer(r, body)
		hop, herr := strconv.Atoi(r.Header.Get(headerOnionHop))
		if ok && herr == nil && hop >= 1 && hop <= onion.MaxHops {
			sender = onionSender{key: "peer:" + peer.Ed25519, peer: true, hop: hop}
		} else if !n.allowClient(w, r) {
			return
		}
	}
	n.metrics.onionRequests.Add(1)
	layer, route, err := n.onionKy.Peel(body)
	switch {
	case errors.Is(err, onion.ErrInvalidJSON) && layer != nil:
		n.onionReply(w, layer, true, http.StatusBadRequest, []byte("Invalid json"), false)
		return
	case errors.Is(err, onion.ErrInvalidURL) && layer != nil:
		n.onionReply(w, layer, true, http.StatusBadRequest, []byte("Invalid url"), false)
		return
	case err != nil:
		// One answer for every failure, aes-cbc layers included, so that
		// nothing tells a padding error from any other.
		n.metrics.onionFailures.Add(1)
		writeText(w, http.StatusBadRequest, "Invalid ciphertext")
		return
	}
	switch rt := route.(type) {
	case *onion.FinalDestination:
		res := n.serveRPCBody(r.Context(), rt.Payload, sender.pollKey())
		n.onionReply(w, layer, rt.Base64, res.status, res.body, rt.EmbedJSON)
	case *onion.RelayToNode:
		n.relay(w, r.Context(), rt, sender)
	case *onion.RelayToServer:
		n.proxyToServer(w, r.Context(), layer, rt, sender)
	default:
		writeText(w, http.StatusBadRequest, "Invalid ciphertext")
	}
}

// allowClient charges one request to the client's rate limit, answering
// 429 and reporting false when it is spent.
func (n *Node) allowClient(w http.ResponseWriter, r *http.Request) bool {
	if n.limiter.allow(clientKey(r)) {
		return true
	}
	n.metrics.rateLimited.Add(1)
	writeText(w, http.StatusTooManyRequests, "Too Many Requests")
	return false
}

// pollKey is the sender's key for the long-poll caps, with its own cap: a
// verified peer relays for many clients and may hold more.
func (s onionSender) pollKey() pollSender {
	return pollSender{key: s.key, peer: s.peer}
}

// holdRelay takes a relay slot for sender, or answers 503.
func (n *Node) holdRelay(w http.ResponseWriter, sender onionSender) (func(), bool) {
	perSender := 0 // the client default
	if sender.peer {
		perSender = n.cfg.Limits.RelaysInFlightPerPeer
	}
	release, ok := n.relays.acquire(sender.key, perSender)
	if !ok {
		n.metrics.rateLimited.Add(1)
		writeText(w, http.StatusServiceUnavailable, "Too many onion requests in flight")
		return nil, false
	}
	return release, true
}

// copyCapped streams resp to w: status, Content-Type and at most limit
// bytes of body. A longer body aborts the reply, so that a truncated body
// is never passed on as a whole one; a declared length over the limit is
// answered 502 before anything is sent.
func copyCapped(w http.ResponseWriter, resp *http.Response, limit int64, tooLarge string) {
	if resp.ContentLength > limit {
		writeText(w, http.StatusBadGateway, tooLarge)
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if resp.ContentLength >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	w.WriteHeader(resp.StatusCode)
	if n, _ := io.Copy(w, io.LimitReader(resp.Body, limit+1)); n > limit {
		panic(http.ErrAbortHandler)
	}
}

// onionReply encrypts {"status": N, "body": …} for the client with the
// layer's key and writes it (base64 text unless the control said otherwise).
func (n *Node) onionReply(w http.ResponseWriter, layer *onion.Layer, b64 bool, status int, body []byte, embedJSON bool) {
	var bodyField json.RawMessage
	if embedJSON && status >= 200 && status < 300 && json.Valid(body) {
		bodyField = body
	} else {
		bodyField, _ = json.Marshal(string(body))
	}
	// "epoch" (our nodes only, with a directory) tells the client which
	// network view answered; Session's clients read status and body only.
	reply, err := json.Marshal(struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
		Epoch  uint64          `json:"epoch,omitempty"`
	}{status, bodyField, n.epoch()})
	if err != nil {
		writeText(w, http.StatusInternalServerError, "request failed")
		return
	}
	ct, err := layer.EncryptReply(reply, nil)
	if err != nil {
		writeText(w, http.StatusInternalServerError, "request failed")
		return
	}
	if b64 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, base64.StdEncoding.EncodeToString(ct))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	w.Write(ct)
}

// relay passes a layer on to the next node and streams its answer back
// unchanged: replies are encrypted end to end, so hops never re-encrypt.
func (n *Node) relay(w http.ResponseWriter, ctx context.Context, rt *onion.RelayToNode, sender onionSender) {
	nextHex := hex.EncodeToString(rt.Next[:])
	next, ok := n.dir.Load().Node(nextHex)
	if !ok {
		writeText(w, http.StatusBadGateway, "Next node not found: "+nextHex)
		return
	}
	if sender.hop+1 >= onion.MaxHops {
		writeText(w, http.StatusBadRequest, "too many onion hops")
		return
	}
	payload, err := rt.Request()
	if err != nil {
		writeText(w, http.StatusBadRequest, "Invalid ciphertext")
		return
	}
	release, ok := n.holdRelay(w, sender)
	if !ok {
		return
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, onionRelayTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, next.URL()+pathOnion, bytes.NewReader(payload))
	if err != nil {
		writeText(w, http.StatusBadGateway, "Next node not found: "+nextHex)
		return
	}
	// The hop number is set before signing: the signature covers it.
	req.Header.Set(headerOnionHop, strconv.Itoa(sender.hop+1))
	n.signPeerRequest(req, pathOnion, payload)
	n.metrics.onionRelayed.Add(1)
	resp, err := n.peers.Do(req)
	if err != nil {
		n.metrics.onionFailures.Add(1)
		if ctx.Err() != nil {
			writeText(w, http.StatusGatewayTimeout, "Request time out")
			return
		}
		writeText(w, http.StatusBadGateway, "Next node is unreachable: "+nextHex)
		return
	}
	defer resp.Body.Close()
	copyCapped(w, resp, maxRelayReply, "Bad response from next node")
}

// proxyToServer POSTs the whole decrypted layer to an HTTP server (file
// server, community server) and streams back its status, content type and
// body. The server must be at a public address (see proxyClient); a
// refused address, a closed port and an unreachable host all get the same
// 502, so that the proxy is no port scanner. Redirects are passed back,
// never followed. A target the URL rules refuse is answered with an
// encrypted 400 "Invalid url" before any connection.
func (n *Node) proxyToServer(w http.ResponseWriter, ctx context.Context, layer *onion.Layer, rt *onion.RelayToServer, sender onionSender) {
	u, err := rt.URL()
	if err != nil {
		// Encrypted for the client, as session-storage-server answers it.
		n.onionReply(w, layer, true, http.StatusBadRequest, []byte("Invalid url"), false)
		return
	}
	release, ok := n.holdRelay(w, sender)
	if !ok {
		return
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, onionServerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(rt.Body))
	if err != nil {
		writeText(w, http.StatusBadRequest, "Invalid url")
		return
	}
	n.metrics.onionProxied.Add(1)
	resp, err := n.proxy.Do(req)
	if err != nil {
		if errors.Is(err, publicnet.ErrRefused) {
			n.log.Debug("onion proxy refused a non-public destination", "host", rt.Host, "port", rt.Port)
		}
		writeText(w, http.StatusBadGateway, "Bad Gateway")
		return
	}
	defer resp.Body.Close()
	copyCapped(w, resp, maxServerReply, "Bad Gateway")
}

// proxyClient is the HTTP client of the onion proxy, separate from the
// node-to-node one: it dials public addresses only (and the exact
// addresses in allow), checked on the resolved address so that DNS
// rebinding cannot reach this host; it never follows a redirect and keeps
// few idle connections. Connections per host are not capped here: a cap
// would let one sender's slow requests block everyone's way to a file
// server; the relay caps per sender and per node bound them instead. TLS
// is not verified: the request and the reply are
// encrypted end to end with the server's onion key, as in Session.
func proxyClient(allow []netip.AddrPort) *http.Client {
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            publicnet.Dialer(allow, 5*time.Second).DialContext,
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true},
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  onionServerTimeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           32,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        30 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       onionServerTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
