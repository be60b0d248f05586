package onionreq

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/swarm"
)

// Prefixes of a relay's plaintext 502 answers that name the next node by
// its Ed25519 key (hex). Session's nodes send the first when they do not
// know the node; session-go's nodes also send the second when they know it
// but cannot reach it.
const (
	notFoundPrefix    = "Next node not found: "
	unreachablePrefix = "Next node is unreachable: "
)

// parseNotFound returns the Ed25519 key (lowercase hex) a "Next node not
// found" answer names, or "".
func parseNotFound(body []byte) string { return parseNodeAnswer(body, notFoundPrefix) }

// parseUnreachable returns the Ed25519 key (lowercase hex) a "Next node is
// unreachable" answer names, or "".
func parseUnreachable(body []byte) string { return parseNodeAnswer(body, unreachablePrefix) }

func parseNodeAnswer(body []byte, prefix string) string {
	s, ok := strings.CutPrefix(string(body), prefix)
	if !ok {
		return ""
	}
	s = strings.TrimSpace(s)
	if len(s) != 64 {
		return ""
	}
	if _, err := hex.DecodeString(s); err != nil {
		return ""
	}
	return strings.ToLower(s)
}

// decryptReply decrypts a destination's answer. A service node sends base64
// text (unless asked not to); a server's v4 answer is raw ciphertext. Raw
// ciphertext is random bytes and is almost never valid base64 as a whole, so
// trying base64 first costs nothing.
func decryptReply(key *onion.ReplyKey, body []byte) ([]byte, error) {
	text := bytes.TrimSpace(body)
	if raw, err := base64.StdEncoding.DecodeString(string(text)); err == nil && len(raw) > 0 {
		if pt, err := key.DecryptReply(raw); err == nil {
			return pt, nil
		}
	}
	return key.DecryptReply(body)
}

// parseSnodeReply reads a service node's decrypted answer,
// {"status": N, "body": "<text>"}. The body is normally a JSON string (the
// JSON reply encoded a second time, or an error text); a node asked for
// "json": true embeds a JSON value, returned as is.
func parseSnodeReply(pt []byte) (status int, body []byte, err error) {
	status, body, _, err = parseSnodeReplyEpoch(pt)
	return status, body, err
}

// parseSnodeReplyEpoch is parseSnodeReply that also returns the
// directory epoch the node answered from: the "epoch" field our nodes add
// next to "status" and "body" (Session's nodes send none: 0).
func parseSnodeReplyEpoch(pt []byte) (status int, body []byte, epoch uint64, err error) {
	var r struct {
		Status *int            `json:"status"`
		Body   json.RawMessage `json:"body"`
		Epoch  json.Number     `json:"epoch"`
	}
	if err := json.Unmarshal(pt, &r); err != nil {
		return 0, nil, 0, fmt.Errorf("%w: not a JSON object", ErrBadReply)
	}
	if r.Status == nil || *r.Status < 100 || *r.Status > 999 {
		return 0, nil, 0, fmt.Errorf("%w: no \"status\" from 100 to 999", ErrBadReply)
	}
	if r.Epoch != "" {
		// A malformed epoch is no reason to lose the answer: it is ignored.
		epoch, _ = strconv.ParseUint(r.Epoch.String(), 10, 64)
	}
	switch {
	case len(r.Body) == 0 || string(r.Body) == "null":
		return *r.Status, []byte{}, epoch, nil
	case r.Body[0] == '"':
		var s string
		if err := json.Unmarshal(r.Body, &s); err != nil {
			return 0, nil, 0, fmt.Errorf("%w: bad \"body\" string", ErrBadReply)
		}
		return *r.Status, []byte(s), epoch, nil
	}
	return *r.Status, []byte(r.Body), epoch, nil
}

