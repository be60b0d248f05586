package config

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
	"google.golang.org/protobuf/encoding/protowire"
)

func sessionID(b byte) keys.ID {
	var k [32]byte
	for i := range k {
		k[i] = b
	}
	return keys.ID{Prefix: keys.PrefixStandard, Key: k}
}

func TestUnwrapRefusesOthers(t *testing.T) {
	me, other := testIdentity(t, 1), testIdentity(t, 2)
	var inner []byte
	inner = protowire.AppendTag(inner, sharedConfigKind, protowire.VarintType)
	inner = protowire.AppendVarint(inner, 2)
	inner = protowire.AppendTag(inner, sharedConfigSeqno, protowire.VarintType)
	inner = protowire.AppendVarint(inner, 1)
	inner = protowire.AppendTag(inner, sharedConfigData, protowire.BytesType)
	inner = protowire.AppendBytes(inner, []byte("data"))
	content := protowire.AppendBytes(protowire.AppendTag(nil, contentSharedConfig, protowire.BytesType), inner)
	ct, err := protocol.EncryptForRecipientDeterministic(other, me.SessionID(), append(content, 0x80))
	if err != nil {
		t.Fatal(err)
	}
	w, _ := protocol.WrapEnvelope(ct, 1)
	if _, err := UnwrapLegacy(me, NamespaceContacts, w); !errors.Is(err, ErrLegacyWrap) {
		t.Errorf("config sent by another account: got %v", err)
	}
	// The same from me, without the padding byte.
	ct, _ = protocol.EncryptForRecipientDeterministic(me, me.SessionID(), content)
	w, _ = protocol.WrapEnvelope(ct, 1)
	if _, err := UnwrapLegacy(me, NamespaceContacts, w); !errors.Is(err, ErrLegacyWrap) {
		t.Errorf("unpadded content: got %v", err)
	}
}

