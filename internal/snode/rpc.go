package snode

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/store"
	"github.com/session-go/session-go/internal/swarm"
)

// Version is the storage-server version this node reports in info.
var nodeVersion = []int{2, 11, 0}

// hardfork is the network version the node reports as "hf".
var hardfork = []int{19, 4}

// Extensions this node offers beyond Session's storage RPC, advertised in the
// info reply so that a client uses them only with nodes that have them.
var extensions = []string{"long_poll"}

// forwardTimeout bounds a push of a recursive request to one swarm peer
// (Session: 5 s).
const forwardTimeout = 5 * time.Second

// storeQuorumWait is how long a store, once stored here, waits for a
// majority of the swarm to acknowledge it before it is answered anyway.
const storeQuorumWait = 100 * time.Millisecond

func (n *Node) meta() storagerpc.Meta {
	return storagerpc.Meta{T: n.now().UnixMilli(), HF: hardfork}
}

// rpcResult is the outcome of one storage RPC: a status and a JSON body, or
// a plain-text reason for errors.
type rpcResult struct {
	status int
	body   []byte // JSON when status is 2xx; text otherwise (or a 421's JSON swarm)
	// empty marks a retrieve that found nothing, or a batch of retrieves
	// that all did: a long poll then waits, knowing it without parsing
	// the reply again.
	empty bool
}

func errorResult(err error) rpcResult {
	var e *storagerpc.Error
	if errors.As(err, &e) {
		return rpcResult{status: e.Status, body: []byte(e.Reason)}
	}
	return rpcResult{status: http.StatusInternalServerError, body: []byte("request failed")}
}

func jsonResult(status int, v any) rpcResult {
	b, err := json.Marshal(v)
	if err != nil {
		return rpcResult{status: http.StatusInternalServerError, body: []byte("request failed")}
	}
	return rpcResult{status: status, body: b}
}

// runRPC runs one decoded request (not a batch subrequest). forwarded marks a
// copy pushed by another member of the swarm: it is run locally only and
// answered with this node's own result.
func (n *Node) runRPC(ctx context.Context, req storagerpc.Request, forwarded bool) rpcResult {
	n.metrics.request(req.Method())
	if b, ok := req.(*storagerpc.Batch); ok {
		return n.runBatch(ctx, b)
	}
	if !validatedBefore(ctx) {
		if err := storagerpc.Validate(req, n.now(), forwarded); err != nil {
			return errorResult(err)
		}
	}
	if a, ok := req.(storagerpc.Authenticated); ok {
		if r := n.checkSwarm(a.Authentication().Pubkey); r != nil {
			return *r
		}
		if r := n.checkRevoked(ctx, req, a.Authentication()); r != nil {
			return *r
		}
	}
	switch r := req.(type) {
	case *storagerpc.GetSwarm:
		return n.getSwarm(r.Pubkey)
	case *storagerpc.Info:
		return jsonResult(http.StatusOK, struct {
			storagerpc.InfoResponse
			Extensions []string `json:"extensions"`
		}{storagerpc.InfoResponse{Version: nodeVersion, Timestamp: n.now().UnixMilli(), Meta: n.meta()}, extensions})
	case *storagerpc.Retrieve:
		return n.retrieve(ctx, r)
	case *storagerpc.GetExpiries:
		exp, err := n.db.GetExpiries(ctx, r.Pubkey, r.Messages)
		if err != nil {
			return n.storeFailure(err)
		}
		out := storagerpc.GetExpiriesResponse{Expiries: map[string]int64{}, Meta: n.meta()}
		for h, t := range exp {
			out.Expiries[h] = t.UnixMilli()
		}
		return jsonResult(http.StatusOK, out)
	case *storagerpc.OxendRequest:
		return n.oxendRequest(r)
	}
	// Recursive methods: run here, push to the rest of the swarm, and report
	// every member's result.
	var peers []netview.Node
	if !forwarded {
		if _, ps, in := n.mySwarm(); in {
			peers = ps
		}
	}
	_, isStore := req.(*storagerpc.Store)
	var pushes <-chan peerResult
	if isStore && len(peers) > 0 {
		// A store is pushed to the peers while it is stored here: the
		// member where the recipient's long poll waits gets it one
		// local store sooner. It is still answered only once it is
		// stored here (below). The pushes outlive the request (each
		// within forwardTimeout), as those a store's answer does not
		// wait for always did.
		pushes = n.push(context.WithoutCancel(ctx), req, peers)
	}
	local, err := n.runLocal(ctx, req)
	if forwarded {
		if err != nil {
			return errorResult(err)
		}
		return jsonResult(http.StatusOK, local)
	}
	results := map[string]json.RawMessage{}
	ok := 0
	if err != nil {
		results[n.edHex] = failureJSON(err)
	} else {
		b, _ := json.Marshal(local)
		results[n.edHex] = b
		ok++
	}
	if len(peers) > 0 {
		// The body is encoded once for every peer, and the pushes run
		// concurrently. A store is answered once it is stored here and
		// a majority of the swarm (this node included) has acknowledged
		// it, or storeQuorumWait after that, whichever comes first: the
		// slowest member no longer sets every store's latency. The
		// pushes still running go on without the request (each within
		// forwardTimeout), their results left out of the answer; a
		// member they miss gets the message by catch-up. Other
		// recursive methods (deletes, expiries) answer with every
		// member's signed result, as Session's clients expect, and a
		// store that failed here waits for every member too.
		quorum := len(peers) + 1 // every member
		if isStore && err == nil {
			quorum = (len(peers)+1)/2 + 1
		}
		if pushes == nil {
			pushes = n.push(ctx, req, peers)
		}
		var deadline <-chan time.Time
		if quorum <= len(peers) {
			t := time.NewTimer(storeQuorumWait)
			defer t.Stop()
			deadline = t.C
		}
	collect:
		for range peers {
			if ok >= quorum {
				break
			}
			select {
			case r := <-pushes:
				results[r.ed] = r.res
				if r.good {
					ok++
				}
			case <-deadline:
				break collect
			}
		}
	}
	if ok == 0 && err != nil {
		return errorResult(err)
	}
	status := http.StatusOK
	if ok == 0 {
		status = http.StatusInternalServerError
	}
	resp := struct {
		Swarm map[string]json.RawMessage `json:"swarm"`
		Hash  string                     `json:"hash,omitempty"`
		storagerpc.Meta
	}{Swarm: results, Meta: n.meta()}
	if s, isStore := req.(*storagerpc.Store); isStore {
		resp.Hash = storagerpc.MessageHash(s.Pubkey, s.Namespace, s.Data)
	}
	return jsonResult(status, resp)
}

