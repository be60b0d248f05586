package snode_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
)

// withSubaccount signs req for the group as member, through the
// subaccount auth the admin granted.
func withSubaccount(t *testing.T, req storagerpc.Authenticated, group keys.ID, member *keys.Identity, auth []byte) {
	t.Helper()
	sa, err := groups.SignSubaccount(member.Ed25519PrivateKey(), auth, req.SignedMessage())
	if err != nil {
		t.Fatal(err)
	}
	a := req.Authentication()
	a.Pubkey = group
	a.Subaccount = &storagerpc.Subaccount{Token: storagerpc.SubaccountToken(sa.Token), Signature: sa.TokenSig}
	a.Signature = sa.Signature
}

func groupRetrieve(t *testing.T, n *devnet.Node, ns storagerpc.Namespace, group keys.ID, member *keys.Identity, auth []byte) (int, []byte) {
	t.Helper()
	r := &storagerpc.Retrieve{Namespace: ns, Timestamp: time.Now().UnixMilli()}
	withSubaccount(t, r, group, member, auth)
	return rpc(t, n, r)
}

// TestRevokedSubaccountRefusedEverywhere: a group member writes and reads
// the group's swarm through its subaccount with exactly the rights granted;
// once the admin revokes the token, every member of the swarm refuses it
// (a member that was down as soon as it has caught up), except in the
// unrevocable namespace -11; unrevoking restores it.
func TestRevokedSubaccountRefusedEverywhere(t *testing.T) {
	needNet(t)
	seed := make([]byte, 32)
	rand.Read(seed)
	admin, err := groups.NewAdmin(seed)
	if err != nil {
		t.Fatal(err)
	}
	gid := admin.ID()
	member := newAccount(t)
	members, _ := swarmOf(t, gid)
	if len(members) < 3 {
		t.Fatalf("swarm has %d members, want at least 3", len(members))
	}
	entry, victim := members[0], members[1]
	t.Cleanup(func() {
		if !victim.Running() {
			victim.Start()
		}
		testNet.WaitReady(context.Background())
	})
	auth, err := admin.MakeSubaccount(member.SessionID(), true, false)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := admin.SubaccountToken(member.SessionID(), true, false)

	// Write and read with the rights granted; delete is not granted.
	st := &storagerpc.Store{Namespace: groups.NamespaceMessages, Timestamp: time.Now().UnixMilli(),
		TTL: time.Hour.Milliseconds(), Data: []byte("group message")}
	st.SigTimestamp = st.Timestamp
	withSubaccount(t, st, gid, member, auth)
	if status, resp := rpc(t, entry, st); status != http.StatusOK {
		t.Fatalf("subaccount store: %d %s", status, resp)
	}
	for _, n := range members {
		if status, resp := groupRetrieve(t, n, groups.NamespaceMessages, gid, member, auth); status != http.StatusOK {
			t.Fatalf("subaccount retrieve on member %d: %d %s", n.Index, status, resp)
		}
	}
	del := &storagerpc.DeleteAll{Namespace: storagerpc.NamespaceOrAll{Namespace: groups.NamespaceMessages}, Timestamp: time.Now().UnixMilli()}
	withSubaccount(t, del, gid, member, auth)
	if status, _ := rpc(t, entry, del); status != http.StatusUnauthorized {
		t.Fatalf("delete_all without the delete flag: %d, want 401", status)
	}
	// A stranger's signature over the same token is refused.
	stranger := newAccount(t)
	if status, _ := groupRetrieve(t, entry, groups.NamespaceMessages, gid, stranger, auth); status != http.StatusUnauthorized {
		t.Fatalf("stranger with the member's auth data: %d, want 401", status)
	}

	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	rev := &storagerpc.RevokeSubaccount{Tokens: []storagerpc.SubaccountToken{storagerpc.SubaccountToken(token)}, Timestamp: time.Now().UnixMilli()}
	// Only the owner may revoke: the member's subaccount may not.
	forged := *rev
	forged.Pubkey = gid
	forged.Signature = member.Sign(forged.SignedMessage())
	if status, _ := rpc(t, entry, &forged); status != http.StatusUnauthorized {
		t.Fatalf("revoke signed by a member: %d, want 401", status)
	}
	storagerpc.SignAs(rev, keys.PrefixGroup, admin.SecretKey())
	if status, resp := rpc(t, entry, rev); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, resp)
	}
	for _, n := range members {
		if n == victim {
			continue
		}
		if status, _ := groupRetrieve(t, n, groups.NamespaceMessages, gid, member, auth); status != http.StatusUnauthorized {
			t.Fatalf("revoked token on member %d: %d, want 401", n.Index, status)
		}
		if status, resp := groupRetrieve(t, n, groups.NamespaceRevoked, gid, member, auth); status != http.StatusOK {
			t.Fatalf("revoked token in -11 on member %d: %d %s, want 200", n.Index, status, resp)
		}
	}
	st2 := &storagerpc.Store{Namespace: groups.NamespaceMessages, Timestamp: time.Now().UnixMilli(),
		TTL: time.Hour.Milliseconds(), Data: []byte("after removal")}
	st2.SigTimestamp = st2.Timestamp
	withSubaccount(t, st2, gid, member, auth)
	if status, _ := rpc(t, entry, st2); status != http.StatusUnauthorized {
		t.Fatalf("store with a revoked token: %d, want 401", status)
	}

	// The member that was down refuses the token once it has caught up.
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	if err := victim.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, _ := groupRetrieve(t, victim, groups.NamespaceMessages, gid, member, auth)
		if status == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("member %d still accepts the revoked token after catch-up: %d", victim.Index, status)
		}
		time.Sleep(200 * time.Millisecond)
	}

	un := &storagerpc.UnrevokeSubaccount{Tokens: rev.Tokens, Timestamp: time.Now().UnixMilli()}
	storagerpc.SignAs(un, keys.PrefixGroup, admin.SecretKey())
	if status, resp := rpc(t, entry, un); status != http.StatusOK {
		t.Fatalf("unrevoke: %d %s", status, resp)
	}
	for _, n := range members {
		if status, resp := groupRetrieve(t, n, groups.NamespaceMessages, gid, member, auth); status != http.StatusOK {
			t.Fatalf("unrevoked token on member %d: %d %s", n.Index, status, resp)
		}
	}
}

