package storagerpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/session-go/session-go/internal/keys"
)

// Meta holds the fields the entry node adds to every JSON reply.
type Meta struct {
	// T (t) is the node's clock, ms since the Unix epoch.
	T int64 `json:"t,omitempty"`
	// HF (hf) is the network hardfork as [major, minor].
	HF []int `json:"hf,omitempty"`
}

// SwarmFailure marks a swarm member's result as failed, in replies to
// recursive requests (store, delete*, expire*, (un)revoke_subaccount).
type SwarmFailure struct {
	// Failed (failed) is true when this member did not carry out the request.
	Failed Flag `json:"failed,omitempty"`
	// Timeout (timeout): the member did not answer in time.
	Timeout Flag `json:"timeout,omitempty"`
	// Code (code) and Reason (reason): the member's error status and text.
	// A storage server that relays a peer's error writes the code as a
	// string ("406"); see [StatusCode].
	Code   StatusCode `json:"code,omitempty"`
	Reason string     `json:"reason,omitempty"`
	// BadPeerResponse (bad_peer_response): the member's answer was unreadable.
	BadPeerResponse Flag `json:"bad_peer_response,omitempty"`
	// QueryFailure (query_failure): the member's database failed.
	QueryFailure Flag `json:"query_failure,omitempty"`
}

// StoreResponse answers store. Swarm is keyed by member Ed25519 key (hex).
type StoreResponse struct {
	Swarm map[string]StoreResult `json:"swarm"`
	// Hash (hash) repeats the message hash at the top level (legacy).
	Hash string `json:"hash,omitempty"`
	Meta
}

// StoreResult is one swarm member's answer to store.
type StoreResult struct {
	SwarmFailure
	// Hash (hash) is the message hash.
	Hash string `json:"hash,omitempty"`
	// Signature (signature) is the member's signature of Hash (see
	// [StoreResultSignedMessage]).
	Signature []byte `json:"signature,omitempty"`
	// Expiry (expiry) is the message's expiry, ms since the Unix epoch.
	Expiry int64 `json:"expiry,omitempty"`
	// Already (already) is true when the message was stored before.
	// Session's storage server writes it as 1 for a peer's answer.
	Already Flag `json:"already,omitempty"`
}

// RetrieveResponse answers retrieve.
type RetrieveResponse struct {
	Messages []RetrievedMessage `json:"messages"`
	// More (more) is true when limits cut the list short.
	More bool `json:"more"`
	Meta
}

// RetrievedMessage is one message in a retrieve reply.
type RetrievedMessage struct {
	Hash      string `json:"hash"`
	Timestamp int64  `json:"timestamp"`
	// Expiration (expiration) is the expiry in ms; the server's own docs call
	// it "expiry", but the wire says "expiration".
	Expiration int64  `json:"expiration"`
	Data       []byte `json:"data"`
}

// DeleteResponse answers delete.
type DeleteResponse struct {
	Swarm map[string]DeleteResult `json:"swarm"`
	Meta
}

// DeleteResult is one swarm member's answer to delete.
type DeleteResult struct {
	SwarmFailure
	// Deleted (deleted) lists the deleted hashes, sorted.
	Deleted []string `json:"deleted"`
	// Signature (signature): see [DeleteResultSignedMessage].
	Signature []byte `json:"signature,omitempty"`
}

// DeleteAllResponse answers delete_all and delete_before.
type DeleteAllResponse struct {
	Swarm map[string]DeleteAllResult `json:"swarm"`
	Meta
}

// DeleteAllResult is one swarm member's answer to delete_all or delete_before.
type DeleteAllResult struct {
	SwarmFailure
	// Deleted (deleted): the deleted hashes.
	Deleted Hashes `json:"deleted"`
	// Signature (signature): see [DeletedSignedMessage].
	Signature []byte `json:"signature,omitempty"`
}

// ExpireResponse answers expire.
type ExpireResponse struct {
	Swarm map[string]ExpireResult `json:"swarm"`
	Meta
}

