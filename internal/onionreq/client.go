package onionreq

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/storagerpc"
)

// Client sends requests through onion paths. It is safe for concurrent use.
type Client struct {
	cfg Config
	tr  Transport
	own *HTTPTransport // the transport New made, closed by Close
	log *slog.Logger

	// now is the local clock and rand the onion layers' randomness (nil:
	// crypto/rand); tests replace them.
	now  func() time.Time
	rand io.Reader

	// buildMu serialises pool loads and path building, which do I/O
	// without holding mu.
	buildMu sync.Mutex

	mu     sync.Mutex // guards st and closed
	st     *state
	closed bool

	bg     context.Context // background path building; cancelled by Close
	stop   context.CancelFunc
	bgWork sync.WaitGroup
}

// New returns a Client. It does no I/O: the pool is loaded and the paths
// are built on first use, or by [Client.Bootstrap].
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("onionreq: %w", err)
	}
	c := &Client{
		cfg: cfg,
		tr:  cfg.Transport,
		log: cfg.Logger,
		now: time.Now,
		// Path choices must be unpredictable to others, so the shuffles use
		// a ChaCha8 stream keyed from crypto/rand.
		st: newState(cfg, rand.New(rand.NewChaCha8(seed))),
	}
	if c.tr == nil {
		c.own = NewHTTPTransport(HTTPConfig{})
		c.tr = c.own
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.bg, c.stop = context.WithCancel(context.Background())
	return c, nil
}

// Close stops background path building and closes idle connections. Calls
// after Close fail with [ErrClosed].
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.stop()
	c.bgWork.Wait()
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
	return nil
}

// Now returns network time: the local clock corrected by the offset learnt
// from service nodes' replies. Use it for request timestamps.
func (c *Client) Now() time.Time {
	c.mu.Lock()
	off := c.st.clock.offset()
	c.mu.Unlock()
	return c.now().Add(off)
}

// Offset returns the current network time offset (network minus local).
func (c *Client) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.clock.offset()
}

// Nodes returns the node pool, sorted by Ed25519 key.
func (c *Client) Nodes() []netview.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.nodes()
}

// Paths returns the current onion paths, each guard first.
func (c *Client) Paths() [][]netview.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([][]netview.Node, len(c.st.paths))
	for i, p := range c.st.paths {
		out[i] = append([]netview.Node(nil), p.hops...)
	}
	return out
}

// Bootstrap loads the node pool and builds the onion paths now, rather than
// on the first request.
func (c *Client) Bootstrap(ctx context.Context) error {
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	return c.ensurePaths(ctx)
}

// Refresh loads the node pool from the source again.
func (c *Client) Refresh(ctx context.Context) error {
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	return c.loadPool(ctx, true)
}

// loadPool loads the pool from the source when it needs it (or always, with
// force). A failed load is an error only when there is no pool to fall
// back on. buildMu must be held.
func (c *Client) loadPool(ctx context.Context, force bool) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	need := force || c.st.needRefresh(c.now())
	c.mu.Unlock()
	if !need {
		return nil
	}
	d, err := c.cfg.Source.Load(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.log.Debug("loading the node pool failed", "err", err, "pool", len(c.st.pool))
		if len(c.st.pool) == 0 || force {
			return fmt.Errorf("onionreq: loading the node pool: %w", err)
		}
		return nil
	}
	c.st.setPool(d.Nodes(), c.now())
	if c.st.setEpoch(d.Epoch(), c.now()) {
		c.log.Debug("new directory epoch: swarm cache re-derived", "epoch", d.Epoch())
	}
	c.log.Debug("node pool loaded", "nodes", len(c.st.pool))
	return nil
}

