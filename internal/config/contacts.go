package config

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// NotifyMode is a conversation's notification setting.
type NotifyMode int

// The notification modes, with libsession's numbers.
const (
	// NotifyDefault follows the client's default.
	NotifyDefault NotifyMode = 0
	// NotifyAll notifies for every message.
	NotifyAll NotifyMode = 1
	// NotifyDisabled never notifies.
	NotifyDisabled NotifyMode = 2
	// NotifyMentionsOnly notifies only for mentions; it applies to groups,
	// and is stored as NotifyAll for contacts.
	NotifyMentionsOnly NotifyMode = 3
)

// ExpirationMode is a conversation's disappearing-messages mode.
type ExpirationMode int

// The expiration modes, with libsession's numbers.
const (
	// ExpirationNone keeps messages.
	ExpirationNone ExpirationMode = 0
	// ExpirationAfterSend deletes messages a fixed time after they were sent.
	ExpirationAfterSend ExpirationMode = 1
	// ExpirationAfterRead deletes messages a fixed time after they were read.
	ExpirationAfterRead ExpirationMode = 2
)

// Contact is one entry of the contact list.
type Contact struct {
	// SessionID identifies the contact.
	SessionID keys.ID
	// Name is the contact's own display name, as last seen.
	Name string
	// Nickname is the name the user gave the contact.
	Nickname string
	// ProfilePic is the contact's profile picture.
	ProfilePic ProfilePic
	// Approved means the user accepted the conversation (it is no longer a
	// message request).
	Approved bool
	// ApprovedMe means the contact accepted the user's messages.
	ApprovedMe bool
	// Blocked means the user blocked the contact.
	Blocked bool
	// Priority is 0 for a normal conversation, above 0 for a pinned one
	// (higher first) and -1 for a hidden one.
	Priority int64
	// Notifications is the conversation's notification setting.
	Notifications NotifyMode
	// MuteUntil is when notifications resume (Unix seconds), 0 if not muted.
	MuteUntil int64
	// ExpirationMode and ExpirationTimer are the disappearing-messages
	// setting; the timer has whole seconds.
	ExpirationMode  ExpirationMode
	ExpirationTimer time.Duration
	// Created is when the contact was created (Unix seconds), 0 if unknown.
	Created int64
}

// Contacts is the contact list (namespace 3), keyed by Session ID.
type Contacts struct {
	Config
}

// NewContacts returns the contacts config of account id, loaded from dump
// (from [Config.Dump]) or empty when dump is nil.
func NewContacts(id *keys.Identity, dump []byte) (*Contacts, error) {
	c, err := newConfig(NamespaceContacts, id, dump)
	if err != nil {
		return nil, err
	}
	return &Contacts{*c}, nil
}

// Data keys of the contacts config.
const (
	contactsRoot       = "c"
	contactName        = "n"
	contactNickname    = "N"
	contactPicURL      = "p"
	contactPicKey      = "q"
	contactApproved    = "a"
	contactApprovedMe  = "A"
	contactBlocked     = "b"
	contactPriority    = "+"
	contactNotify      = "@"
	contactMuteUntil   = "!"
	contactExpMode     = "e"
	contactExpTimer    = "E"
	contactCreated     = "j"
	convoLastRead      = "r"
	convoMarkedUnread  = "u"
	convoOneToOneRoot  = "1"
	convoLegacyRoot    = "C"
	convoCommunityRoot = "o"
	communityRooms     = "R"
)

func checkSessionID(id keys.ID) error {
	if id.Prefix != keys.PrefixStandard {
		return fmt.Errorf("%w: %s is a %s, not a Session ID", ErrInvalidArgument, id, id.Prefix)
	}
	return nil
}

func idFromKey(k string) (keys.ID, bool) {
	if len(k) != keys.IDSize {
		return keys.ID{}, false
	}
	id := keys.ID{Prefix: keys.Prefix(k[0])}
	copy(id.Key[:], k[1:])
	return id, true
}

// idDicts yields, in key order, the entries of d that are keyed by an ID
// (prefix byte and key) and hold a dict: the records of contacts, of
// conversations and of groups are all kept this way. Anything else found
// there (from a newer or a broken client) is skipped, the same way for
// every record list, but left in the data.
func idDicts(d Dict) iter.Seq2[keys.ID, Dict] {
	return func(yield func(keys.ID, Dict) bool) {
		for _, k := range slices.Sorted(maps.Keys(d)) {
			id, ok := idFromKey(k)
			info, isDict := d[k].(Dict)
			if ok && isDict && !yield(id, info) {
				return
			}
		}
	}
}

func intOr0(d Dict, k string) int64 {
	v, _ := d[k].(int64)
	return v
}

