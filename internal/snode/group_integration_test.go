package snode_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
)

// groupMember is one account's side of a group in this test: its key ring
// and subaccount auth data.
type groupMember struct {
	id   *keys.Identity
	auth []byte
	ring *groups.KeyRing
}

// fetch retrieves a namespace of the group through the member's subaccount.
func (m *groupMember) fetch(t *testing.T, n *devnet.Node, gid keys.ID, ns storagerpc.Namespace) (int, []storagerpc.RetrievedMessage) {
	t.Helper()
	status, body := groupRetrieve(t, n, ns, gid, m.id, m.auth)
	if status != http.StatusOK {
		return status, nil
	}
	var resp storagerpc.RetrieveResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	return status, resp.Messages
}

// TestGroupLifecycleOnDevnet runs a group through the protocol pieces on a
// real swarm: the admin stores the key message and the signed Info and
// Members configs in the group's swarm; members read them with their
// subaccounts, learn the key and the group's name, and read each other's
// messages; the admin removes a member (rekey and revocation); the
// removed member's own retrieve is then refused, and the key it still
// holds cannot open what is written afterwards, which the remaining member
// reads.
func TestGroupLifecycleOnDevnet(t *testing.T) {
	needNet(t)
	seed := make([]byte, 32)
	rand.Read(seed)
	admin, err := groups.NewAdmin(seed)
	if err != nil {
		t.Fatal(err)
	}
	gid := admin.ID()
	members, _ := swarmOf(t, gid)
	node := members[0]
	adminAcct := newAccount(t)
	adminRing, err := groups.NewKeyRing(adminAcct.Ed25519PrivateKey(), admin.PublicKey(), admin)
	if err != nil {
		t.Fatal(err)
	}
	// The admin stores as the group itself.
	adminStore := func(ns storagerpc.Namespace, data []byte) string {
		t.Helper()
		st := &storagerpc.Store{Namespace: ns, Timestamp: time.Now().UnixMilli(), TTL: time.Hour.Milliseconds(), Data: data}
		st.SigTimestamp = st.Timestamp
		storagerpc.SignAs(st, keys.PrefixGroup, admin.SecretKey())
		if status, resp := rpc(t, node, st); status != http.StatusOK {
			t.Fatalf("admin store in %d: %d %s", ns, status, resp)
		}
		return storagerpc.MessageHash(gid, ns, data)
	}

	alice := &groupMember{id: newAccount(t)}
	bob := &groupMember{id: newAccount(t)}
	for _, m := range []*groupMember{alice, bob} {
		if m.auth, err = admin.MakeSubaccount(m.id.SessionID(), true, false); err != nil {
			t.Fatal(err)
		}
		if m.ring, err = groups.NewKeyRing(m.id.Ed25519PrivateKey(), admin.PublicKey(), nil); err != nil {
			t.Fatal(err)
		}
	}
	everyone := []keys.ID{adminAcct.SessionID(), alice.id.SessionID(), bob.id.SessionID()}

	info, _ := config.NewGroupInfo(admin.PublicKey(), admin.SecretKey(), nil, nil)
	mems, _ := config.NewGroupMembers(admin.PublicKey(), admin.SecretKey(), nil, nil)
	info.SetName("Devnet group")
	for i, id := range everyone {
		if err := mems.Set(config.GroupMember{ID: id, Admin: i == 0, Invite: config.GroupStatusSent}); err != nil {
			t.Fatal(err)
		}
	}
	rekey := func(in []keys.ID) {
		t.Helper()
		msg, err := adminRing.Rekey(in)
		if err != nil {
			t.Fatal(err)
		}
		h := adminStore(groups.NamespaceKeys, msg)
		if _, err := adminRing.Load(h, msg, time.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*config.Config{info.Config, mems.Config} {
			c.SetKeys(adminRing.Keys(), true)
			p, err := c.Push()
			if err != nil {
				t.Fatal(err)
			}
			c.ConfirmPushed(p.Seqno, adminStore(storagerpc.Namespace(c.Namespace()), p.Data))
		}
	}
	rekey(everyone)

	// A member syncs: keys first, then the configs and messages.
	sync := func(m *groupMember) (name string, texts map[string]keys.ID) {
		t.Helper()
		status, keyMsgs := m.fetch(t, node, gid, groups.NamespaceKeys)
		if status != http.StatusOK {
			t.Fatalf("member keys retrieve: %d", status)
		}
		for _, km := range keyMsgs {
			if _, err := m.ring.Load(km.Hash, km.Data, km.Timestamp); err != nil {
				t.Fatalf("loading a key message: %v", err)
			}
		}
		mi, _ := config.NewGroupInfo(admin.PublicKey(), nil, m.ring.Keys(), nil)
		_, infos := m.fetch(t, node, gid, groups.NamespaceInfo)
		var rs []config.Received
		for _, x := range infos {
			rs = append(rs, config.Received{Hash: x.Hash, Data: x.Data})
		}
		mi.Merge(rs)
		texts = map[string]keys.ID{}
		_, msgs := m.fetch(t, node, gid, groups.NamespaceMessages)
		for _, x := range msgs {
			from, pt, err := groups.DecryptMessage(m.ring.Keys(), x.Data)
			if err == nil {
				texts[string(pt)] = from
			}
		}
		return mi.Name(), texts
	}
	send := func(m *groupMember, text string) {
		t.Helper()
		k, ok := m.ring.EncryptionKey()
		if !ok {
			t.Fatal("member has no key to send with")
		}
		ct, err := groups.EncryptMessage(rand.Reader, k, m.id.Ed25519PrivateKey(), []byte(text), true, 256)
		if err != nil {
			t.Fatal(err)
		}
		st := &storagerpc.Store{Namespace: groups.NamespaceMessages, Timestamp: time.Now().UnixMilli(), TTL: time.Hour.Milliseconds(), Data: ct}
		st.SigTimestamp = st.Timestamp
		withSubaccount(t, st, gid, m.id, m.auth)
		if status, resp := rpc(t, node, st); status != http.StatusOK {
			t.Fatalf("member store: %d %s", status, resp)
		}
	}

	if name, _ := sync(alice); name != "Devnet group" {
		t.Fatalf("alice reads the group name %q", name)
	}
	sync(bob)
	send(alice, "hello from alice")
	send(bob, "hello from bob")
	for who, m := range map[string]*groupMember{"alice": alice, "bob": bob} {
		_, texts := sync(m)
		if texts["hello from alice"] != alice.id.SessionID() || texts["hello from bob"] != bob.id.SessionID() {
			t.Fatalf("%s reads %v", who, texts)
		}
	}

	// Remove bob: new key without him, his token revoked.
	mems.Erase(bob.id.SessionID())
	rekey(everyone[:2])
	tok, _ := admin.SubaccountToken(bob.id.SessionID(), true, false)
	rev := &storagerpc.RevokeSubaccount{Tokens: []storagerpc.SubaccountToken{storagerpc.SubaccountToken(tok)}, Timestamp: time.Now().UnixMilli()}
	storagerpc.SignAs(rev, keys.PrefixGroup, admin.SecretKey())
	if status, resp := rpc(t, node, rev); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, resp)
	}
	oldBobKeys := bob.ring.Keys()
	sync(alice) // a member loads the newest key before writing
	if alice.ring.Generation() != 1 {
		t.Fatalf("alice at generation %d after the rekey, want 1", alice.ring.Generation())
	}
	send(alice, "after bob left")
	if _, texts := sync(alice); texts["after bob left"] != alice.id.SessionID() {
		t.Fatalf("alice cannot read her message after the rekey: %v", texts)
	}
	for _, n := range members {
		if status, _ := bob.fetch(t, n, gid, groups.NamespaceMessages); status != http.StatusUnauthorized {
			t.Fatalf("removed member's retrieve on node %d: %d, want 401", n.Index, status)
		}
	}
	// Even handed the new ciphertext, bob's keys do not open it.
	_, msgs := alice.fetch(t, node, gid, groups.NamespaceMessages)
	opened := 0
	for _, x := range msgs {
		if _, pt, err := groups.DecryptMessage(oldBobKeys, x.Data); err == nil {
			if string(pt) == "after bob left" {
				t.Fatal("the removed member's keys open a message written after the removal")
			}
			opened++
		}
	}
	if opened != 2 {
		t.Fatalf("bob's old keys open %d of the messages from before, want 2", opened)
	}
}
