package storagerpc

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ErrBadReply reports a node's reply field that cannot be read even
// leniently.
var ErrBadReply = errors.New("storagerpc: malformed reply")

// Flag is a boolean in a swarm member's result. We write it as a JSON
// boolean; Session's storage server (v2.x) converts its swarm peers' answers
// from bt-encoding, which has no booleans, so a peer's "already" or "failed"
// reaches the client as 1 (or 0). Flag reads both forms, and null as false.
type Flag bool

// UnmarshalJSON implements json.Unmarshaler.
func (f *Flag) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true":
		*f = true
	case "false", "null":
		*f = false
	default:
		n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: flag %.40q is neither a boolean nor an integer", ErrBadReply, b)
		}
		*f = n != 0
	}
	return nil
}

// StatusCode is an HTTP-like status in a swarm member's failed result. We
// write a number; Session's storage server relays a peer's error as the
// peer sent it over its node-to-node link, a decimal string ("406").
// StatusCode reads both; a non-numeric string reads as 0 (unknown), so that
// an odd code never hides the rest of the answer.
type StatusCode int

// UnmarshalJSON implements json.Unmarshaler.
func (c *StatusCode) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if string(t) == "null" {
		*c = 0
		return nil
	}
	if len(t) > 0 && t[0] == '"' {
		s, err := strconv.Unquote(string(t))
		if err != nil {
			return fmt.Errorf("%w: code %.40q", ErrBadReply, b)
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 999 {
			n = 0
		}
		*c = StatusCode(n)
		return nil
	}
	n, err := strconv.Atoi(string(t))
	if err != nil {
		return fmt.Errorf("%w: code %.40q is not an integer", ErrBadReply, b)
	}
	*c = StatusCode(n)
	return nil
}
