package storagerpc

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/session-go/session-go/internal/keys"
)

// Method names, as they appear in the "method" field.
const (
	MethodStore              = "store"
	MethodRetrieve           = "retrieve"
	MethodDelete             = "delete"
	MethodDeleteAll          = "delete_all"
	MethodDeleteBefore       = "delete_before"
	MethodExpire             = "expire"
	MethodExpireAll          = "expire_all"
	MethodGetExpiries        = "get_expiries"
	MethodGetSwarm           = "get_swarm"
	MethodGetSnodesForPubkey = "get_snodes_for_pubkey" // legacy alias of get_swarm
	MethodInfo               = "info"
	MethodOxendRequest       = "oxend_request"
	MethodRevokeSubaccount   = "revoke_subaccount"
	MethodUnrevokeSubaccount = "unrevoke_subaccount"
	MethodBatch              = "batch"
	MethodSequence           = "sequence"
	MethodIfElse             = "ifelse"
)

// Request is a decoded storage RPC request. MarshalJSON writes its params
// object with the storage server's field names.
type Request interface {
	// Method returns the canonical method name (get_swarm for its alias).
	Method() string
	json.Marshaler
	isRequest()
}

// Authenticated is a request that carries an account's signature.
type Authenticated interface {
	Request
	// Authentication returns the request's account and signature fields.
	Authentication() *Auth
	// SignedMessage returns the exact bytes the signature covers.
	SignedMessage() []byte
}

// Auth holds the account and signature parameters common to authenticated
// requests.
type Auth struct {
	// Pubkey is the account (pubkey): prefix byte and 32-byte key. For a 05
	// account the key is X25519; for 03 (groups) it is Ed25519.
	Pubkey keys.ID
	// PubkeyEd25519 (pubkey_ed25519) is, for a 05 account only, the Ed25519
	// key whose X25519 form is Pubkey's key; the signature is checked against
	// it. Nil when absent.
	PubkeyEd25519 ed25519.PublicKey
	// Signature (signature) is the Ed25519 signature of SignedMessage, nil
	// when absent.
	Signature []byte
	// Subaccount (subaccount, subaccount_sig) is set when a subaccount signs
	// instead of the owner. revoke_subaccount and unrevoke_subaccount take no
	// subaccount and ignore it.
	Subaccount *Subaccount
}

// Authentication returns a itself, so that every request embedding Auth
// satisfies [Authenticated].
func (a *Auth) Authentication() *Auth { return a }

type wireAuth struct {
	Pubkey        string `json:"pubkey"`
	PubkeyEd25519 string `json:"pubkey_ed25519,omitempty"`
	Signature     string `json:"signature,omitempty"`
	Subaccount    string `json:"subaccount,omitempty"`
	SubaccountSig string `json:"subaccount_sig,omitempty"`
}

func (a *Auth) wire(withSubaccount bool) wireAuth {
	w := wireAuth{Pubkey: a.Pubkey.String()}
	if a.PubkeyEd25519 != nil {
		w.PubkeyEd25519 = hex.EncodeToString(a.PubkeyEd25519)
	}
	if a.Signature != nil {
		w.Signature = base64.StdEncoding.EncodeToString(a.Signature)
	}
	if withSubaccount && a.Subaccount != nil {
		w.Subaccount = base64.StdEncoding.EncodeToString(a.Subaccount.Token[:])
		w.SubaccountSig = base64.StdEncoding.EncodeToString(a.Subaccount.Signature)
	}
	return w
}

// appendInts appends the decimal form of each value, as signed messages
// write integers.
func appendInts(b []byte, vs ...int64) []byte {
	for _, v := range vs {
		b = strconv.AppendInt(b, v, 10)
	}
	return b
}

func appendStrings(b []byte, ss []string) []byte {
	for _, s := range ss {
		b = append(b, s...)
	}
	return b
}

// Store deposits a message (method "store").
type Store struct {
	Auth
	// Namespace (namespace) is where the message goes; omitted when 0.
	Namespace Namespace
	// Timestamp (timestamp) is the message time, ms since the Unix epoch.
	Timestamp int64
	// TTL (ttl) is the lifetime in ms, used when Expiry is 0.
	TTL int64
	// Expiry (expiry) is the absolute expiry in ms; when 0, Timestamp+TTL.
	Expiry int64
	// SigTimestamp (sig_timestamp) is the signed time in ms; when 0 the
	// signature covers Timestamp.
	SigTimestamp int64
	// Data (data) is the message body, at most MaxMessageSize bytes.
	Data []byte
}

