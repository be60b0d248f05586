package storagerpc

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"time"

	"filippo.io/edwards25519"

	"github.com/session-go/session-go/internal/keys"
)

// Sign signs req as the account id: Pubkey becomes its Session ID,
// PubkeyEd25519 its Ed25519 key, any subaccount is cleared, and Signature
// covers req.SignedMessage(). Set every other field first.
func Sign(req Authenticated, id *keys.Identity) {
	a := req.Authentication()
	a.Pubkey = id.SessionID()
	a.PubkeyEd25519 = id.Ed25519PublicKey()
	a.Subaccount = nil
	a.Signature = id.Sign(req.SignedMessage())
}

// SignAs signs req for an account whose Ed25519 key is priv and whose ID is
// the key itself under prefix (a 03 group, say): Pubkey becomes prefix ‖
// public key and PubkeyEd25519 is cleared.
func SignAs(req Authenticated, prefix keys.Prefix, priv ed25519.PrivateKey) {
	a := req.Authentication()
	a.Pubkey = keys.ID{Prefix: prefix}
	copy(a.Pubkey.Key[:], priv.Public().(ed25519.PublicKey))
	a.PubkeyEd25519 = nil
	a.Subaccount = nil
	a.Signature = ed25519.Sign(priv, req.SignedMessage())
}

// SignWithSubaccount signs req for account with a subaccount's key: sub is
// the owner-signed token and priv the subaccount's Ed25519 key (whose public
// half the token names). For a 05 account, set PubkeyEd25519 to the owner's
// Ed25519 key as well, since the token signature is checked against it.
func SignWithSubaccount(req Authenticated, account keys.ID, sub Subaccount, priv ed25519.PrivateKey) {
	a := req.Authentication()
	a.Pubkey = account
	a.Subaccount = &sub
	a.Signature = ed25519.Sign(priv, req.SignedMessage())
}

// Validate checks a decoded request against the clock (see [CheckTime]) and
// then its signature (see [Verify]), in the order the storage server does,
// so the first failure is the one the server would report. forwarded says
// the request came from another member of the swarm.
func Validate(req Request, now time.Time, forwarded bool) error {
	if err := CheckTime(req, now, forwarded); err != nil {
		return err
	}
	return Verify(req)
}

// CheckTime applies the method's clock rules at time now:
//
//   - store: TTL (expiry − timestamp) within [TTLMinimum, namespace max] or
//     403; timestamp at most StoreTolerance ahead and expiry at most
//     StoreTolerance past or 406; a signed store's sig_timestamp within
//     ±SignatureTolerance or 406.
//   - retrieve (when signed), get_expiries, revoke/unrevoke_subaccount:
//     timestamp within ±SignatureTolerance or 406.
//   - delete_all: timestamp within ±SignatureTolerance (forwarded:
//     SignatureToleranceForwarded) or 406.
//   - delete_before: before at most SignatureTolerance ahead or 401.
//   - expire: every expiry at most SignatureTolerance past or 401.
//   - expire_all: expiry at most SignatureTolerance past (forwarded:
//     SignatureToleranceForwarded) or 406.
func CheckTime(req Request, now time.Time, forwarded bool) error {
	t := now.UnixMilli()
	sigTol := SignatureTolerance.Milliseconds()
	tol := sigTol
	if forwarded {
		tol = SignatureToleranceForwarded.Milliseconds()
	}
	within := func(ts, d int64) bool { return ts >= t-d && ts <= t+d }
	tooFar := func(what string) error {
		return NewError(http.StatusNotAcceptable, what+" timestamp too far from current time")
	}
	switch r := req.(type) {
	case *Store:
		ttl := r.ExpiryTime() - r.Timestamp
		if ttl < TTLMinimum.Milliseconds() || ttl > r.Namespace.MaxTTL().Milliseconds() {
			return NewError(http.StatusForbidden, "Provided expiry/TTL is not valid.")
		}
		if r.Timestamp > t+StoreTolerance.Milliseconds() || r.ExpiryTime() < t-StoreTolerance.Milliseconds() {
			return NewError(http.StatusNotAcceptable, "Timestamp error: check your clock")
		}
		if r.Namespace.StoreNeedsAuth() && r.Signature != nil && !within(r.sigTimestamp(), sigTol) {
			return tooFar("store signature")
		}
	case *Retrieve:
		if r.Signature != nil && !within(r.Timestamp, sigTol) {
			return tooFar("retrieve")
		}
	case *GetExpiries:
		if !within(r.Timestamp, sigTol) {
			return tooFar("get_expiries")
		}
	case *RevokeSubaccount:
		if !within(r.Timestamp, sigTol) {
			return tooFar("revoke_subaccount")
		}
	case *UnrevokeSubaccount:
		if !within(r.Timestamp, sigTol) {
			return tooFar("unrevoke_subaccount")
		}
	case *DeleteAll:
		if !within(r.Timestamp, tol) {
			return tooFar("delete_all")
		}
	case *DeleteBefore:
		if r.Before > t+sigTol {
			return NewError(http.StatusUnauthorized, "delete_before timestamp too far in the future")
		}
	case *Expire:
		for _, e := range r.Expiry {
			if e < t-sigTol {
				return NewError(http.StatusUnauthorized, "expire: timestamp should be >= current time")
			}
		}
	case *ExpireAll:
		if r.Expiry < t-tol {
			return NewError(http.StatusNotAcceptable, "expire_all timestamp should be >= current time")
		}
	}
	return nil
}

