package groups

import (
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
)

// FuzzLoadKeyMessage feeds arbitrary key messages to a member's and an
// admin's ring: no panic, and nothing is loaded unless the group signed it.
func FuzzLoadKeyMessage(f *testing.F) {
	a := newGroup(f)
	m := newAccount(f)
	msg, _, _ := a.Rekey([]keys.ID{m.SessionID()}, 3)
	f.Add(msg)
	if supp, err := a.Supplement([]keys.ID{m.SessionID()}, []Key{{Generation: 1, Timestamp: 5}}); err == nil {
		f.Add(supp)
	}
	f.Add([]byte("d1:#24:000000000000000000000000e"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, admin := range []bool{false, true} {
			r := ring(t, m, a, admin)
			found, err := r.Load("h", data, 1)
			if err != nil && (found || len(r.Keys()) != 0) {
				t.Fatal("a failed load changed the ring")
			}
		}
	})
}

// FuzzDecryptMessage decrypts arbitrary group messages: the inner layer is
// attacker-chosen bt once the key is known, so it is fuzzed in the clear.
func FuzzDecryptMessage(f *testing.F) {
	var key [32]byte
	m := newAccount(f)
	ct, _ := EncryptMessage(rand.Reader, key, m.Ed25519PrivateKey(), []byte("hello"), false, 1)
	inner, _ := OpenMessage([][32]byte{key}, ct)
	f.Add(inner)
	f.Add([]byte("d0:i1e1:a32:00000000000000000000000000000000e"))
	nonce := make([]byte, 24)
	f.Fuzz(func(t *testing.T, plain []byte) {
		ct := append(nonce[:24:24], seal(key[:], nonce, plain)...)
		_, _, _ = DecryptMessage([][32]byte{key}, ct)
		_, _, _ = DecryptMessage([][32]byte{key}, plain)
	})
}

// FuzzOpenConfig checks config messages as they come out of decryption.
func FuzzOpenConfig(f *testing.F) {
	a := newGroup(f)
	body := []byte("d1:#i1e1:&d1:md33:\x05000000000000000000000000000000001:n1:xeee1:<le1:=de")
	signed := append(append(body, "1:~64:"...), a.Sign(body)...)
	f.Add(append(signed, 'e'))
	f.Fuzz(func(t *testing.T, msg []byte) {
		d, err := VerifyConfig(msg, a.PublicKey())
		if err != nil {
			return
		}
		_ = ParseInfo(d)
		_ = ParseMembers(d)
	})
}

// FuzzSubaccount checks subaccount values from the network: grants a
// member receives and tokens a storage server receives.
func FuzzSubaccount(f *testing.F) {
	a := newGroup(f)
	m := newAccount(f)
	auth, _ := a.MakeSubaccount(m.SessionID(), true, true)
	f.Add(auth, []byte("retrieve111700000000000"))
	f.Fuzz(func(t *testing.T, authData, msg []byte) {
		_ = VerifySubaccountGrant(a.ID(), m.Ed25519PrivateKey(), authData, false, false)
		sa, err := SignSubaccount(m.Ed25519PrivateKey(), authData, msg)
		if err != nil {
			return
		}
		_ = VerifySubaccountRequest(a.ID(), sa.Token, sa.TokenSig, sa.Signature, msg, Needs{Read: true})
		if len(authData) >= 36 {
			_ = VerifySubaccountRequest(a.ID(), authData[:36], authData[36:], sa.Signature, msg, Needs{Read: true})
		}
	})
}

// FuzzCheckGroupControl feeds arbitrary GroupUpdateMessages, as any member
// can post them in the group and anyone can send an invitation 1:1, to
// CheckGroupUpdate and CheckGroupInvite: no panic, and nothing that claims
// an admin's authority passes without the group's signature (the fuzzer
// cannot forge one, so a member or info change never passes, nor does an
// invitation).
func FuzzCheckGroupControl(f *testing.F) {
	a := newGroup(f)
	m := newAccount(f)
	const at = 1_700_000_000_000
	inv, err := NewGroupInvite(a, m.SessionID(), "Team", time.UnixMilli(at))
	if err != nil {
		f.Fatal(err)
	}
	for _, u := range []*signalpb.GroupUpdateMessage{
		inv.GetDataMessage().GetGroupUpdateMessage(),
		{MemberChangeMessage: &signalpb.GroupUpdateMemberChangeMessage{
			Type:             signalpb.GroupUpdateMemberChangeMessage_REMOVED.Enum(),
			MemberSessionIds: []string{m.SessionID().String()},
			AdminSignature:   a.Sign(MemberChangeSigned(int(signalpb.GroupUpdateMemberChangeMessage_REMOVED), at)),
		}},
		{DeleteMemberContent: &signalpb.GroupUpdateDeleteMemberContentMessage{MemberSessionIds: []string{"05zz"}, AdminSignature: make([]byte, 64)}},
		{MemberLeftMessage: &signalpb.GroupUpdateMemberLeftMessage{}},
	} {
		b, _ := proto.Marshal(u)
		f.Add(b)
	}
	other := newGroup(f) // a group the fuzzer's messages do not belong to
	f.Fuzz(func(t *testing.T, b []byte) {
		u := new(signalpb.GroupUpdateMessage)
		if proto.Unmarshal(b, u) != nil {
			return
		}
		if err := CheckGroupUpdate(other.ID(), u, at); err == nil &&
			(u.GetMemberChangeMessage() != nil || u.GetInfoChangeMessage() != nil) {
			t.Fatal("an admin's change passed without the group's signature")
		}
		if inv := u.GetInviteMessage(); inv != nil {
			gid, _, err := CheckGroupInvite(inv, m, at)
			if err == nil && gid != a.ID() {
				t.Fatalf("an invitation to %s passed without its signature", gid)
			}
		}
	})
}

// FuzzHostileAdminConfig: the admin of a group this account accepted can
// sign anything as the group's Info and Members configs. The fuzzed body
// is signed with the group key, so that it reaches the parsers that
// FuzzOpenConfig's unsigned inputs never pass: no panic, and every member
// read is a group member's ID.
func FuzzHostileAdminConfig(f *testing.F) {
	a := newGroup(f)
	id := "00000000000000000000000000000000"
	for _, s := range []string{
		"d1:#i1e1:&d1:md33:\x05" + id + "d1:n1:xeee1:<le1:=de",
		"d1:#i1e1:&d1:md33:\x03" + id + "d1:n1:xeee1:<le1:=de",
		"d1:#i1e1:&d1:md33:\x15" + id + "d1:Ai1e1:Ii2e1:Pi-1e1:Ri9e1:p3:url1:q32:" + id + "eee1:<le1:=de",
		"d1:#i1e1:&d1:n4:Team1:pi-1e1:ti-5ee1:<le1:=de",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg := append(append(slices.Clone(body), "1:~64:"...), a.Sign(body)...)
		msg = append(msg, 'e')
		d, err := VerifyConfig(msg, a.PublicKey())
		if err != nil {
			return
		}
		_ = ParseInfo(d)
		for _, m := range ParseMembers(d) {
			if m.ID.Prefix != keys.PrefixStandard {
				t.Fatalf("a member with a %s ID", m.ID.Prefix)
			}
			_ = m.StatusName()
		}
	})
}