// TestSubaccountFlagRules checks network-protocol.md §1.8 on a real swarm
// for a group's members: read-only may retrieve and get_expiries but not
// store; write may store and extend but not shorten (400) nor delete;
// write+delete may do all of it.
func TestSubaccountFlagRules(t *testing.T) {
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
	grant := func(write, del bool) (*keys.Identity, []byte) {
		m := newAccount(t)
		auth, err := admin.MakeSubaccount(m.SessionID(), write, del)
		if err != nil {
			t.Fatal(err)
		}
		return m, auth
	}
	reader, readAuth := grant(false, false)
	writer, writeAuth := grant(true, false)
	deleter, delAuth := grant(true, true)

	store := func(m *keys.Identity, auth []byte, text string) (int, string) {
		st := &storagerpc.Store{Namespace: groups.NamespaceMessages, Timestamp: time.Now().UnixMilli(),
			TTL: time.Hour.Milliseconds(), Data: []byte(text)}
		st.SigTimestamp = st.Timestamp
		withSubaccount(t, st, gid, m, auth)
		status, _ := rpc(t, node, st)
		return status, storagerpc.MessageHash(gid, groups.NamespaceMessages, []byte(text))
	}
	if status, _ := store(reader, readAuth, "from the reader"); status != http.StatusUnauthorized {
		t.Fatalf("read-only store: %d, want 401", status)
	}
	status, h := store(writer, writeAuth, "from the writer")
	if status != http.StatusOK {
		t.Fatalf("writer store: %d", status)
	}
	ge := &storagerpc.GetExpiries{Messages: []string{h}, Timestamp: time.Now().UnixMilli()}
	withSubaccount(t, ge, gid, reader, readAuth)
	if status, resp := rpc(t, node, ge); status != http.StatusOK {
		t.Fatalf("read-only get_expiries: %d %s", status, resp)
	}
	expire := func(m *keys.Identity, auth []byte, shorten bool, at time.Time) int {
		e := &storagerpc.Expire{Messages: []string{h}, Expiry: []int64{at.UnixMilli()}, Shorten: shorten}
		withSubaccount(t, e, gid, m, auth)
		status, _ := rpc(t, node, e)
		return status
	}
	if s := expire(writer, writeAuth, false, time.Now().Add(2*time.Hour)); s != http.StatusOK {
		t.Fatalf("writer extends: %d", s)
	}
	if s := expire(writer, writeAuth, true, time.Now().Add(time.Minute)); s != http.StatusBadRequest {
		t.Fatalf("writer shortens: %d, want 400", s)
	}
	if s := expire(reader, readAuth, false, time.Now().Add(3*time.Hour)); s != http.StatusUnauthorized {
		t.Fatalf("reader extends: %d, want 401", s)
	}
	if s := expire(deleter, delAuth, true, time.Now().Add(time.Minute)); s != http.StatusOK {
		t.Fatalf("deleter shortens: %d", s)
	}
	del := func(m *keys.Identity, auth []byte) int {
		d := &storagerpc.Delete{Messages: []string{h}}
		withSubaccount(t, d, gid, m, auth)
		status, _ := rpc(t, node, d)
		return status
	}
	if s := del(writer, writeAuth); s != http.StatusUnauthorized {
		t.Fatalf("writer deletes: %d, want 401", s)
	}
	if s := del(deleter, delAuth); s != http.StatusOK {
		t.Fatalf("deleter deletes: %d", s)
	}
}