// peerResult is one peer's answer to a pushed request.
type peerResult struct {
	ed   string
	res  json.RawMessage
	good bool
}

// push sends req to every peer concurrently, its body encoded once, and
// returns the channel their results arrive on (buffered for all of them, so
// that pushes nobody waits for finish anyway).
func (n *Node) push(ctx context.Context, req storagerpc.Request, peers []netview.Node) <-chan peerResult {
	body, encErr := storagerpc.EncodeBody(req)
	done := make(chan peerResult, len(peers))
	for _, p := range peers {
		go func() {
			if encErr != nil {
				done <- peerResult{p.Ed25519, failureJSON(encErr), false}
				return
			}
			res, good := n.forward(ctx, p, body)
			done <- peerResult{p.Ed25519, res, good}
		}()
	}
	return done
}

// failureJSON is a swarm member's failed result.
func failureJSON(err error) json.RawMessage {
	f := storagerpc.SwarmFailure{Failed: true}
	var e *storagerpc.Error
	switch {
	case errors.As(err, &e):
		f.Code, f.Reason = storagerpc.StatusCode(e.Status), e.Reason
	case errors.Is(err, context.DeadlineExceeded):
		f.Timeout = true
	default:
		f.QueryFailure = true
	}
	b, _ := json.Marshal(f)
	return b
}

// checkSwarm answers 421 with the right swarm when account is not served by
// this node's swarm.
func (n *Node) checkSwarm(account keys.ID) *rpcResult {
	d := n.dir.Load()
	id, members := d.SwarmFor(account)
	me, in := d.Node(n.edHex)
	if in && me.SwarmID == id {
		return nil
	}
	r := jsonResult(http.StatusMisdirectedRequest, n.swarmResponse(id, members))
	n.metrics.misdirected.Add(1)
	return &r
}

func (n *Node) swarmResponse(id swarm.ID, members []netview.Node) storagerpc.SwarmResponse {
	out := storagerpc.SwarmResponse{Snodes: []storagerpc.Snode{}, Swarm: id.String(), Meta: n.meta()}
	for _, m := range members {
		out.Snodes = append(out.Snodes, snodeJSON(m))
	}
	return out
}

