package directory

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/session-go/session-go/internal/nodecert"
)

// DefaultGrace is how long a node may go without a heartbeat before the
// directory decommissions it.
const DefaultGrace = 2 * time.Minute

// Config configures a directory member.
type Config struct {
	// DataDir holds the Raft log, stable store and snapshots.
	DataDir string
	// Key is the member's Ed25519 identity: its Raft server ID, its TLS
	// certificate's binding and the key that signs its answers.
	Key ed25519.PrivateKey
	// RaftListen is the address Raft listens on (TLS), e.g. 127.0.0.1:7000.
	RaftListen string
	// Trust lists member keys accepted as Raft peers before this member
	// has learned the configuration (a joining member trusts the leader).
	Trust []ed25519.PublicKey
	// Bootstrap makes this member a new cluster of one, if its data
	// directory holds no cluster yet.
	Bootstrap bool
	// Grace is how long a node may miss heartbeats; 0 means DefaultGrace.
	Grace time.Duration
	// Logger receives the member's log; nil discards it.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Fast shortens Raft's timeouts, for in-process tests.
	Fast bool
}

// Server is a running directory member.
type Server struct {
	cfg    Config
	log    *slog.Logger
	fsm    *fsm
	raft   *raft.Raft
	stream *tlsStream
	trans  *raft.NetworkTransport
	store  *raftboltdb.BoltStore
	id     string

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// Start opens (or creates) a member's state and joins Raft.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Grace == 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	pub := cfg.Key.Public().(ed25519.PublicKey)
	s := &Server{cfg: cfg, log: lg, fsm: newFSM(), id: hex.EncodeToString(pub)}
	cert, err := nodecert.New(cfg.Key, cfg.Now())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.RaftListen)
	if err != nil {
		return nil, fmt.Errorf("directory: raft listen: %w", err)
	}
	s.stream = newTLSStream(ln, cert, pub, cfg.Trust)
	hl := hclog.New(&hclog.LoggerOptions{Name: "raft", Output: slogWriter{lg}, Level: hclog.Warn, DisableTime: true})
	s.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: s.stream, MaxPool: 3, Timeout: 10 * time.Second, Logger: hl,
	})
	s.store, err = raftboltdb.NewBoltStore(filepath.Join(cfg.DataDir, "raft.db"))
	if err != nil {
		s.trans.Close()
		return nil, fmt.Errorf("directory: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.DataDir, 2, hl)
	if err != nil {
		s.trans.Close()
		s.store.Close()
		return nil, fmt.Errorf("directory: %w", err)
	}
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(s.id)
	rc.Logger = hl
	rc.SnapshotThreshold = 1024
	if cfg.Fast {
		rc.HeartbeatTimeout = 300 * time.Millisecond
		rc.ElectionTimeout = 300 * time.Millisecond
		rc.LeaderLeaseTimeout = 150 * time.Millisecond
		rc.CommitTimeout = 10 * time.Millisecond
	}
	s.raft, err = raft.NewRaft(rc, s.fsm, s.store, s.store, snaps, s.trans)
	if err != nil {
		s.trans.Close()
		s.store.Close()
		return nil, fmt.Errorf("directory: %w", err)
	}
	if cfg.Bootstrap {
		existing, err := raft.HasExistingState(s.store, s.store, snaps)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("directory: %w", err)
		}
		if !existing {
			f := s.raft.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{
				ID: rc.LocalID, Address: raft.ServerAddress(s.RaftAddr()), Suffrage: raft.Voter,
			}}})
			if err := f.Error(); err != nil {
				s.Close()
				return nil, fmt.Errorf("directory: bootstrap: %w", err)
			}
		}
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(2)
	go s.trustLoop(ctx)
	go s.tickLoop(ctx)
	return s, nil
}

// ID returns the member's key in hex (its Raft server ID).
func (s *Server) ID() string { return s.id }

// PublicKey returns the member's Ed25519 key.
func (s *Server) PublicKey() ed25519.PublicKey { return s.cfg.Key.Public().(ed25519.PublicKey) }

// RaftAddr returns the member's Raft address (KEY@host:port).
func (s *Server) RaftAddr() string { return s.stream.Addr().String() }

// IsLeader reports whether this member leads the cluster now.
func (s *Server) IsLeader() bool { return s.raft.State() == raft.Leader }