// ExpireResult is one swarm member's answer to expire.
type ExpireResult struct {
	SwarmFailure
	// Updated (updated) lists the hashes whose expiry changed, sorted.
	Updated []string `json:"updated"`
	// Unchanged (unchanged) maps found but unchanged hashes to their expiry;
	// present only when the request set shorten or extend.
	Unchanged map[string]int64 `json:"unchanged,omitempty"`
	// Expiry (expiry) is the expiry applied: one value, or one per updated
	// hash when the request gave several.
	Expiry Expiries `json:"expiry"`
	// Signature (signature): see [ExpireResultSignedMessage].
	Signature []byte `json:"signature,omitempty"`
}

// ExpireAllResponse answers expire_all.
type ExpireAllResponse struct {
	Swarm map[string]ExpireAllResult `json:"swarm"`
	Meta
}

// ExpireAllResult is one swarm member's answer to expire_all.
type ExpireAllResult struct {
	SwarmFailure
	// Updated (updated): the hashes whose expiry was shortened.
	Updated Hashes `json:"updated"`
	// Signature (signature): see [ExpireAllResultSignedMessage].
	Signature []byte `json:"signature,omitempty"`
}

// GetExpiriesResponse answers get_expiries.
type GetExpiriesResponse struct {
	// Expiries (expiries) maps each found hash to its expiry in ms.
	Expiries map[string]int64 `json:"expiries"`
	Meta
}

// RevokeResponse answers revoke_subaccount and unrevoke_subaccount.
type RevokeResponse struct {
	Swarm map[string]RevokeResult `json:"swarm"`
	Meta
}

// RevokeResult is one swarm member's answer to (un)revoke_subaccount.
type RevokeResult struct {
	SwarmFailure
	// Count (count) is how many revocations were added (or removed).
	Count int `json:"count"`
	// Signature (signature): see [RevokeResultSignedMessage].
	Signature []byte `json:"signature,omitempty"`
}

// SwarmResponse answers get_swarm, and is the body of a 421 (wrong swarm)
// reply to any swarm request.
type SwarmResponse struct {
	Snodes []Snode `json:"snodes"`
	// Swarm (swarm) is the swarm ID in lowercase hex without padding.
	Swarm string `json:"swarm"`
	Meta
}

// Snode describes a service node in get_swarm replies.
type Snode struct {
	// Address (address) is base32z(PubkeyLegacy) + ".snode" (deprecated).
	Address       string `json:"address"`
	PubkeyLegacy  string `json:"pubkey_legacy"`
	PubkeyX25519  string `json:"pubkey_x25519"`
	PubkeyEd25519 string `json:"pubkey_ed25519"`
	// Port (port) is the HTTPS port as a decimal string (deprecated).
	Port      string `json:"port"`
	PortHTTPS int    `json:"port_https"`
	PortOMQ   int    `json:"port_omq"`
	PortQUIC  int    `json:"port_quic"`
	IP        string `json:"ip"`
}

// InfoResponse answers info.
type InfoResponse struct {
	// Version (version) is the storage server version, e.g. [2, 8, 0].
	Version []int `json:"version"`
	// Timestamp (timestamp) is the node's clock in ms; clients should use it
	// as network time.
	Timestamp int64 `json:"timestamp"`
	Meta
}

// OxendResponse answers oxend_request.
type OxendResponse struct {
	Result json.RawMessage `json:"result"`
	Meta
}

// BatchResponse answers batch and sequence: one result per subrequest, in
// order (a sequence stops after the first failure).
type BatchResponse struct {
	Results []SubResult `json:"results"`
}

// SubResult is a subrequest's status and body (a JSON value, or a string for
// errors).
type SubResult struct {
	Code int             `json:"code"`
	Body json.RawMessage `json:"body"`
}

// Hashes is a list of message hashes for a single namespace, or lists per
// namespace when the request named "all".
type Hashes struct {
	List        []string
	ByNamespace map[Namespace][]string // non-nil for "all"
}

// MarshalJSON writes a list, or an object keyed by decimal namespace.
func (h Hashes) MarshalJSON() ([]byte, error) {
	if h.ByNamespace != nil {
		m := make(map[string][]string, len(h.ByNamespace))
		for ns, l := range h.ByNamespace {
			m[ns.String()] = nonNil(l)
		}
		return json.Marshal(m)
	}
	return json.Marshal(nonNil(h.List))
}