// snodeJSON describes a node as get_swarm does. Our nodes have no separate
// legacy key, so the Ed25519 key stands in for it.
func snodeJSON(m netview.Node) storagerpc.Snode {
	legacy, _ := hex.DecodeString(m.Ed25519)
	return storagerpc.Snode{
		Address:       base32z(legacy) + ".snode",
		PubkeyLegacy:  m.Ed25519,
		PubkeyX25519:  m.X25519,
		PubkeyEd25519: m.Ed25519,
		Port:          strconv.Itoa(m.StoragePort),
		PortHTTPS:     m.StoragePort,
		IP:            m.IP,
	}
}

// base32z is the z-base-32 alphabet Session uses in .snode addresses.
var base32z = base32.NewEncoding("ybndrfg8ejkmcpqxot1uwisza345h769").WithPadding(base32.NoPadding).EncodeToString

func (n *Node) getSwarm(account keys.ID) rpcResult {
	id, members := n.dir.Load().SwarmFor(account)
	return jsonResult(http.StatusOK, n.swarmResponse(id, members))
}

func (n *Node) oxendRequest(r *storagerpc.OxendRequest) rpcResult {
	if r.Endpoint != storagerpc.OxendGetServiceNodes {
		return rpcResult{status: http.StatusBadRequest, body: []byte("unsupported oxend endpoint " + strconv.Quote(r.Endpoint))}
	}
	return jsonResult(http.StatusOK, struct {
		Result any `json:"result"`
		storagerpc.Meta
	}{n.serviceNodeStates(), n.meta()})
}

// storeFailure maps a database error to a storage RPC status: quota and
// capacity are the client's problem (507 is not in Session's list, so 413 and
// 507 are avoided); anything else is a 500 without details.
func (n *Node) storeFailure(err error) rpcResult {
	switch {
	case errors.Is(err, store.ErrQuotaExceeded):
		return rpcResult{status: http.StatusForbidden, body: []byte("account storage quota exceeded")}
	case errors.Is(err, store.ErrFull):
		return rpcResult{status: http.StatusServiceUnavailable, body: []byte("node storage is full")}
	case errors.Is(err, store.ErrInvalidMessage), errors.Is(err, store.ErrInvalidArgument), errors.Is(err, store.ErrHashConflict):
		return rpcResult{status: http.StatusBadRequest, body: []byte("invalid request: " + err.Error())}
	}
	n.log.Error("database error", "err", err)
	return rpcResult{status: http.StatusInternalServerError, body: []byte("request failed")}
}

func asRPCError(r rpcResult) error {
	return storagerpc.NewError(r.status, string(r.body))
}