// noticeEpoch handles the directory epoch a node answered from. One newer
// than the pool's means the network changed (nodes joined or left, swarms
// re-formed): the pool is loaded again in the background, from the
// source, whose answers are signed, so a node that claims an epoch that
// does not exist gains nothing but a load now and then: loads prompted
// this way are at least PoolMinLifetime apart, one at a time, and back off
// while the directory does not give the epoch named (state.epochLoaded).
func (c *Client) noticeEpoch(epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || !c.st.wantEpoch(epoch, c.now()) {
		return
	}
	c.bgWork.Go(func() {
		ctx, cancel := context.WithTimeout(c.bg, c.cfg.RequestTimeout)
		defer cancel()
		c.buildMu.Lock()
		err := c.loadPool(ctx, true)
		c.buildMu.Unlock()
		c.mu.Lock()
		c.st.epochLoaded(epoch, err == nil)
		have := c.st.epoch
		c.mu.Unlock()
		if err != nil {
			c.log.Debug("loading the pool for a newer epoch failed", "epoch", epoch, "err", err)
		} else if have < epoch {
			c.log.Debug("a node named an epoch the directory does not give (yet)", "named", epoch, "have", have)
		}
	})
}

// maxPoolReloadWait is the longest a request waits for the pool to be
// reloadable when strikes have left it too small to build a path.
const maxPoolReloadWait = 2 * time.Second

// ensurePaths loads the pool if needed and builds the missing paths,
// testing each new guard with a direct request first. It fails only when no
// path is left. buildMu must be held.
func (c *Client) ensurePaths(ctx context.Context) error {
	if err := c.loadPool(ctx, false); err != nil {
		return err
	}
	c.mu.Lock()
	c.st.expirePaths(c.now())
	if !c.st.canBuild() && c.st.missingPaths() > 0 {
		// The pool lost too many nodes to strikes (an outage on the
		// client's side strikes every node): ask the source again. A load
		// less than PoolMinLifetime ago makes this wait out the rest of it
		// rather than fail: failing would report a network that has just
		// come back as lost again.
		// A longer PoolMinLifetime (a configured one) is not waited for.
		wait := c.cfg.PoolMinLifetime - c.now().Sub(c.st.loadedAt)
		c.mu.Unlock()
		if wait <= maxPoolReloadWait {
			if wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
			}
			if err := c.loadPool(ctx, true); err != nil {
				c.log.Debug("reloading a small pool failed", "err", err)
			}
		}
		c.mu.Lock()
	}
	c.mu.Unlock()

	failed := map[string]bool{}
	var errs []error
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return ErrClosed
		}
		if c.st.missingPaths() == 0 {
			c.mu.Unlock()
			return nil
		}
		if !c.st.canBuild() {
			n := len(c.st.paths)
			c.mu.Unlock()
			if n > 0 {
				return nil
			}
			return fmt.Errorf("%w: need %d nodes", ErrPoolTooSmall, c.cfg.Hops+1)
		}
		// As many would-be guards as paths are missing, tested at once:
		// a cold start costs one guard test's time, not one per path.
		// Subnet diversity holds within the batch too, as far as the
		// candidates allow.
		missing := c.st.missingPaths()
		var batch, later []netview.Node
		nets := map[string]bool{}
		for _, g := range c.st.guardCandidates() {
			if failed[g.Ed25519] {
				continue
			}
			if len(batch) == missing {
				break
			}
			sn, ok := subnetOf(g.IP, c.cfg.SubnetDiversity)
			if ok && nets[sn] {
				later = append(later, g)
				continue
			}
			if ok {
				nets[sn] = true
			}
			batch = append(batch, g)
		}
		for len(batch) < missing && len(later) > 0 {
			batch, later = append(batch, later[0]), later[1:]
		}
		c.st.pendingGuards = map[string]bool{}
		for _, g := range batch {
			c.st.pendingGuards[g.Ed25519] = true
		}
		c.mu.Unlock()
		if len(batch) == 0 {
			break
		}
		testErrs := make([]error, len(batch))
		var wg sync.WaitGroup
		for i, g := range batch {
			wg.Go(func() { testErrs[i] = c.testGuard(ctx, g) })
		}
		wg.Wait()
		if ctx.Err() != nil {
			c.mu.Lock()
			c.st.pendingGuards = nil
			c.mu.Unlock()
			return ctx.Err()
		}
		for i, guard := range batch {
			c.mu.Lock()
			delete(c.st.pendingGuards, guard.Ed25519)
			c.mu.Unlock()
			if err := testErrs[i]; err != nil {
				failed[guard.Ed25519] = true
				errs = append(errs, err)
				c.mu.Lock()
				c.st.strikeNode(guard.Ed25519)
				c.mu.Unlock()
				c.log.Debug("guard test failed", "node", guard.Ed25519, "err", err)
				continue
			}
			c.mu.Lock()
			var err error
			if c.st.missingPaths() > 0 {
				var hops []netview.Node
				if hops, err = c.st.pathHops(guard, ""); err == nil {
					p := c.st.addPath(hops, c.now())
					c.log.Debug("onion path built", "path", p.id, "guard", guard.Ed25519, "hops", len(hops))
				}
			}
			c.mu.Unlock()
			if err != nil {
				failed[guard.Ed25519] = true
				errs = append(errs, err)
			}
		}
	}
	c.mu.Lock()
	n := len(c.st.paths)
	c.mu.Unlock()
	if n > 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrNoPath, errors.Join(errs...))
}

