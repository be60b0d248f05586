package storagerpc

import "time"

// Limits of the storage RPC, with session-storage-server's values.
const (
	// MaxMessageSize is the largest message body a store may carry, in bytes.
	MaxMessageSize = 76_800
	// MaxMessageSizeBase64 is MaxMessageSize in base64 characters (the JSON
	// form of "data"); 76 800 is a multiple of 3, so there is no padding.
	MaxMessageSizeBase64 = MaxMessageSize / 3 * 4
	// RetrieveMaxSize is the most message data one retrieve returns, in bytes
	// (the 10 MiB network limit less the base64 overhead).
	RetrieveMaxSize = 7_800_000
	// RetrieveDefaultSizeFraction: with neither max_count nor max_size, a
	// retrieve returns at most RetrieveMaxSize/5 bytes (as if max_size were -5).
	RetrieveDefaultSizeFraction = 5
	// MaxBatchRequests is the most subrequests a batch or sequence may hold.
	MaxBatchRequests = 20
	// MaxHashesPerRequest is the most message hashes one delete, expire or
	// get_expiries may name (session-go's limit, not Session's: it bounds the
	// work and memory of one request; a client with more sends several).
	MaxHashesPerRequest = 1000
	// MaxRevocations is the most subaccount tokens one revoke_subaccount may
	// name (and the most revocations a node keeps per account).
	MaxRevocations = 50
	// MaxRequestBodySize is the largest request body a node reads.
	MaxRequestBodySize = 10 << 20
	// MessageHashLength is the length of a message hash: 32 bytes in unpadded
	// base64.
	MessageHashLength = 43

	// TTLMinimum is the shortest lifetime a stored message may have.
	TTLMinimum = 10 * time.Second
	// TTLMaximum is the longest lifetime of a message in a public inbox
	// namespace (0, -10, 10, ...).
	TTLMaximum = 14 * 24 * time.Hour
	// TTLMaximumPrivate is the longest lifetime of a message in any other
	// namespace, and the furthest an expire may push an expiry.
	TTLMaximumPrivate = 30 * 24 * time.Hour
	// StoreTolerance is how far in the future a store's timestamp, and how
	// far in the past its expiry, may be.
	StoreTolerance = 10 * time.Second
	// SignatureTolerance is how far a signed timestamp may be from the node's
	// clock, either way.
	SignatureTolerance = 60 * time.Second
	// SignatureToleranceForwarded is the wider tolerance for requests one
	// swarm member forwards to another.
	SignatureToleranceForwarded = 70 * time.Second

	// MonitorMaxAge is how old a monitor subscription's signed timestamp may be.
	MonitorMaxAge = 14 * 24 * time.Hour
	// MonitorMaxFuture is how far in the future a monitor timestamp may be.
	MonitorMaxFuture = 24 * time.Hour
	// MonitorLifetime is how long a monitor subscription lasts before it must
	// be renewed.
	MonitorLifetime = 65 * time.Minute

	// minTimestamp: a "timestamp" below 10^9 ms (about 11.6 days after the
	// epoch) was almost certainly sent in seconds, and the server refuses it.
	minTimestamp = 1_000_000_000
)
