package snode

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/store"
	"github.com/session-go/session-go/internal/swarm"
)

// Catch-up (anti-entropy): push-on-write reaches every swarm member that is
// up; a member that was down, or that joined later, pulls what it missed from
// each peer with a per-peer cursor over the peer's insertion order. Session
// has no such mechanism; replicated stores are idempotent, so pulling a
// message twice is harmless.
//
// Deletions travel the same way as tombstones, with a second cursor per peer
// over the peer's order of tombstones: a member that was down while the owner
// deleted messages deletes them when it catches up, and no member brings a
// deleted message back, since the store refuses to replicate a message it
// holds a tombstone for. Applying a tombstone twice is harmless too.

// syncBatch is how many records one sync request returns at most.
const syncBatch = 500

// maxSyncTombstone bounds one tombstone in a sync answer: the owner in hex,
// a hash whose every byte JSON might escape as \u00XX, and the envelope.
const maxSyncTombstone = 2*keys.IDSize + 6*store.MaxHashLength + 256

// maxSyncProofs bounds the signed deletes of one sync answer together; the
// answer stops listing tombstones once past it (and says there are more).
const maxSyncProofs = 4 << 20

// maxStoreProof bounds the proof of one record: a signed store without its
// data is a few hundred bytes.
const maxStoreProof = 2048

// maxSyncReply caps a sync answer: syncBatch records of at most
// MaxMessageSize each with their proofs, base64-encoded, syncBatch
// tombstones and their proofs (the last one may take them past
// maxSyncProofs), plus envelope.
const maxSyncReply = syncBatch*((store.MaxMessageSize+maxStoreProof)*4/3+512) + syncBatch*maxSyncTombstone +
	(maxSyncProofs+store.MaxProofLength)*4/3 + 4096 +
	syncRevocationBatch*(maxRevocationProof*4/3+512)

// syncRevocationBatch is how many revocation decisions one sync answer
// lists at most; each carries its signed request (a few KiB at most).
const syncRevocationBatch = 200

// maxRevocationProof bounds the signed request of one revocation: at most
// storagerpc.MaxRevocations tokens of 72 hex characters and the envelope.
const maxRevocationProof = 8 << 10

type syncRequest struct {
	After int64 `json:"after"`
	Limit int   `json:"limit"`
	// TombstonesAfter is the cursor over the peer's tombstones. A node
	// that predates tombstones ignores it and sends none.
	TombstonesAfter int64 `json:"tombstones_after"`
	// RevocationsAfter is the cursor over the peer's subaccount
	// revocation decisions (see revoke.go). A node that predates them
	// ignores it and sends none.
	RevocationsAfter int64 `json:"revocations_after"`
	// Summary asks for the records without their data and proofs: the
	// puller then fetches, by Hashes, only those it lacks. A node that
	// predates summaries ignores it and sends whole records.
	Summary bool `json:"summary,omitempty"`
	// Hashes asks for these records, whole, and nothing else (at most
	// syncBatch; cursors are ignored).
	Hashes []string `json:"hashes,omitempty"`
	// PrevSwarm and PrevSwarms narrow a hand-off pull to what changed:
	// the asker was a member of swarm PrevSwarm in the layout whose swarm
	// IDs were PrevSwarms (hex), so it holds the accounts that mapped to
	// PrevSwarm then and asks only for the others. A node that predates
	// them ignores them and sends more.
	PrevSwarm  string   `json:"prev_swarm,omitempty"`
	PrevSwarms []string `json:"prev_swarms,omitempty"`
}

// maxPrevSwarms caps PrevSwarms: a network of 2 000 nodes has about 300
// swarms.
const maxPrevSwarms = 4096

// maxSyncRequest caps a sync request: syncBatch hashes, each of which JSON
// might escape six-fold, maxPrevSwarms swarm IDs, and the envelope.
const maxSyncRequest = syncBatch*(6*store.MaxHashLength+3) + maxPrevSwarms*(6*16+3) + 4096

type syncRecord struct {
	Seq       int64  `json:"seq"`
	Owner     string `json:"owner"`
	Namespace int16  `json:"namespace"`
	Hash      string `json:"hash"`
	Timestamp int64  `json:"timestamp"`
	Expiry    int64  `json:"expiry"`
	Data      []byte `json:"data"`
	// Sender is the key of the message's share of a public inbox (see
	// sender.go), so that every member evicts the same messages.
	Sender string `json:"sender,omitempty"`
	// Proof is the owner's signed store (see proof.go), for a namespace
	// that needs one.
	Proof []byte `json:"proof,omitempty"`
}