// loadContact reads one contact entry, normalising values the way
// libsession's reader does.
func loadContact(id keys.ID, d Dict) Contact {
	c := Contact{SessionID: id}
	c.Name, _ = d[contactName].(string)
	c.Nickname, _ = d[contactNickname].(string)
	url, _ := d[contactPicURL].(string)
	key, _ := d[contactPicKey].(string)
	if url != "" && len(key) == ProfilePicKeySize {
		c.ProfilePic = ProfilePic{URL: url, Key: []byte(key)}
	}
	c.Approved = intOr0(d, contactApproved) != 0
	c.ApprovedMe = intOr0(d, contactApprovedMe) != 0
	c.Blocked = intOr0(d, contactBlocked) != 0
	c.Priority = intOr0(d, contactPriority)
	switch n := NotifyMode(intOr0(d, contactNotify)); n {
	case NotifyDefault, NotifyAll, NotifyDisabled:
		c.Notifications = n
	case NotifyMentionsOnly:
		c.Notifications = NotifyAll
	}
	c.MuteUntil = intOr0(d, contactMuteUntil)
	mode := ExpirationMode(intOr0(d, contactExpMode))
	if secs := intOr0(d, contactExpTimer); (mode == ExpirationAfterSend || mode == ExpirationAfterRead) && secs > 0 {
		c.ExpirationMode, c.ExpirationTimer = mode, time.Duration(secs)*time.Second
	}
	c.Created = intOr0(d, contactCreated)
	return c
}

// Get returns the contact with the given Session ID, if there is one.
func (c *Contacts) Get(id keys.ID) (Contact, bool) {
	d, ok := c.getDict(contactsRoot, string(id.Bytes()))
	if !ok {
		return Contact{}, false
	}
	return loadContact(id, d), true
}

// GetOrConstruct returns the contact with the given Session ID, or an empty
// contact with that ID when there is none (nothing is stored until
// [Contacts.Set]).
func (c *Contacts) GetOrConstruct(id keys.ID) Contact {
	if ct, ok := c.Get(id); ok {
		return ct
	}
	return Contact{SessionID: id}
}

// Set stores a contact, replacing every field of an existing entry. Names
// and nicknames are cut to [MaxNameLength] bytes; fields with their default
// value take no space. The name is always stored, even when empty, so that
// a contact with nothing else set still exists.
func (c *Contacts) Set(ct Contact) error {
	if err := checkSessionID(ct.SessionID); err != nil {
		return err
	}
	base := []string{contactsRoot, string(ct.SessionID.Bytes())}
	at := func(k string) []string { return append(slices.Clip(base), k) }
	c.setScalar(truncate(ct.Name, MaxNameLength), at(contactName)...)
	c.setNonemptyString(truncate(ct.Nickname, MaxNameLength), at(contactNickname)...)
	c.setPair(ct.ProfilePic.IsSet(), at(contactPicURL), ct.ProfilePic.URL, at(contactPicKey), string(ct.ProfilePic.Key))
	c.setFlag(ct.Approved, at(contactApproved)...)
	c.setFlag(ct.ApprovedMe, at(contactApprovedMe)...)
	c.setFlag(ct.Blocked, at(contactBlocked)...)
	c.setNonzeroInt(ct.Priority, at(contactPriority)...)
	notify := ct.Notifications
	if notify == NotifyMentionsOnly {
		notify = NotifyAll
	}
	c.setPositiveInt(int64(notify), at(contactNotify)...)
	c.setPositiveInt(ct.MuteUntil, at(contactMuteUntil)...)
	secs := int64(ct.ExpirationTimer / time.Second)
	c.setPair(ct.ExpirationMode != ExpirationNone && secs > 0,
		at(contactExpMode), int64(int8(ct.ExpirationMode)), at(contactExpTimer), secs)
	c.setPositiveInt(ct.Created, at(contactCreated)...)
	return nil
}

// truncate cuts s to at most n bytes, as libsession does (by bytes, so a
// multi-byte character may be cut: callers should pass valid names).
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Erase removes a contact and reports whether it existed.
func (c *Contacts) Erase(id keys.ID) bool {
	path := []string{contactsRoot, string(id.Bytes())}
	_, ok := c.get(path...)
	c.erase(path...)
	return ok
}

// Len returns the number of entries in the contact list.
func (c *Contacts) Len() int {
	d, _ := c.getDict(contactsRoot)
	return len(d)
}

// All returns every contact, ordered by Session ID. Entries that are not
// contacts (a key that is not a 33-byte ID, a value that is not a dict) are
// skipped but kept in the data.
func (c *Contacts) All() []Contact {
	d, _ := c.getDict(contactsRoot)
	var out []Contact
	for id, info := range idDicts(d) {
		out = append(out, loadContact(id, info))
	}
	return out
}