// Method returns "store".
func (*Store) Method() string { return MethodStore }

// ExpiryTime returns the absolute expiry in ms: Expiry, or Timestamp+TTL.
func (s *Store) ExpiryTime() int64 {
	if s.Expiry != 0 {
		return s.Expiry
	}
	return s.Timestamp + s.TTL
}

func (s *Store) sigTimestamp() int64 {
	if s.SigTimestamp != 0 {
		return s.SigTimestamp
	}
	return s.Timestamp
}

// SignedMessage returns "store" ‖ namespace (empty for 0) ‖ sig_timestamp.
// Stores into public inbox namespaces need no signature.
func (s *Store) SignedMessage() []byte {
	b := append([]byte(MethodStore), s.Namespace.signed()...)
	return appendInts(b, s.sigTimestamp())
}

// MarshalJSON writes the store params.
func (s *Store) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Namespace    int16  `json:"namespace,omitempty"`
		Timestamp    int64  `json:"timestamp"`
		TTL          *int64 `json:"ttl,omitempty"`
		Expiry       int64  `json:"expiry,omitempty"`
		SigTimestamp int64  `json:"sig_timestamp,omitempty"`
		Data         string `json:"data"`
	}{
		wireAuth:     s.wire(true),
		Namespace:    int16(s.Namespace),
		Timestamp:    s.Timestamp,
		Expiry:       s.Expiry,
		SigTimestamp: s.SigTimestamp,
		Data:         base64.StdEncoding.EncodeToString(s.Data),
	}
	if s.Expiry == 0 {
		w.TTL = &s.TTL
	}
	return json.Marshal(w)
}

// Retrieve fetches messages (method "retrieve").
type Retrieve struct {
	Auth
	// Namespace (namespace) to read; omitted when 0.
	Namespace Namespace
	// LastHash (last_hash) returns only messages stored after this one; empty
	// for all.
	LastHash string
	// MaxCount (max_count) caps the number of messages; 0 for no cap.
	MaxCount int
	// MaxSize (max_size) caps the total size: bytes when positive, 1/k of
	// RetrieveMaxSize when -k, unset when 0.
	MaxSize int
	// Timestamp (timestamp) is the signed time, ms since the Unix epoch.
	Timestamp int64
	// LongPollMS (long_poll_ms), a session-go extension, asks the node to
	// hold the retrieve up to this many ms until a message arrives; 0 (or a
	// value that is not a positive integer) answers at once, as a Session
	// node does, which ignores the field.
	LongPollMS int64
}

// Method returns "retrieve".
func (*Retrieve) Method() string { return MethodRetrieve }

// SignedMessage returns "retrieve" ‖ namespace (empty for 0) ‖ timestamp.
func (r *Retrieve) SignedMessage() []byte {
	b := append([]byte(MethodRetrieve), r.Namespace.signed()...)
	return appendInts(b, r.Timestamp)
}

// Limits returns the effective message-count cap (0 for none) and size cap
// in bytes, as the node applies them: 0 means unset, neither set means 1/5
// of RetrieveMaxSize, -k means RetrieveMaxSize/k, and no size above
// RetrieveMaxSize.
func (r *Retrieve) Limits() (maxCount, maxSize int) {
	maxCount, maxSize = r.MaxCount, r.MaxSize
	if maxCount == 0 && maxSize == 0 {
		maxSize = -RetrieveDefaultSizeFraction
	}
	switch {
	case maxSize < 0:
		maxSize = RetrieveMaxSize / -maxSize
	case maxSize == 0 || maxSize > RetrieveMaxSize:
		maxSize = RetrieveMaxSize
	}
	return maxCount, maxSize
}

// MarshalJSON writes the retrieve params.
func (r *Retrieve) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Namespace int16  `json:"namespace,omitempty"`
		LastHash  string `json:"last_hash,omitempty"`
		MaxCount  int    `json:"max_count,omitempty"`
		MaxSize   int    `json:"max_size,omitempty"`
		Timestamp int64  `json:"timestamp,omitempty"`
		LongPoll  int64  `json:"long_poll_ms,omitempty"`
	}{r.wire(true), int16(r.Namespace), r.LastHash, r.MaxCount, r.MaxSize, r.Timestamp, r.LongPollMS}
	return json.Marshal(w)
}