// RevocationExempt reports whether req may use a revoked subaccount: only a
// retrieve from an unrevocable namespace may. For any other request the node
// must answer a revoked subaccount token exactly as a failed signature (401
// and the method's "signature verification failed" text); [Verify] does not
// consult the revocation list, which lives in the node's storage.
func RevocationExempt(req Request) bool {
	r, ok := req.(*Retrieve)
	return ok && r.Namespace.IsUnrevocable()
}

// Verify checks a request's authentication as the storage server does:
// pubkey_ed25519 (05 accounts only) must convert to the account's X25519
// key and is then the verifying key, otherwise the account's own key is; a
// subaccount must be allowed for the account's prefix, hold the method's
// permissions and be signed by that key, and its own key then verifies the
// request. Stores into public inboxes and retrieves from namespaces that
// need no authentication pass unsigned; other requests without a valid
// signature get 401. Requests without authentication (get_swarm, info,
// oxend_request, batch) always pass; batch subrequests are verified one by
// one by the caller.
func Verify(req Request) error {
	switch r := req.(type) {
	case *Store:
		if !r.Namespace.StoreNeedsAuth() {
			return nil // the server ignores signatures on public inbox stores
		}
		if r.Signature == nil {
			return NewError(http.StatusUnauthorized,
				fmt.Sprintf("store: signature required to store to namespace %d", r.Namespace))
		}
		if a := r.Authentication(); a.Subaccount != nil && a.Pubkey.Prefix == keys.PrefixGroup && r.Namespace.IsGroupAdminOnly() {
			// Stricter than Session's storage server, which lets any
			// member write here: members never do (only the group's key
			// signs these configs), and junk stored here by a member
			// would take the namespace's quota (internal/store) that the
			// admins' key rotation needs, the one that removes a member.
			return NewError(http.StatusUnauthorized,
				fmt.Sprintf("store: only the group's admins store to namespace %d", r.Namespace))
		}
		need := SubaccountWrite
		if r.Namespace.IsPublicOutbox() {
			// Storing into a public outbox replaces its message, so it
			// needs delete permission too.
			need |= SubaccountDelete
		}
		return verify(r, need, failureText(r))
	case *Retrieve:
		if r.Signature == nil {
			if !r.Namespace.RetrieveNeedsAuth() {
				return nil
			}
			return NewError(http.StatusUnauthorized, "retrieve: request signature required")
		}
		return verify(r, SubaccountRead, failureText(r))
	case *Delete:
		// store.h says read, but the server demands delete permission.
		return verify(r, SubaccountDelete, failureText(r))
	case *DeleteAll:
		return verify(r, SubaccountDelete, failureText(r))
	case *DeleteBefore:
		return verify(r, SubaccountDelete, failureText(r))
	case *Expire:
		if err := verify(r, SubaccountWrite, failureText(r)); err != nil {
			return err
		}
		if r.Shorten && r.Subaccount != nil && !r.Subaccount.Token.Allows(SubaccountDelete) {
			return NewError(http.StatusBadRequest,
				"expire: shorten parameter cannot be used with this subaccount token (missing delete access)")
		}
		return nil
	case *ExpireAll:
		return verify(r, SubaccountDelete, failureText(r))
	case *GetExpiries:
		return verify(r, SubaccountRead, failureText(r))
	case *RevokeSubaccount:
		return verifyOwner(r, failureText(r))
	case *UnrevokeSubaccount:
		return verifyOwner(r, failureText(r))
	}
	return nil
}

