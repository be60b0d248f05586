package groups

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
)

// A removed member learns it from a message the admin writes to the
// group's namespace -11 (RevokedRetrievableGroupMessages), which the swarm
// lets a revoked token read, as Session's admins do: libsession's
// encrypt_for_multiple_simple under the domain "SessionGroupKickedMessage",
// from the group's key to each removed member's X25519 key, each copy
// saying "<member's 32-byte key><the group's key generation, in ASCII
// decimal>". Only the group's key makes a copy the member opens with the
// group's public key, so it proves an admin wrote it; a member acts on it
// only when its generation is not older than the keys it holds (a removal
// before it last joined is history).

// DomainKicked is the multi-encryption domain of removal notices.
const DomainKicked = "SessionGroupKickedMessage"

// MaxKickedSize bounds a removal notice: room for a few thousand removed
// members, far beyond a group's size.
const MaxKickedSize = 256 << 10

// EncodeKicked writes the removal notice telling the members removed that
// the admin (groupSecret, the group's 64-byte Ed25519 secret key) removed
// them, at key generation gen.
func EncodeKicked(random io.Reader, groupSecret []byte, removed []keys.ID, gen int64) ([]byte, error) {
	if len(groupSecret) != 64 || len(removed) == 0 || gen < 0 {
		return nil, fmt.Errorf("%w: kicked message: %d-byte key, %d members, generation %d", ErrInvalidArgument, len(groupSecret), len(removed), gen)
	}
	priv := keys.Ed25519SecretToX25519(groupSecret)
	defer clear(priv[:])
	pubX, err := keys.Ed25519PublicToX25519(groupSecret[32:])
	if err != nil {
		return nil, fmt.Errorf("%w: group public key", ErrInvalidArgument)
	}
	var nonce [24]byte
	if _, err := io.ReadFull(random, nonce[:]); err != nil {
		return nil, err
	}
	msgs := make([][]byte, len(removed))
	rcpt := make([][32]byte, len(removed))
	for i, id := range removed {
		if id.Prefix != keys.PrefixStandard {
			return nil, fmt.Errorf("%w: kicked message: %s is not a Session ID", ErrInvalidArgument, id)
		}
		rcpt[i] = id.Key
		msgs[i] = strconv.AppendInt(bytes.Clone(id.Key[:]), gen, 10)
	}
	cts, err := protocol.EncryptForMultiple(msgs, rcpt, nonce, priv, [32]byte(pubX), DomainKicked)
	if err != nil {
		return nil, fmt.Errorf("%w: kicked message: %v", ErrInvalidArgument, err)
	}
	list := make(config.List, len(cts))
	for i, ct := range cts {
		list[i] = string(ct)
	}
	return config.EncodeBT(config.Dict{"#": string(nonce[:]), "e": list})
}

// DecodeKicked opens a removal notice from group groupPK (its Ed25519
// public key) with the member's X25519 key pair and returns the key
// generation it names, ok false when no copy is for this member (or the
// copy names someone else). Bytes that are not a removal notice fail with
// ErrMalformed.
func DecodeKicked(data, groupPK []byte, priv, pub [32]byte) (gen int64, ok bool, err error) {
	if len(data) > MaxKickedSize {
		return 0, false, fmt.Errorf("%w: kicked message of %d bytes", ErrTooLarge, len(data))
	}
	v, err := config.DecodeBT(data)
	if err != nil {
		return 0, false, fmt.Errorf("%w: kicked message: %v", ErrMalformed, err)
	}
	d, isDict := v.(config.Dict)
	nonce, hasNonce := d["#"].(string)
	list, hasList := d["e"].(config.List)
	if !isDict || !hasNonce || len(nonce) != 24 || !hasList {
		return 0, false, fmt.Errorf("%w: kicked message is not a dict with a 24-byte nonce and a list", ErrMalformed)
	}
	groupX, err := keys.Ed25519PublicToX25519(groupPK)
	if err != nil {
		return 0, false, fmt.Errorf("%w: group public key", ErrInvalidArgument)
	}
	cts := make([][]byte, 0, len(list))
	for _, e := range list {
		if s, isStr := e.(string); isStr {
			cts = append(cts, []byte(s))
		}
	}
	pt, err := protocol.DecryptForMultiple(cts, [24]byte([]byte(nonce)), priv, pub, [32]byte(groupX), DomainKicked)
	if err != nil {
		return 0, false, nil // not for this member
	}
	if len(pt) <= 32 || len(pt) > 32+20 || !bytes.Equal(pt[:32], pub[:]) {
		return 0, false, nil // for this key, but naming another, or no generation
	}
	gen, err = strconv.ParseInt(string(pt[32:]), 10, 64)
	if err != nil || gen < 0 {
		return 0, false, fmt.Errorf("%w: kicked message's generation %q", ErrMalformed, pt[32:])
	}
	return gen, true, nil
}