// testGuard checks that a would-be guard answers a direct storage RPC
// ("info"), and takes a network time sample from its answer.
func (c *Client) testGuard(ctx context.Context, g netview.Node) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.GuardTimeout)
	defer cancel()
	body, err := storagerpc.EncodeBody(&storagerpc.Info{})
	if err != nil {
		return err
	}
	sent := c.now()
	status, reply, err := c.tr.Post(ctx, g.URL()+"/storage_rpc/v1", body, 1<<20)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("onionreq: guard test: HTTP %d", status)
	}
	var info storagerpc.InfoResponse
	if err := json.Unmarshal(reply, &info); err != nil {
		return fmt.Errorf("%w: guard test: %v", ErrBadReply, err)
	}
	if t := replyTime(reply); t > 0 {
		c.mu.Lock()
		c.st.clock.observe(t, sent, c.now())
		c.mu.Unlock()
	}
	return nil
}

// choosePath returns a path that avoids exclude and was not tried yet,
// building paths when some are missing: in the foreground when there is no
// path to use, otherwise in the background.
func (c *Client) choosePath(ctx context.Context, exclude string, tried map[uint64]bool) (*path, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.st.expirePaths(c.now())
	p := c.st.pickPath(exclude, tried)
	missing := c.st.missingPaths() > 0 || c.st.needRefresh(c.now())
	c.mu.Unlock()

	var buildErr error
	switch {
	case !missing:
	case p != nil:
		c.buildInBackground()
	default:
		c.buildMu.Lock()
		buildErr = c.ensurePaths(ctx)
		c.buildMu.Unlock()
	}
	if p != nil {
		return p, nil
	}
	c.mu.Lock()
	p = c.st.pickPath(exclude, tried)
	if p == nil {
		p = c.st.detour(exclude, tried)
	}
	c.mu.Unlock()
	if p == nil {
		if buildErr != nil {
			return nil, buildErr
		}
		return nil, ErrNoPath
	}
	return p, nil
}

// buildInBackground starts building the missing paths unless a build is
// already under way.
func (c *Client) buildInBackground() {
	if !c.buildMu.TryLock() {
		return
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		c.buildMu.Unlock()
		return
	}
	c.bgWork.Go(func() {
		defer c.buildMu.Unlock()
		if err := c.ensurePaths(c.bg); err != nil {
			c.log.Debug("background path build failed", "err", err)
		}
	})
}

func (c *Client) strikeNode(ed string) {
	c.mu.Lock()
	dropped := c.st.strikeNode(ed)
	c.mu.Unlock()
	if dropped {
		c.log.Debug("node dropped after strikes", "node", ed)
	} else {
		c.log.Debug("node strike", "node", ed)
	}
}

func (c *Client) strikePaths(ps []*path) {
	for _, p := range ps {
		c.mu.Lock()
		dropped := c.st.strikePath(p.id)
		c.mu.Unlock()
		if dropped {
			c.log.Debug("path dropped after strikes", "path", p.id, "guard", p.guard().Ed25519)
		} else {
			c.log.Debug("path strike", "path", p.id, "guard", p.guard().Ed25519)
		}
	}
}

