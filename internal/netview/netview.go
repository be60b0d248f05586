// Package netview is a service node's (and a client's) view of the network:
// which service nodes exist, their keys and addresses, and which swarm each
// belongs to.
//
// A [Source] produces [Directory] snapshots; today from a static directory
// file (what a devnet writes) or from seed nodes answering Session's
// get_n_service_nodes call. A replicated directory (for dynamic membership)
// can later be another Source without touching the node.
package netview

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/swarm"
)

// ErrBadDirectory reports a directory that cannot be used.
var ErrBadDirectory = errors.New("netview: bad directory")

// Node is one service node, with Session's get_n_service_nodes field names.
type Node struct {
	IP          string `json:"public_ip"`
	StoragePort int    `json:"storage_port"`
	Ed25519     string `json:"pubkey_ed25519"`
	X25519      string `json:"pubkey_x25519"`
	// SwarmID is filled in by the directory's swarm assignment.
	SwarmID swarm.ID `json:"swarm_id"`
}

// Addr returns host:port of the node's HTTPS storage server.
func (n Node) Addr() string { return net.JoinHostPort(n.IP, strconv.Itoa(n.StoragePort)) }

// URL returns the node's HTTPS base URL.
func (n Node) URL() string { return "https://" + n.Addr() }

// DirectoryFile is the on-disk form of a static directory (devnet nodes.json).
type DirectoryFile struct {
	Nodes []Node `json:"nodes"`
}

// Seed is one seed node a client (or a node) bootstraps from. Answers from
// a seed with an Ed25519 key must be signed by it (our own seeds); a seed
// with none must have a Certificate (PEM), and is then asked only over TLS
// with that certificate pinned, its answers unsigned (Session's seeds).
type Seed struct {
	URL         string `json:"url"`
	Ed25519     string `json:"pubkey_ed25519,omitempty"`
	Certificate string `json:"certificate,omitempty"`
}

// SeedFile is the on-disk seed list (devnet network.json).
type SeedFile struct {
	Seeds []Seed `json:"seeds"`
	// FileServer is the network's file server, if it runs one.
	FileServer *FileServer `json:"file_server,omitempty"`
}

// FileServer is where attachments are uploaded: an HTTP(S) server reached
// only through onion requests, encrypted to its X25519 key.
type FileServer struct {
	// URL is its base URL, e.g. http://127.0.0.1:8080.
	URL string `json:"url"`
	// X25519 is its onion-request public key in hex.
	X25519 string `json:"pubkey_x25519"`
}

// Directory is an immutable snapshot of the network.
type Directory struct {
	nodes  []Node // sorted by Ed25519
	byEd   map[string]int
	byAddr map[string][]int   // Addr() → indexes into nodes
	swarms map[swarm.ID][]int // swarm id → indexes into nodes
	ids    []swarm.ID         // sorted swarm ids
	epoch  uint64             // directory epoch; 0 for a static list
}

// NewDirectory validates nodes, assigns them to swarms by Session's rules and
// returns the snapshot.
func NewDirectory(nodes []Node) (*Directory, error) {
	return newDirectory(nodes, false)
}

// NewDirectoryWithSwarms is NewDirectory for a list that names each node's
// swarm (a real network's get_n_service_nodes answer, where oxend assigns
// swarms with history that one list does not carry): the listed swarm_ids
// are kept instead of being recomputed. Every node must name a swarm.
func NewDirectoryWithSwarms(nodes []Node) (*Directory, error) {
	return newDirectory(nodes, true)
}

// NewAssignedDirectory is NewDirectoryWithSwarms for one epoch of a
// membership authority (internal/directory): the swarms are the epoch's,
// and the snapshot remembers the epoch's number.
func NewAssignedDirectory(nodes []Node, epoch uint64) (*Directory, error) {
	d, err := newDirectory(nodes, true)
	if err != nil {
		return nil, err
	}
	d.epoch = epoch
	return d, nil
}

// Epoch returns the directory epoch the snapshot belongs to (0 for a static
// node list or a seed's answer).
func (d *Directory) Epoch() uint64 { return d.epoch }

