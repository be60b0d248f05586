package onionreq

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

var (
	// ErrPoolTooSmall reports a node pool too small to build an onion path
	// (a path needs Hops distinct nodes, plus one more for a service-node
	// destination), even after asking the source again.
	ErrPoolTooSmall = errors.New("onionreq: node pool too small")
	// ErrNoPath reports that no onion path could be built or chosen: no
	// candidate guard answered its test, or every path was tried already.
	ErrNoPath = errors.New("onionreq: no usable onion path")
	// ErrPathFailed reports an onion request that failed on its path: the
	// guard was unreachable, answered with a non-200 status or a plaintext
	// body, or the reply did not decrypt. Every [*PathError] wraps it.
	ErrPathFailed = errors.New("onionreq: onion path failed")
	// ErrNodeNotFound reports a node on the path (or the destination) that
	// the previous hop does not know: the 502 "Next node not found".
	ErrNodeNotFound = errors.New("onionreq: next node not found")
	// ErrUnreachable reports a destination that failed through every path
	// tried (at least two, with different guards), or that the last hop
	// reported unreachable: the fault is the destination's, so no path is
	// blamed.
	ErrUnreachable = errors.New("onionreq: destination unreachable")
	// ErrClockSkew reports a destination that refused a request's timestamp
	// (406 or 425). The client's network time has been resynchronised; sign
	// the request again with [Client.Now] and resend it.
	ErrClockSkew = errors.New("onionreq: clock out of sync with the network")
	// ErrBadReply reports a decrypted reply that is not the expected
	// {"status": N, "body": …} object (or v4 response).
	ErrBadReply = errors.New("onionreq: malformed reply")
	// ErrResponseTooLarge reports a response over the size cap.
	ErrResponseTooLarge = errors.New("onionreq: response too large")
	// ErrInvalidNode reports a node whose keys or address cannot be used.
	ErrInvalidNode = errors.New("onionreq: invalid node")
	// ErrClosed reports a call on a closed [Client].
	ErrClosed = errors.New("onionreq: client closed")
)

// PathError is a failure of one onion path (see [ErrPathFailed]).
type PathError struct {
	// Guard is the Ed25519 key (hex) of the path's first hop.
	Guard string
	// Status is the guard's HTTP status, or 0 when the guard could not be
	// reached (then Err says why).
	Status int
	// Body is the start of the guard's plaintext answer, if any.
	Body string
	// NotFound is the Ed25519 key (hex) named by a "Next node not found"
	// answer, or "".
	NotFound string
	// Unreachable is the Ed25519 key (hex) named by a "Next node is
	// unreachable" answer, or "".
	Unreachable string
	// Err is the underlying transport or decryption error, if any.
	Err error
}

// Error describes the failure, naming the guard by the start of its key.
func (e *PathError) Error() string {
	guard := clip(e.Guard, 16)
	switch {
	case e.NotFound != "":
		return fmt.Sprintf("onionreq: path via %s: next node %s not found", guard, clip(e.NotFound, 16))
	case e.Unreachable != "":
		return fmt.Sprintf("onionreq: path via %s: next node %s unreachable", guard, clip(e.Unreachable, 16))
	case e.Status != 0:
		return fmt.Sprintf("onionreq: path via %s: HTTP %d %q", guard, e.Status, clip(e.Body, 80))
	case e.Err != nil:
		return fmt.Sprintf("onionreq: path via %s: %v", guard, e.Err)
	}
	return fmt.Sprintf("onionreq: path via %s failed", guard)
}

// Unwrap returns [ErrPathFailed], [ErrNodeNotFound] when a node was not
// found, and the underlying error.
func (e *PathError) Unwrap() []error {
	errs := []error{ErrPathFailed}
	if e.NotFound != "" {
		errs = append(errs, ErrNodeNotFound)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// WrongSwarmError is a 421 answer: the destination does not serve the
// account. Swarm holds the swarm the destination named (empty when its body
// could not be parsed); the client's swarm cache has been updated with it.
type WrongSwarmError struct {
	// Account is the account the request was for (zero when the request
	// named none).
	Account keys.ID
	// SwarmID is the swarm's ID as the node wrote it (lowercase hex).
	SwarmID string
	// Swarm are the members of the account's swarm.
	Swarm []netview.Node
}

// Error describes the misdirection and the swarm the node named.
func (e *WrongSwarmError) Error() string {
	return fmt.Sprintf("onionreq: 421 wrong swarm for %s: the right swarm %s has %d members", e.Account, e.SwarmID, len(e.Swarm))
}

// Unwrap returns [storagerpc.ErrMisdirected].
func (e *WrongSwarmError) Unwrap() error { return storagerpc.ErrMisdirected }

// ClockError is a 406 or 425 answer: the destination found the request's
// timestamp too far from its own clock. Offset is the client's new network
// time offset (see [Client.Now]).
type ClockError struct {
	// Status is 406 or 425.
	Status int
	// Body is the destination's answer, e.g. "Timestamp error: check your clock".
	Body string
	// Offset is the network time offset after resynchronising.
	Offset time.Duration
}

// Error describes the refusal and the corrected offset.
func (e *ClockError) Error() string {
	return fmt.Sprintf("onionreq: HTTP %d %q: clock out of sync (network offset now %v)", e.Status, clip(e.Body, 80), e.Offset)
}

// Unwrap returns [ErrClockSkew] and, for a 406, [storagerpc.ErrNotAcceptable].
func (e *ClockError) Unwrap() []error {
	if e.Status == http.StatusNotAcceptable {
		return []error{ErrClockSkew, storagerpc.ErrNotAcceptable}
	}
	return []error{ErrClockSkew}
}

// clip shortens an untrusted value quoted in an error or log.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