// Delete deletes messages by hash (method "delete").
type Delete struct {
	Auth
	// Messages (messages) are the hashes to delete, from any namespace.
	Messages []string
	// Required (required) makes the node answer 404 when nothing was deleted.
	Required bool
}

// Method returns "delete".
func (*Delete) Method() string { return MethodDelete }

// SignedMessage returns "delete" ‖ hash1 ‖ hash2 ‖ ….
func (d *Delete) SignedMessage() []byte {
	return appendStrings([]byte(MethodDelete), d.Messages)
}

// MarshalJSON writes the delete params.
func (d *Delete) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Messages []string `json:"messages"`
		Required bool     `json:"required,omitempty"`
	}{d.wire(true), nonNil(d.Messages), d.Required}
	return json.Marshal(w)
}

// DeleteAll deletes every message in a namespace, or in all of them (method
// "delete_all").
type DeleteAll struct {
	Auth
	// Namespace (namespace) selects one namespace or "all".
	Namespace NamespaceOrAll
	// Timestamp (timestamp) is the signed time, ms since the Unix epoch.
	Timestamp int64
}

// Method returns "delete_all".
func (*DeleteAll) Method() string { return MethodDeleteAll }

// SignedMessage returns "delete_all" ‖ namespace ("all", empty for 0) ‖ timestamp.
func (d *DeleteAll) SignedMessage() []byte {
	b := append([]byte(MethodDeleteAll), d.Namespace.signed()...)
	return appendInts(b, d.Timestamp)
}

// MarshalJSON writes the delete_all params.
func (d *DeleteAll) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Namespace any   `json:"namespace,omitempty"`
		Timestamp int64 `json:"timestamp"`
	}{d.wire(true), d.Namespace.wire(), d.Timestamp}
	return json.Marshal(w)
}

// wire returns the JSON value of the selector: "all", a number, or nil
// (omitted) for the default namespace.
func (s NamespaceOrAll) wire() any {
	switch {
	case s.All:
		return "all"
	case s.Namespace == NamespaceDefault:
		return nil
	}
	return int16(s.Namespace)
}

// DeleteBefore deletes messages stored at or before a time (method
// "delete_before").
type DeleteBefore struct {
	Auth
	// Namespace (namespace) selects one namespace or "all".
	Namespace NamespaceOrAll
	// Before (before) is the cut-off in ms since the Unix epoch.
	Before int64
}

// Method returns "delete_before".
func (*DeleteBefore) Method() string { return MethodDeleteBefore }

// SignedMessage returns "delete_before" ‖ namespace ‖ before.
func (d *DeleteBefore) SignedMessage() []byte {
	b := append([]byte(MethodDeleteBefore), d.Namespace.signed()...)
	return appendInts(b, d.Before)
}

// MarshalJSON writes the delete_before params.
func (d *DeleteBefore) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Namespace any   `json:"namespace,omitempty"`
		Before    int64 `json:"before"`
	}{d.wire(true), d.Namespace.wire(), d.Before}
	return json.Marshal(w)
}

// Expire changes the expiry of messages (method "expire").
type Expire struct {
	Auth
	// Messages (messages) are the hashes to update.
	Messages []string
	// Expiry (expiry) is one new expiry for all messages, or one per message,
	// in ms since the Unix epoch.
	Expiry []int64
	// Shorten (shorten) only ever brings expiries forward.
	Shorten bool
	// Extend (extend) only ever pushes expiries back. At most one of Shorten
	// and Extend may be set.
	Extend bool
}

// Method returns "expire".
func (*Expire) Method() string { return MethodExpire }

// SignedMessage returns "expire" ‖ ("shorten" | "extend" | "") ‖ expiry… ‖ hash….
func (e *Expire) SignedMessage() []byte {
	b := []byte(MethodExpire)
	switch {
	case e.Shorten:
		b = append(b, "shorten"...)
	case e.Extend:
		b = append(b, "extend"...)
	}
	b = appendInts(b, e.Expiry...)
	return appendStrings(b, e.Messages)
}

// ExtendOnly reports whether the node may only extend expiries: when the
// request says so, or when a subaccount without delete permission signed it.
func (e *Expire) ExtendOnly() bool {
	return e.Extend || e.Subaccount != nil && !e.Subaccount.Token.Allows(SubaccountDelete)
}