// roundTrip sends payload to dest through up to MaxAttempts paths avoiding
// destEd, and returns the decrypted reply.
//
// Who is to blame for a failure: a guard that cannot be reached is its
// path's fault at once, and so is a relay its previous hop reports as
// unreachable (the relay gets a strike too); a destination reported
// unreachable or unknown ends the request. Any other error answer is judged
// once the request is over: its path is blamed when another path then
// succeeded, and the destination is blamed (ErrUnreachable, no path
// strikes) when paths with two or more different guards all failed.
func (c *Client) roundTrip(ctx context.Context, dest onion.Destination, destEd string, payload []byte) ([]byte, error) {
	tried := map[uint64]bool{}
	guards := map[string]bool{}
	var answered []*path
	var errs []error
	for range c.cfg.MaxAttempts {
		p, err := c.choosePath(ctx, destEd, tried)
		if err != nil {
			errs = append(errs, err)
			break
		}
		tried[p.id] = true
		pt, perr, err := c.send(ctx, p, dest, payload)
		if err != nil {
			return nil, err
		}
		if perr == nil {
			c.strikePaths(answered)
			return pt, nil
		}
		errs = append(errs, perr)
		if ctx.Err() != nil {
			return nil, errors.Join(append(errs, ctx.Err())...)
		}
		if perr.NotFound != "" {
			c.strikeNode(perr.NotFound)
			if perr.NotFound == destEd {
				// No other path can reach a node the network does not know.
				return nil, perr
			}
			continue
		}
		if perr.Unreachable == destEd && destEd != "" {
			// The last hop could not reach the destination: no other path
			// will do better, and no path is to blame.
			return nil, fmt.Errorf("%w: %w", ErrUnreachable, perr)
		}
		if perr.Unreachable != "" {
			// A relay on this path is down: blame it and the path.
			c.strikeNode(perr.Unreachable)
			c.strikePaths([]*path{p})
			continue
		}
		if perr.Status == 0 && !errors.Is(perr.Err, context.DeadlineExceeded) {
			c.strikePaths([]*path{p})
			continue
		}
		answered = append(answered, p)
		guards[p.guard().Ed25519] = true
	}
	if len(guards) >= 2 {
		return nil, fmt.Errorf("%w through %d paths: %w", ErrUnreachable, len(guards), errors.Join(errs...))
	}
	c.strikePaths(answered)
	return nil, errors.Join(errs...)
}