// failureText is the storage server's reason for a request whose signature
// fails, per method.
func failureText(req Request) string {
	switch req.(type) {
	case *Store:
		return "store signature verification failed"
	case *Retrieve:
		return "retrieve signature verification failed"
	case *Delete:
		return "delete_msgs signature verification failed"
	case *DeleteAll:
		return "delete_all signature verification failed"
	case *DeleteBefore:
		return "delete_before signature verification failed"
	case *Expire:
		return "expire: signature verification failed"
	case *ExpireAll:
		return "expire_all signature verification failed"
	case *GetExpiries:
		return "get_expiries signature verification failed"
	case *RevokeSubaccount:
		return "revoke_subaccount signature verification failed"
	case *UnrevokeSubaccount:
		return "unrevoke_subaccount signature verification failed"
	}
	return req.Method() + " signature verification failed"
}

// RevokedError is the answer to a request made with a revoked subaccount:
// exactly what a failed signature gets (401 and the method's text), so that
// a revoked member learns nothing more than a forger.
func RevokedError(req Request) error {
	return NewError(http.StatusUnauthorized, failureText(req))
}

func verify(req Authenticated, need SubaccountFlags, failure string) error {
	if !verified(req, need, true) {
		return NewError(http.StatusUnauthorized, failure)
	}
	return nil
}

func verifyOwner(req Authenticated, failure string) error {
	if !verified(req, 0, false) {
		return NewError(http.StatusUnauthorized, failure)
	}
	return nil
}

// verified does the checks of Verify for one request.
func verified(req Authenticated, need SubaccountFlags, allowSubaccount bool) bool {
	a := req.Authentication()
	if len(a.Signature) != ed25519.SignatureSize {
		return false
	}
	key := a.Pubkey.Key[:]
	if a.Pubkey.Prefix == keys.PrefixStandard && a.PubkeyEd25519 != nil {
		x, err := keys.Ed25519PublicToX25519(a.PubkeyEd25519)
		if err != nil || !bytes.Equal(x, a.Pubkey.Key[:]) {
			return false
		}
		key = a.PubkeyEd25519
	}
	if allowSubaccount && a.Subaccount != nil {
		t := a.Subaccount.Token
		if !t.prefixAllowed(a.Pubkey.Prefix) || !t.Allows(need) ||
			!verifySodium(key, t[:], a.Subaccount.Signature) {
			return false
		}
		key = t.PublicKey()
	}
	return verifySodium(key, req.SignedMessage(), a.Signature)
}

// verifySodium verifies an Ed25519 signature with libsodium's extra rule:
// public keys of small order are refused. (crypto/ed25519 already refuses
// non-canonical keys and scalars.)
func verifySodium(pub, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil || new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return false
	}
	return ed25519.Verify(pub, msg, sig)
}
