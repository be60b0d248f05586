// Package inboxflood holds the devnet regression test of the inbox flood
// (issue 8, point 5): strangers storing unsigned messages into an account's
// public inbox as fast as a node lets them must not lock the account out of
// receiving, nor out of syncing its own devices. The test runs real snode
// processes with inbox limits small enough to reach in seconds; the package
// has no code of its own.
package inboxflood
