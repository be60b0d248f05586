package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/session-go/session-go/internal/keys"
)

func groupKeyPair(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pk, sk
}

// Members read only what the group key signed: a push re-signed by another
// key, or by a member who edits its copy, is refused.
func TestGroupConfigSignatures(t *testing.T) {
	pk, sk := groupKeyPair(t)
	_, otherSK := groupKeyPair(t)
	var key [32]byte
	rand.Read(key[:])
	ks := [][32]byte{key}

	admin, err := NewGroupInfo(pk, sk, ks, nil)
	if err != nil {
		t.Fatal(err)
	}
	admin.SetName("Real")
	p, err := admin.Push()
	if err != nil {
		t.Fatal(err)
	}

	// A forger with the group's encryption key but another signing key.
	forger, err := newGroupConfig(NamespaceGroupInfo, pk, nil, ks, nil)
	if err != nil {
		t.Fatal(err)
	}
	forger.signer = func(b []byte) []byte { return ed25519.Sign(otherSK, b) }
	forgedInfo := &GroupInfo{forger}
	forgedInfo.SetName("Forged")
	fp, err := forgedInfo.Push()
	if err != nil {
		t.Fatal(err)
	}

	member, _ := NewGroupInfo(pk, nil, ks, nil)
	if acc := member.Merge([]Received{{Hash: "forged", Data: fp.Data}}); len(acc) != 0 || member.Name() != "" {
		t.Fatalf("forged push accepted: %v %q", acc, member.Name())
	}
	if acc := member.Merge([]Received{{Hash: "real", Data: p.Data}}); len(acc) != 1 || member.Name() != "Real" {
		t.Fatalf("real push: %v %q", acc, member.Name())
	}
	if member.CanPush() {
		t.Fatal("a member without the group key may push")
	}
	// After a rekey the admin re-pushes with the new key; old members
	// with both keys read it, and the dump round-trips.
	var key2 [32]byte
	rand.Read(key2[:])
	admin.ConfirmPushed(p.Seqno, "real")
	admin.SetKeys([][32]byte{key2, key}, true)
	p2, _ := admin.Push()
	if p2.Seqno != p.Seqno+1 {
		t.Fatalf("rekey did not dirty the config: seqno %d", p2.Seqno)
	}
	member.SetKeys([][32]byte{key2, key}, false)
	if acc := member.Merge([]Received{{Hash: "real2", Data: p2.Data}}); len(acc) != 1 {
		t.Fatal("re-keyed push refused")
	}
	again, err := NewGroupInfo(pk, nil, [][32]byte{key2}, member.Dump())
	if err != nil || again.Name() != "Real" {
		t.Fatalf("dump: %v %q", err, again.Name())
	}
}

func TestGroupMembersSet(t *testing.T) {
	pk, sk := groupKeyPair(t)
	g, _ := NewGroupMembers(pk, sk, [][32]byte{{1}}, nil)
	seed := make([]byte, 32)
	rand.Read(seed)
	id, _ := keys.NewIdentity(seed)
	if err := g.Set(GroupMember{ID: id.SessionID(), Name: "", Invite: GroupStatusSent, Supplement: true}); err != nil {
		t.Fatal(err)
	}
	m, ok := g.Get(id.SessionID())
	if !ok || m.Invite != GroupStatusSent || !m.Supplement {
		t.Fatalf("%+v %v", m, ok)
	}
	// Promotion to admin drops the invite status.
	m.Admin, m.Promotion = true, 0
	g.Set(m)
	if m, _ = g.Get(id.SessionID()); m.Invite != 0 || m.Supplement || !m.Admin {
		t.Fatalf("after promotion: %+v", m)
	}
	if err := g.Set(GroupMember{ID: keys.ID{Prefix: keys.PrefixGroup}}); err == nil {
		t.Fatal("a 03 ID accepted as a member")
	}
	if !g.Erase(id.SessionID()) || len(g.All()) != 0 {
		t.Fatal("erase")
	}
}

// FuzzGroupMessage checks decrypted group config messages from the swarm:
// the signature check and the member view never panic.
func FuzzGroupMessage(f *testing.F) {
	pk, sk, _ := ed25519.GenerateKey(rand.Reader)
	g, _ := NewGroupMembers(pk, sk, [][32]byte{{1}}, nil)
	seed := make([]byte, 32)
	id, _ := keys.NewIdentity(seed)
	g.Set(GroupMember{ID: id.SessionID(), Name: "m", Invite: GroupStatusNotSent})
	f.Add(g.serialized())
	f.Fuzz(func(t *testing.T, msg []byte) {
		if !verifySigned(msg, pk) {
			return
		}
		m, err := parseMessage(msg, DefaultLag)
		if err != nil {
			return
		}
		(&GroupMembers{&Config{msg: m, groupPK: pk}}).All()
	})
}

// TestGroupMembersSkipsOtherIDs: a Members config is whatever an admin
// signed; an entry under a key that is not a Session ID (a 03 group ID, a
// 15 blinded ID) is skipped as libsession skips it. Listed, it broke every
// later rekey of the group (a member key needs a 05 ID), so one admin
// could stop the others from ever removing anyone.
func TestGroupMembersSkipsOtherIDs(t *testing.T) {
	pk, sk := groupKeyPair(t)
	g, _ := NewGroupMembers(pk, sk, [][32]byte{{1}}, nil)
	seed := make([]byte, 32)
	rand.Read(seed)
	id, _ := keys.NewIdentity(seed)
	if err := g.Set(GroupMember{ID: id.SessionID(), Name: "real"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []keys.Prefix{keys.PrefixGroup, keys.PrefixBlind15} {
		bad := keys.ID{Prefix: p, Key: id.SessionID().Key}
		g.setScalar("junk", "m", string(bad.Bytes()), "n")
	}
	all := g.All()
	if len(all) != 1 || all[0].ID != id.SessionID() {
		t.Fatalf("members: %+v", all)
	}
}

// TestGroupInfoNameIsText: a group's name and description are whatever its
// admin signed; they are read as text within the limits (invalid UTF-8
// replaced, cut on a character boundary), not as the bytes of a config
// message that may be 76 KB long.
func TestGroupInfoNameIsText(t *testing.T) {
	pk, sk := groupKeyPair(t)
	g, err := NewGroupInfo(pk, sk, [][32]byte{{1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.setScalar("\xff"+strings.Repeat("é", 20_000), "n")
	g.setScalar(strings.Repeat("\u202e", 2_000), "o")
	name, desc := g.Name(), g.Description()
	if !utf8.ValidString(name) || len(name) > MaxGroupNameLength || !strings.HasPrefix(name, "\uFFFDé") {
		t.Fatalf("name: %d bytes, valid %v: %.20q", len(name), utf8.ValidString(name), name)
	}
	if !utf8.ValidString(desc) || len(desc) > MaxGroupDescriptionLength {
		t.Fatalf("description: %d bytes, valid %v", len(desc), utf8.ValidString(desc))
	}
	g.SetName("Team ✓")
	if g.Name() != "Team ✓" {
		t.Fatalf("an honest name reads %q", g.Name())
	}
}
