// Package swarm holds the pure arithmetic of Session's storage swarms: where a
// Session ID lands in the 64-bit swarm space, which swarm serves it, and how
// service nodes are spread across swarms as they join and leave.
//
// # Compatibility
//
// [Space] and [Pick] reproduce session-storage-server's pubkey_to_swarm_space
// and get_swarm_by_pk exactly (every value is unsigned 64-bit modular
// arithmetic, never floating point), so a client and a node agree on the
// swarm of every account. [Assign] reproduces oxend's calc_swarm_changes,
// including its random choices (mt19937_64 and the portable uniform draw) and
// the order in which the C++ standard library's sort visits swarms of equal
// size, so that given the same previous layout, the same active nodes and the
// same seed it returns the very swarms oxend would.
//
// The package does no I/O and keeps no state.
package swarm
