package snode

import (
	"errors"
	"fmt"
	"slices"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/store"
)

// Proofs: no data on a peer's word alone (issue 8 point 2). A node keeps,
// with every message of a namespace that needs the owner's signature, the
// owner's signed store, and with every tombstone the owner's signed delete,
// each as the storage RPC body that carried it (a store's data left out: the
// signature does not cover it, and the record carries it). Catch-up sends
// them along, and the receiving node checks them as the storage RPC would,
// except for the clock: a proof is as old as what it proves.
//
// What a proof does not give: Session's store signature covers the
// namespace and a timestamp, not the data, so a valid signed store proves
// that the owner stored something into that namespace, not what. Only a
// swarm member (authenticated by its TLS identity) sees the owner's
// signatures, and it could serve anything to the owner's retrieves anyway.

// errNoProof and errBadProof are why a record or tombstone is refused.
var (
	errNoProof  = errors.New("no owner signature")
	errBadProof = errors.New("owner signature does not verify")
)

// storeProof is the proof kept with a stored message: the store request
// without its data, or nil for a namespace that needs no signature.
func storeProof(r *storagerpc.Store) []byte {
	if !r.Namespace.StoreNeedsAuth() {
		return nil
	}
	c := *r
	c.Data = nil
	b, err := storagerpc.EncodeBody(&c)
	if err != nil || len(b) > store.MaxProofLength {
		return nil
	}
	return b
}

// deleteProof is the proof kept with the tombstones of a delete, delete_all
// or delete_before: the whole request. One too large to keep (thousands of
// hashes) is not kept: the deletion still reaches every member it is pushed
// to, but catch-up cannot carry it.
func deleteProof(req storagerpc.Request) []byte {
	b, err := storagerpc.EncodeBody(req)
	if err != nil || len(b) > store.MaxProofLength {
		return nil
	}
	return b
}

// checkStoreProof checks a replicated record of owner in namespace ns: a
// namespace that needs the owner's signature needs a signed store of that
// owner into that namespace.
func checkStoreProof(owner keys.ID, ns storagerpc.Namespace, proof []byte) error {
	if !ns.StoreNeedsAuth() {
		return nil
	}
	if len(proof) == 0 {
		return errNoProof
	}
	req, err := storagerpc.ParseBody(proof)
	if err != nil {
		return fmt.Errorf("%w: %v", errBadProof, err)
	}
	s, ok := req.(*storagerpc.Store)
	if !ok {
		return fmt.Errorf("%w: a %s request", errBadProof, req.Method())
	}
	if s.Pubkey != owner || s.Namespace != ns {
		return fmt.Errorf("%w: signed for another account or namespace", errBadProof)
	}
	if err := storagerpc.Verify(s); err != nil {
		return fmt.Errorf("%w: %v", errBadProof, err)
	}
	return nil
}

// deleteAllSlack is how much newer than a delete_all's timestamp a message
// it deleted can be: the node ran it up to SignatureToleranceForwarded after
// its timestamp, and a message stored just before may be dated up to
// StoreTolerance ahead of that.
const deleteAllSlack = storagerpc.SignatureToleranceForwarded + storagerpc.StoreTolerance

// deletion is a peer's signed delete, parsed and verified once however
// many tombstones of a sync answer refer to it.
type deletion struct {
	req storagerpc.Request // nil if it did not parse or verify
	err error
}

func parseDeletion(proof []byte) deletion {
	if len(proof) == 0 {
		return deletion{err: errNoProof}
	}
	req, err := storagerpc.ParseBody(proof)
	if err != nil {
		return deletion{err: fmt.Errorf("%w: %v", errBadProof, err)}
	}
	switch req.(type) {
	case *storagerpc.Delete, *storagerpc.DeleteAll, *storagerpc.DeleteBefore:
	default:
		return deletion{err: fmt.Errorf("%w: a %s request", errBadProof, req.Method())}
	}
	if err := storagerpc.Verify(req); err != nil {
		return deletion{err: fmt.Errorf("%w: %v", errBadProof, err)}
	}
	return deletion{req: req}
}

// allows reports whether the signed delete covers the tombstone of owner's
// hash, given the message as this node holds it (nil if it holds none).
//
// delete names its hashes. delete_all and delete_before name a namespace
// (or all) and a time: a held message must be in that namespace and no
// newer than the time (delete_all: its timestamp plus deleteAllSlack), so
// that an old signed delete_all replayed by a peer cannot delete what the
// owner stored since. A message this node does not hold can only be
// buried, which keeps a copy from coming back.
func (d deletion) allows(owner keys.ID, hash string, held *store.Held) error {
	if d.req == nil {
		return d.err
	}
	inScope := func(ns storagerpc.NamespaceOrAll) bool {
		return held == nil || ns.All || int16(ns.Namespace) == held.Namespace
	}
	notAfter := func(ms int64) bool {
		return held == nil || held.Timestamp.UnixMilli() <= ms
	}
	switch r := d.req.(type) {
	case *storagerpc.Delete:
		if r.Pubkey == owner && slices.Contains(r.Messages, hash) {
			return nil
		}
	case *storagerpc.DeleteAll:
		if r.Pubkey == owner && inScope(r.Namespace) && notAfter(r.Timestamp+deleteAllSlack.Milliseconds()) {
			return nil
		}
	case *storagerpc.DeleteBefore:
		if r.Pubkey == owner && inScope(r.Namespace) && notAfter(r.Before) {
			return nil
		}
	}
	return fmt.Errorf("%w: the signed %s does not cover this message", errBadProof, d.req.Method())
}