// MarshalJSON writes the expire params.
func (e *Expire) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Messages []string `json:"messages"`
		Expiry   any      `json:"expiry"`
		Shorten  bool     `json:"shorten,omitempty"`
		Extend   bool     `json:"extend,omitempty"`
	}{wireAuth: e.wire(true), Messages: nonNil(e.Messages), Expiry: nonNil(e.Expiry), Shorten: e.Shorten, Extend: e.Extend}
	if len(e.Expiry) == 1 {
		w.Expiry = e.Expiry[0]
	}
	return json.Marshal(w)
}

// ExpireAll shortens the expiry of every message in a namespace, or in all
// of them (method "expire_all").
type ExpireAll struct {
	Auth
	// Namespace (namespace) selects one namespace or "all".
	Namespace NamespaceOrAll
	// Expiry (expiry) is the new expiry in ms since the Unix epoch.
	Expiry int64
}

// Method returns "expire_all".
func (*ExpireAll) Method() string { return MethodExpireAll }

// SignedMessage returns "expire_all" ‖ namespace ‖ expiry.
func (e *ExpireAll) SignedMessage() []byte {
	b := append([]byte(MethodExpireAll), e.Namespace.signed()...)
	return appendInts(b, e.Expiry)
}

// MarshalJSON writes the expire_all params.
func (e *ExpireAll) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Namespace any   `json:"namespace,omitempty"`
		Expiry    int64 `json:"expiry"`
	}{e.wire(true), e.Namespace.wire(), e.Expiry}
	return json.Marshal(w)
}

// GetExpiries asks for the current expiries of messages (method
// "get_expiries").
type GetExpiries struct {
	Auth
	// Messages (messages) are the hashes to look up.
	Messages []string
	// Timestamp (timestamp) is the signed time, ms since the Unix epoch.
	Timestamp int64
}

// Method returns "get_expiries".
func (*GetExpiries) Method() string { return MethodGetExpiries }

// SignedMessage returns "get_expiries" ‖ timestamp ‖ hash….
func (g *GetExpiries) SignedMessage() []byte {
	b := appendInts([]byte(MethodGetExpiries), g.Timestamp)
	return appendStrings(b, g.Messages)
}

// MarshalJSON writes the get_expiries params.
func (g *GetExpiries) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Messages  []string `json:"messages"`
		Timestamp int64    `json:"timestamp"`
	}{g.wire(true), nonNil(g.Messages), g.Timestamp}
	return json.Marshal(w)
}

// RevokeSubaccount adds subaccount tokens to the account's revocation list
// (method "revoke_subaccount"). Only the owner can sign it.
type RevokeSubaccount struct {
	Auth
	// Tokens (revoke) are the tokens to revoke, at most MaxRevocations.
	Tokens []SubaccountToken
	// Timestamp (timestamp) is the signed time, ms since the Unix epoch.
	Timestamp int64
}

// Method returns "revoke_subaccount".
func (*RevokeSubaccount) Method() string { return MethodRevokeSubaccount }

// SignedMessage returns "revoke_subaccount" ‖ timestamp ‖ token bytes….
func (r *RevokeSubaccount) SignedMessage() []byte {
	return appendTokens(appendInts([]byte(MethodRevokeSubaccount), r.Timestamp), r.Tokens)
}

// MarshalJSON writes the revoke_subaccount params.
func (r *RevokeSubaccount) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Revoke    []string `json:"revoke"`
		Timestamp int64    `json:"timestamp"`
	}{r.wire(false), tokenStrings(r.Tokens), r.Timestamp}
	return json.Marshal(w)
}

// UnrevokeSubaccount removes subaccount tokens from the account's revocation
// list (method "unrevoke_subaccount"). Only the owner can sign it.
type UnrevokeSubaccount struct {
	Auth
	// Tokens (unrevoke) are the tokens to restore.
	Tokens []SubaccountToken
	// Timestamp (timestamp) is the signed time, ms since the Unix epoch.
	Timestamp int64
}

// Method returns "unrevoke_subaccount".
func (*UnrevokeSubaccount) Method() string { return MethodUnrevokeSubaccount }

// SignedMessage returns "unrevoke_subaccount" ‖ timestamp ‖ token bytes….
func (u *UnrevokeSubaccount) SignedMessage() []byte {
	return appendTokens(appendInts([]byte(MethodUnrevokeSubaccount), u.Timestamp), u.Tokens)
}

