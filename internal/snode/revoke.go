package snode

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/store"
)

// Subaccount revocation (network-protocol.md §1.8): an owner (a group, in
// practice) revokes the tokens of removed members. revoke_subaccount and
// unrevoke_subaccount are recursive like delete_all: the node that gets
// one runs it and pushes it to the rest of the swarm, so that every member
// refuses the token within one round; a member that was down learns the
// decision from catch-up (revocations travel with the owner's signed
// request, which the receiving member checks). Every member checks each
// request made with a subaccount against its list before running it, except
// retrieves from unrevocable namespaces (-11), where removed members learn
// that they were removed.

// checkRevoked answers a request made with a revoked subaccount token
// exactly as one with a bad signature.
func (n *Node) checkRevoked(ctx context.Context, req storagerpc.Request, a *storagerpc.Auth) *rpcResult {
	if a.Subaccount == nil || storagerpc.RevocationExempt(req) {
		return nil
	}
	revoked, err := n.db.Revoked(ctx, a.Pubkey, [store.RevocationTokenSize]byte(a.Subaccount.Token))
	if err != nil {
		r := n.storeFailure(err)
		return &r
	}
	if !revoked {
		return nil
	}
	n.metrics.revokedRefused.Add(1)
	r := errorResult(storagerpc.RevokedError(req))
	return &r
}

// revoke records the owner's decision about tokens and returns this
// member's signed result.
func (n *Node) revoke(ctx context.Context, owner keys.ID, tokens []storagerpc.SubaccountToken, revoked bool,
	ts int64, req storagerpc.Request, sign func(...[]byte) []byte) (any, error) {
	proof := deleteProof(req)
	rs := make([]store.Revocation, 0, len(tokens))
	for _, t := range tokens {
		rs = append(rs, store.Revocation{Owner: owner, Token: t, Revoked: revoked, At: time.UnixMilli(ts), Proof: proof})
	}
	count, err := n.db.ApplyRevocations(ctx, rs)
	if err != nil {
		return nil, asRPCError(n.storeFailure(err))
	}
	return storagerpc.RevokeResult{Count: count, Signature: sign(storagerpc.RevokeResultSignedMessage(owner, ts, tokens))}, nil
}

// syncRevocation is one decision in a sync answer.
type syncRevocation struct {
	Seq     int64  `json:"seq"`
	Owner   string `json:"owner"`
	Token   []byte `json:"token"`
	Revoked bool   `json:"revoked"`
	At      int64  `json:"at"`
	Proof   []byte `json:"proof"`
}

// checkRevocationProof checks that proof is the owner's signed
// revoke_subaccount (or unrevoke_subaccount) naming token at time at.
func checkRevocationProof(owner keys.ID, token storagerpc.SubaccountToken, revoked bool, at int64, proof []byte) error {
	if len(proof) == 0 {
		return errNoProof
	}
	req, err := storagerpc.ParseBody(proof)
	if err != nil {
		return fmt.Errorf("%w: %v", errBadProof, err)
	}
	var (
		pk     keys.ID
		tokens []storagerpc.SubaccountToken
		ts     int64
	)
	switch r := req.(type) {
	case *storagerpc.RevokeSubaccount:
		if !revoked {
			return fmt.Errorf("%w: a revocation offered as an unrevocation", errBadProof)
		}
		pk, tokens, ts = r.Pubkey, r.Tokens, r.Timestamp
	case *storagerpc.UnrevokeSubaccount:
		if revoked {
			return fmt.Errorf("%w: an unrevocation offered as a revocation", errBadProof)
		}
		pk, tokens, ts = r.Pubkey, r.Tokens, r.Timestamp
	default:
		return fmt.Errorf("%w: a %s request", errBadProof, req.Method())
	}
	if pk != owner || ts != at || !slices.Contains(tokens, token) {
		return fmt.Errorf("%w: signed for another account, time or token", errBadProof)
	}
	if err := storagerpc.Verify(req); err != nil {
		return fmt.Errorf("%w: %v", errBadProof, err)
	}
	return nil
}

// applySyncRevocations records the decisions a peer listed whose proofs
// verify, for accounts of this node's swarm, and skips the others.
func (n *Node) applySyncRevocations(ctx context.Context, list []syncRevocation, rej *rejections) error {
	mine, _, _ := n.mySwarm()
	d := n.dir.Load()
	var rs []store.Revocation
	for _, r := range list {
		owner, err := keys.ParseID(r.Owner)
		if err != nil || len(r.Token) != storagerpc.SubaccountTokenSize {
			rej.add("revocation", r.Owner, errMalformed)
			continue
		}
		if id, _ := d.SwarmFor(owner); id != mine {
			rej.add("revocation", r.Owner, errNotMySwarm)
			continue
		}
		tok := storagerpc.SubaccountToken(r.Token)
		if err := checkRevocationProof(owner, tok, r.Revoked, r.At, r.Proof); err != nil {
			rej.add("revocation", r.Owner, err)
			continue
		}
		rs = append(rs, store.Revocation{Owner: owner, Token: tok, Revoked: r.Revoked, At: time.UnixMilli(r.At), Proof: r.Proof})
	}
	if len(rs) == 0 {
		return nil
	}
	_, err := n.db.ApplyRevocations(ctx, rs)
	return err
}
