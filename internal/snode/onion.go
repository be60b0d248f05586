package snode

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/session-go/session-go/internal/onion"
)

// Onion timeouts (Session: 30 s per relay hop, 25 s to an HTTP server).
const (
	onionRelayTimeout  = 30 * time.Second
	onionServerTimeout = 25 * time.Second
	// maxServerReply caps what a proxied HTTP server may answer.
	maxServerReply = 16 << 20
)

// handleOnion peels one layer of an onion request and acts on it: run it
// (final destination), relay it to the next node, or proxy it to an HTTP
// server. Path errors are answered in plain text, as Session's nodes do;
// errors at the destination are encrypted for the client.
func (n *Node) handleOnion(w http.ResponseWriter, r *http.Request) {
	hop := 0
	if _, isPeer := n.dir.Load().Node(r.Header.Get(headerNode)); isPeer {
		hop, _ = strconv.Atoi(r.Header.Get(headerOnionHop))
	} else if !n.limiter.allow(clientIP(r)) {
		n.metrics.rateLimited.Add(1)
		writeText(w, http.StatusTooManyRequests, "Too Many Requests")
		return
	}
	body, err := readBody(r, onion.MaxRequestSize)
	if err != nil {
		writeText(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	if hop > 0 {
		// Relayed requests must come from a node that signed them.
		if _, ok := n.verifyPeer(r, body); !ok {
			writeText(w, http.StatusUnauthorized, "unknown or unauthenticated peer")
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
		n.metrics.onionFailures.Add(1)
		writeText(w, http.StatusBadRequest, "Invalid ciphertext")
		return
	}
	switch rt := route.(type) {
	case *onion.FinalDestination:
		res := n.serveRPCBody(r.Context(), rt.Payload)
		n.onionReply(w, layer, rt.Base64, res.status, res.body, rt.EmbedJSON)
	case *onion.RelayToNode:
		n.relay(w, r.Context(), rt, hop)
	case *onion.RelayToServer:
		n.proxyToServer(w, r.Context(), rt)
	default:
		writeText(w, http.StatusBadRequest, "Invalid ciphertext")
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
	reply, err := json.Marshal(struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	}{status, bodyField})
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

// relay passes a layer on to the next node and copies its answer back
// unchanged: replies are encrypted end to end, so hops never re-encrypt.
func (n *Node) relay(w http.ResponseWriter, ctx context.Context, rt *onion.RelayToNode, hop int) {
	nextHex := hex.EncodeToString(rt.Next[:])
	next, ok := n.dir.Load().Node(nextHex)
	if !ok {
		writeText(w, http.StatusBadGateway, "Next node not found: "+nextHex)
		return
	}
	if hop+1 >= onion.MaxHops {
		writeText(w, http.StatusBadRequest, "too many onion hops")
		return
	}
	payload, err := rt.Request()
	if err != nil {
		writeText(w, http.StatusBadRequest, "Invalid ciphertext")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, onionRelayTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, next.URL()+pathOnion, bytes.NewReader(payload))
	if err != nil {
		writeText(w, http.StatusBadGateway, "Next node not found: "+nextHex)
		return
	}
	n.signPeerRequest(req, pathOnion, payload)
	req.Header.Set(headerOnionHop, strconv.Itoa(hop+1))
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
	b, err := io.ReadAll(io.LimitReader(resp.Body, onion.MaxRequestSize+1))
	if err != nil || len(b) > onion.MaxRequestSize {
		writeText(w, http.StatusBadGateway, "Bad response from next node")
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(b)
}

// proxyToServer POSTs the whole decrypted layer to an HTTP server (file
// server, community server) and returns its status, headers and body as-is.
func (n *Node) proxyToServer(w http.ResponseWriter, ctx context.Context, rt *onion.RelayToServer) {
	u, err := rt.URL()
	if err != nil {
		writeText(w, http.StatusBadRequest, "Invalid url")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, onionServerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(rt.Body))
	if err != nil {
		writeText(w, http.StatusBadRequest, "Invalid url")
		return
	}
	n.metrics.onionProxied.Add(1)
	resp, err := n.peers.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			writeText(w, http.StatusGatewayTimeout, "Request time out")
			return
		}
		writeText(w, http.StatusBadGateway, "Bad Gateway")
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxServerReply+1))
	if err != nil || len(b) > maxServerReply {
		writeText(w, http.StatusBadGateway, "Bad Gateway")
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(b)
}
