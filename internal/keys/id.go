package keys

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Prefix is the first byte of a 33-byte Session identifier and says what kind
// of key follows.
type Prefix byte

// The prefixes Session uses.
const (
	// PrefixUnblinded marks an unblinded community identity: the account's Ed25519 key.
	PrefixUnblinded Prefix = 0x00
	// PrefixGroup marks a closed group (groups v2): the group's Ed25519 key.
	PrefixGroup Prefix = 0x03
	// PrefixStandard marks a Session ID: an account's X25519 key.
	PrefixStandard Prefix = 0x05
	// PrefixVersionBlinded marks a version-check key (not a user-visible ID).
	PrefixVersionBlinded Prefix = 0x07
	// PrefixBlind15 marks a community-blinded ID whose factor depends on the server only.
	PrefixBlind15 Prefix = 0x15
	// PrefixBlind25 marks a community-blinded ID whose factor depends on the account and the server.
	PrefixBlind25 Prefix = 0x25
)

// IDSize is the size of a binary ID: one prefix byte and a 32-byte key.
const IDSize = 33

// String names the prefix.
func (p Prefix) String() string {
	switch p {
	case PrefixUnblinded:
		return "unblinded community ID (00)"
	case PrefixGroup:
		return "group ID (03)"
	case PrefixStandard:
		return "Session ID (05)"
	case PrefixVersionBlinded:
		return "version key (07)"
	case PrefixBlind15:
		return "blinded ID (15)"
	case PrefixBlind25:
		return "blinded ID (25)"
	}
	return fmt.Sprintf("unknown prefix (%02x)", byte(p))
}

// ID is a 33-byte Session identifier: a prefix and a 32-byte public key.
type ID struct {
	Prefix Prefix
	Key    [32]byte
}

// String returns the 66 lowercase hex characters of the ID.
func (id ID) String() string { return hex.EncodeToString(id.Bytes()) }

// Bytes returns the 33-byte binary form.
func (id ID) Bytes() []byte { return append([]byte{byte(id.Prefix)}, id.Key[:]...) }

// IsZero reports whether id is the zero value.
func (id ID) IsZero() bool { return id == ID{} }

// ParseID parses any 66-hex-character ID with a known prefix (00, 03, 05, 15, 25).
// Surrounding white space is ignored and upper-case hex is accepted.
func ParseID(s string) (ID, error) {
	t := strings.TrimSpace(s)
	if len(t) != 2*IDSize {
		return ID{}, fmt.Errorf("%w %q: want %d hex characters, got %d", ErrInvalidID, s, 2*IDSize, len(t))
	}
	b, err := hex.DecodeString(t)
	if err != nil {
		return ID{}, fmt.Errorf("%w %q: not hexadecimal", ErrInvalidID, s)
	}
	id := ID{Prefix: Prefix(b[0])}
	copy(id.Key[:], b[1:])
	switch id.Prefix {
	case PrefixUnblinded, PrefixGroup, PrefixStandard, PrefixBlind15, PrefixBlind25:
	default:
		return ID{}, fmt.Errorf("%w %q: unknown prefix %02x (want 05, 03, 00, 15 or 25)", ErrInvalidID, s, b[0])
	}
	return id, nil
}

// ParseIDBytes parses a 33-byte binary ID with a known prefix.
func ParseIDBytes(b []byte) (ID, error) {
	if len(b) != IDSize {
		return ID{}, fmt.Errorf("%w: want %d bytes, got %d", ErrInvalidID, IDSize, len(b))
	}
	return ParseID(hex.EncodeToString(b))
}

// ParseSessionID parses a Session ID: an ID with prefix 05. Other valid
// prefixes are rejected with an error that names what was given instead.
func ParseSessionID(s string) (ID, error) {
	id, err := ParseID(s)
	if err != nil {
		return ID{}, err
	}
	if id.Prefix != PrefixStandard {
		return ID{}, fmt.Errorf("%w %q: this is a %s, not a Session ID (05)", ErrInvalidID, s, id.Prefix)
	}
	return id, nil
}