// send makes one onion request through p. A failure of the path is a
// *PathError; any other error (the request cannot be built) is returned as
// err and ends the request.
func (c *Client) send(ctx context.Context, p *path, dest onion.Destination, payload []byte) ([]byte, *PathError, error) {
	hops := make([]onion.Hop, len(p.hops))
	for i, n := range p.hops {
		h, err := nodeHop(n)
		if err != nil {
			return nil, nil, err
		}
		hops[i] = h
	}
	req, key, err := onion.Build(dest, hops, payload, c.cfg.EncType, c.rand)
	if err != nil {
		return nil, nil, fmt.Errorf("onionreq: %w", err)
	}
	guard := p.guard()
	timeout := c.cfg.RequestTimeout
	if d, ok := ctx.Value(requestTimeoutKey{}).(time.Duration); ok && d > 0 {
		timeout = d
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	status, body, err := c.tr.Post(ctx, guard.URL()+"/onion_req/v2", req, c.cfg.MaxResponseSize)
	if err != nil {
		if errors.Is(err, ErrResponseTooLarge) {
			return nil, &PathError{Guard: guard.Ed25519, Status: status, Err: err}, nil
		}
		return nil, &PathError{Guard: guard.Ed25519, Err: err}, nil
	}
	if status != http.StatusOK {
		return nil, &PathError{
			Guard: guard.Ed25519, Status: status, Body: clip(string(body), 200),
			NotFound: parseNotFound(body), Unreachable: parseUnreachable(body),
		}, nil
	}
	pt, err := decryptReply(key, body)
	if err != nil {
		return nil, &PathError{Guard: guard.Ed25519, Status: status, Err: err}, nil
	}
	return pt, nil, nil
}

// snodeDestination returns the onion destination of a service node.
func snodeDestination(n netview.Node) (onion.SnodeDestination, error) {
	h, err := nodeHop(n)
	if err != nil {
		return onion.SnodeDestination{}, err
	}
	return onion.SnodeDestination{Ed25519: h.Ed25519, X25519: h.X25519}, nil
}

// SnodeRPC runs a storage RPC call (method and its params object, such as a
// storagerpc request) on the service node dest through an onion path, and
// returns the node's status and body (the reply JSON, or an error text).
//
// A 2xx answer returns a nil error. Other answers return their status and
// body with an error: a [*WrongSwarmError] for 421 (the swarm cache of the
// params' "pubkey" is updated), a [*ClockError] for 406 and 425 (network time
// is resynchronised first), and otherwise a [*storagerpc.Error]. A request
// that reached no answer returns status 0 and an error wrapping
// [ErrPathFailed], [ErrUnreachable], [ErrNodeNotFound] or [ErrNoPath].
func (c *Client) SnodeRPC(ctx context.Context, dest netview.Node, method string, params any) (int, []byte, error) {
	payload, account, err := encodeRPC(method, params)
	if err != nil {
		return 0, nil, err
	}
	sd, err := snodeDestination(dest)
	if err != nil {
		return 0, nil, err
	}
	sent := c.now()
	pt, err := c.roundTrip(ctx, sd, dest.Ed25519, payload)
	if err != nil {
		if errors.Is(err, ErrUnreachable) {
			c.strikeNode(dest.Ed25519)
		}
		return 0, nil, err
	}
	received := c.now()
	status, body, epoch, err := parseSnodeReplyEpoch(pt)
	if err != nil {
		c.strikeNode(dest.Ed25519)
		return 0, nil, err
	}
	c.noticeEpoch(epoch)
	switch {
	case status >= 200 && status < 300:
		if t := replyTime(body); t > 0 {
			c.mu.Lock()
			c.st.clock.observe(t, sent, received)
			c.mu.Unlock()
		}
		return status, body, nil
	case status == http.StatusMisdirectedRequest:
		return status, body, c.wrongSwarm(account, dest, body)
	case status == http.StatusNotAcceptable || status == http.StatusTooEarly:
		off := c.resyncClock(ctx, dest, body, sent, received)
		return status, body, &ClockError{Status: status, Body: string(body), Offset: off}
	case status >= 500:
		c.strikeNode(dest.Ed25519)
	}
	return status, body, storagerpc.NewError(status, clip(string(body), 1024))
}

// resyncClock sets network time after a clock error: from the error body's
// "t" if it has one, else from an "info" call to the same node.
func (c *Client) resyncClock(ctx context.Context, dest netview.Node, body []byte, sent, received time.Time) time.Duration {
	t := replyTime(body)
	if t == 0 {
		payload, _, err := encodeRPC(storagerpc.MethodInfo, &storagerpc.Info{})
		sd, err2 := snodeDestination(dest)
		if err == nil && err2 == nil {
			sent = c.now()
			if pt, err := c.roundTrip(ctx, sd, dest.Ed25519, payload); err == nil {
				received = c.now()
				if status, b, err := parseSnodeReply(pt); err == nil && status == http.StatusOK {
					t = replyTime(b)
				}
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t > 0 {
		var cs clockSamples
		c.st.clock.reset(cs.observe(t, sent, received))
		c.log.Debug("network time resynchronised", "offset", c.st.clock.offset())
	}
	return c.st.clock.offset()
}

// ServerRequest sends a v4 request to an HTTP server (file server,
// community server) through an onion path, and returns its answer. The
// server's own status is in the response; an error means no answer came.
func (c *Client) ServerRequest(ctx context.Context, server onion.ServerDestination, req onion.V4Request) (*onion.V4Response, error) {
	payload, err := req.Encode()
	if err != nil {
		return nil, fmt.Errorf("onionreq: %w", err)
	}
	pt, err := c.roundTrip(ctx, server, "", payload)
	if err != nil {
		return nil, err
	}
	resp, err := onion.ParseV4Response(pt)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	return resp, nil
}

type requestTimeoutKey struct{}

// WithRequestTimeout returns a context under which each onion request may
// take up to d instead of Config.RequestTimeout: for a long-polling retrieve,
// which the destination holds open until a message arrives.
func WithRequestTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, requestTimeoutKey{}, d)
}
