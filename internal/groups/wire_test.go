package groups

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
)

func TestGroupMessageRoundTrip(t *testing.T) {
	a, other := newGroup(t), newGroup(t)
	alice := newAccount(t)
	var key [32]byte
	rand.Read(key[:])
	sent := time.UnixMilli(1_700_000_000_123)
	body := &signalpb.Content{DataMessage: &signalpb.DataMessage{Body: proto.String("hi group")}}
	ct, err := EncodeGroupMessage(rand.Reader, key, alice, a.ID(), body, sent)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := DecodeGroupMessage([][32]byte{key}, a.ID(), ct)
	if err != nil {
		t.Fatal(err)
	}
	if gm.Sender != alice.SessionID() || !gm.SentAt.Equal(sent) || gm.Content.GetDataMessage().GetBody() != "hi group" {
		t.Fatalf("decoded %+v", gm)
	}
	// Replayed into another group that happens to share the key: refused.
	if _, err := DecodeGroupMessage([][32]byte{key}, other.ID(), ct); !errors.Is(err, ErrMalformed) {
		t.Fatalf("message of another group: %v", err)
	}
	if _, err := DecodeGroupMessage([][32]byte{{1}}, a.ID(), ct); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestGroupControlMessages(t *testing.T) {
	a, other := newGroup(t), newGroup(t)
	bob, eve := newAccount(t), newAccount(t)
	sent := time.UnixMilli(1_700_000_000_000)
	c, err := NewGroupInvite(a, bob.SessionID(), "Team", sent)
	if err != nil {
		t.Fatal(err)
	}
	inv := c.GetDataMessage().GetGroupUpdateMessage().GetInviteMessage()
	gid, auth, err := CheckGroupInvite(inv, bob, sent.UnixMilli())
	if err != nil || gid != a.ID() || len(auth) != AuthDataSize {
		t.Fatalf("honest invite: %v %v", gid, err)
	}
	if _, _, err := CheckGroupInvite(inv, bob, sent.UnixMilli()+1); !errors.Is(err, ErrForged) {
		t.Errorf("invite with another sent time: %v", err)
	}
	if _, _, err := CheckGroupInvite(inv, eve, sent.UnixMilli()); !errors.Is(err, ErrForged) {
		t.Errorf("bob's invite accepted by eve: %v", err)
	}
	// Another group's admin signing an invite that names this group.
	forged := proto.Clone(inv).(*signalpb.GroupUpdateInviteMessage)
	forged.AdminSignature = other.Sign(InviteSigned(bob.SessionID(), sent.UnixMilli()))
	if _, _, err := CheckGroupInvite(forged, bob, sent.UnixMilli()); !errors.Is(err, ErrForged) {
		t.Errorf("invite signed by another group: %v", err)
	}

	ts := sent.UnixMilli()
	removed := &signalpb.GroupUpdateMessage{MemberChangeMessage: &signalpb.GroupUpdateMemberChangeMessage{
		Type:             signalpb.GroupUpdateMemberChangeMessage_REMOVED.Enum(),
		MemberSessionIds: []string{bob.SessionID().String()},
		AdminSignature:   a.Sign(MemberChangeSigned(MemberChangeRemoved, ts)),
	}}
	if err := CheckGroupUpdate(a.ID(), removed, ts); err != nil {
		t.Fatalf("admin's member change: %v", err)
	}
	// A non-admin member "removing" someone signs with its own key.
	removed.MemberChangeMessage.AdminSignature = eve.Sign(MemberChangeSigned(MemberChangeRemoved, ts))
	if err := CheckGroupUpdate(a.ID(), removed, ts); !errors.Is(err, ErrForged) {
		t.Fatalf("member change signed by a member: %v", err)
	}
	del := &signalpb.GroupUpdateMessage{DeleteMemberContent: &signalpb.GroupUpdateDeleteMemberContentMessage{
		MemberSessionIds: []string{bob.SessionID().String()}, MessageHashes: []string{"h"},
		AdminSignature: a.Sign(DeleteContentSigned(ts, []keys.ID{bob.SessionID()}, []string{"h"})),
	}}
	if err := CheckGroupUpdate(a.ID(), del, ts); err != nil {
		t.Fatalf("admin's delete: %v", err)
	}
	del.DeleteMemberContent.MessageHashes = []string{"other"}
	if err := CheckGroupUpdate(a.ID(), del, ts); !errors.Is(err, ErrForged) {
		t.Fatalf("delete with swapped hashes: %v", err)
	}
}

// FuzzDecodeGroupMessage decodes arbitrary Envelope bytes inside a valid
// encryption: the layer a member (holding the key) controls.
func FuzzDecodeGroupMessage(f *testing.F) {
	a := newGroup(f)
	m := newAccount(f)
	var key [32]byte
	env, _ := proto.Marshal(&signalpb.Envelope{Type: signalpb.Envelope_CLOSED_GROUP_MESSAGE.Enum(),
		Source: proto.String(a.ID().String()), Timestamp: proto.Uint64(5), Content: []byte{0x0a, 0x00}})
	f.Add(env)
	f.Fuzz(func(t *testing.T, env []byte) {
		ct, err := EncryptMessage(rand.Reader, key, m.Ed25519PrivateKey(), env, false, 1)
		if err != nil {
			return
		}
		_, _ = DecodeGroupMessage([][32]byte{key}, a.ID(), ct)
	})
}
