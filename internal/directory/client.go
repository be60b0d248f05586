package directory

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/session-go/session-go/internal/netview"
)

// maxAnswer caps a member's answer: a few hundred bytes per node.
const maxAnswer = 32 << 20

// Client talks to the directory's members: it submits a node's signed
// messages to whichever member leads, and reads epochs, accepting only
// answers signed by a member it knows and never an epoch older than the
// newest it has seen.
type Client struct {
	members []netview.Seed
	keys    []ed25519.PublicKey
	hc      *http.Client

	// Now is the clock answers' signing times are checked against; nil
	// means time.Now.
	Now func() time.Time

	mu     sync.Mutex // guards latest
	latest *Epoch
}

// NewClient returns a client of the members listed (URL and Ed25519 key
// of each). hc must accept the members' self-signed certificates: trust
// comes from the answers' signatures, not from TLS.
func NewClient(members []netview.Seed, hc *http.Client) (*Client, error) {
	if len(members) == 0 {
		return nil, fmt.Errorf("%w: no directory members", ErrBadAnswer)
	}
	c := &Client{members: members, hc: hc}
	for _, m := range members {
		k, err := hex.DecodeString(m.Ed25519)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("directory: member %q: key %q is not 64 hex characters", m.URL, m.Ed25519)
		}
		c.keys = append(c.keys, k)
	}
	return c, nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Submit sends a signed registration, heartbeat or leave, trying members
// until the leader commits it; it returns the epoch after the commit. A
// refusal (bad signature, replay) is returned at once, wrapping
// ErrBadRegistration.
func (c *Client) Submit(ctx context.Context, r *Registration) (uint64, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, i := range rand.Perm(len(c.members)) {
		if ctx.Err() != nil {
			break
		}
		ans, status, err := c.do(ctx, i, http.MethodPost, SubmitPath, body)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if status == http.StatusBadRequest {
			return 0, fmt.Errorf("%w: %s", ErrBadRegistration, strings.TrimSpace(string(ans)))
		}
		if status != http.StatusOK {
			errs = append(errs, fmt.Errorf("member %s: HTTP %d", c.members[i].URL, status))
			continue
		}
		var res struct {
			Epoch uint64 `json:"epoch"`
		}
		if err := json.Unmarshal(ans, &res); err != nil {
			errs = append(errs, fmt.Errorf("member %s: %w: %v", c.members[i].URL, ErrBadAnswer, err))
			continue
		}
		return res.Epoch, nil
	}
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return 0, fmt.Errorf("directory: no member committed the message: %w", errors.Join(errs...))
}

// do sends one request to member i and, for a 200, checks the answer's
// signature by that member.
func (c *Client) do(ctx context.Context, i int, method, path string, body []byte) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, maxLongPoll+10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.members[i].URL+path, rd)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("member %s: %w", c.members[i].URL, err)
	}
	defer resp.Body.Close()
	ans, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, 0, fmt.Errorf("member %s: %w", c.members[i].URL, err)
	}
	if len(ans) > maxAnswer {
		return nil, 0, fmt.Errorf("member %s: %w: larger than %d bytes", c.members[i].URL, ErrBadAnswer, maxAnswer)
	}
	if resp.StatusCode == http.StatusOK {
		if err := netview.VerifySeedAnswer(resp.Header, c.keys[i], c.now(), ans); err != nil {
			return nil, 0, fmt.Errorf("member %s: %w: %v", c.members[i].URL, ErrBadAnswer, err)
		}
	}
	return ans, resp.StatusCode, nil
}

// Epoch returns the newest epoch a member knows, waiting (up to 20 s) for
// one newer than after if it has none. An answer with a bad signature, a
// hash that does not match its contents, or an epoch older than the newest
// this client has seen is ignored and the next member asked.
func (c *Client) Epoch(ctx context.Context, after uint64) (*Epoch, error) {
	var errs []error
	for _, i := range rand.Perm(len(c.members)) {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		ans, status, err := c.do(ctx, i, http.MethodGet, EpochPath+"?after="+strconv.FormatUint(after, 10), nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if status != http.StatusOK {
			errs = append(errs, fmt.Errorf("member %s: HTTP %d", c.members[i].URL, status))
			continue
		}
		e, err := ParseEpoch(ans)
		if err != nil {
			errs = append(errs, fmt.Errorf("member %s: %w", c.members[i].URL, err))
			continue
		}
		c.mu.Lock()
		if c.latest != nil && e.Number < c.latest.Number {
			c.mu.Unlock()
			errs = append(errs, fmt.Errorf("member %s: %w: epoch %d is older than %d", c.members[i].URL, ErrBadAnswer, e.Number, c.latest.Number))
			continue
		}
		c.latest = e
		c.mu.Unlock()
		return e, nil
	}
	return nil, fmt.Errorf("directory: no member gave an epoch: %w", errors.Join(errs...))
}

// ParseEpoch parses an epoch (the body of an epoch answer) and checks that
// its hash commits to its number, predecessor and nodes, and that every
// node is well formed.
func ParseEpoch(b []byte) (*Epoch, error) {
	var e Epoch
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadAnswer, err)
	}
	prev, err := hex.DecodeString(e.PrevHash)
	if err != nil {
		return nil, fmt.Errorf("%w: prev_hash %q", ErrBadAnswer, e.PrevHash)
	}
	for i, n := range e.Nodes {
		if i > 0 && e.Nodes[i-1].Ed25519 >= n.Ed25519 {
			return nil, fmt.Errorf("%w: nodes not sorted or listed twice", ErrBadAnswer)
		}
	}
	if h := epochHash(prev, e.Number, e.Nodes); hex.EncodeToString(h[:]) != e.Hash {
		return nil, fmt.Errorf("%w: epoch %d: hash %q does not match its contents", ErrBadAnswer, e.Number, e.Hash)
	}
	if len(e.Nodes) > 0 {
		if _, err := netview.NewAssignedDirectory(e.ServiceNodes(), e.Number); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadAnswer, err)
		}
	}
	return &e, nil
}
