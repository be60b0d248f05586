// Package snode is the session-go service node: Session's storage RPC over
// HTTPS, onion-request relaying, swarm replication with catch-up, and the
// seed call get_n_service_nodes, backed by a SQLite message store.
//
// A node learns the network through a [netview.Source] (a directory file or
// seed nodes); every node computes the same swarm assignment from the same
// directory. Between nodes, requests travel over HTTPS with keep-alive and
// are signed with the sending node's Ed25519 key.
package snode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/session-go/session-go/internal/directory"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/nodecert"
	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/store"
	"github.com/session-go/session-go/internal/swarm"
)

// Config configures a service node.
type Config struct {
	// DataDir holds the identity key and the database.
	DataDir string
	// Listen is the HTTPS address, e.g. 127.0.0.1:22021.
	Listen string
	// Network is the network file: a directory ({"nodes": …}) or seeds ({"seeds": …}).
	Network string
	// AdminListen, when set, serves /metrics (Prometheus text) on plain HTTP.
	AdminListen string
	// Logger receives the node's log; nil discards it.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RateLimit is the per-client token bucket (Session: 600 tokens, 300/s); zero means Session's values.
	RateLimit RateLimit
	// DirectoryRefresh is how often the network view is re-read (default 5 s).
	DirectoryRefresh time.Duration
	// Heartbeat is how often the node tells the directory it is alive, when
	// a directory runs the network (0: directory.DefaultHeartbeat).
	Heartbeat time.Duration
	// LeaveDrain is how long a node that left the directory keeps serving,
	// so that its successors pull what it holds (0: twelve directory
	// refresh intervals: one to see the epoch, one to settle, the pulls).
	LeaveDrain time.Duration
	// CatchUpInterval is how often the node pulls missed messages from its swarm peers (default 2 s).
	CatchUpInterval time.Duration
	// MaxLongPoll caps how long a retrieve may wait for new messages (default 25 s).
	MaxLongPoll time.Duration
	// OnionAllowLocal lists the only addresses on this host or a private
	// network that the onion proxy may reach, exact IP and port: a devnet's
	// own file server. Anything else that is not a public address is
	// refused when dialled.
	OnionAllowLocal []netip.AddrPort
	// Limits caps requests in flight per node and per sender; zero fields
	// mean the defaults of [Limits].
	Limits Limits
	// Store tunes the message store: its quotas and size cap (zero fields
	// are the store's defaults). Its Now and Logger are the node's.
	Store store.Options
}

// Node is a running service node.
type Node struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	id      *keys.Identity
	edHex   string
	onionKy *onion.NodeKey
	db      *store.Store
	source  netview.Source
	peers   *http.Client // HTTPS to other nodes
	proxy   *http.Client // onion requests to HTTP servers: public addresses only
	limiter *limiter
	relays  *inflight // onion relays and proxied requests in flight
	polls   *inflight // long polls held
	replays *replayCache
	seeds   seedCache
	metrics *metrics
	notify  *notifier
	dir     atomic.Pointer[netview.Directory]
	// registrar keeps the node registered when a directory runs the
	// network (nil for a static node list).
	registrar *directory.Registrar

	listener net.Listener
	cursors  *peerCursors

	// nudge asks directoryLoop to read the directory now (a peer named a
	// newer epoch); epochChanged tells handoffLoop a new epoch is in.
	nudge, epochChanged chan struct{}
	// nudges backs off reads prompted by epochs the directory does not
	// give (nudge.go).
	nudges nudgeGate

	wg sync.WaitGroup
	// senderKey keys the hash under which a client address is recorded
	// as the sender of its inbox stores (see sender.go).
	senderKey [32]byte
}

