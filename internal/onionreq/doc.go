// Package onionreq is the client's network layer: it keeps a pool of
// service nodes, builds and maintains onion paths through them, sends
// storage RPC requests to service nodes and HTTP requests to servers through
// those paths, and caches which swarm serves each account.
//
// # Paths
//
// A [Client] keeps Config.Paths onion paths of Config.Hops service nodes
// each. The first hop of a path, its guard, is the only node that sees the
// client's address; before it is used it must answer a direct request. A
// request to a service node goes through a path that does not contain that
// node, so it crosses Hops+1 nodes. Paths share as few nodes as the pool
// allows, and with subnet diversity on (the default, except between loopback
// addresses) no two hops of a path share a /24.
//
// # Failures
//
// Failures are counted as strikes, as Session's clients count them. A path
// whose guard cannot be reached gets a strike and the request is retried
// through another path; at the third strike the path is dropped, its guard
// leaves the pool and the other hops each get a strike. A node gets a strike
// when it is the destination and answers with a server error, or when a
// relay names it in a "Next node not found" (or session-go's "Next node is
// unreachable") answer, and at its third it is dropped from the pool, the
// swarm cache and every path through it. Other path errors (a non-200
// status, a plaintext body, a reply that does not decrypt) are judged when
// the request is over: if another path then succeeded, the failed paths get
// a strike; if paths with two or more different guards all failed, the
// destination gets the strike instead ([ErrUnreachable]).
//
// # Swarms and time
//
// [Client.Swarm] finds an account's swarm with get_swarm through an onion
// path and caches it; a 421 answer replaces the cached swarm with the one
// the node names. [Client.SwarmRPC] runs a request against an account's
// swarm, moving to another member when one fails. [Client.Now] is network
// time: the local clock corrected by the median offset of the "t" fields in
// recent replies, resynchronised after a 406 or 425 clock error.
package onionreq
