package client

import "github.com/session-go/session-go/internal/netview"

// NetworkStatus is a snapshot of the client's view of the network, for a
// status screen. It holds no secrets.
type NetworkStatus struct {
	// NetworkFile is the network (seed) file in use; empty when none is set.
	NetworkFile string `json:"network_file"`
	// Connected is true once the client has reached the network.
	Connected bool `json:"connected"`
	// Nodes is the number of service nodes the client knows.
	Nodes int `json:"nodes"`
	// Paths are the onion paths in use, each a list of hops, guard first.
	Paths [][]NodeInfo `json:"paths"`
}

// NodeInfo names one service node.
type NodeInfo struct {
	// Address is the node's host:port.
	Address string `json:"address"`
	// Ed25519 is its public key in hex.
	Ed25519 string `json:"pubkey_ed25519"`
}

// NetworkStatus returns the client's view of the network right now. It never
// blocks on the network.
func (c *Client) NetworkStatus() NetworkStatus {
	c.netMu.Lock()
	n := c.net
	c.netMu.Unlock()
	st := NetworkStatus{NetworkFile: c.opts.Network}
	if n == nil {
		return st
	}
	st.Nodes = len(n.Nodes())
	for _, p := range n.Paths() {
		hops := make([]NodeInfo, len(p))
		for i, h := range p {
			hops[i] = nodeInfo(h)
		}
		st.Paths = append(st.Paths, hops)
	}
	st.Connected = st.Nodes > 0 && len(st.Paths) > 0
	return st
}

func nodeInfo(n netview.Node) NodeInfo { return NodeInfo{Address: n.Addr(), Ed25519: n.Ed25519} }