// UnmarshalJSON reads either form.
func (h *Hashes) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var m map[string][]string
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		h.List, h.ByNamespace = nil, make(map[Namespace][]string, len(m))
		for k, l := range m {
			n, err := strconv.ParseInt(k, 10, 16)
			if err != nil {
				return fmt.Errorf("storagerpc: bad namespace key %s", quote(k))
			}
			h.ByNamespace[Namespace(n)] = l
		}
		return nil
	}
	h.ByNamespace = nil
	return json.Unmarshal(b, &h.List)
}

// All returns every hash, sorted: the order the node signs them in.
func (h Hashes) All() []string {
	all := slices.Clone(h.List)
	for _, l := range h.ByNamespace {
		all = append(all, l...)
	}
	slices.Sort(all)
	return all
}

// Expiries is the expiry of an expire reply: a single value, or a list when
// the request gave one expiry per message.
type Expiries struct {
	Values []int64
	List   bool
}

// MarshalJSON writes a number, or an array when List is set.
func (e Expiries) MarshalJSON() ([]byte, error) {
	if !e.List && len(e.Values) == 1 {
		return json.Marshal(e.Values[0])
	}
	return json.Marshal(nonNil(e.Values))
}

// UnmarshalJSON reads a number or an array.
func (e *Expiries) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		e.List = true
		return json.Unmarshal(b, &e.Values)
	}
	var v int64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	e.Values, e.List = []int64{v}, false
	return nil
}

// The byte strings swarm members sign in their replies, so that a client
// can check each member's answer with the member's Ed25519 key. The account
// appears as its 66-character hex ID.

// StoreResultSignedMessage is what a member signs in a store reply: the
// message hash string itself.
func StoreResultSignedMessage(hash string) []byte { return []byte(hash) }

// DeleteResultSignedMessage is what a member signs in a delete reply:
// account ‖ requested hashes ‖ deleted hashes (sorted).
func DeleteResultSignedMessage(account keys.ID, requested, deleted []string) []byte {
	b := []byte(account.String())
	b = appendStrings(b, requested)
	return appendStrings(b, deleted)
}

// DeletedSignedMessage is what a member signs in a delete_all reply (with
// the request's timestamp) or a delete_before reply (with its before):
// account ‖ timestamp ‖ every deleted hash, sorted across namespaces.
func DeletedSignedMessage(account keys.ID, timestamp int64, deleted Hashes) []byte {
	b := appendInts([]byte(account.String()), timestamp)
	return appendStrings(b, deleted.All())
}

// ExpireAllResultSignedMessage is what a member signs in an expire_all reply:
// account ‖ expiry ‖ every updated hash, sorted across namespaces.
func ExpireAllResultSignedMessage(account keys.ID, expiry int64, updated Hashes) []byte {
	b := appendInts([]byte(account.String()), expiry)
	return appendStrings(b, updated.All())
}

// ExpireResultSignedMessage is what a member signs in an expire reply:
// account ‖ expiries (the reply's "expiry" values) ‖ requested hashes ‖
// updated hashes ‖ (hash ‖ expiry) for each unchanged hash in hash order.
func ExpireResultSignedMessage(account keys.ID, expiries []int64, requested, updated []string, unchanged map[string]int64) []byte {
	b := appendInts([]byte(account.String()), expiries...)
	b = appendStrings(b, requested)
	b = appendStrings(b, updated)
	hs := make([]string, 0, len(unchanged))
	for h := range unchanged {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, strings.Compare)
	for _, h := range hs {
		b = appendInts(append(b, h...), unchanged[h])
	}
	return b
}

// RevokeResultSignedMessage is what a member signs in a revoke_subaccount or
// unrevoke_subaccount reply: account ‖ timestamp ‖ the requested token bytes.
func RevokeResultSignedMessage(account keys.ID, timestamp int64, tokens []SubaccountToken) []byte {
	return appendTokens(appendInts([]byte(account.String()), timestamp), tokens)
}