type syncReply struct {
	Records []syncRecord `json:"records"`
	// Next is the cursor to continue from: the last sequence number scanned,
	// which may be past the last record returned (records for other swarms
	// are skipped).
	Next int64 `json:"next"`
	// More is true when the scan stopped at the limit.
	More bool `json:"more"`
	// Summary says that the records carry no data and no proofs (the
	// request asked for a summary).
	Summary bool `json:"summary,omitempty"`

	// Tombstones, TombstonesNext and TombstonesMore are the same for the
	// deletions after the request's TombstonesAfter.
	Tombstones     []syncTombstone `json:"tombstones"`
	TombstonesNext int64           `json:"tombstones_next"`
	TombstonesMore bool            `json:"tombstones_more"`
	// Proofs are the owner-signed deletes the tombstones refer to, each
	// once.
	Proofs [][]byte `json:"proofs,omitempty"`

	// Revocations, RevocationsNext and RevocationsMore are the same for
	// subaccount revocation decisions after RevocationsAfter.
	Revocations     []syncRevocation `json:"revocations,omitempty"`
	RevocationsNext int64            `json:"revocations_next"`
	RevocationsMore bool             `json:"revocations_more"`
}

type syncTombstone struct {
	Seq    int64  `json:"seq"`
	Owner  string `json:"owner"`
	Hash   string `json:"hash"`
	Expiry int64  `json:"expiry"`
	// Proof is 1 + the index in Proofs of the owner's signed delete, 0
	// for none.
	Proof int `json:"proof,omitempty"`
}