func TestUserProfile(t *testing.T) {
	id := testIdentity(t, 3)
	up, err := NewUserProfile(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if up.NeedsPush() || up.Seqno() != 0 || up.Name() != "" {
		t.Fatal("a new profile is not empty and clean")
	}
	if err := up.SetName(strings.Repeat("x", MaxNameLength+1)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("long name: got %v", err)
	}
	if up.NeedsPush() {
		t.Error("a refused name dirtied the config")
	}
	up.SetName("")
	if up.NeedsPush() {
		t.Error("clearing an empty name dirtied the config")
	}
	key := bytes.Repeat([]byte{9}, 32)
	up.SetName("Alice")
	up.SetProfilePic(ProfilePic{URL: "http://x/p", Key: key})
	up.SetNoteToSelfPriority(-1)
	up.SetNoteToSelfExpiry(90 * time.Second)
	up.SetBlindedMsgRequests(false)
	if up.Seqno() != 1 || up.State() != StateDirty {
		t.Errorf("after edits: seqno %d, state %v", up.Seqno(), up.State())
	}
	check := func(u *UserProfile) {
		t.Helper()
		pic := u.ProfilePic()
		on, set := u.BlindedMsgRequests()
		if u.Name() != "Alice" || pic.URL != "http://x/p" || !bytes.Equal(pic.Key, key) || u.NoteToSelfPriority() != -1 ||
			u.NoteToSelfExpiry() != 90*time.Second || on || !set {
			t.Errorf("read back %q %+v %d %v %v %v", u.Name(), pic, u.NoteToSelfPriority(), u.NoteToSelfExpiry(), on, set)
		}
	}
	check(up)
	p, err := up.Push()
	if err != nil {
		t.Fatal(err)
	}
	up.ConfirmPushed(p.Seqno, "h1")
	other, _ := NewUserProfile(id, nil)
	other.Merge([]Received{{"h1", p.Data}})
	check(other)
	reloaded, err := NewUserProfile(id, up.Dump())
	if err != nil {
		t.Fatal(err)
	}
	check(reloaded)

	up.SetProfilePic(ProfilePic{URL: "http://x/p"}) // no key: removes the picture
	up.ClearBlindedMsgRequests()
	if pic := up.ProfilePic(); pic.URL != "" || pic.Key != nil {
		t.Errorf("half a picture left: %+v", pic)
	}
	if _, set := up.BlindedMsgRequests(); set {
		t.Error("blinded message requests still set")
	}
	if up.Seqno() != 2 {
		t.Errorf("seqno %d after editing a pushed config, want 2", up.Seqno())
	}
	p2, _ := up.Push()
	if len(p2.Obsolete) != 1 || p2.Obsolete[0] != "h1" {
		t.Errorf("second push obsoletes %q, want [h1]", p2.Obsolete)
	}
}

func TestContacts(t *testing.T) {
	id := testIdentity(t, 4)
	c, _ := NewContacts(id, nil)
	bob := sessionID(0xb0)
	if _, ok := c.Get(bob); ok {
		t.Fatal("contact in an empty list")
	}
	if err := c.Set(Contact{SessionID: keys.ID{Prefix: keys.PrefixGroup}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("group ID as contact: got %v", err)
	}
	want := Contact{
		SessionID: bob, Name: strings.Repeat("n", 120), Nickname: "B",
		ProfilePic: ProfilePic{URL: "u", Key: bytes.Repeat([]byte{1}, 32)},
		Approved:   true, ApprovedMe: true, Blocked: true, Priority: 3,
		Notifications: NotifyMentionsOnly, MuteUntil: 99, ExpirationMode: ExpirationAfterRead,
		ExpirationTimer: time.Hour, Created: 1700000000,
	}
	if err := c.Set(want); err != nil {
		t.Fatal(err)
	}
	want.Name = want.Name[:MaxNameLength]
	want.Notifications = NotifyAll
	got, ok := c.Get(bob)
	if !ok || got.Name != want.Name || got.Nickname != "B" || !got.ProfilePic.IsSet() || !got.Approved || !got.ApprovedMe ||
		!got.Blocked || got.Priority != 3 || got.Notifications != NotifyAll || got.MuteUntil != 99 ||
		got.ExpirationMode != ExpirationAfterRead || got.ExpirationTimer != time.Hour || got.Created != 1700000000 {
		t.Errorf("read back %+v", got)
	}
	// A timer without a mode (and a mode without a timer) is no setting.
	got.ExpirationMode = ExpirationNone
	c.Set(got)
	if g, _ := c.Get(bob); g.ExpirationMode != ExpirationNone || g.ExpirationTimer != 0 {
		t.Errorf("expiration after clearing the mode: %v %v", g.ExpirationMode, g.ExpirationTimer)
	}
	carol := sessionID(0xc0)
	c.Set(Contact{SessionID: carol})
	if all := c.All(); len(all) != 2 || all[0].SessionID != bob || all[1].SessionID != carol || c.Len() != 2 {
		t.Errorf("All: %+v", all)
	}
	if g, ok := c.Get(carol); !ok || g.Name != "" {
		t.Error("a contact with only defaults was not stored")
	}
	if !c.Erase(carol) || c.Erase(carol) || c.Len() != 1 {
		t.Error("Erase")
	}
	reloaded, err := NewContacts(id, c.Dump())
	if err != nil {
		t.Fatal(err)
	}
	if all := reloaded.All(); len(all) != 1 || all[0].Nickname != "B" {
		t.Errorf("after reload: %+v", all)
	}
	if reloaded.Seqno() != c.Seqno()+1 || !reloaded.NeedsPush() {
		t.Errorf("a dirty dump reloads at seqno %d (was %d), needs push %v", reloaded.Seqno(), c.Seqno(), reloaded.NeedsPush())
	}
}

func TestConvoInfoVolatile(t *testing.T) {
	id := testIdentity(t, 5)
	now := time.UnixMilli(1_800_000_000_000)
	v, _ := NewConvoInfoVolatile(id, nil)
	v.SetClock(func() time.Time { return now })
	fresh, old := sessionID(1), sessionID(2)
	v.Set1to1(OneToOne{SessionID: fresh, LastRead: now.Add(-time.Hour).UnixMilli()})
	v.Set1to1(OneToOne{SessionID: old, LastRead: now.Add(-40 * 24 * time.Hour).UnixMilli(), Unread: true})
	if o, ok := v.Get1to1(old); !ok || o.LastRead != 0 || !o.Unread {
		t.Errorf("a last read older than PruneLow was recorded: %+v", o)
	}
	v.Set1to1(OneToOne{SessionID: fresh, LastRead: 5})
	if o, _ := v.Get1to1(fresh); o.LastRead != 5 {
		t.Errorf("moving last read back: %+v", o)
	}
	v.Set1to1(OneToOne{SessionID: fresh, LastRead: now.UnixMilli()})
	if len(v.All1to1()) != 2 {
		t.Fatalf("All1to1: %+v", v.All1to1())
	}
	// Push prunes read conversations older than PruneHigh, keeping unread ones.
	v.Set1to1(OneToOne{SessionID: old, Unread: false})
	v.setScalar(int64(1), convoLegacyRoot, string(sessionID(3).Bytes()), convoLastRead)
	v.setScalar(int64(1), convoCommunityRoot, "https://c", communityRooms, "r", convoLastRead)
	v.setScalar("pk", convoCommunityRoot, "https://c", "#")
	now = now.Add(50 * 24 * time.Hour)
	if _, err := v.Push(); err != nil {
		t.Fatal(err)
	}
	if all := v.All1to1(); len(all) != 0 {
		t.Errorf("stale conversations survived the push: %+v", all)
	}
	if _, ok := v.Value(convoCommunityRoot); ok {
		t.Error("stale community survived the push")
	}
	if _, ok := v.Value(convoLegacyRoot); ok {
		t.Error("stale legacy group survived the push")
	}
	if err := v.Set1to1(OneToOne{SessionID: keys.ID{Prefix: keys.PrefixBlind15}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("blinded ID: got %v", err)
	}
}

func TestUserGroups(t *testing.T) {
	id := testIdentity(t, 6)
	u, _ := NewUserGroups(id, nil)
	seed := bytes.Repeat([]byte{5}, 32)
	sk := ed25519.NewKeyFromSeed(seed)
	var gid keys.ID
	gid.Prefix = keys.PrefixGroup
	copy(gid.Key[:], sk.Public().(ed25519.PublicKey))
	admin := Group{ID: gid, Name: "Admins", SecretKey: sk, Priority: 1, Notifications: NotifyMentionsOnly, Invited: true}
	if err := u.SetGroup(admin); err != nil {
		t.Fatal(err)
	}
	got, ok := u.Group(gid)
	if !ok || !bytes.Equal(got.SecretKey, sk) || got.Name != "Admins" || got.Notifications != NotifyMentionsOnly || !got.Invited || got.Priority != 1 {
		t.Errorf("admin group read back as %+v", got)
	}
	// A key of another group is not stored; the entry becomes a member's.
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{6}, 32))
	admin.SecretKey = other
	u.SetGroup(admin)
	if got, _ := u.Group(gid); got.SecretKey != nil {
		t.Error("a mismatched secret key was kept")
	}
	if err := u.SetGroup(Group{ID: sessionID(1)}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("05 ID as group: got %v", err)
	}
	if gs := u.Groups(); len(gs) != 1 || !u.EraseGroup(gid) || len(u.Groups()) != 0 {
		t.Errorf("Groups/EraseGroup: %+v", gs)
	}
}

// TestDumpRoundTrip: a dump reloads to the same state, in each state.
func TestDumpRoundTrip(t *testing.T) {
	id := testIdentity(t, 11)
	up, _ := NewUserProfile(id, nil)
	check := func(what string) {
		t.Helper()
		d := up.Dump()
		if up.NeedsDump() {
			t.Errorf("%s: needs a dump right after one", what)
		}
		r, err := NewUserProfile(id, d)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		wantSeqno := up.Seqno()
		if up.State() == StateDirty {
			wantSeqno++ // libsession continues from the dirty message's successor
		}
		if r.Name() != up.Name() || r.State() != up.State() || r.Seqno() != wantSeqno ||
			!equalStrings(r.CurrentHashes(), up.CurrentHashes()) || !equalKeys(r.oldHashes, up.oldHashes) {
			t.Errorf("%s: reloaded %q %v seqno %d %q, had %q %v seqno %d %q", what, r.Name(), r.State(), r.Seqno(),
				r.CurrentHashes(), up.Name(), up.State(), up.Seqno(), up.CurrentHashes())
		}
		if r.State() != StateDirty && !bytes.Equal(r.Dump(), d) {
			t.Errorf("%s: dump of the reloaded config differs", what)
		}
	}
	check("empty")
	up.SetName("A")
	check("dirty")
	p, _ := up.Push()
	check("waiting")
	up.ConfirmPushed(p.Seqno, "h1")
	check("clean")
	up.SetName("B")
	check("dirty with an old hash")

	for _, bad := range []string{"", "le", "de", "d1:!i0ee", "d1:!i7e1:$0:e", "d1:!i0e1:$3:abce", "d1:!i0e1:$23:d1:#i0e1:&de1:<le1:=dee1:(i1ee"} {
		if _, err := NewUserProfile(id, []byte(bad)); !errors.Is(err, ErrDump) {
			t.Errorf("dump %q: got %v, want ErrDump", bad, err)
		}
	}
}

func equalStrings(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func equalKeys(a, b map[string]struct{}) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// TestConvoInfoVolatileGroups: a group's read state (03 ID) lives under
// "g", keyed by the 33-byte ID, as libsession keeps groups v2; it is not
// listed among the one-to-one conversations, survives a dump and is pruned
// like them.
func TestConvoInfoVolatileGroups(t *testing.T) {
	id := testIdentity(t, 7)
	now := time.UnixMilli(1_800_000_000_000)
	v, _ := NewConvoInfoVolatile(id, nil)
	v.SetClock(func() time.Time { return now })
	gid := keys.ID{Prefix: keys.PrefixGroup}
	gid.Key[0] = 9
	if err := v.Set1to1(OneToOne{SessionID: gid, LastRead: now.UnixMilli(), Unread: true}); err != nil {
		t.Fatal(err)
	}
	v.Set1to1(OneToOne{SessionID: sessionID(1), LastRead: now.UnixMilli()})
	if r, ok := v.getInt(convoGroupRoot, string(gid.Bytes()), convoLastRead); !ok || r != now.UnixMilli() {
		t.Fatalf("not under g with the 33-byte key: %v %v", r, ok)
	}
	if all := v.All1to1(); len(all) != 1 || all[0].SessionID != sessionID(1) {
		t.Fatalf("All1to1 lists the group: %+v", all)
	}
	dump := v.Dump()
	w, err := NewConvoInfoVolatile(id, dump)
	if err != nil {
		t.Fatal(err)
	}
	if gs := w.AllGroups(); len(gs) != 1 || gs[0].SessionID != gid || !gs[0].Unread || gs[0].LastRead != now.UnixMilli() {
		t.Fatalf("AllGroups after a dump: %+v", gs)
	}
	if o, ok := w.Get1to1(gid); !ok || !o.Unread {
		t.Fatalf("Get1to1 of a group: %+v %v", o, ok)
	}
	v.Set1to1(OneToOne{SessionID: gid, LastRead: now.UnixMilli()})
	now = now.Add(50 * 24 * time.Hour)
	v.PruneStale(PruneHigh)
	if gs := v.AllGroups(); len(gs) != 0 {
		t.Fatalf("a stale group survived pruning: %+v", gs)
	}
}
