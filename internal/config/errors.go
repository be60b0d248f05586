package config

import "errors"

// The sentinel errors below classify every failure; test for them with
// [errors.Is]. Returned errors wrap one of them and may add detail that is
// safe to log (sizes, offsets, key names), never keys or decrypted data.
var (
	// ErrBT reports bytes that are not canonical bt encoding, or a value that
	// has no bt encoding (a float, a nil, an unsupported type).
	ErrBT = errors.New("config: invalid bt encoding")
	// ErrTooDeep reports bt data nested deeper than [MaxDepth].
	ErrTooDeep = errors.New("config: bt data nested too deeply")
	// ErrMalformed reports a well-formed bt value that is not a valid config
	// message: missing or misplaced keys, unsorted sets or diffs, lagged
	// diffs in the wrong order and the like.
	ErrMalformed = errors.New("config: malformed config message")
	// ErrDecrypt reports a ciphertext that does not open with any of the
	// object's keys. It deliberately carries no detail.
	ErrDecrypt = errors.New("config: decryption failed")
	// ErrDecompress reports a zstd-compressed message that does not
	// decompress, or that decompresses to more than [MaxDecompressedSize].
	ErrDecompress = errors.New("config: decompression failed")
	// ErrTooLarge reports a push that would exceed [MaxMessageSize].
	ErrTooLarge = errors.New("config: message too large")
	// ErrInvalidArgument reports a value a config field cannot hold: a name
	// over the length limit, a key of the wrong size, an ID with the wrong
	// prefix, an encryption domain of the wrong length.
	ErrInvalidArgument = errors.New("config: invalid argument")
	// ErrLegacyWrap reports bytes that are not a legacy-wrapped config
	// message for this account and namespace.
	ErrLegacyWrap = errors.New("config: not a legacy-wrapped config message")
	// ErrDump reports a dump that cannot be loaded.
	ErrDump = errors.New("config: invalid dump")
)