// MarshalJSON writes the unrevoke_subaccount params.
func (u *UnrevokeSubaccount) MarshalJSON() ([]byte, error) {
	w := struct {
		wireAuth
		Unrevoke  []string `json:"unrevoke"`
		Timestamp int64    `json:"timestamp"`
	}{u.wire(false), tokenStrings(u.Tokens), u.Timestamp}
	return json.Marshal(w)
}

func appendTokens(b []byte, ts []SubaccountToken) []byte {
	for _, t := range ts {
		b = append(b, t[:]...)
	}
	return b
}

func tokenStrings(ts []SubaccountToken) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = base64.StdEncoding.EncodeToString(t[:])
	}
	return out
}

// GetSwarm asks which swarm serves an account (method "get_swarm", alias
// "get_snodes_for_pubkey"). Any node answers it.
type GetSwarm struct {
	// Pubkey (pubkey) is the account.
	Pubkey keys.ID
}

// Method returns "get_swarm".
func (*GetSwarm) Method() string { return MethodGetSwarm }

// MarshalJSON writes the get_swarm params.
func (g *GetSwarm) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Pubkey string `json:"pubkey"`
	}{g.Pubkey.String()})
}

// Info asks for the node's version and clock (method "info"). Clients should
// take network time from its reply.
type Info struct{}

// Method returns "info".
func (*Info) Method() string { return MethodInfo }

// MarshalJSON writes the (empty) info params.
func (*Info) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// Oxend endpoints a client may reach through oxend_request.
const (
	OxendGetServiceNodes = "get_service_nodes"
	OxendONSResolve      = "ons_resolve"
)

// OxendRequest passes a whitelisted query on to the node's oxend (method
// "oxend_request").
type OxendRequest struct {
	// Endpoint (endpoint) is OxendGetServiceNodes or OxendONSResolve.
	Endpoint string
	// Params (params) is passed through unchanged; nil when absent.
	Params json.RawMessage
}

// Method returns "oxend_request".
func (*OxendRequest) Method() string { return MethodOxendRequest }

// MarshalJSON writes the oxend_request params.
func (o *OxendRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Endpoint string          `json:"endpoint"`
		Params   json.RawMessage `json:"params,omitempty"`
	}{o.Endpoint, o.Params})
}

// Batch runs up to MaxBatchRequests subrequests (method "batch", or
// "sequence" when Sequence is set: then in order, stopping after the first
// failure). Each subrequest carries its own signature; batches do not nest.
type Batch struct {
	// Requests (requests) are the subrequests.
	Requests []Request
	// Sequence selects the "sequence" method.
	Sequence bool
	// LongPollMS (long_poll_ms) is [Retrieve.LongPollMS] for a batch made
	// only of retrieves.
	LongPollMS int64
}

// Method returns "batch" or "sequence".
func (b *Batch) Method() string {
	if b.Sequence {
		return MethodSequence
	}
	return MethodBatch
}

// MarshalJSON writes the batch params.
func (b *Batch) MarshalJSON() ([]byte, error) {
	type sub struct {
		Method string  `json:"method"`
		Params Request `json:"params"`
	}
	subs := make([]sub, len(b.Requests))
	for i, r := range b.Requests {
		subs[i] = sub{r.Method(), r}
	}
	return json.Marshal(struct {
		Requests []sub `json:"requests"`
		LongPoll int64 `json:"long_poll_ms,omitempty"`
	}{subs, b.LongPollMS})
}

// EncodeBody returns the full body of an HTTP storage_rpc request:
// {"method": …, "params": …}.
func EncodeBody(r Request) ([]byte, error) {
	return json.Marshal(struct {
		Method string  `json:"method"`
		Params Request `json:"params"`
	}{r.Method(), r})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (*Store) isRequest()              {}
func (*Retrieve) isRequest()           {}
func (*Delete) isRequest()             {}
func (*DeleteAll) isRequest()          {}
func (*DeleteBefore) isRequest()       {}
func (*Expire) isRequest()             {}
func (*ExpireAll) isRequest()          {}
func (*GetExpiries) isRequest()        {}
func (*RevokeSubaccount) isRequest()   {}
func (*UnrevokeSubaccount) isRequest() {}
func (*GetSwarm) isRequest()           {}
func (*Info) isRequest()               {}
func (*OxendRequest) isRequest()       {}
func (*Batch) isRequest()              {}
