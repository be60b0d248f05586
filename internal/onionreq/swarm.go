package onionreq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

// Swarm returns the service nodes of the swarm that serves account. A cached
// swarm is used while it is fresh; otherwise any node is asked (get_swarm,
// through an onion path).
func (c *Client) Swarm(ctx context.Context, account keys.ID) ([]netview.Node, error) {
	c.mu.Lock()
	nodes, ok := c.st.swarm(account, c.now())
	c.mu.Unlock()
	if ok {
		return nodes, nil
	}
	return c.fetchSwarm(ctx, account)
}

// fetchSwarm asks up to MaxAttempts random pool nodes for the swarm of
// account and caches the answer.
func (c *Client) fetchSwarm(ctx context.Context, account keys.ID) ([]netview.Node, error) {
	c.buildMu.Lock()
	err := c.loadPool(ctx, false)
	c.buildMu.Unlock()
	if err != nil {
		return nil, err
	}
	tried := map[string]bool{}
	var errs []error
	for range c.cfg.MaxAttempts {
		c.mu.Lock()
		var cands []netview.Node
		for _, n := range c.st.nodes() {
			if !tried[n.Ed25519] {
				cands = append(cands, n)
			}
		}
		var node netview.Node
		if len(cands) > 0 {
			node = cands[c.st.rng.IntN(len(cands))]
		}
		c.mu.Unlock()
		if len(cands) == 0 {
			break
		}
		tried[node.Ed25519] = true
		_, body, err := c.SnodeRPC(ctx, node, storagerpc.MethodGetSwarm, &storagerpc.GetSwarm{Pubkey: account})
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		id, nodes, err := parseSwarm(body)
		if err == nil && len(nodes) == 0 {
			err = fmt.Errorf("%w: empty swarm", ErrBadReply)
		}
		if err != nil {
			c.strikeNode(node.Ed25519)
			errs = append(errs, err)
			continue
		}
		c.mu.Lock()
		if nodes = c.st.checkSwarm(account, nodes); len(nodes) == 0 {
			c.mu.Unlock()
			errs = append(errs, fmt.Errorf("%w: swarm list names no node of the directory", ErrBadReply))
			continue
		}
		c.st.setSwarm(account, id, nodes, c.now())
		c.mu.Unlock()
		c.log.Debug("swarm fetched", "account", account.String(), "swarm", id, "members", len(nodes))
		return nodes, nil
	}
	if len(errs) == 0 {
		errs = append(errs, ErrPoolTooSmall)
	}
	return nil, fmt.Errorf("onionreq: get_swarm for %s: %w", account, errors.Join(errs...))
}

// wrongSwarm handles a 421: the body names the account's swarm, which
// replaces the cached one; when it names none, the node that sent it leaves
// the cached swarm.
func (c *Client) wrongSwarm(account keys.ID, dest netview.Node, body []byte) error {
	id, nodes, err := parseSwarm(body)
	werr := &WrongSwarmError{Account: account, SwarmID: id, Swarm: nodes}
	if account.IsZero() {
		return werr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		nodes = c.st.checkSwarm(account, nodes)
		werr.Swarm = nodes
	}
	if err != nil || len(nodes) == 0 {
		c.st.dropFromSwarm(account, dest.Ed25519)
		c.log.Debug("unreadable 421", "account", account.String(), "node", dest.Ed25519)
		return werr
	}
	c.st.setSwarm(account, id, nodes, c.now())
	c.log.Debug("swarm replaced after 421", "account", account.String(), "swarm", id, "members", len(nodes))
	return werr
}

// RequestFunc makes one storage RPC call: its method and params. It is
// called again for every attempt with the network time to put in the
// request's timestamp (and sign), so that a retry after a clock error
// carries a fresh timestamp.
type RequestFunc func(now time.Time) (method string, params any, err error)