// replyTime returns the "t" (node time, ms) of a JSON reply body, or 0.
func replyTime(body []byte) int64 {
	var r struct {
		T         json.Number `json:"t"`
		Timestamp json.Number `json:"timestamp"`
	}
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &r) != nil {
		return 0
	}
	for _, n := range []json.Number{r.T, r.Timestamp} {
		if v, err := n.Int64(); err == nil && v > 0 {
			return v
		}
	}
	return 0
}

// encodeRPC returns the storage RPC body {"method": …, "params": …} and the
// account the params name ("pubkey"), if any, so that a 421 can update that
// account's swarm.
func encodeRPC(method string, params any) ([]byte, keys.ID, error) {
	raw := json.RawMessage("{}")
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return nil, keys.ID{}, fmt.Errorf("onionreq: encoding %s params: %w", method, err)
		}
		if len(b) == 0 || b[0] != '{' {
			return nil, keys.ID{}, fmt.Errorf("onionreq: %s params are not a JSON object", method)
		}
		raw = b
	}
	payload, err := json.Marshal(struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}{method, raw})
	if err != nil {
		return nil, keys.ID{}, fmt.Errorf("onionreq: encoding %s: %w", method, err)
	}
	var probe struct {
		Pubkey string `json:"pubkey"`
	}
	var account keys.ID
	if json.Unmarshal(raw, &probe) == nil && probe.Pubkey != "" {
		if id, err := keys.ParseID(probe.Pubkey); err == nil {
			account = id
		}
	}
	return payload, account, nil
}

// parseSwarm reads a get_swarm answer (or a 421 body): the swarm's ID and
// its members. Members with unusable keys or addresses are skipped.
func parseSwarm(body []byte) (string, []netview.Node, error) {
	var r storagerpc.SwarmResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return "", nil, fmt.Errorf("%w: swarm list: %v", ErrBadReply, err)
	}
	id := swarm.InvalidID
	if v, err := swarm.ParseID(r.Swarm); err == nil {
		id = v
	}
	var nodes []netview.Node
	seen := map[string]bool{}
	for _, sn := range r.Snodes {
		n, ok := snodeNode(sn)
		if !ok || seen[n.Ed25519] {
			continue
		}
		seen[n.Ed25519] = true
		n.SwarmID = id
		nodes = append(nodes, n)
	}
	return r.Swarm, nodes, nil
}

// snodeNode converts a get_swarm entry. The HTTPS port is port_https; the
// older "port" (a string) is the same port and is used when port_https is
// missing.
func snodeNode(sn storagerpc.Snode) (netview.Node, bool) {
	port := sn.PortHTTPS
	if port == 0 {
		p, err := strconv.Atoi(sn.Port)
		if err != nil {
			return netview.Node{}, false
		}
		port = p
	}
	n := netview.Node{
		IP:          sn.IP,
		StoragePort: port,
		Ed25519:     strings.ToLower(sn.PubkeyEd25519),
		X25519:      strings.ToLower(sn.PubkeyX25519),
	}
	if _, err := nodeHop(n); err != nil || !usable(n) {
		return netview.Node{}, false
	}
	return n, true
}

// nodeHop returns a node's onion keys.
func nodeHop(n netview.Node) (onion.Hop, error) {
	var h onion.Hop
	ed, err1 := hex.DecodeString(n.Ed25519)
	x, err2 := hex.DecodeString(n.X25519)
	if err1 != nil || err2 != nil || len(ed) != len(h.Ed25519) || len(x) != len(h.X25519) {
		return h, fmt.Errorf("%w: node %q: keys are not 64 hex characters", ErrInvalidNode, clip(n.Ed25519, 64))
	}
	if net.ParseIP(n.IP) == nil {
		return h, fmt.Errorf("%w: node %q: bad IP %q", ErrInvalidNode, clip(n.Ed25519, 64), clip(n.IP, 64))
	}
	copy(h.Ed25519[:], ed)
	copy(h.X25519[:], x)
	return h, nil
}
