package config

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/session-go/session-go/internal/keys"
)

// verifySigned reports whether a serialized config message ends in a
// group signature ("~", the last key) over everything before it.
func verifySigned(msg []byte, pk ed25519.PublicKey) bool {
	const entry = len("1:~64:") + ed25519.SignatureSize + 1
	n := len(msg) - entry
	if n < 1 || string(msg[n:n+6]) != "1:~64:" || msg[len(msg)-1] != 'e' {
		return false
	}
	// The signature must really be the last entry: the message must parse
	// with "~" holding exactly these bytes.
	v, err := DecodeBT(msg)
	if err != nil {
		return false
	}
	d, ok := v.(Dict)
	if !ok {
		return false
	}
	sig, ok := d[keySig].(string)
	if !ok || sig != string(msg[n+6:len(msg)-1]) {
		return false
	}
	return ed25519.Verify(pk, msg[:n], []byte(sig))
}

// newGroupConfig returns a group config (Info or Members) of the group
// groupPK, signed with groupSK when it is given (an admin), encrypted with
// the first of groupKeys and decrypted with any of them. Group configs are
// never legacy-wrapped.
func newGroupConfig(ns Namespace, groupPK ed25519.PublicKey, groupSK ed25519.PrivateKey, groupKeys [][32]byte, dump []byte) (*Config, error) {
	if len(groupPK) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: group public key must be 32 bytes", ErrInvalidArgument)
	}
	c := &Config{
		ns:        ns,
		msg:       newMessage(),
		oldHashes: map[string]struct{}{},
		compress:  true,
		groupPK:   slices.Clone(groupPK),
	}
	if groupSK != nil {
		if len(groupSK) != ed25519.PrivateKeySize || !groupSK.Public().(ed25519.PublicKey).Equal(groupPK) {
			return nil, fmt.Errorf("%w: group secret key does not match the group", ErrInvalidArgument)
		}
		sk := slices.Clone(groupSK)
		c.signer = func(b []byte) []byte { return ed25519.Sign(sk, b) }
	}
	c.SetKeys(groupKeys, false)
	if dump != nil {
		if err := c.loadDump(dump); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// SetKeys replaces the keys of a group config (newest first: the first
// encrypts). With dirty set, as after a rekey, the config is re-pushed
// with the new key even if its data did not change.
func (c *Config) SetKeys(groupKeys [][32]byte, dirty bool) {
	c.keyBases = c.keyBases[:0]
	for _, k := range groupKeys {
		c.keyBases = append(c.keyBases, slices.Clone(k[:]))
	}
	if dirty && c.signer != nil {
		c.dirty()
	}
}

// CanPush reports whether this device may push the config: always for a
// user config, only with the group key for a group config.
func (c *Config) CanPush() bool { return c.groupPK == nil || c.signer != nil }

// Limits of the group Info config (libsession).
const (
	// MaxGroupNameLength bounds a group name in bytes.
	MaxGroupNameLength = 100
	// MaxGroupDescriptionLength bounds a group description in bytes.
	MaxGroupDescriptionLength = 2000
)

// GroupInfo is a group's Info config (namespace 13): name, description,
// picture, disappearing-messages timer, creation time and the admins'
// delete-before marks. Only an admin (holding the group key) can change it.
type GroupInfo struct {
	*Config
}

// NewGroupInfo returns the Info config of the group groupPK; groupSK is the
// group's secret key for an admin, nil for a member.
func NewGroupInfo(groupPK ed25519.PublicKey, groupSK ed25519.PrivateKey, groupKeys [][32]byte, dump []byte) (*GroupInfo, error) {
	c, err := newGroupConfig(NamespaceGroupInfo, groupPK, groupSK, groupKeys, dump)
	if err != nil {
		return nil, err
	}
	return &GroupInfo{c}, nil
}

// Name returns the group name ("n"), as text: an admin may have signed
// anything there, so it is cut to [MaxGroupNameLength] bytes on a
// character boundary and invalid UTF-8 is replaced (U+FFFD).
func (g *GroupInfo) Name() string { s, _ := g.getString("n"); return asText(s, MaxGroupNameLength) }

// SetName sets the group name, cut to [MaxGroupNameLength] bytes.
func (g *GroupInfo) SetName(name string) {
	g.setNonemptyString(truncate(name, MaxGroupNameLength), "n")
}

// Description returns the group description ("o"), as text, cut to
// [MaxGroupDescriptionLength] bytes as Name is cut.
func (g *GroupInfo) Description() string {
	s, _ := g.getString("o")
	return asText(s, MaxGroupDescriptionLength)
}

// asText makes s valid UTF-8 of at most n bytes, cut on a character
// boundary.
func asText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SetDescription sets the description, cut to [MaxGroupDescriptionLength].
func (g *GroupInfo) SetDescription(d string) {
	g.setNonemptyString(truncate(d, MaxGroupDescriptionLength), "o")
}

// Created returns the creation time in Unix seconds ("c"), 0 if unset.
func (g *GroupInfo) Created() int64 { v, _ := g.getInt("c"); return max(v, 0) }

// SetCreated sets the creation time in Unix seconds.
func (g *GroupInfo) SetCreated(unix int64) { g.setPositiveInt(unix, "c") }

// ExpiryTimer returns the disappearing-messages timer ("E"), 0 for off.
func (g *GroupInfo) ExpiryTimer() time.Duration {
	v, _ := g.getInt("E")
	return time.Duration(max(v, 0)) * time.Second
}

// SetExpiryTimer sets the disappearing-messages timer (whole seconds).
func (g *GroupInfo) SetExpiryTimer(d time.Duration) { g.setPositiveInt(int64(d/time.Second), "E") }

// DeleteBefore returns the Unix time before which members delete the
// group's messages ("d"), 0 if unset.
func (g *GroupInfo) DeleteBefore() int64 { v, _ := g.getInt("d"); return max(v, 0) }

// SetDeleteBefore sets it.
func (g *GroupInfo) SetDeleteBefore(unix int64) { g.setPositiveInt(unix, "d") }

// DeleteAttachBefore is DeleteBefore for attachments ("D").
func (g *GroupInfo) DeleteAttachBefore() int64 { v, _ := g.getInt("D"); return max(v, 0) }

// SetDeleteAttachBefore sets it.
func (g *GroupInfo) SetDeleteAttachBefore(unix int64) { g.setPositiveInt(unix, "D") }

// Destroyed reports whether an admin deleted the group ("!").
func (g *GroupInfo) Destroyed() bool { v, _ := g.getInt("!"); return v > 0 }

// Destroy marks the group deleted, for good.
func (g *GroupInfo) Destroy() { g.setPositiveInt(1, "!") }

// ProfilePic returns the group picture.
func (g *GroupInfo) ProfilePic() ProfilePic {
	url, _ := g.getString("p")
	key, _ := g.getString("q")
	p := ProfilePic{URL: url, Key: []byte(key)}
	if !p.IsSet() {
		return ProfilePic{}
	}
	return p
}

// SetProfilePic sets the group picture (or clears it with a zero value).
func (g *GroupInfo) SetProfilePic(p ProfilePic) {
	g.setPair(p.IsSet(), []string{"p"}, p.URL, []string{"q"}, string(p.Key))
}

// Member statuses of invitations and promotions (libsession STATUS_*).
const (
	GroupStatusSent    = 1
	GroupStatusFailed  = 2
	GroupStatusNotSent = 3
)

// MaxMemberNameLength bounds a member name in bytes.
const MaxMemberNameLength = 100

// GroupMember is one entry of a group's Members config.
type GroupMember struct {
	// ID is the member's Session ID.
	ID keys.ID
	// Name is the member's display name (always stored, even empty).
	Name string
	// Pic is the member's profile picture.
	Pic ProfilePic
	// Admin says the member holds the group key ("A").
	Admin bool
	// Invite is 0 once accepted, else a GroupStatus* value ("I"); not
	// stored for admins.
	Invite int64
	// Promotion is 0 once accepted (or never promoted), else a
	// GroupStatus* value ("P").
	Promotion int64
	// Removed is 0, 1 (removed) or 2 (removed with messages) ("R").
	Removed int64
	// Supplement says the invitation gives the existing keys ("s").
	Supplement bool
}

// GroupMembers is a group's Members config (namespace 14).
type GroupMembers struct {
	*Config
}

// NewGroupMembers returns the Members config of the group groupPK; groupSK
// is the group's secret key for an admin, nil for a member.
func NewGroupMembers(groupPK ed25519.PublicKey, groupSK ed25519.PrivateKey, groupKeys [][32]byte, dump []byte) (*GroupMembers, error) {
	c, err := newGroupConfig(NamespaceGroupMembers, groupPK, groupSK, groupKeys, dump)
	if err != nil {
		return nil, err
	}
	return &GroupMembers{c}, nil
}

func loadGroupMember(id keys.ID, d Dict) GroupMember {
	m := GroupMember{ID: id, Name: dictString(d, "n"), Admin: intOr0(d, "A") != 0,
		Promotion: intOr0(d, "P"), Removed: intOr0(d, "R")}
	if p := (ProfilePic{URL: dictString(d, "p"), Key: []byte(dictString(d, "q"))}); p.IsSet() {
		m.Pic = p
	}
	if !m.Admin {
		m.Invite = intOr0(d, "I")
	}
	m.Supplement = m.Invite > 0 && !(m.Admin || m.Promotion > 0) && intOr0(d, "s") != 0
	return m
}

func dictString(d Dict, k string) string {
	s, _ := d[k].(string)
	return s
}

// Get returns the member id, if present.
func (g *GroupMembers) Get(id keys.ID) (GroupMember, bool) {
	d, ok := g.getDict("m", string(id.Bytes()))
	if !ok {
		return GroupMember{}, false
	}
	return loadGroupMember(id, d), true
}

// Set adds or updates a member as libsession's Members::set does.
func (g *GroupMembers) Set(m GroupMember) error {
	if err := checkSessionID(m.ID); err != nil {
		return err
	}
	k := string(m.ID.Bytes())
	g.setScalar(truncate(m.Name, MaxMemberNameLength), "m", k, "n")
	g.setPair(m.Pic.IsSet(), []string{"m", k, "p"}, m.Pic.URL, []string{"m", k, "q"}, string(m.Pic.Key))
	g.setFlag(m.Admin, "m", k, "A")
	g.setPositiveInt(m.Promotion, "m", k, "P")
	inv := m.Invite
	if m.Admin {
		inv = 0
	}
	g.setPositiveInt(inv, "m", k, "I")
	g.setFlag(m.Supplement, "m", k, "s")
	g.setPositiveInt(m.Removed, "m", k, "R")
	return nil
}

// Erase removes a member and reports whether it was there.
func (g *GroupMembers) Erase(id keys.ID) bool {
	if _, ok := g.getDict("m", string(id.Bytes())); !ok {
		return false
	}
	g.erase("m", string(id.Bytes()))
	return true
}

// All returns every member in binary session-ID order.
func (g *GroupMembers) All() []GroupMember {
	d, _ := g.getDict("m")
	ks := make([]string, 0, len(d))
	for k := range d {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	var out []GroupMember
	for _, k := range ks {
		e, ok := d[k].(Dict)
		if !ok || len(k) != keys.IDSize {
			continue
		}
		id, err := keys.ParseIDBytes([]byte(k))
		if err != nil || checkSessionID(id) != nil {
			continue // members are Session IDs (05), as libsession requires
		}
		out = append(out, loadGroupMember(id, e))
	}
	return out
}
