// Package directory is the network's membership authority: a small cluster
// of directory members (1, 3 or 5) that agree with Raft
// (github.com/hashicorp/raft) on which service nodes are active and on the
// swarm each belongs to, the role oxend's blockchain plays in Session.
//
// Service nodes send registrations and heartbeats signed by their Ed25519
// key ([Registration]); the leader commits each to the replicated log, and
// every change of the active set commits a new [Epoch]: the active nodes and
// their swarms, computed with oxend's rules ([swarm.Assign]) from the
// previous epoch's layout and seeded from the new epoch's hash, so every
// member derives the same swarms. Nodes that stop sending heartbeats are
// decommissioned after a grace period.
//
// Members talk Raft over mutual TLS with certificates bound to their Ed25519
// identities ([nodecert]); each answers readers over HTTPS with the epoch
// signed by its own key, and readers ([Client]) accept only answers signed
// by a member they know and never go back to an older epoch.
package directory