// runLocal runs a recursive method on this node's database and returns this
// node's result object.
func (n *Node) runLocal(ctx context.Context, req storagerpc.Request) (any, error) {
	sign := func(parts ...[]byte) []byte {
		var msg []byte
		for _, p := range parts {
			msg = append(msg, p...)
		}
		return n.id.Sign(msg)
	}
	// A destructive request this node has already run is run again as a
	// no-op: it changes nothing and says so, signed as always.
	replay := false
	if sig, ok := replayGuarded(req); ok {
		replay = !n.replays.firstSeen(sig, n.now())
		if replay {
			n.metrics.replays.Add(1)
		}
	}
	switch r := req.(type) {
	case *storagerpc.Store:
		hash := storagerpc.MessageHash(r.Pubkey, r.Namespace, r.Data)
		res, err := n.db.Store(ctx, store.Message{
			Owner: r.Pubkey, Namespace: int16(r.Namespace), Hash: hash,
			Timestamp: time.UnixMilli(r.Timestamp), Expiry: time.UnixMilli(r.ExpiryTime()), Data: r.Data,
			Sender: senderOf(ctx), Proof: storeProof(r),
		})
		if err != nil {
			return nil, asRPCError(n.storeFailure(err))
		}
		if res.New() {
			n.metrics.stored.Add(1)
			n.notify.wake(r.Pubkey, int16(r.Namespace))
		}
		out := storagerpc.StoreResult{Hash: hash, Signature: sign(storagerpc.StoreResultSignedMessage(hash)), Already: storagerpc.Flag(!res.New())}
		if !res.Expiry.IsZero() {
			out.Expiry = res.Expiry.UnixMilli()
		} else {
			out.Expiry = r.ExpiryTime()
		}
		return out, nil
	case *storagerpc.Delete:
		var deleted []string
		var err error
		if !replay {
			deleted, err = n.db.Delete(ctx, r.Pubkey, r.Messages, deleteProof(r))
		}
		if err != nil {
			return nil, asRPCError(n.storeFailure(err))
		}
		slices.Sort(deleted)
		if r.Required && len(deleted) == 0 {
			return nil, storagerpc.NewError(http.StatusNotFound, "no messages found")
		}
		return storagerpc.DeleteResult{Deleted: nonNilStrings(deleted),
			Signature: sign(storagerpc.DeleteResultSignedMessage(r.Pubkey, r.Messages, deleted))}, nil
	case *storagerpc.DeleteAll:
		refs, err := skipIfReplay(replay, func() ([]store.Ref, error) {
			return n.db.DeleteAll(ctx, r.Pubkey, scope(r.Namespace), deleteProof(r))
		})
		if err != nil {
			return nil, asRPCError(n.storeFailure(err))
		}
		h := hashesOf(r.Namespace, refs)
		return storagerpc.DeleteAllResult{Deleted: h, Signature: sign(storagerpc.DeletedSignedMessage(r.Pubkey, r.Timestamp, h))}, nil
	case *storagerpc.DeleteBefore:
		refs, err := skipIfReplay(replay, func() ([]store.Ref, error) {
			return n.db.DeleteBefore(ctx, r.Pubkey, scope(r.Namespace), time.UnixMilli(r.Before), deleteProof(r))
		})
		if err != nil {
			return nil, asRPCError(n.storeFailure(err))
		}
		h := hashesOf(r.Namespace, refs)
		return storagerpc.DeleteAllResult{Deleted: h, Signature: sign(storagerpc.DeletedSignedMessage(r.Pubkey, r.Before, h))}, nil
	case *storagerpc.Expire:
		return n.expire(ctx, r, sign, replay)
	case *storagerpc.RevokeSubaccount:
		return n.revoke(ctx, r.Pubkey, r.Tokens, true, r.Timestamp, req, sign)
	case *storagerpc.UnrevokeSubaccount:
		return n.revoke(ctx, r.Pubkey, r.Tokens, false, r.Timestamp, req, sign)
	case *storagerpc.ExpireAll:
		refs, err := skipIfReplay(replay, func() ([]store.Ref, error) {
			return n.db.ExpireAll(ctx, r.Pubkey, scope(r.Namespace), time.UnixMilli(r.Expiry))
		})
		if err != nil {
			return nil, asRPCError(n.storeFailure(err))
		}
		h := hashesOf(r.Namespace, refs)
		return storagerpc.ExpireAllResult{Updated: h, Signature: sign(storagerpc.ExpireAllResultSignedMessage(r.Pubkey, r.Expiry, h))}, nil
	}
	return nil, storagerpc.NewError(http.StatusBadRequest, "no method "+req.Method())
}

// skipIfReplay runs op unless the request is a replay, which changes nothing.
func skipIfReplay(replay bool, op func() ([]store.Ref, error)) ([]store.Ref, error) {
	if replay {
		return nil, nil
	}
	return op()
}

