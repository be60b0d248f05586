package snode

import (
	"errors"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/store"
)

func testIdentity(t *testing.T, b byte) *keys.Identity {
	t.Helper()
	seed := make([]byte, keys.SeedSize)
	seed[0] = b
	id, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestDeletionAllows checks which tombstones an owner's signed delete
// covers, given the message as this node holds it.
func TestDeletionAllows(t *testing.T) {
	owner, other := testIdentity(t, 1), testIdentity(t, 2)
	o := owner.SessionID()
	ts := time.Now().UnixMilli()
	h1, h2, h3 := storagerpc.MessageHash(o, 0, []byte("1")), storagerpc.MessageHash(o, 0, []byte("2")), storagerpc.MessageHash(o, 0, []byte("3"))
	x := storagerpc.MessageHash(o, 0, []byte("x"))
	proof := func(req storagerpc.Request) deletion {
		t.Helper()
		storagerpc.Sign(req.(storagerpc.Authenticated), owner)
		d := parseDeletion(deleteProof(req))
		if d.err != nil {
			t.Fatalf("%s: %v", req.Method(), d.err)
		}
		return d
	}
	held := func(ns int16, at int64) *store.Held { return &store.Held{Namespace: ns, Timestamp: time.UnixMilli(at)} }

	del := proof(&storagerpc.Delete{Messages: []string{h1, h2}})
	all0 := proof(&storagerpc.DeleteAll{Namespace: storagerpc.NamespaceOrAll{Namespace: 0}, Timestamp: ts})
	allAll := proof(&storagerpc.DeleteAll{Namespace: storagerpc.AllNamespaces(), Timestamp: ts})
	before := proof(&storagerpc.DeleteBefore{Namespace: storagerpc.AllNamespaces(), Before: ts})
	for _, tc := range []struct {
		name  string
		d     deletion
		owner keys.ID
		hash  string
		held  *store.Held
		ok    bool
	}{
		{"delete names the hash", del, o, h2, held(0, ts), true},
		{"delete does not name the hash", del, o, h3, held(0, ts), false},
		{"delete of another owner", del, other.SessionID(), h1, nil, false},
		{"delete_all in its namespace", all0, o, x, held(0, ts-1000), true},
		{"delete_all of another namespace", all0, o, x, held(5, ts-1000), false},
		{"delete_all of every namespace", allAll, o, x, held(5, ts-1000), true},
		{"delete_all, message dated within the slack", allAll, o, x, held(0, ts+deleteAllSlack.Milliseconds()), true},
		{"delete_all, message stored since (replay)", allAll, o, x, held(0, ts+deleteAllSlack.Milliseconds()+1), false},
		{"delete_all, message not held (burial only)", allAll, o, x, nil, true},
		{"delete_before, older message", before, o, x, held(3, ts), true},
		{"delete_before, newer message", before, o, x, held(3, ts+1), false},
	} {
		err := tc.d.allows(tc.owner, tc.hash, tc.held)
		if (err == nil) != tc.ok {
			t.Errorf("%s: allows = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}

	// Proofs that are no proof.
	forged := &storagerpc.Delete{Messages: []string{h1}}
	storagerpc.Sign(forged, other)
	forged.Pubkey, forged.PubkeyEd25519 = o, owner.Ed25519PublicKey()
	store := &storagerpc.Store{Namespace: 2, Timestamp: ts, TTL: 1000}
	storagerpc.Sign(store, owner)
	for name, p := range map[string][]byte{
		"none": nil, "junk": []byte("{"), "forged signature": deleteProof(forged), "a store, not a delete": deleteProof(store),
	} {
		if d := parseDeletion(p); d.err == nil || d.allows(o, h1, nil) == nil {
			t.Errorf("%s: accepted", name)
		} else if !errors.Is(d.err, errNoProof) && !errors.Is(d.err, errBadProof) {
			t.Errorf("%s: %v", name, d.err)
		}
	}
}

// TestCheckStoreProof: a record in a namespace that needs the owner's
// signature needs the owner's signed store into that very namespace.
func TestCheckStoreProof(t *testing.T) {
	owner, other := testIdentity(t, 1), testIdentity(t, 2)
	o := owner.SessionID()
	signed := func(id *keys.Identity, ns storagerpc.Namespace) []byte {
		r := &storagerpc.Store{Namespace: ns, Timestamp: time.Now().UnixMilli(), TTL: 1000, Data: []byte("x")}
		storagerpc.Sign(r, id)
		return storeProof(r)
	}
	if err := checkStoreProof(o, 0, nil); err != nil {
		t.Errorf("public inbox without proof: %v", err)
	}
	if err := checkStoreProof(o, 2, signed(owner, 2)); err != nil {
		t.Errorf("owner's signed store: %v", err)
	}
	for name, tc := range map[string]struct {
		ns    storagerpc.Namespace
		proof []byte
	}{
		"no proof":          {2, nil},
		"another namespace": {3, signed(owner, 2)},
		"another account":   {2, signed(other, 2)},
		"junk":              {2, []byte(`{"method":"store"}`)},
	} {
		if err := checkStoreProof(o, tc.ns, tc.proof); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
