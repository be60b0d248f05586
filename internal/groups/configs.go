package groups

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/keys"
)

// Encryption domains and storage namespaces of a group's configs.
const (
	// DomainInfo encrypts the Info config (namespace 13).
	DomainInfo = "groups::Info"
	// DomainMembers encrypts the Members config (namespace 14).
	DomainMembers = "groups::Members"
	// NamespaceMessages holds group messages.
	NamespaceMessages = 11
	// NamespaceKeys holds key messages.
	NamespaceKeys = 12
	// NamespaceInfo holds the Info config.
	NamespaceInfo = 13
	// NamespaceMembers holds the Members config.
	NamespaceMembers = 14
	// NamespaceRevoked holds the revoked-subaccount list (-11).
	NamespaceRevoked = -11
)

// SealConfig pads a serialized (signed) config message with leading zeros
// and config-encrypts it with the group key, as libsession's push does for
// group configs (no protobuf wrapping).
func SealConfig(msg []byte, key [32]byte, domain string) ([]byte, error) {
	return config.Encrypt(config.PadMessage(msg, config.EncryptOverhead), key[:], domain)
}

// OpenConfig decrypts a group config push with the first of keys that
// opens it, strips the padding, decompresses it and checks the group's
// signature ("~", over everything before it). It returns the serialized
// config message.
func OpenConfig(push []byte, keyList [][32]byte, domain string, groupPK ed25519.PublicKey) ([]byte, error) {
	if len(push) > config.MaxMessageSize {
		return nil, fmt.Errorf("%w: config push of %d bytes", ErrTooLarge, len(push))
	}
	var padded []byte
	for _, k := range keyList {
		if p, err := config.Decrypt(push, k[:], domain); err == nil {
			padded = p
			break
		} else if !errors.Is(err, config.ErrDecrypt) {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	if padded == nil {
		return nil, ErrDecrypt
	}
	msg, err := config.DecodePlaintext(padded)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := VerifyConfig(msg, groupPK); err != nil {
		return nil, err
	}
	return msg, nil
}

// VerifyConfig checks the group signature of a serialized config message
// and returns the message's data dict ("&").
func VerifyConfig(msg []byte, groupPK ed25519.PublicKey) (config.Dict, error) {
	v, err := config.DecodeBT(msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	d, ok := v.(config.Dict)
	if !ok {
		return nil, fmt.Errorf("%w: config message is not a dict", ErrMalformed)
	}
	signed, sig, err := signedPart(msg, d)
	if err != nil {
		return nil, err
	}
	if len(groupPK) != ed25519.PublicKeySize || !ed25519.Verify(groupPK, signed, sig) {
		return nil, fmt.Errorf("%w: config message", ErrSignature)
	}
	data, ok := d["&"].(config.Dict)
	if !ok {
		return nil, fmt.Errorf("%w: config message has no data (&)", ErrMalformed)
	}
	return data, nil
}

// Info is a group's Info config: what every member sees about the group.
type Info struct {
	// Name is the group name ("n").
	Name string
	// Description is the group description ("o").
	Description string
	// Created is the creation time in Unix seconds ("c"), 0 if unset.
	Created int64
	// ExpiryTimer is the disappearing-messages timer in seconds ("E").
	ExpiryTimer int64
	// DeleteBefore asks members to delete messages sent before this Unix
	// time ("d").
	DeleteBefore int64
	// DeleteAttachBefore does the same for attachments ("D").
	DeleteAttachBefore int64
	// Destroyed says the group was deleted by an admin ("!").
	Destroyed bool
	// PicURL and PicKey are the group picture ("p", "q").
	PicURL string
	// PicKey decrypts the picture (32 bytes) or is empty.
	PicKey []byte
}

func dictInt(d config.Dict, k string) int64 {
	v, _ := d[k].(int64)
	return v
}

func dictStr(d config.Dict, k string) string {
	v, _ := d[k].(string)
	return v
}

// ParseInfo reads an Info config's data dict as libsession's Info does.
func ParseInfo(d config.Dict) Info {
	in := Info{
		Name:               dictStr(d, "n"),
		Description:        dictStr(d, "o"),
		Created:            max(dictInt(d, "c"), 0),
		ExpiryTimer:        max(dictInt(d, "E"), 0),
		DeleteBefore:       max(dictInt(d, "d"), 0),
		DeleteAttachBefore: max(dictInt(d, "D"), 0),
		Destroyed:          dictInt(d, "!") > 0,
	}
	if url, key := dictStr(d, "p"), dictStr(d, "q"); url != "" && len(key) == 32 {
		in.PicURL, in.PicKey = url, []byte(key)
	}
	return in
}

// Member statuses (libsession's STATUS_* values).
const (
	StatusSent    = 1
	StatusFailed  = 2
	StatusNotSent = 3
)

// Member is one entry of a group's Members config.
type Member struct {
	// ID is the member's Session ID.
	ID keys.ID
	// Name is the member's display name ("n").
	Name string
	// PicURL and PicKey are the member's profile picture ("p", "q").
	PicURL string
	// PicKey decrypts the picture.
	PicKey []byte
	// Admin says the member holds the group key ("A").
	Admin bool
	// InviteStatus is 0 (accepted) or a Status* value ("I").
	InviteStatus int64
	// PromotionStatus is 0 (accepted or none) or a Status* value ("P").
	PromotionStatus int64
	// RemovedStatus is 0, 1 (removed) or 2 (removed with messages) ("R").
	RemovedStatus int64
	// Supplement says the invitation came with the existing keys ("s").
	Supplement bool
}

// StatusName returns libsession's consolidated status (Members::get_status
// with no pending sends), e.g. "invite_sent" or "promotion_accepted".
func (m Member) StatusName() string {
	switch {
	case m.RemovedStatus == 2:
		return "removed_including_messages"
	case m.RemovedStatus == 1:
		return "removed"
	case m.RemovedStatus > 0:
		return "removed_unknown"
	}
	prefix, st := "invite_", m.InviteStatus
	if m.Admin {
		prefix, st = "promotion_", m.PromotionStatus
	}
	switch st {
	case 0:
		return prefix + "accepted"
	case StatusNotSent:
		return prefix + "not_sent"
	case StatusFailed:
		return prefix + "failed"
	case StatusSent:
		return prefix + "sent"
	}
	return prefix + "unknown"
}

// ParseMembers reads a Members config's data dict ("m": binary session ID →
// member dict), in binary session-ID order, skipping malformed entries as
// libsession does.
func ParseMembers(d config.Dict) []Member {
	m, _ := d["m"].(config.Dict)
	ids := make([]string, 0, len(m))
	for k := range m {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	var out []Member
	for _, k := range ids {
		e, ok := m[k].(config.Dict)
		if !ok || len(k) != 33 {
			continue
		}
		id, err := keys.ParseIDBytes([]byte(k))
		if err != nil || id.Prefix != keys.PrefixStandard {
			continue // members are Session IDs (05)
		}
		mem := Member{ID: id, Name: dictStr(e, "n"), Admin: dictInt(e, "A") != 0,
			PromotionStatus: dictInt(e, "P"), RemovedStatus: dictInt(e, "R")}
		if url, key := dictStr(e, "p"), dictStr(e, "q"); url != "" && len(key) == 32 {
			mem.PicURL, mem.PicKey = url, []byte(key)
		}
		if !mem.Admin {
			mem.InviteStatus = dictInt(e, "I")
		}
		mem.Supplement = mem.InviteStatus > 0 && !(mem.Admin || mem.PromotionStatus > 0) && dictInt(e, "s") != 0
		out = append(out, mem)
	}
	return out
}