// NodeRequestFunc is a RequestFunc that is also told which swarm member the
// attempt goes to, for requests that depend on the member, such as a
// retrieve carrying that member's own last hash: each member returns
// messages in its own insertion order, so a cursor is only meaningful to
// the member that gave it.
type NodeRequestFunc func(now time.Time, node netview.Node) (method string, params any, err error)

// maxRedirects bounds how often one SwarmRPC follows a 421 to a new swarm.
const maxRedirects = 2

// SwarmRPC runs a storage RPC call on the swarm of account: on a member
// chosen at random, then on others when a member fails (a path or server
// error, a rate limit), up to MaxAttempts members. A 421 moves the call to
// the swarm it names and a clock error retries once with the corrected time.
// Other answers, successes and request errors (400, 401, 403, 404, 413), are
// returned as [Client.SnodeRPC] returns them.
func (c *Client) SwarmRPC(ctx context.Context, account keys.ID, build RequestFunc) (int, []byte, error) {
	return c.SwarmRPCNode(ctx, account, func(now time.Time, _ netview.Node) (string, any, error) { return build(now) })
}

// SwarmRPCNode is SwarmRPC with a request that depends on the member asked.
// The answer, when there is one, comes from the member of the last call to
// build.
func (c *Client) SwarmRPCNode(ctx context.Context, account keys.ID, build NodeRequestFunc) (int, []byte, error) {
	return c.SwarmRPCPrefer(ctx, account, "", build)
}

// SwarmRPCPrefer is SwarmRPCNode that asks the member with Ed25519 key
// prefer first, when it is in the swarm: paging through a long retrieve
// stays on the member whose cursor it follows.
func (c *Client) SwarmRPCPrefer(ctx context.Context, account keys.ID, prefer string, build NodeRequestFunc) (int, []byte, error) {
	members, err := c.Swarm(ctx, account)
	if err != nil {
		return 0, nil, err
	}
	tried := map[string]bool{}
	attempts, redirects, clockRetries := 0, 0, 0
	var errs []error
	var node netview.Node
	pickNew := true
	for attempts < c.cfg.MaxAttempts {
		if pickNew {
			var cands []netview.Node
			for _, n := range members {
				if !tried[n.Ed25519] {
					cands = append(cands, n)
				}
			}
			if len(cands) == 0 {
				break
			}
			c.mu.Lock()
			node = cands[c.st.rng.IntN(len(cands))]
			c.mu.Unlock()
			if i := slices.IndexFunc(cands, func(n netview.Node) bool { return n.Ed25519 == prefer }); i >= 0 {
				node = cands[i]
			}
		}
		pickNew = true
		method, params, err := build(c.Now(), node)
		if err != nil {
			return 0, nil, err
		}
		status, body, err := c.SnodeRPC(ctx, node, method, params)
		if err == nil {
			return status, body, nil
		}
		if ctx.Err() != nil {
			return status, body, err
		}
		var ws *WrongSwarmError
		switch {
		case errors.As(err, &ws):
			if redirects >= maxRedirects {
				return status, body, err
			}
			redirects++
			tried[node.Ed25519] = true
			if len(ws.Swarm) > 0 {
				members = ws.Swarm
			}
		case errors.Is(err, ErrClockSkew):
			if clockRetries > 0 {
				return status, body, err
			}
			clockRetries++
			pickNew = false
		case retryOnOtherMember(err):
			tried[node.Ed25519] = true
			attempts++
			errs = append(errs, err)
		default:
			return status, body, err
		}
	}
	if len(errs) == 0 {
		errs = append(errs, ErrNoPath)
	}
	return 0, nil, fmt.Errorf("onionreq: no member of the swarm of %s answered: %w", account, errors.Join(errs...))
}

// retryOnOtherMember reports whether another swarm member may succeed where
// one failed.
func retryOnOtherMember(err error) bool {
	return errors.Is(err, ErrPathFailed) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrNoPath) ||
		errors.Is(err, ErrBadReply) || errors.Is(err, storagerpc.ErrServer) ||
		errors.Is(err, storagerpc.ErrTooManyRequests)
}