func (n *Node) expire(ctx context.Context, r *storagerpc.Expire, sign func(...[]byte) []byte, replay bool) (any, error) {
	limit := n.now().Add(storagerpc.TTLMaximumPrivate).UnixMilli()
	expiries := make([]time.Time, len(r.Expiry))
	applied := make([]int64, len(r.Expiry))
	for i, e := range r.Expiry {
		applied[i] = min(e, limit)
		expiries[i] = time.UnixMilli(applied[i])
	}
	mode := store.ExpireSet
	switch {
	case r.Shorten:
		mode = store.ExpireShorten
	case r.ExtendOnly():
		mode = store.ExpireExtend
	}
	var res store.ExpireResult
	var err error
	if !replay {
		res, err = n.db.Expire(ctx, r.Pubkey, r.Messages, expiries, mode)
	}
	if err != nil {
		return nil, asRPCError(n.storeFailure(err))
	}
	out := storagerpc.ExpireResult{Updated: []string{}}
	for _, u := range res.Updated {
		out.Updated = append(out.Updated, u.Hash)
	}
	slices.Sort(out.Updated)
	if r.Shorten || r.Extend {
		out.Unchanged = map[string]int64{}
		for h, t := range res.Unchanged {
			out.Unchanged[h] = t.UnixMilli()
		}
	}
	out.Expiry = storagerpc.Expiries{Values: applied, List: len(applied) > 1}
	out.Signature = sign(storagerpc.ExpireResultSignedMessage(r.Pubkey, applied, r.Messages, out.Updated, out.Unchanged))
	return out, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func scope(ns storagerpc.NamespaceOrAll) store.Scope {
	if ns.All {
		return store.AllNamespaces()
	}
	return store.Namespace(int16(ns.Namespace))
}

// hashesOf groups deleted or updated references as the reply wants them: a
// sorted list for one namespace, lists per namespace for "all".
func hashesOf(ns storagerpc.NamespaceOrAll, refs []store.Ref) storagerpc.Hashes {
	if !ns.All {
		var l []string
		for _, r := range refs {
			l = append(l, r.Hash)
		}
		slices.Sort(l)
		return storagerpc.Hashes{List: nonNilStrings(l)}
	}
	by := map[storagerpc.Namespace][]string{}
	for _, r := range refs {
		by[storagerpc.Namespace(r.Namespace)] = append(by[storagerpc.Namespace(r.Namespace)], r.Hash)
	}
	for k := range by {
		slices.Sort(by[k])
	}
	return storagerpc.Hashes{ByNamespace: by}
}

func (n *Node) retrieve(ctx context.Context, r *storagerpc.Retrieve) rpcResult {
	maxCount, maxSize := r.Limits()
	msgs, more, err := n.db.Retrieve(ctx, r.Pubkey, int16(r.Namespace), r.LastHash, store.RetrieveLimits{MaxCount: maxCount, MaxSize: maxSize})
	if err != nil {
		return n.storeFailure(err)
	}
	out := storagerpc.RetrieveResponse{Messages: []storagerpc.RetrievedMessage{}, More: more, Meta: n.meta()}
	for _, m := range msgs {
		out.Messages = append(out.Messages, storagerpc.RetrievedMessage{
			Hash: m.Hash, Timestamp: m.Timestamp.UnixMilli(), Expiration: m.Expiry.UnixMilli(), Data: m.Data,
		})
	}
	n.metrics.retrieved.Add(int64(len(out.Messages)))
	res := jsonResult(http.StatusOK, out)
	res.empty = res.status == http.StatusOK && len(out.Messages) == 0
	return res
}

// runBatch runs a batch (all subrequests) or a sequence (stopping after the
// first failure). Subrequests are checked one by one; the reply is always 200.
func (n *Node) runBatch(ctx context.Context, b *storagerpc.Batch) rpcResult {
	out := storagerpc.BatchResponse{Results: []storagerpc.SubResult{}}
	empty := true
	for _, sub := range b.Requests {
		r := n.runRPC(ctx, sub, false)
		empty = empty && r.empty
		body := r.body
		if r.status < 200 || r.status > 299 {
			if r.status != http.StatusMisdirectedRequest {
				body, _ = json.Marshal(string(r.body))
			}
		}
		out.Results = append(out.Results, storagerpc.SubResult{Code: r.status, Body: body})
		if b.Sequence && (r.status < 200 || r.status > 299) {
			break
		}
	}
	res := jsonResult(http.StatusOK, out)
	res.empty = res.status == http.StatusOK && empty && len(b.Requests) > 0
	return res
}

// forward pushes a recursive request to a swarm peer and returns the peer's
// result object (or a failure object) and whether it succeeded.
func (n *Node) forward(ctx context.Context, peer netview.Node, body []byte) (json.RawMessage, bool) {
	ctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	var h http.Header
	if s := senderOf(ctx); s != "" {
		h = http.Header{headerStoreSender: {s}}
	}
	status, resp, err := n.peerPostHeader(ctx, peer, pathStorageCC, body, 1<<20, h)
	switch {
	case err != nil:
		n.metrics.forwardFailures.Add(1)
		n.log.Debug("forward to swarm peer failed", "peer", peer.Ed25519, "err", err)
		if ctx.Err() != nil {
			return failureJSON(context.DeadlineExceeded), false
		}
		b, _ := json.Marshal(storagerpc.SwarmFailure{Failed: true, QueryFailure: true})
		return b, false
	case status != http.StatusOK:
		n.metrics.forwardFailures.Add(1)
		return failureJSON(storagerpc.NewError(status, string(resp))), false
	case !json.Valid(resp):
		b, _ := json.Marshal(storagerpc.SwarmFailure{Failed: true, BadPeerResponse: true})
		return b, false
	}
	return resp, true
}
