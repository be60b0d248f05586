package config

import (
	"maps"
	"slices"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// Pruning ages of conversation read state, as in libsession: a last-read
// time older than PruneLow is not recorded for a new entry, and entries
// older than PruneHigh (and not marked unread) are removed on push. Old read
// state matters to nobody, and the config stays small.
const (
	PruneLow  = 30 * 24 * time.Hour
	PruneHigh = 45 * 24 * time.Hour
)

// OneToOne is the volatile state of a one-to-one conversation, or of a
// group's (a 03 ID, kept under "g" as libsession keeps groups v2).
type OneToOne struct {
	// SessionID identifies the other party, or the group.
	SessionID keys.ID
	// LastRead is the sent time (Unix milliseconds) of the newest message
	// read on any device.
	LastRead int64
	// Unread is set when the user marked the conversation unread.
	Unread bool
}

// ConvoInfoVolatile is the per-conversation read state (namespace 4):
// one-to-one conversations here, plus whatever community and group entries
// other clients store, which are kept and merged as they are.
type ConvoInfoVolatile struct {
	Config
	now func() time.Time
}

// NewConvoInfoVolatile returns the conversation state config of account id,
// loaded from dump (from [Config.Dump]) or empty when dump is nil.
func NewConvoInfoVolatile(id *keys.Identity, dump []byte) (*ConvoInfoVolatile, error) {
	c, err := newConfig(NamespaceConvoInfoVolatile, id, dump)
	if err != nil {
		return nil, err
	}
	return &ConvoInfoVolatile{Config: *c, now: time.Now}, nil
}

// SetClock replaces the clock used for pruning (time.Now by default), so
// that tests can fix the time.
func (v *ConvoInfoVolatile) SetClock(now func() time.Time) { v.now = now }

func loadOneToOne(id keys.ID, d Dict) OneToOne {
	return OneToOne{SessionID: id, LastRead: intOr0(d, convoLastRead), Unread: intOr0(d, convoMarkedUnread) != 0}
}

// convoGroupRoot holds groups v2 (key: the 33-byte 03 ID).
const convoGroupRoot = "g"

// convoRoot is where the state of conversation id lives.
func convoRoot(id keys.ID) string {
	if id.Prefix == keys.PrefixGroup {
		return convoGroupRoot
	}
	return convoOneToOneRoot
}

// Get1to1 returns the state of the conversation with id (a Session ID or
// a group ID), if there is one.
func (v *ConvoInfoVolatile) Get1to1(id keys.ID) (OneToOne, bool) {
	d, ok := v.getDict(convoRoot(id), string(id.Bytes()))
	if !ok {
		return OneToOne{}, false
	}
	return loadOneToOne(id, d), true
}

// GetOrConstruct1to1 returns the state of the conversation with id, or an
// empty state when there is none.
func (v *ConvoInfoVolatile) GetOrConstruct1to1(id keys.ID) OneToOne {
	if o, ok := v.Get1to1(id); ok {
		return o
	}
	return OneToOne{SessionID: id}
}

// Set1to1 stores the state of a one-to-one conversation. A last-read time
// older than [PruneLow] is not recorded unless it moves an existing value
// back (a client resetting it on purpose).
func (v *ConvoInfoVolatile) Set1to1(o OneToOne) error {
	if o.SessionID.Prefix != keys.PrefixGroup {
		if err := checkSessionID(o.SessionID); err != nil {
			return err
		}
	}
	path := []string{convoRoot(o.SessionID), string(o.SessionID.Bytes())}
	at := func(k string) []string { return append(slices.Clip(path), k) }
	if cur, ok := v.getInt(at(convoLastRead)...); ok && o.LastRead < cur {
		v.setScalar(o.LastRead, at(convoLastRead)...)
	} else if time.UnixMilli(o.LastRead).After(v.now().Add(-PruneLow)) {
		v.setScalar(o.LastRead, at(convoLastRead)...)
	}
	v.setFlag(o.Unread, at(convoMarkedUnread)...)
	return nil
}

// Erase1to1 removes the state of the conversation with id and reports
// whether there was one.
func (v *ConvoInfoVolatile) Erase1to1(id keys.ID) bool {
	path := []string{convoRoot(id), string(id.Bytes())}
	_, ok := v.get(path...)
	v.erase(path...)
	return ok
}

// All1to1 returns the state of every one-to-one conversation, ordered by
// Session ID.
func (v *ConvoInfoVolatile) All1to1() []OneToOne {
	d, _ := v.getDict(convoOneToOneRoot)
	var out []OneToOne
	for id, info := range idDicts(d) {
		if id.Prefix == keys.PrefixStandard {
			out = append(out, loadOneToOne(id, info))
		}
	}
	return out
}

// AllGroups returns the state of every group conversation (groups v2),
// ordered by group ID.
func (v *ConvoInfoVolatile) AllGroups() []OneToOne {
	d, _ := v.getDict(convoGroupRoot)
	var out []OneToOne
	for id, info := range idDicts(d) {
		if id.Prefix == keys.PrefixGroup {
			out = append(out, loadOneToOne(id, info))
		}
	}
	return out
}

// PruneStale removes one-to-one, group, legacy group and community entries whose
// last read is older than age and that are not marked unread.
// [ConvoInfoVolatile.Push] does this with [PruneHigh].
func (v *ConvoInfoVolatile) PruneStale(age time.Duration) {
	cutoff := v.now().Add(-age).UnixMilli()
	stale := func(d Dict) bool {
		return intOr0(d, convoMarkedUnread) == 0 && intOr0(d, convoLastRead) < cutoff
	}
	for _, root := range []string{convoOneToOneRoot, convoLegacyRoot, convoGroupRoot} {
		want := keys.PrefixStandard
		if root == convoGroupRoot {
			want = keys.PrefixGroup
		}
		d, _ := v.getDict(root)
		for _, k := range slices.Sorted(maps.Keys(d)) {
			id, ok := idFromKey(k)
			info, isDict := d[k].(Dict)
			if ok && isDict && id.Prefix == want && stale(info) {
				v.erase(root, k)
			}
		}
	}
	servers, _ := v.getDict(convoCommunityRoot)
	for _, base := range slices.Sorted(maps.Keys(servers)) {
		rooms, _ := v.getDict(convoCommunityRoot, base, communityRooms)
		hadRooms := len(rooms) > 0
		for _, room := range slices.Sorted(maps.Keys(rooms)) {
			if info, ok := rooms[room].(Dict); ok && stale(info) {
				v.erase(convoCommunityRoot, base, communityRooms, room)
			}
		}
		// A server without rooms goes too, pubkey and all.
		if hadRooms {
			if left, _ := v.getDict(convoCommunityRoot, base, communityRooms); len(left) == 0 {
				v.erase(convoCommunityRoot, base)
			}
		}
	}
}

// Push prunes stale entries ([ConvoInfoVolatile.PruneStale] with [PruneHigh]) and then pushes
// as [Config.Push] does.
func (v *ConvoInfoVolatile) Push() (*Pushed, error) {
	v.PruneStale(PruneHigh)
	return v.Config.Push()
}