// Leader returns the leader's ID, or "" when none is known.
func (s *Server) Leader() string {
	_, id := s.raft.LeaderWithID()
	return string(id)
}

// Members returns the IDs of the cluster's voters.
func (s *Server) Members() ([]string, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	var out []string
	for _, m := range f.Configuration().Servers {
		out = append(out, string(m.ID))
	}
	return out, nil
}

// Join adds a member (by its Raft address) to the cluster; only the
// leader can.
func (s *Server) Join(ctx context.Context, raftAddr string) error {
	pub, _, err := splitRaftAddress(raftAddr)
	if err != nil {
		return err
	}
	if !s.IsLeader() {
		return fmt.Errorf("%w (leader: %s)", ErrNotLeader, s.Leader())
	}
	f := s.raft.AddVoter(raft.ServerID(hex.EncodeToString(pub)), raft.ServerAddress(raftAddr), 0, timeoutOf(ctx))
	return f.Error()
}

// Leave removes a member (by its key in hex) from the cluster; only the
// leader can. A leader removing itself steps down.
func (s *Server) Leave(ctx context.Context, id string) error {
	if !s.IsLeader() {
		return fmt.Errorf("%w (leader: %s)", ErrNotLeader, s.Leader())
	}
	return s.raft.RemoveServer(raft.ServerID(id), 0, timeoutOf(ctx)).Error()
}

func timeoutOf(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return 30 * time.Second
}

// Snapshot makes Raft take a snapshot now (it also does on its own).
func (s *Server) Snapshot() error { return s.raft.Snapshot().Error() }

// Submit checks a signed registration, heartbeat or leave and commits it;
// it returns the epoch after the commit. Only the leader accepts.
func (s *Server) Submit(ctx context.Context, r *Registration) (uint64, error) {
	if err := r.Check(); err != nil {
		return 0, err
	}
	now := s.cfg.Now()
	if d := now.Sub(time.UnixMilli(r.Timestamp)); d > MaxSkew || d < -MaxSkew {
		return 0, fmt.Errorf("%w: signed %v from the directory's clock", ErrBadRegistration, d.Round(time.Second))
	}
	if r.Timestamp <= s.fsm.lastTimestamp(r.Ed25519) {
		return 0, fmt.Errorf("%w: replayed or stale message from %s", ErrBadRegistration, r.Ed25519)
	}
	if !s.IsLeader() {
		return 0, ErrNotLeader
	}
	return s.apply(ctx, command{Op: "reg", Reg: r, Now: now.UnixMilli()})
}

func (s *Server) apply(ctx context.Context, c command) (uint64, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	f := s.raft.Apply(b, timeoutOf(ctx))
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return 0, ErrNotLeader
		}
		return 0, fmt.Errorf("directory: commit: %w", err)
	}
	res := f.Response().(applyResult)
	return res.Epoch, res.Err
}

// Epoch returns this member's current epoch (nil before the first) and a
// channel closed when it changes.
func (s *Server) Epoch() (*Epoch, <-chan struct{}) { return s.fsm.epoch() }

// trustLoop keeps the Raft stream's set of trusted peers equal to the
// current configuration's members.
func (s *Server) trustLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		if ids, err := s.Members(); err == nil {
			s.stream.setTrusted(ids)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tickLoop, on the leader, decommissions nodes whose heartbeats stopped.
func (s *Server) tickLoop(ctx context.Context) {
	defer s.wg.Done()
	every := max(s.cfg.Grace/4, 50*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.cfg.Now()
		if !s.IsLeader() || !s.fsm.overdue(now, s.cfg.Grace) {
			continue
		}
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := s.apply(actx, command{Op: "tick", Now: now.UnixMilli(), Grace: s.cfg.Grace.Milliseconds()}); err != nil {
			s.log.Warn("directory: decommission tick", "err", err)
		}
		cancel()
	}
}

// Close stops the member: Raft shuts down and its files are closed. The
// state stays on disk for the next Start.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		err = s.raft.Shutdown().Error()
		s.wg.Wait()
		s.trans.Close()
		if e := s.store.Close(); err == nil {
			err = e
		}
	})
	return err
}

// slogWriter forwards Raft's log lines to slog.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn("raft", "line", string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
