package directory

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/session-go/session-go/internal/netview"
)

// NetworkFile is the on-disk form of a network that a directory runs: the
// members' API URLs and keys. A node or client given this file follows the
// directory's epochs instead of a static node list.
type NetworkFile struct {
	Directory []netview.Seed `json:"directory"`
}

// maxNetworkFile caps a network file.
const maxNetworkFile = 1 << 20

// ReadNetworkFile returns the directory members a network file names, or
// nil (and no error) when the file describes another kind of network.
func ReadNetworkFile(path string) ([]netview.Seed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxNetworkFile+1))
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	if len(b) > maxNetworkFile {
		// Not ours to judge: netview reads the large static lists.
		return nil, nil
	}
	var nf NetworkFile
	if err := json.Unmarshal(b, &nf); err != nil {
		return nil, fmt.Errorf("directory: %s: %v", path, err)
	}
	return nf.Directory, nil
}

// OpenNetwork returns the Source a network file describes: a directory's
// members ({"directory": …}) give a [Source]; anything else is netview's.
func OpenNetwork(path string, hc *http.Client) (netview.Source, error) {
	if netview.IsPreset(path) {
		return netview.OpenFile(path, hc)
	}
	members, err := ReadNetworkFile(path)
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return netview.OpenFile(path, hc)
	}
	c, err := NewClient(members, hc)
	if err != nil {
		return nil, err
	}
	return &Source{Client: c}, nil
}

// Source is a netview.Source that follows the directory's epochs: each Load
// asks a member for its current epoch (signed, never older than the last
// one seen) and returns it as a netview.Directory whose swarms are the
// epoch's.
type Source struct {
	Client *Client

	mu      sync.Mutex // guards current
	current *netview.Directory
	hash    string
}

// Load implements netview.Source.
func (s *Source) Load(ctx context.Context) (*netview.Directory, error) {
	e, err := s.Client.Epoch(ctx, 0)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && s.hash == e.Hash {
		return s.current, nil
	}
	d, err := netview.NewAssignedDirectory(e.ServiceNodes(), e.Number)
	if err != nil {
		return nil, err
	}
	s.current, s.hash = d, e.Hash
	return d, nil
}

// DefaultHeartbeat is how often a node tells the directory it is alive:
// a quarter of the default grace period.
const DefaultHeartbeat = DefaultGrace / 4

// Registrar keeps one service node registered with the directory.
type Registrar struct {
	Client      *Client
	Key         ed25519.PrivateKey
	X25519      [32]byte
	IP          string
	StoragePort int
	Version     string
	// Every is the heartbeat interval; 0 means DefaultHeartbeat.
	Every time.Duration
	// Logger receives failures; nil discards them.
	Logger *slog.Logger

	mu   sync.Mutex // guards last and left
	last int64
	left bool
}

// NewRegistrar returns the registrar of a node listening on listen
// (host:port; the host must be the node's public IP).
func NewRegistrar(c *Client, key ed25519.PrivateKey, x25519 [32]byte, listen, version string) (*Registrar, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("directory: listen address %q: %v", listen, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() {
		return nil, fmt.Errorf("directory: listen address %q does not name the node's public IP", listen)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("directory: listen address %q: bad port", listen)
	}
	if version == "" {
		version = "unknown"
	}
	return &Registrar{Client: c, Key: key, X25519: x25519, IP: ip.String(), StoragePort: p, Version: version}, nil
}

// message signs a new message of kind, with a timestamp above every one
// sent before (so two in the same millisecond are not replays).
func (r *Registrar) message(kind string) *Registration {
	r.mu.Lock()
	ts := max(time.Now().UnixMilli(), r.last+1)
	r.last = ts
	r.mu.Unlock()
	m := &Registration{Kind: kind, X25519: hex.EncodeToString(r.X25519[:]), IP: r.IP, StoragePort: r.StoragePort, Version: r.Version, Timestamp: ts}
	m.Sign(r.Key)
	return m
}

// Register sends one registration, retrying until a member commits it or
// ctx ends; it returns the epoch that includes the node.
func (r *Registrar) Register(ctx context.Context) (uint64, error) {
	for {
		n, err := r.Client.Submit(ctx, r.message(KindRegister))
		if err == nil || errors.Is(err, ErrBadRegistration) {
			return n, err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}

// Leave tells the directory the node is leaving (once; later calls do
// nothing) and stops the heartbeats.
func (r *Registrar) Leave(ctx context.Context) error {
	r.mu.Lock()
	if r.left {
		r.mu.Unlock()
		return nil
	}
	r.left = true
	r.mu.Unlock()
	_, err := r.Client.Submit(ctx, r.message(KindLeave))
	return err
}

// Run heartbeats until ctx ends, then sends a leave so that the directory
// drops the node at once rather than after the grace period. A heartbeat
// refused because the node was decommissioned (it was away too long)
// becomes a new registration.
func (r *Registrar) Run(ctx context.Context) {
	every := r.Every
	if every == 0 {
		every = DefaultHeartbeat
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			lctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := r.Leave(lctx); err != nil {
				log.Warn("directory: leave failed; the directory drops this node after its grace period", "err", err)
			}
			cancel()
			return
		case <-t.C:
		}
		r.mu.Lock()
		left := r.left
		r.mu.Unlock()
		if left {
			return
		}
		hctx, cancel := context.WithTimeout(ctx, every)
		_, err := r.Client.Submit(hctx, r.message(KindHeartbeat))
		if errors.Is(err, ErrBadRegistration) {
			_, err = r.Client.Submit(hctx, r.message(KindRegister))
		}
		cancel()
		if err != nil && ctx.Err() == nil {
			log.Warn("directory: heartbeat failed", "err", err)
		}
	}
}
