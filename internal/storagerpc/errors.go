package storagerpc

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors, one per HTTP status this package produces. Every [*Error]
// unwraps to the sentinel of its status, so callers can test with errors.Is.
var (
	// ErrBadRequest (400) reports malformed or invalid parameters or an unknown method.
	ErrBadRequest = errors.New("storagerpc: bad request")
	// ErrUnauthorized (401) reports a missing or wrong signature, or a timestamp
	// the storage server treats as an authentication failure.
	ErrUnauthorized = errors.New("storagerpc: unauthorized")
	// ErrForbidden (403) reports a TTL outside the namespace's bounds.
	ErrForbidden = errors.New("storagerpc: forbidden")
	// ErrNotFound (404) reports a required deletion that deleted nothing.
	ErrNotFound = errors.New("storagerpc: not found")
	// ErrNotAcceptable (406) reports a timestamp too far from the node's clock.
	ErrNotAcceptable = errors.New("storagerpc: timestamp not acceptable")
	// ErrTooLarge (413) reports a request body over MaxRequestBodySize.
	ErrTooLarge = errors.New("storagerpc: request too large")
	// ErrMisdirected (421) reports an account that belongs to another swarm.
	ErrMisdirected = errors.New("storagerpc: wrong swarm")
	// ErrTooManyRequests (429) reports a client over its rate limit.
	ErrTooManyRequests = errors.New("storagerpc: too many requests")
	// ErrServer (5xx) reports a failure on the node's side.
	ErrServer = errors.New("storagerpc: server error")
)

// Error is a storage RPC failure: the HTTP status and the body text the
// storage server sends with it.
type Error struct {
	// Status is the HTTP status code (400, 401, 403, 404, 406, 413, 421, ...).
	Status int
	// Reason is the response body, e.g. "invalid request: Required field
	// 'pubkey' missing" or "Timestamp error: check your clock".
	Reason string
}

// NewError returns an *Error with the given status and body text.
func NewError(status int, reason string) *Error { return &Error{Status: status, Reason: reason} }

// Error returns the status and the reason, for logs.
func (e *Error) Error() string {
	return fmt.Sprintf("storagerpc: %d %s: %s", e.Status, http.StatusText(e.Status), e.Reason)
}

// Unwrap returns the sentinel error for e's status.
func (e *Error) Unwrap() error {
	switch {
	case e.Status == http.StatusBadRequest:
		return ErrBadRequest
	case e.Status == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.Status == http.StatusForbidden:
		return ErrForbidden
	case e.Status == http.StatusNotFound:
		return ErrNotFound
	case e.Status == http.StatusNotAcceptable:
		return ErrNotAcceptable
	case e.Status == http.StatusRequestEntityTooLarge:
		return ErrTooLarge
	case e.Status == http.StatusMisdirectedRequest:
		return ErrMisdirected
	case e.Status == http.StatusTooManyRequests:
		return ErrTooManyRequests
	case e.Status >= 500:
		return ErrServer
	}
	return nil
}

// StatusOf returns the HTTP status an error should be answered with: the
// status of an *Error anywhere in its chain, 200 for nil, and 500 otherwise.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return http.StatusInternalServerError
}

// parseError is a parameter error before it is wrapped for the caller. Its
// text is what the storage server puts after "invalid request: ", and batch
// subrequests pass it up unchanged.
type parseError string

func (p parseError) Error() string { return string(p) }

func parseErrorf(format string, args ...any) parseError {
	return parseError(fmt.Sprintf(format, args...))
}

// asRequestError turns a parse error into the 400 the storage server sends.
func asRequestError(err error) error {
	if p, ok := err.(parseError); ok {
		return &Error{Status: http.StatusBadRequest, Reason: "invalid request: " + string(p)}
	}
	return err
}

// quote quotes untrusted input for an error message, cutting it short so a
// huge parameter cannot blow up a reply.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