// New opens the node's identity, database and network view. It does not
// listen yet; call Serve.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.DataDir == "" || cfg.Listen == "" || cfg.Network == "" {
		return nil, errors.New("snode: data dir, listen address and network file are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DirectoryRefresh == 0 {
		cfg.DirectoryRefresh = 5 * time.Second
	}
	if cfg.CatchUpInterval == 0 {
		cfg.CatchUpInterval = 2 * time.Second
	}
	if cfg.MaxLongPoll == 0 {
		cfg.MaxLongPoll = 25 * time.Second
	}
	id, err := LoadOrCreateIdentity(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	xsk := id.X25519PrivateKey()
	nk, err := onion.NewNodeKey(xsk[:])
	if err != nil {
		return nil, err
	}
	cfg.Limits = cfg.Limits.withDefaults()
	n := &Node{
		senderKey:    newSenderKey(),
		cfg:          cfg,
		log:          cfg.Logger,
		now:          cfg.Now,
		id:           id,
		edHex:        fmt.Sprintf("%x", id.Ed25519PublicKey()),
		onionKy:      nk.WithoutCBC(),
		proxy:        proxyClient(cfg.OnionAllowLocal),
		limiter:      newLimiter(cfg.RateLimit, cfg.Now),
		relays:       newInflight(cfg.Limits.RelaysInFlight, cfg.Limits.RelaysInFlightPerSender),
		polls:        newInflight(cfg.Limits.LongPolls, cfg.Limits.LongPollsPerSender),
		replays:      newReplayCache(replayWindow, replayCapacity),
		metrics:      newMetrics(),
		notify:       newNotifier(),
		cursors:      newPeerCursors(filepath.Join(cfg.DataDir, "peers.json")),
		nudge:        make(chan struct{}, 1),
		epochChanged: make(chan struct{}, 1),
	}
	n.peers = n.peerClient()
	n.source, err = directory.OpenNetwork(cfg.Network, n.peers)
	if err != nil {
		return nil, err
	}
	if err := n.joinDirectory(ctx); err != nil {
		return nil, err
	}
	if err := n.refreshDirectory(ctx); err != nil {
		return nil, err
	}
	storeOpts := cfg.Store
	storeOpts.Now, storeOpts.Logger = cfg.Now, cfg.Logger
	n.db, err = store.Open(ctx, filepath.Join(cfg.DataDir, "storage.db"), &storeOpts)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Ed25519 returns the node's Ed25519 public key in hex.
func (n *Node) Ed25519() string { return n.edHex }

// Directory returns the node's current view of the network.
func (n *Node) Directory() *netview.Directory { return n.dir.Load() }

func (n *Node) refreshDirectory(ctx context.Context) error {
	d, err := n.source.Load(ctx)
	if err != nil {
		return err
	}
	if _, ok := d.Node(n.edHex); !ok {
		n.log.Warn("this node is not in the network directory; it serves no swarm", "node", n.edHex)
	}
	if old := n.dir.Swap(d); old != nil && old != d {
		n.log.Info("network directory changed", "epoch", d.Epoch(), "nodes", d.Len(), "swarms", len(d.SwarmIDs()))
		if d.Epoch() != old.Epoch() {
			signal(n.epochChanged)
		}
	}
	return nil
}

// signal wakes whoever waits on ch, without blocking (ch has room for one).
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// noteEpoch handles the epoch a peer named: a newer one than ours makes
// directoryLoop read the directory now rather than at its next tick. The
// peer's word is only a hint; what counts is the directory's signed epoch.
func (n *Node) noteEpoch(e uint64) {
	if n.nudges.allow(e, n.epoch(), time.Now()) {
		signal(n.nudge)
	}
}

// mySwarm returns this node's swarm and its other members.
func (n *Node) mySwarm() (swarm.ID, []netview.Node, bool) {
	d := n.dir.Load()
	me, ok := d.Node(n.edHex)
	if !ok {
		return swarm.InvalidID, nil, false
	}
	var peers []netview.Node
	for _, m := range d.Swarm(me.SwarmID) {
		if m.Ed25519 != n.edHex {
			peers = append(peers, m)
		}
	}
	return me.SwarmID, peers, true
}

// Serve listens and serves until ctx ends, then shuts down gracefully.
func (n *Node) Serve(ctx context.Context) error {
	cert, err := nodecert.New(n.id.Ed25519PrivateKey(), n.now())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", n.cfg.Listen)
	if err != nil {
		return fmt.Errorf("snode: listen: %w", err)
	}
	n.listener = ln
	srv := &http.Server{
		Handler:           n.routes(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelDebug),
	}
	var admin *http.Server
	if n.cfg.AdminListen != "" {
		aln, err := net.Listen("tcp", n.cfg.AdminListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("snode: admin listen: %w", err)
		}
		admin = &http.Server{Handler: n.adminRoutes(), ReadHeaderTimeout: 10 * time.Second}
		n.wg.Go(func() { _ = admin.Serve(aln) })
		n.log.Info("admin listening", "addr", aln.Addr().String())
	}
	// The background loops outlive ctx until the server has shut down: a
	// node leaving the directory keeps its view fresh while it serves its
	// successors (see leaveDirectory), or it would refuse the new ones.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	n.wg.Go(func() { n.db.RunSweeper(bg, 10*time.Second) })
	n.wg.Go(func() { n.directoryLoop(bg) })
	if n.registrar != nil {
		n.wg.Go(func() { n.registrar.Run(bg) })
		n.wg.Go(func() { n.handoffLoop(bg) })
	}
	n.wg.Go(func() { n.catchUpLoop(bg) })

	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	n.log.Info("service node listening", "addr", ln.Addr().String(), "ed25519", n.edHex)

	select {
	case err = <-errc:
	case <-ctx.Done():
		n.leaveDirectory()
		n.log.Info("shutting down")
		shCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shCtx)
		if admin != nil {
			_ = admin.Shutdown(shCtx)
		}
		cancel()
		<-errc
	}
	stopBG()
	n.notify.closeAll()
	n.wg.Wait()
	n.cursors.save()
	if cerr := n.db.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Run starts a node with cfg and serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	n, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	return n.Serve(ctx)
}

// minNudgeGap is the least time between two directory reads prompted by
// peers naming a newer epoch, so that a peer lying about epochs cannot
// make this node hammer the directory.
const minNudgeGap = 500 * time.Millisecond

func (n *Node) directoryLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.DirectoryRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.nudge:
		}
		named := n.nudges.start(time.Now())
		err := n.refreshDirectory(ctx)
		n.nudges.done(named, n.epoch(), err == nil)
		if err != nil && ctx.Err() == nil {
			n.log.Warn("refreshing the network directory failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(minNudgeGap):
		}
	}
}