// handleSync answers a swarm peer's catch-up request with the messages and
// the tombstones after its cursors that belong to the peer's swarm.
func (n *Node) handleSync(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, maxSyncRequest)
	if err != nil {
		writeText(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	peer, ok := n.verifyPeer(r, body)
	if !ok {
		writeText(w, http.StatusUnauthorized, "unknown or unauthenticated peer")
		return
	}
	// A peer that already has a newer epoch than ours would be answered
	// with our old view of its swarm (and might move its cursors past
	// records that are now its own): it is told to come back, and we read
	// the directory now.
	if theirs := parseEpoch(r.Header); theirs > n.epoch() {
		n.noteEpoch(theirs)
		writeText(w, http.StatusTooEarly, fmt.Sprintf("behind: this node has epoch %d, the request epoch %d", n.epoch(), theirs))
		return
	}
	var req syncRequest
	if err := json.Unmarshal(body, &req); err != nil || req.After < 0 || req.TombstonesAfter < 0 || req.RevocationsAfter < 0 ||
		len(req.Hashes) > syncBatch {
		writeText(w, http.StatusBadRequest, "invalid sync request")
		return
	}
	if req.Limit <= 0 || req.Limit > syncBatch {
		req.Limit = syncBatch
	}
	held, err := heldBefore(req.PrevSwarm, req.PrevSwarms)
	if err != nil {
		writeText(w, http.StatusBadRequest, "invalid sync request: "+err.Error())
		return
	}
	if len(req.Hashes) > 0 {
		n.answerSyncHashes(w, r, peer.SwarmID, req.Hashes)
		return
	}
	tombs, err := n.db.ListTombstonesSince(r.Context(), req.TombstonesAfter, req.Limit)
	if err != nil {
		n.storeFailure(err).write(w)
		return
	}
	list := n.db.ListSince
	if req.Summary {
		list = n.db.ListSummarySince
	}
	recs, err := list(r.Context(), req.After, req.Limit)
	if err != nil {
		n.storeFailure(err).write(w)
		return
	}
	revs, err := n.db.ListRevocationsSince(r.Context(), req.RevocationsAfter, syncRevocationBatch)
	if err != nil {
		n.storeFailure(err).write(w)
		return
	}
	d := n.dir.Load()
	out := syncReply{
		Records: []syncRecord{}, Next: req.After, More: len(recs) == req.Limit, Summary: req.Summary,
		Tombstones: []syncTombstone{}, TombstonesNext: req.TombstonesAfter, TombstonesMore: len(tombs) == req.Limit,
	}
	proofIndex := map[*byte]int{} // tombstones of one request share their proof's bytes
	proofBytes := 0
	for _, t := range tombs {
		if proofBytes > maxSyncProofs {
			out.TombstonesMore = true
			break
		}
		out.TombstonesNext = t.Seq
		if id, _ := d.SwarmFor(t.Owner); id != peer.SwarmID || held(t.Owner) {
			continue
		}
		st := syncTombstone{Seq: t.Seq, Owner: t.Owner.String(), Hash: t.Hash, Expiry: t.Expiry.UnixMilli()}
		if len(t.Proof) > 0 {
			k, ok := proofIndex[&t.Proof[0]]
			if !ok {
				out.Proofs = append(out.Proofs, t.Proof)
				proofBytes += len(t.Proof)
				k = len(out.Proofs)
				proofIndex[&t.Proof[0]] = k
			}
			st.Proof = k
		}
		out.Tombstones = append(out.Tombstones, st)
	}
	for _, rec := range recs {
		out.Next = rec.Seq
		if id, _ := d.SwarmFor(rec.Owner); id != peer.SwarmID || held(rec.Owner) {
			continue
		}
		out.Records = append(out.Records, syncRecord{
			Seq: rec.Seq, Owner: rec.Owner.String(), Namespace: rec.Namespace, Hash: rec.Hash,
			Timestamp: rec.Timestamp.UnixMilli(), Expiry: rec.Expiry.UnixMilli(), Data: rec.Data,
			Sender: rec.Sender, Proof: rec.Proof,
		})
	}
	out.RevocationsNext, out.RevocationsMore = req.RevocationsAfter, len(revs) == syncRevocationBatch
	for _, rv := range revs {
		out.RevocationsNext = rv.Seq
		if id, _ := d.SwarmFor(rv.Owner); id != peer.SwarmID || held(rv.Owner) {
			continue
		}
		if len(rv.Proof) > maxRevocationProof {
			continue // not one this node accepted from a client; never sent
		}
		out.Revocations = append(out.Revocations, syncRevocation{Seq: rv.Seq, Owner: rv.Owner.String(),
			Token: rv.Token[:], Revoked: rv.Revoked, At: rv.At.UnixMilli(), Proof: rv.Proof})
	}
	writeJSON(w, http.StatusOK, out)
}

// heldBefore returns the test of a sync request's PrevSwarm and
// PrevSwarms: whether the asker held an account's records already (it
// mapped to PrevSwarm then). Without PrevSwarm it holds nothing.
func heldBefore(prev string, ids []string) (func(keys.ID) bool, error) {
	if prev == "" {
		return func(keys.ID) bool { return false }, nil
	}
	if len(ids) == 0 || len(ids) > maxPrevSwarms {
		return nil, fmt.Errorf("%d previous swarms (1 to %d)", len(ids), maxPrevSwarms)
	}
	mine, err := swarm.ParseID(prev)
	if err != nil {
		return nil, err
	}
	layout := make([]swarm.ID, len(ids))
	for i, s := range ids {
		if layout[i], err = swarm.ParseID(s); err != nil {
			return nil, err
		}
	}
	slices.Sort(layout) // Pick sorts again: sorted input is its fast case
	return func(owner keys.ID) bool {
		id, _ := swarm.ForPubkey(owner, layout)
		return id == mine
	}, nil
}

// answerSyncHashes answers a request for records by hash with those of
// them this node holds for accounts of the asking peer's swarm.
func (n *Node) answerSyncHashes(w http.ResponseWriter, r *http.Request, swarmID swarm.ID, hashes []string) {
	recs, err := n.db.RecordsByHash(r.Context(), hashes)
	if err != nil {
		n.storeFailure(err).write(w)
		return
	}
	d := n.dir.Load()
	out := syncReply{Records: []syncRecord{}, Tombstones: []syncTombstone{}}
	for _, rec := range recs {
		if id, _ := d.SwarmFor(rec.Owner); id != swarmID {
			continue
		}
		out.Records = append(out.Records, syncRecord{
			Seq: rec.Seq, Owner: rec.Owner.String(), Namespace: rec.Namespace, Hash: rec.Hash,
			Timestamp: rec.Timestamp.UnixMilli(), Expiry: rec.Expiry.UnixMilli(), Data: rec.Data,
			Sender: rec.Sender, Proof: rec.Proof,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) catchUpLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.CatchUpInterval)
	defer t.Stop()
	for {
		n.catchUp(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// catchUp pulls from every swarm peer what this node has not seen yet.
func (n *Node) catchUp(ctx context.Context) {
	_, peers, ok := n.mySwarm()
	if !ok {
		return
	}
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Go(func() {
			for ctx.Err() == nil {
				more, err := n.pullFrom(ctx, p.Ed25519)
				if err != nil {
					n.log.Debug("catch-up from peer failed", "peer", p.Ed25519, "err", err)
					return
				}
				if !more {
					return
				}
			}
		})
	}
	wg.Wait()
	n.cursors.save()
}

func (n *Node) pullFrom(ctx context.Context, peerEd string) (bool, error) {
	peer, ok := n.dir.Load().Node(peerEd)
	if !ok {
		return false, nil
	}
	return n.pullWith(ctx, peer, peerEd)
}

// pullWith pulls one batch from peer with the cursors kept under key (the
// peer's key for catch-up; a hand-off after a swarm change keeps its own).
func (n *Node) pullWith(ctx context.Context, peer netview.Node, key string) (bool, error) {
	return n.pullSince(ctx, peer, key, nil)
}

// pullSince is pullWith for a hand-off: held (nil: nothing) names the
// layout before and this node's swarm in it, so that the peer sends only
// the accounts this node did not hold then.
func (n *Node) pullSince(ctx context.Context, peer netview.Node, key string, held *heldLayout) (bool, error) {
	peerEd := peer.Ed25519
	tombKey, revKey := key+"/t", key+"/r"
	after, tombsAfter, revsAfter := n.cursors.get(key), n.cursors.get(tombKey), n.cursors.get(revKey)
	req := syncRequest{After: after, Limit: syncBatch, TombstonesAfter: tombsAfter, RevocationsAfter: revsAfter, Summary: true}
	if held != nil {
		req.PrevSwarm, req.PrevSwarms = held.swarm, held.swarms
	}
	body, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	status, resp, epoch, err := n.peerPostEpoch(ctx, peer, pathSync, body, maxSyncReply, nil)
	if err != nil {
		return false, err
	}
	if err := n.syncStatus(status, epoch); err != nil {
		return false, err
	}
	var rep syncReply
	if err := json.Unmarshal(resp, &rep); err != nil {
		return false, err
	}
	// Deletions first: a message this reply carries that a tombstone of
	// the same reply buries is then refused rather than stored and deleted.
	// A bad record or tombstone is skipped and counted, never an error:
	// the cursors move past it, so that one bad entry never stalls
	// catch-up. Only a failure of this node's own database stops the pull
	// (and the cursors) until the next round.
	var rej rejections
	if err := n.applySyncTombstones(ctx, rep.Tombstones, rep.Proofs, &rej); err != nil {
		return false, err
	}
	if rep.TombstonesNext > tombsAfter {
		n.cursors.set(tombKey, rep.TombstonesNext)
	}
	if err := n.applySyncRevocations(ctx, rep.Revocations, &rej); err != nil {
		return false, err
	}
	if rep.RevocationsNext > revsAfter {
		n.cursors.set(revKey, rep.RevocationsNext)
	}
	records := rep.Records
	if rep.Summary {
		// Only hashes came: fetch the records this node lacks. They
		// are checked below exactly as whole records are.
		if records, err = n.fetchMissing(ctx, peer, rep.Records, &rej); err != nil {
			return false, err
		}
	}
	if err := n.applySyncRecords(ctx, records, &rej); err != nil {
		return false, err
	}
	rej.report(n, peerEd)
	if rep.Next > after {
		n.cursors.set(key, rep.Next)
	}
	return rep.More || rep.TombstonesMore || rep.RevocationsMore, nil
}

// heldLayout is what a hand-off pull tells the peer about the layout
// before: this node's swarm then and every swarm ID then, in hex.
type heldLayout struct {
	swarm  string
	swarms []string
}

// fetchMissing takes the summary records of a sync answer, keeps those of
// accounts this node's swarm keeps that it neither holds nor buried, and
// asks the peer for them whole. Only the records asked for are returned.
// An error (the peer or this node's database failing) leaves the cursor
// where it was, so that the same summary comes again.
func (n *Node) fetchMissing(ctx context.Context, peer netview.Node, summary []syncRecord, rej *rejections) ([]syncRecord, error) {
	mine, _, _ := n.mySwarm()
	d := n.dir.Load()
	var hashes []string
	for _, r := range summary {
		owner, err := keys.ParseID(r.Owner)
		if err != nil || r.Hash == "" || len(r.Hash) > store.MaxHashLength || len(r.Data) > 0 || len(r.Proof) > 0 {
			rej.add("record", r.Hash, errMalformed)
			continue
		}
		if id, _ := d.SwarmFor(owner); id != mine {
			rej.add("record", r.Hash, errNotMySwarm)
			continue
		}
		hashes = append(hashes, r.Hash)
	}
	if len(hashes) > syncBatch {
		hashes = hashes[:syncBatch] // a peer that ignored the limit
	}
	missing, err := n.db.Missing(ctx, hashes)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	body, _ := json.Marshal(syncRequest{Hashes: missing})
	status, resp, epoch, err := n.peerPostEpoch(ctx, peer, pathSync, body, maxSyncReply, nil)
	if err != nil {
		return nil, err
	}
	if err := n.syncStatus(status, epoch); err != nil {
		return nil, err
	}
	var rep syncReply
	if err := json.Unmarshal(resp, &rep); err != nil {
		return nil, err
	}
	asked := make(map[string]bool, len(missing))
	for _, h := range missing {
		asked[h] = true
	}
	var out []syncRecord
	for _, r := range rep.Records {
		if !asked[r.Hash] {
			rej.add("record", r.Hash, errNotAsked)
			continue
		}
		delete(asked, r.Hash) // each once
		out = append(out, r)
	}
	n.metrics.syncFetched.Add(int64(len(out)))
	return out, nil
}

// rejections counts what one sync answer held that this node refused,
// with the first reason, for one log line per answer.
type rejections struct {
	n     int
	first string
}

func (r *rejections) add(what, hash string, why error) {
	if r.n == 0 {
		r.first = what + " " + hash + ": " + why.Error()
	}
	r.n++
}

func (r *rejections) report(n *Node, peer string) {
	if r.n == 0 {
		return
	}
	n.metrics.syncRejected.Add(int64(r.n))
	n.log.Warn("catch-up skipped records a swarm peer sent", "peer", peer, "skipped", r.n, "first", r.first)
}

var (
	errMalformed    = errors.New("malformed")
	errNotMySwarm   = errors.New("account not kept by this node's swarm")
	errHashMismatch = errors.New("hash does not match owner, namespace and data")
	errNotAsked     = errors.New("not asked for")
)

// applySyncTombstones carries out the deletions a peer listed that the
// owner's signed delete covers (see deletion.allows), and skips the others.
func (n *Node) applySyncTombstones(ctx context.Context, list []syncTombstone, proofs [][]byte, rej *rejections) error {
	mine, _, _ := n.mySwarm()
	d := n.dir.Load()
	var tombs []store.Tombstone
	for _, t := range list {
		owner, err := keys.ParseID(t.Owner)
		if err != nil || t.Hash == "" || len(t.Hash) > store.MaxHashLength || t.Proof < 0 || t.Proof > len(proofs) {
			rej.add("tombstone", t.Hash, errMalformed)
			continue
		}
		if id, _ := d.SwarmFor(owner); id != mine {
			continue // not an account this node keeps: nothing to delete
		}
		st := store.Tombstone{Owner: owner, Hash: t.Hash, Expiry: time.UnixMilli(t.Expiry)}
		if t.Proof > 0 {
			st.Proof = proofs[t.Proof-1]
		}
		if len(st.Proof) > store.MaxProofLength {
			rej.add("tombstone", t.Hash, errMalformed)
			continue
		}
		tombs = append(tombs, st)
	}
	if len(tombs) == 0 {
		return nil
	}
	parsed := map[*byte]deletion{}
	check := func(t *store.Tombstone, held *store.Held) bool {
		var dl deletion
		if len(t.Proof) == 0 {
			dl = deletion{err: errNoProof}
		} else {
			var ok bool
			if dl, ok = parsed[&t.Proof[0]]; !ok {
				dl = parseDeletion(t.Proof)
				parsed[&t.Proof[0]] = dl
			}
		}
		if err := dl.allows(t.Owner, t.Hash, held); err != nil {
			rej.add("tombstone", t.Hash, err)
			return false
		}
		return true
	}
	deleted, err := n.db.ApplyTombstones(ctx, tombs, check)
	if err != nil {
		return err
	}
	n.metrics.deletionsCaughtUp.Add(int64(deleted))
	return nil
}

// applySyncRecords stores the messages a peer listed that check out: the
// hash is recomputed from (owner, namespace, data), a namespace that needs
// the owner's signature needs the owner's signed store, and the account
// must be one this node's swarm keeps. The store then applies tombstones,
// quotas and hash conflicts; what it drops is counted as well.
func (n *Node) applySyncRecords(ctx context.Context, list []syncRecord, rej *rejections) error {
	mine, _, _ := n.mySwarm()
	d := n.dir.Load()
	var msgs []store.Message
	for _, r := range list {
		owner, err := keys.ParseID(r.Owner)
		if err != nil || r.Hash == "" || len(r.Hash) > store.MaxHashLength || len(r.Data) > store.MaxMessageSize ||
			len(r.Sender) > store.MaxSenderLength || len(r.Proof) > maxStoreProof {
			rej.add("record", r.Hash, errMalformed)
			continue
		}
		if id, _ := d.SwarmFor(owner); id != mine {
			rej.add("record", r.Hash, errNotMySwarm)
			continue
		}
		ns := storagerpc.Namespace(r.Namespace)
		if storagerpc.MessageHash(owner, ns, r.Data) != r.Hash {
			rej.add("record", r.Hash, errHashMismatch)
			continue
		}
		if err := checkStoreProof(owner, ns, r.Proof); err != nil {
			rej.add("record", r.Hash, err)
			continue
		}
		msgs = append(msgs, store.Message{
			Owner: owner, Namespace: r.Namespace, Hash: r.Hash,
			Timestamp: time.UnixMilli(r.Timestamp), Expiry: time.UnixMilli(r.Expiry), Data: r.Data,
			Sender: r.Sender, Proof: r.Proof,
		})
	}
	if len(msgs) == 0 {
		return nil
	}
	res, err := n.db.Replicate(ctx, msgs)
	if err != nil {
		return err
	}
	for i, r := range res {
		switch r.Outcome {
		case store.Stored:
			n.metrics.caughtUp.Add(1)
			n.notify.wake(msgs[i].Owner, msgs[i].Namespace)
		case store.Conflict, store.OverQuota, store.Refused:
			rej.add("record", msgs[i].Hash, errors.New(r.Outcome.String()))
		}
	}
	return nil
}

// errPeerBehind reports a peer whose network view is older than this
// node's: its sync answer would be filtered by our old swarm, so it is not
// used (the cursors stay) and the peer is asked again once it caught up.
var errPeerBehind = errors.New("peer has an older epoch")

// syncStatus judges a sync answer's status and the epoch the peer gave: a
// 425 (the peer said it is behind) or an answer from an older epoch than
// ours is errPeerBehind. A peer that names no epoch (a static network) is
// taken as it is.
func (n *Node) syncStatus(status int, peerEpoch uint64) error {
	if status == http.StatusTooEarly || status == http.StatusOK && peerEpoch > 0 && peerEpoch < n.epoch() {
		return errPeerBehind
	}
	if status != http.StatusOK {
		return &httpStatusError{status}
	}
	return nil
}

type httpStatusError struct{ status int }

func (e *httpStatusError) Error() string { return "peer answered HTTP " + http.StatusText(e.status) }

// peerCursors remembers, per swarm peer, the last of its sequence numbers
// this node has pulled, in a small JSON file so that a restart resumes. A
// peer's messages are under its Ed25519 key, its tombstones under the key
// followed by "/t".
type peerCursors struct {
	path string

	mu    sync.Mutex // guards m and dirty
	m     map[string]int64
	dirty bool
}

func newPeerCursors(path string) *peerCursors {
	c := &peerCursors{path: path, m: map[string]int64{}}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &c.m) // a damaged file means starting over, which is safe
	}
	return c
}

func (c *peerCursors) get(peer string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[peer]
}

func (c *peerCursors) set(peer string, v int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[peer] = v
	c.dirty = true
}

func (c *peerCursors) save() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return
	}
	b, err := json.Marshal(c.m)
	if err != nil {
		return
	}
	tmp := c.path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil && os.Rename(tmp, c.path) == nil {
		c.dirty = false
	}
}

// hexKey decodes a 32-byte hex key.
func hexKey(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, errBadKey
	}
	return b, nil
}

var errBadKey = &httpStatusError{http.StatusBadRequest}
