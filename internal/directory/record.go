package directory

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"golang.org/x/crypto/blake2b"

	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/swarm"
)

// Errors of this package; every refusal wraps one of them.
var (
	// ErrBadRegistration reports a registration or heartbeat that is
	// malformed, not signed by the key it names, or replayed.
	ErrBadRegistration = errors.New("directory: bad registration")
	// ErrNotLeader reports a write sent to a member that is not the leader.
	ErrNotLeader = errors.New("directory: not the leader")
	// ErrBadAnswer reports a directory answer not signed by a known member,
	// not fresh, malformed, or older than the epoch the reader already has.
	ErrBadAnswer = errors.New("directory: bad answer")
)

// Kinds of signed node messages.
const (
	KindRegister  = "register"
	KindHeartbeat = "heartbeat"
	KindLeave     = "leave"
)

// MaxSkew is how far a registration's signing time may be from the leader's
// clock. Together with the strictly increasing timestamps the directory
// demands of each key, it makes a captured registration useless.
const MaxSkew = 2 * time.Minute

// maxVersion caps a version string.
const maxVersion = 32

// registrationDomain separates a registration signature from everything
// else a node's identity key signs.
const registrationDomain = "session-go directory registration v1\x00"

// Registration is what a service node sends the directory: register (join
// or change its address), heartbeat (still alive) or leave (graceful exit),
// signed by its Ed25519 key.
type Registration struct {
	Kind        string `json:"kind"`
	Ed25519     string `json:"pubkey_ed25519"`
	X25519      string `json:"pubkey_x25519"`
	IP          string `json:"public_ip"`
	StoragePort int    `json:"storage_port"`
	Version     string `json:"version"`
	// Timestamp is the signing time in Unix milliseconds; the directory
	// accepts only timestamps above the last one it accepted for this key.
	Timestamp int64 `json:"timestamp"`
	// Signature is the Ed25519 signature of SignedMessage, in hex.
	Signature string `json:"signature"`
}

// SignedMessage returns the bytes the node signs: a domain string, then
// every field, each ended by a zero byte (no field may contain one).
func (r *Registration) SignedMessage() []byte {
	b := []byte(registrationDomain)
	for _, f := range []string{r.Kind, r.Ed25519, r.X25519, r.IP, strconv.Itoa(r.StoragePort), r.Version, strconv.FormatInt(r.Timestamp, 10)} {
		b = append(b, f...)
		b = append(b, 0)
	}
	return b
}

// Sign fills in Ed25519 (from priv) and Signature.
func (r *Registration) Sign(priv ed25519.PrivateKey) {
	r.Ed25519 = hex.EncodeToString(priv.Public().(ed25519.PublicKey))
	r.Signature = hex.EncodeToString(ed25519.Sign(priv, r.SignedMessage()))
}

// Check validates every field and the signature (not freshness, which
// needs the directory's state and clock).
func (r *Registration) Check() error {
	switch r.Kind {
	case KindRegister, KindHeartbeat, KindLeave:
	default:
		return fmt.Errorf("%w: kind %q", ErrBadRegistration, r.Kind)
	}
	pub, err := hex.DecodeString(r.Ed25519)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: pubkey_ed25519 %q is not 64 hex characters", ErrBadRegistration, r.Ed25519)
	}
	if x, err := hex.DecodeString(r.X25519); err != nil || len(x) != 32 {
		return fmt.Errorf("%w: pubkey_x25519 %q is not 64 hex characters", ErrBadRegistration, r.X25519)
	}
	ip := net.ParseIP(r.IP)
	if ip == nil || ip.String() != r.IP {
		return fmt.Errorf("%w: public_ip %q", ErrBadRegistration, r.IP)
	}
	if r.StoragePort <= 0 || r.StoragePort > 65535 {
		return fmt.Errorf("%w: storage_port %d", ErrBadRegistration, r.StoragePort)
	}
	if len(r.Version) == 0 || len(r.Version) > maxVersion || !printable(r.Version) {
		return fmt.Errorf("%w: version %q", ErrBadRegistration, r.Version)
	}
	if r.Timestamp <= 0 {
		return fmt.Errorf("%w: timestamp %d", ErrBadRegistration, r.Timestamp)
	}
	sig, err := hex.DecodeString(r.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, r.SignedMessage(), sig) {
		return fmt.Errorf("%w: bad signature for %s", ErrBadRegistration, r.Ed25519)
	}
	return nil
}

func printable(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// Member is one node of an epoch: Session's get_n_service_nodes fields and
// the version it registered.
type Member struct {
	netview.Node
	Version string `json:"version"`
}

// Epoch is one committed state of the network: its number (starting at 1
// and rising by one on every change of the active set), its hash (which
// seeds the swarm assignment) and the active nodes with their swarms,
// sorted by Ed25519 key.
type Epoch struct {
	Number   uint64   `json:"epoch"`
	Hash     string   `json:"hash"`
	PrevHash string   `json:"prev_hash"`
	Nodes    []Member `json:"nodes"`
}

// epochHash chains an epoch to its predecessor and commits to every active
// node's fields.
func epochHash(prev []byte, number uint64, nodes []Member) [32]byte {
	h, _ := blake2b.New256(nil)
	h.Write([]byte("session-go directory epoch v1\x00"))
	h.Write(prev)
	h.Write(binary.BigEndian.AppendUint64(nil, number))
	for _, n := range nodes {
		for _, f := range []string{n.Ed25519, n.X25519, n.IP, strconv.Itoa(n.StoragePort), n.Version} {
			h.Write([]byte(f))
			h.Write([]byte{0})
		}
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// nextEpoch computes the epoch following prev (nil for the first) for the
// given active nodes (any order, swarm ids ignored).
func nextEpoch(prev *Epoch, active []Member) Epoch {
	nodes := slices.Clone(active)
	slices.SortFunc(nodes, func(a, b Member) int { return bytes.Compare([]byte(a.Ed25519), []byte(b.Ed25519)) })
	e := Epoch{Number: 1}
	var prevHash []byte
	var prevAssign swarm.Assignment
	if prev != nil {
		e.Number = prev.Number + 1
		e.PrevHash = prev.Hash
		prevHash, _ = hex.DecodeString(prev.Hash)
		prevAssign = prev.Assignment()
	}
	h := epochHash(prevHash, e.Number, nodes)
	e.Hash = hex.EncodeToString(h[:])
	keys := make([]swarm.NodeKey, len(nodes))
	index := make(map[swarm.NodeKey]int, len(nodes))
	for i, n := range nodes {
		b, _ := hex.DecodeString(n.Ed25519) // checked on registration
		copy(keys[i][:], b)
		index[keys[i]] = i
	}
	a := swarm.Assign(prevAssign, keys, swarm.SeedFromHash(h))
	for id, members := range a {
		for _, k := range members {
			nodes[index[k]].SwarmID = id
		}
	}
	e.Nodes = nodes
	return e
}

// Assignment returns the epoch's swarm layout.
func (e *Epoch) Assignment() swarm.Assignment {
	a := swarm.Assignment{}
	for _, n := range e.Nodes {
		var k swarm.NodeKey
		b, _ := hex.DecodeString(n.Ed25519)
		copy(k[:], b)
		a[n.SwarmID] = append(a[n.SwarmID], k)
	}
	return a
}

// ServiceNodes returns the epoch's nodes in get_n_service_nodes form.
func (e *Epoch) ServiceNodes() []netview.Node {
	out := make([]netview.Node, len(e.Nodes))
	for i, n := range e.Nodes {
		out[i] = n.Node
	}
	return out
}