func newDirectory(nodes []Node, listed bool) (*Directory, error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%w: no nodes", ErrBadDirectory)
	}
	d := &Directory{nodes: slices.Clone(nodes), byEd: map[string]int{}, byAddr: map[string][]int{}, swarms: map[swarm.ID][]int{}}
	slices.SortFunc(d.nodes, func(a, b Node) int {
		switch {
		case a.Ed25519 < b.Ed25519:
			return -1
		case a.Ed25519 > b.Ed25519:
			return 1
		}
		return 0
	})
	for i, n := range d.nodes {
		if err := checkNode(n); err != nil {
			return nil, err
		}
		if _, dup := d.byEd[n.Ed25519]; dup {
			return nil, fmt.Errorf("%w: node %s listed twice", ErrBadDirectory, n.Ed25519)
		}
		d.byEd[n.Ed25519] = i
		d.byAddr[n.Addr()] = append(d.byAddr[n.Addr()], i)
	}
	if listed {
		for i, n := range d.nodes {
			if n.SwarmID == swarm.InvalidID {
				return nil, fmt.Errorf("%w: node %s is in no swarm", ErrBadDirectory, n.Ed25519)
			}
			if d.swarms[n.SwarmID] == nil {
				d.ids = append(d.ids, n.SwarmID)
			}
			d.swarms[n.SwarmID] = append(d.swarms[n.SwarmID], i)
		}
		slices.Sort(d.ids)
		return d, nil
	}
	active := make([]swarm.NodeKey, len(d.nodes))
	for i, n := range d.nodes {
		b, _ := hex.DecodeString(n.Ed25519) // checked above
		copy(active[i][:], b)
	}
	// A fresh, seeded assignment of the whole list: every node (and client)
	// reading the same directory computes the same swarms.
	assignment := swarm.Assign(nil, active, 0)
	for _, id := range assignment.IDs() {
		d.ids = append(d.ids, id)
		for _, member := range assignment[id] {
			i := d.byEd[hex.EncodeToString(member[:])]
			d.nodes[i].SwarmID = id
			d.swarms[id] = append(d.swarms[id], i)
		}
	}
	slices.Sort(d.ids)
	return d, nil
}

func checkNode(n Node) error {
	for _, k := range []string{n.Ed25519, n.X25519} {
		if b, err := hex.DecodeString(k); err != nil || len(b) != 32 {
			return fmt.Errorf("%w: key %q is not 64 hex characters", ErrBadDirectory, k)
		}
	}
	if net.ParseIP(n.IP) == nil {
		return fmt.Errorf("%w: node %s: bad public_ip %q", ErrBadDirectory, n.Ed25519, n.IP)
	}
	if n.StoragePort <= 0 || n.StoragePort > 65535 {
		return fmt.Errorf("%w: node %s: bad storage_port %d", ErrBadDirectory, n.Ed25519, n.StoragePort)
	}
	return nil
}

// Nodes returns every node, sorted by Ed25519 key.
func (d *Directory) Nodes() []Node { return slices.Clone(d.nodes) }

// Len returns the number of nodes.
func (d *Directory) Len() int { return len(d.nodes) }

// Node returns the node with the given Ed25519 key (hex).
func (d *Directory) Node(ed25519Hex string) (Node, bool) {
	i, ok := d.byEd[ed25519Hex]
	if !ok {
		return Node{}, false
	}
	return d.nodes[i], true
}

// NodesAt returns the nodes listed at addr (host:port, as [Node.Addr]
// writes it): normally one, none for an address the directory does not
// list. A node uses it to pin the TLS identity of whatever answers there.
func (d *Directory) NodesAt(addr string) []Node {
	var out []Node
	for _, i := range d.byAddr[addr] {
		out = append(out, d.nodes[i])
	}
	return out
}

// SwarmIDs returns the swarm ids, ascending.
func (d *Directory) SwarmIDs() []swarm.ID { return slices.Clone(d.ids) }

// Swarm returns the members of swarm id.
func (d *Directory) Swarm(id swarm.ID) []Node {
	var out []Node
	for _, i := range d.swarms[id] {
		out = append(out, d.nodes[i])
	}
	return out
}

// SwarmFor returns the swarm serving an account and its members.
func (d *Directory) SwarmFor(account keys.ID) (swarm.ID, []Node) {
	id, ok := swarm.ForPubkey(account, d.ids)
	if !ok {
		return swarm.InvalidID, nil
	}
	return id, d.Swarm(id)
}
