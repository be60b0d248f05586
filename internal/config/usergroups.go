package config

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"slices"

	"github.com/session-go/session-go/internal/keys"
)

// GroupAuthDataSize is the size of a group member's subaccount auth data.
const GroupAuthDataSize = 100

// Group is the user's membership of a (v2) closed group.
type Group struct {
	// ID is the group's 03-prefixed ID (its Ed25519 public key).
	ID keys.ID
	// Name is the group name as known from the invitation.
	Name string
	// SecretKey is the group's Ed25519 key when the user is an admin, nil
	// otherwise. It is only returned when it matches ID.
	SecretKey ed25519.PrivateKey
	// AuthData is a non-admin member's subaccount authentication data
	// (100 bytes), nil for admins or when unknown.
	AuthData []byte
	// RemovedStatus is 0 normally, 1 when the user was removed from the
	// group and 2 when the group was destroyed.
	RemovedStatus int64
	// Priority is 0 normally, above 0 when pinned, -1 when hidden.
	Priority int64
	// JoinedAt is when the user joined (Unix seconds).
	JoinedAt int64
	// Notifications is the group's notification setting.
	Notifications NotifyMode
	// MuteUntil is when notifications resume (Unix seconds).
	MuteUntil int64
	// Invited is set while the user has not accepted the invitation.
	Invited bool
}

// UserGroups is the list of groups and communities the user belongs to
// (namespace 5). This package reads and writes closed groups; communities
// and legacy groups, which current clients still store, are kept and merged
// as they are and can be read with [Config.Value].
type UserGroups struct {
	Config
}

// NewUserGroups returns the user groups config of account id, loaded from
// dump (from [Config.Dump]) or empty when dump is nil.
func NewUserGroups(id *keys.Identity, dump []byte) (*UserGroups, error) {
	c, err := newConfig(NamespaceUserGroups, id, dump)
	if err != nil {
		return nil, err
	}
	return &UserGroups{*c}, nil
}

// Data keys of the user groups config.
const (
	groupsRoot      = "g"
	groupName       = "n"
	groupSecretSeed = "K"
	groupAuthData   = "s"
	groupRemoved    = "r"
	groupPriority   = "+"
	groupJoined     = "j"
	groupNotify     = "@"
	groupMuteUntil  = "!"
	groupInvited    = "i"
)

func loadGroup(id keys.ID, d Dict) Group {
	g := Group{ID: id}
	g.Priority = intOr0(d, groupPriority)
	g.JoinedAt = max(0, intOr0(d, groupJoined))
	if n := NotifyMode(intOr0(d, groupNotify)); n >= NotifyDefault && n <= NotifyMentionsOnly {
		g.Notifications = n
	}
	g.MuteUntil = intOr0(d, groupMuteUntil)
	g.Invited = intOr0(d, groupInvited) != 0
	g.Name, _ = d[groupName].(string)
	if seed, _ := d[groupSecretSeed].(string); len(seed) == ed25519.SeedSize {
		sk := ed25519.NewKeyFromSeed([]byte(seed))
		// A seed that does not belong to this group is ignored.
		if bytes.Equal(sk.Public().(ed25519.PublicKey), id.Key[:]) {
			g.SecretKey = sk
		}
	}
	if auth, _ := d[groupAuthData].(string); len(auth) == GroupAuthDataSize {
		g.AuthData = []byte(auth)
	}
	g.RemovedStatus = intOr0(d, groupRemoved)
	return g
}

// Group returns the group with the given ID, if the user belongs to it.
func (u *UserGroups) Group(id keys.ID) (Group, bool) {
	d, ok := u.getDict(groupsRoot, string(id.Bytes()))
	if !ok {
		return Group{}, false
	}
	return loadGroup(id, d), true
}

// SetGroup stores a group, replacing every field of an existing entry. A
// secret key is stored (as its seed) only when it belongs to the group's
// ID; otherwise an empty seed marks a non-admin member and AuthData is kept.
func (u *UserGroups) SetGroup(g Group) error {
	if g.ID.Prefix != keys.PrefixGroup {
		return fmt.Errorf("%w: %s is a %s, not a group ID", ErrInvalidArgument, g.ID, g.ID.Prefix)
	}
	base := []string{groupsRoot, string(g.ID.Bytes())}
	at := func(k string) []string { return append(slices.Clip(base), k) }
	u.setNonzeroInt(g.Priority, at(groupPriority)...)
	u.setPositiveInt(g.JoinedAt, at(groupJoined)...)
	u.setPositiveInt(int64(g.Notifications), at(groupNotify)...)
	u.setPositiveInt(g.MuteUntil, at(groupMuteUntil)...)
	u.setFlag(g.Invited, at(groupInvited)...)
	u.setNonemptyString(truncate(g.Name, MaxNameLength), at(groupName)...)
	u.setPositiveInt(g.RemovedStatus, at(groupRemoved)...)
	if len(g.SecretKey) == ed25519.PrivateKeySize && bytes.Equal(g.SecretKey[32:], g.ID.Key[:]) {
		u.setScalar(string(g.SecretKey.Seed()), at(groupSecretSeed)...)
	} else {
		u.setScalar("", at(groupSecretSeed)...)
		if len(g.AuthData) == GroupAuthDataSize {
			u.setScalar(string(g.AuthData), at(groupAuthData)...)
		} else {
			u.erase(at(groupAuthData)...)
		}
	}
	return nil
}

// EraseGroup removes a group and reports whether it was there.
func (u *UserGroups) EraseGroup(id keys.ID) bool {
	path := []string{groupsRoot, string(id.Bytes())}
	_, ok := u.get(path...)
	u.erase(path...)
	return ok
}

// Groups returns every closed group, ordered by ID.
func (u *UserGroups) Groups() []Group {
	d, _ := u.getDict(groupsRoot)
	var out []Group
	for id, info := range idDicts(d) {
		if id.Prefix == keys.PrefixGroup {
			out = append(out, loadGroup(id, info))
		}
	}
	return out
}
