package directory

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// nodeState is what the directory keeps about one registered node.
type nodeState struct {
	Member
	// LastTimestamp is the newest signing time accepted from this key;
	// anything not newer is a replay.
	LastTimestamp int64 `json:"last_timestamp"`
	// LastSeen is the leader's clock (Unix ms) at its last accepted
	// registration or heartbeat.
	LastSeen int64 `json:"last_seen"`
	Active   bool  `json:"active"`
}

// state is the replicated state machine's content; it is also the snapshot.
type state struct {
	Nodes map[string]*nodeState `json:"nodes"`
	Epoch *Epoch                `json:"epoch"`
}

// command is one log entry. Every field the result depends on (the
// leader's clock included) is in the entry, so that Apply is deterministic.
type command struct {
	Op  string        `json:"op"` // "reg" or "tick"
	Reg *Registration `json:"reg,omitempty"`
	Now int64         `json:"now"` // leader's clock, Unix ms
	// Grace is how long (ms) a node may go without heartbeat.
	Grace int64 `json:"grace"`
}

// applyResult is what Apply returns to the proposer.
type applyResult struct {
	Epoch uint64
	Err   error
}

// fsm is the Raft state machine.
type fsm struct {
	mu sync.RWMutex // guards st
	st state
	// changed is closed and replaced whenever a new epoch commits, so that
	// long-polling readers wake up.
	changed chan struct{}
}

func newFSM() *fsm {
	return &fsm{st: state{Nodes: map[string]*nodeState{}}, changed: make(chan struct{})}
}

// Apply implements raft.FSM.
func (f *fsm) Apply(l *raft.Log) any {
	var c command
	if err := json.Unmarshal(l.Data, &c); err != nil {
		return applyResult{Err: fmt.Errorf("%w: log entry: %v", ErrBadRegistration, err)}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	changed := false
	var err error
	switch c.Op {
	case "reg":
		changed, err = f.applyReg(c)
	case "tick":
		changed = f.applyTick(c)
	default:
		err = fmt.Errorf("%w: unknown op %q", ErrBadRegistration, c.Op)
	}
	if err != nil {
		return applyResult{Err: err}
	}
	if changed {
		var active []Member
		for _, n := range f.st.Nodes {
			if n.Active {
				active = append(active, n.Member)
			}
		}
		e := nextEpoch(f.st.Epoch, active)
		f.st.Epoch = &e
		for _, n := range e.Nodes {
			f.st.Nodes[n.Ed25519].SwarmID = n.SwarmID
		}
		close(f.changed)
		f.changed = make(chan struct{})
	}
	var n uint64
	if f.st.Epoch != nil {
		n = f.st.Epoch.Number
	}
	return applyResult{Epoch: n}
}

func (f *fsm) applyReg(c command) (changed bool, err error) {
	r := c.Reg
	if r == nil {
		return false, fmt.Errorf("%w: empty", ErrBadRegistration)
	}
	// Checked again here (the leader checked before proposing) so that no
	// member ever holds a node state that its owner did not sign.
	if err := r.Check(); err != nil {
		return false, err
	}
	old := f.st.Nodes[r.Ed25519]
	if old != nil && r.Timestamp <= old.LastTimestamp {
		return false, fmt.Errorf("%w: replayed or stale message from %s", ErrBadRegistration, r.Ed25519)
	}
	switch r.Kind {
	case KindHeartbeat:
		if old == nil || !old.Active {
			return false, fmt.Errorf("%w: heartbeat from %s, which is not registered", ErrBadRegistration, r.Ed25519)
		}
		if old.X25519 != r.X25519 || old.IP != r.IP || old.StoragePort != r.StoragePort || old.Version != r.Version {
			return false, fmt.Errorf("%w: heartbeat from %s differs from its registration", ErrBadRegistration, r.Ed25519)
		}
		old.LastTimestamp, old.LastSeen = r.Timestamp, c.Now
		return false, nil
	case KindLeave:
		if old == nil {
			return false, fmt.Errorf("%w: leave from %s, which is not registered", ErrBadRegistration, r.Ed25519)
		}
		old.LastTimestamp = r.Timestamp
		changed = old.Active
		old.Active = false
		return changed, nil
	}
	m := Member{Version: r.Version}
	m.Ed25519, m.X25519, m.IP, m.StoragePort = r.Ed25519, r.X25519, r.IP, r.StoragePort
	if old != nil && old.Active {
		m.SwarmID = old.SwarmID
		changed = old.Member != m
	} else {
		changed = true
	}
	f.st.Nodes[r.Ed25519] = &nodeState{Member: m, LastTimestamp: r.Timestamp, LastSeen: c.Now, Active: true}
	return changed, nil
}

func (f *fsm) applyTick(c command) (changed bool) {
	for _, n := range f.st.Nodes {
		if n.Active && c.Now-n.LastSeen > c.Grace {
			n.Active = false
			changed = true
		}
	}
	return changed
}

// overdue reports whether some active node's heartbeat is older than grace
// at now: whether the leader has a tick to propose.
func (f *fsm) overdue(now time.Time, grace time.Duration) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, n := range f.st.Nodes {
		if n.Active && now.UnixMilli()-n.LastSeen > grace.Milliseconds() {
			return true
		}
	}
	return false
}

// epoch returns the current epoch (nil before the first) and a channel
// closed when it changes.
func (f *fsm) epoch() (*Epoch, <-chan struct{}) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.st.Epoch, f.changed
}

// lastTimestamp returns the newest accepted timestamp of a key (0: none).
func (f *fsm) lastTimestamp(ed string) int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if n := f.st.Nodes[ed]; n != nil {
		return n.LastTimestamp
	}
	return 0
}

// Snapshot implements raft.FSM.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	b, err := json.Marshal(f.st)
	if err != nil {
		return nil, err
	}
	return snapshot(b), nil
}

// Restore implements raft.FSM.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var st state
	if err := json.NewDecoder(rc).Decode(&st); err != nil {
		return fmt.Errorf("directory: snapshot: %w", err)
	}
	if st.Nodes == nil {
		st.Nodes = map[string]*nodeState{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = st
	close(f.changed)
	f.changed = make(chan struct{})
	return nil
}

type snapshot []byte

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s snapshot) Release() {}

// sortedNodes is used by tests and status: every node state by key.
func (f *fsm) sortedNodes() []nodeState {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]nodeState, 0, len(f.st.Nodes))
	for _, n := range f.st.Nodes {
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b nodeState) int {
		if a.Ed25519 < b.Ed25519 {
			return -1
		}
		return 1
	})
	return out
}
