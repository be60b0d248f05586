package storagerpc

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// allAuthenticated returns one request of every authenticated method.
func allAuthenticated() []Authenticated {
	tok := NewSubaccountToken(keys.PrefixStandard, SubaccountRead, pubOf(keyFromByte(3)))
	return []Authenticated{
		&Store{Namespace: NamespaceUserProfile, Timestamp: testTS, TTL: 86_400_000, Data: []byte("cfg")},
		&Retrieve{Namespace: NamespaceDefault, Timestamp: testTS},
		&Delete{Messages: []string{testHash}},
		&DeleteAll{Namespace: AllNamespaces(), Timestamp: testTS},
		&DeleteBefore{Before: testTS},
		&Expire{Messages: []string{testHash}, Expiry: []int64{testTS + 1000}, Shorten: true},
		&ExpireAll{Namespace: OneNamespace(2), Expiry: testTS + 1000},
		&GetExpiries{Messages: []string{testHash}, Timestamp: testTS},
		&RevokeSubaccount{Tokens: []SubaccountToken{tok}, Timestamp: testTS},
		&UnrevokeSubaccount{Tokens: []SubaccountToken{tok}, Timestamp: testTS},
	}
}

func TestSignedMessages(t *testing.T) {
	tok := NewSubaccountToken(keys.PrefixStandard, SubaccountRead, pubOf(keyFromByte(3)))
	want := []string{
		"store21700000000000",
		"retrieve1700000000000",
		"delete" + testHash,
		"delete_allall1700000000000",
		"delete_before1700000000000",
		"expireshorten1700000001000" + testHash,
		"expire_all21700000001000",
		"get_expiries1700000000000" + testHash,
		"revoke_subaccount1700000000000" + string(tok[:]),
		"unrevoke_subaccount1700000000000" + string(tok[:]),
	}
	for i, r := range allAuthenticated() {
		if got := string(r.SignedMessage()); got != want[i] {
			t.Errorf("%s: SignedMessage = %q, want %q", r.Method(), got, want[i])
		}
	}
	s := &Store{Namespace: -10, Timestamp: testTS, SigTimestamp: testTS + 7}
	if got := string(s.SignedMessage()); got != "store-101700000000007" {
		t.Errorf("store with sig_timestamp: %q", got)
	}
}

func TestSignVerify(t *testing.T) {
	id := testIdentity(t)
	for _, r := range allAuthenticated() {
		Sign(r, id)
		if err := Verify(r); err != nil {
			t.Errorf("%s: Verify after Sign: %v", r.Method(), err)
		}
		if err := Validate(r, time.UnixMilli(testTS), false); err != nil {
			t.Errorf("%s: Validate after Sign: %v", r.Method(), err)
		}
		a := r.Authentication()
		if a.Pubkey != id.SessionID() || len(a.PubkeyEd25519) != 32 {
			t.Errorf("%s: Sign set pubkey %s", r.Method(), a.Pubkey)
		}

		// A flipped signature bit fails with 401.
		a.Signature[5] ^= 1
		if err := Verify(r); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: tampered signature: %v", r.Method(), err)
		}
		a.Signature[5] ^= 1

		// pubkey_ed25519 that does not convert to the account key fails.
		saved := a.PubkeyEd25519
		a.PubkeyEd25519 = pubOf(keyFromByte(7))
		if err := Verify(r); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: foreign pubkey_ed25519: %v", r.Method(), err)
		}
		// Without pubkey_ed25519 a 05 key is an X25519 key and cannot verify.
		a.PubkeyEd25519 = nil
		if err := Verify(r); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: missing pubkey_ed25519: %v", r.Method(), err)
		}
		a.PubkeyEd25519 = saved

		// A signature over other parameters fails.
		switch v := r.(type) {
		case *Store:
			v.SigTimestamp = testTS + 1
		case *Retrieve:
			v.Timestamp++
		case *Delete:
			v.Messages = []string{"x" + testHash[1:]}
		default:
			continue
		}
		if err := Verify(r); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: changed parameters still verify", r.Method())
		}
	}
}

func TestVerifyFailureReasons(t *testing.T) {
	for _, tt := range []struct {
		r      Request
		reason string
	}{
		{&Store{Namespace: 2}, "store: signature required to store to namespace 2"},
		{&Store{Namespace: 2, Auth: Auth{Signature: make([]byte, 64)}}, "store signature verification failed"},
		{&Retrieve{}, "retrieve: request signature required"},
		{&Retrieve{Auth: Auth{Signature: make([]byte, 64)}}, "retrieve signature verification failed"},
		{&Delete{}, "delete_msgs signature verification failed"},
		{&DeleteAll{}, "delete_all signature verification failed"},
		{&DeleteBefore{}, "delete_before signature verification failed"},
		{&Expire{}, "expire: signature verification failed"},
		{&ExpireAll{}, "expire_all signature verification failed"},
		{&GetExpiries{}, "get_expiries signature verification failed"},
		{&RevokeSubaccount{}, "revoke_subaccount signature verification failed"},
		{&UnrevokeSubaccount{}, "unrevoke_subaccount signature verification failed"},
	} {
		wantError(t, tt.r.Method(), Verify(tt.r), http.StatusUnauthorized, tt.reason)
	}
	// Unsigned requests that need no signature pass.
	for _, r := range []Request{
		&Store{Namespace: 0}, &Store{Namespace: -10}, &Store{Namespace: 10, Auth: Auth{Signature: []byte("junk")}},
		&Retrieve{Namespace: -10}, &Retrieve{Namespace: -21},
		&GetSwarm{}, &Info{}, &OxendRequest{}, &Batch{},
	} {
		if err := Verify(r); err != nil {
			t.Errorf("%s: %v", r.Method(), err)
		}
	}
}

func TestSignAsGroup(t *testing.T) {
	group := keyFromByte(0x33)
	r := &Retrieve{Namespace: NamespaceGroupKeys, Timestamp: testTS}
	SignAs(r, keys.PrefixGroup, group)
	if r.Pubkey.Prefix != keys.PrefixGroup || string(r.Pubkey.Key[:]) != string(pubOf(group)) || r.PubkeyEd25519 != nil {
		t.Fatalf("SignAs set %s", r.Pubkey)
	}
	if err := Verify(r); err != nil {
		t.Fatal(err)
	}
	// Another group's key does not verify.
	r.Pubkey.Key[0] ^= 1
	if err := Verify(r); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("another account verified: %v", err)
	}
}

func TestSubaccounts(t *testing.T) {
	owner := keyFromByte(0x40)
	subKey := keyFromByte(0x41)
	group := keys.ID{Prefix: keys.PrefixGroup}
	copy(group.Key[:], pubOf(owner))

	sign := func(r Authenticated, flags SubaccountFlags, prefix keys.Prefix, signer []byte) {
		tok := NewSubaccountToken(prefix, flags, pubOf(subKey))
		sub := SignSubaccountToken(owner, tok)
		if signer != nil {
			sub = SignSubaccountToken(signer, tok)
		}
		SignWithSubaccount(r, group, sub, subKey)
	}
	rw := SubaccountRead | SubaccountWrite
	tests := []struct {
		name   string
		r      Authenticated
		flags  SubaccountFlags
		prefix keys.Prefix
		signer []byte
		ok     bool
	}{
		{"read retrieve", &Retrieve{Namespace: 11, Timestamp: testTS}, SubaccountRead, keys.PrefixGroup, nil, true},
		{"write-only cannot retrieve", &Retrieve{Namespace: 11, Timestamp: testTS}, SubaccountWrite, keys.PrefixGroup, nil, false},
		{"write store", &Store{Namespace: 11, Timestamp: testTS, TTL: 20000}, rw, keys.PrefixGroup, nil, true},
		// A member cannot fill the namespaces the admins' rekey needs.
		{"member stores keys", &Store{Namespace: 12, Timestamp: testTS, TTL: 20000}, rw | SubaccountDelete, keys.PrefixGroup, nil, false},
		{"member stores info", &Store{Namespace: 13, Timestamp: testTS, TTL: 20000}, rw, keys.PrefixGroup, nil, false},
		{"member stores members", &Store{Namespace: 14, Timestamp: testTS, TTL: 20000}, rw, keys.PrefixGroup, nil, false},
		{"public outbox needs delete too", &Store{Namespace: -1, Timestamp: testTS, TTL: 20000}, rw, keys.PrefixGroup, nil, false},
		{"public outbox with delete", &Store{Namespace: -1, Timestamp: testTS, TTL: 20000}, rw | SubaccountDelete, keys.PrefixGroup, nil, true},
		{"delete needs D", &Delete{Messages: []string{testHash}}, rw, keys.PrefixGroup, nil, false},
		{"delete with D", &Delete{Messages: []string{testHash}}, SubaccountDelete, keys.PrefixGroup, nil, true},
		{"wrong prefix", &Retrieve{Namespace: 11, Timestamp: testTS}, SubaccountRead, keys.PrefixStandard, nil, false},
		{"any prefix", &Retrieve{Namespace: 11, Timestamp: testTS}, SubaccountRead | SubaccountAnyPrefix, keys.PrefixStandard, nil, true},
		{"token not signed by owner", &Retrieve{Namespace: 11, Timestamp: testTS}, SubaccountRead, keys.PrefixGroup, keyFromByte(0x42), false},
		{"expire extend with W", &Expire{Messages: []string{testHash}, Expiry: []int64{testTS}, Extend: true}, SubaccountWrite, keys.PrefixGroup, nil, true},
	}
	for _, tt := range tests {
		sign(tt.r, tt.flags, tt.prefix, tt.signer)
		err := Verify(tt.r)
		if (err == nil) != tt.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: %v is not a 401", tt.name, err)
		}
	}

	// Without delete permission an expire is forced to extend only, and
	// shorten is refused with 400.
	e := &Expire{Messages: []string{testHash}, Expiry: []int64{testTS}}
	sign(e, SubaccountWrite, keys.PrefixGroup, nil)
	if err := Verify(e); err != nil || !e.ExtendOnly() {
		t.Fatalf("W-only expire: %v, ExtendOnly %v", err, e.ExtendOnly())
	}
	e.Shorten = true
	sign(e, SubaccountWrite, keys.PrefixGroup, nil)
	wantError(t, "W-only shorten", Verify(e), http.StatusBadRequest,
		"expire: shorten parameter cannot be used with this subaccount token (missing delete access)")

	// revoke_subaccount ignores subaccount authentication: the owner must sign.
	rv := &RevokeSubaccount{Timestamp: testTS}
	sign(rv, 0xff, keys.PrefixGroup, nil)
	if err := Verify(rv); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("revoke signed by a subaccount: %v", err)
	}
	SignAs(rv, keys.PrefixGroup, owner)
	if err := Verify(rv); err != nil {
		t.Fatalf("revoke signed by owner: %v", err)
	}

	if !RevocationExempt(&Retrieve{Namespace: -11}) || RevocationExempt(&Retrieve{Namespace: 11}) || RevocationExempt(&Store{Namespace: -11}) {
		t.Fatal("RevocationExempt")
	}
}

func TestCheckTime(t *testing.T) {
	now := time.UnixMilli(testTS)
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	signed := Auth{Signature: make([]byte, 64)}
	tests := []struct {
		name      string
		r         Request
		forwarded bool
		status    int
		reason    string
	}{
		{"store ttl ok", &Store{Timestamp: testTS, TTL: ms(TTLMaximum)}, false, 0, ""},
		{"store ttl too short", &Store{Timestamp: testTS, TTL: ms(TTLMinimum) - 1}, false, 403, "Provided expiry/TTL is not valid."},
		{"store public ttl too long", &Store{Timestamp: testTS, TTL: ms(TTLMaximum) + 1}, false, 403, "Provided expiry/TTL is not valid."},
		{"store private 30d ok", &Store{Namespace: 2, Timestamp: testTS, TTL: ms(TTLMaximumPrivate)}, false, 0, ""},
		{"store private too long", &Store{Namespace: 2, Timestamp: testTS, TTL: ms(TTLMaximumPrivate) + 1}, false, 403, "Provided expiry/TTL is not valid."},
		{"store from the future", &Store{Timestamp: testTS + ms(StoreTolerance) + 1, TTL: 60000}, false, 406, "Timestamp error: check your clock"},
		{"store already expired", &Store{Timestamp: testTS - 100000, Expiry: testTS - ms(StoreTolerance) - 1}, false, 406, "Timestamp error: check your clock"},
		{"store stale sig_timestamp", &Store{Namespace: 2, Auth: signed, Timestamp: testTS, SigTimestamp: testTS - 60001, TTL: 60000}, false, 406, "store signature timestamp too far from current time"},
		{"public store ignores sig_timestamp", &Store{Auth: signed, Timestamp: testTS, SigTimestamp: testTS - 600000, TTL: 60000}, false, 0, ""},
		{"retrieve edge", &Retrieve{Auth: signed, Timestamp: testTS + 60000}, false, 0, ""},
		{"retrieve too late", &Retrieve{Auth: signed, Timestamp: testTS + 60001}, false, 406, "retrieve timestamp too far from current time"},
		{"unsigned retrieve has no clock", &Retrieve{Namespace: -10}, false, 0, ""},
		{"delete_all 65s", &DeleteAll{Timestamp: testTS - 65000}, false, 406, "delete_all timestamp too far from current time"},
		{"delete_all 65s forwarded", &DeleteAll{Timestamp: testTS - 65000}, true, 0, ""},
		{"delete_before future", &DeleteBefore{Before: testTS + 60001}, false, 401, "delete_before timestamp too far in the future"},
		{"delete_before past ok", &DeleteBefore{Before: 1}, false, 0, ""},
		{"expire past", &Expire{Expiry: []int64{testTS, testTS - 60001}}, false, 401, "expire: timestamp should be >= current time"},
		{"expire_all past", &ExpireAll{Expiry: testTS - 65000}, false, 406, "expire_all timestamp should be >= current time"},
		{"expire_all past forwarded", &ExpireAll{Expiry: testTS - 65000}, true, 0, ""},
		{"get_expiries", &GetExpiries{Timestamp: testTS - 60001}, false, 406, "get_expiries timestamp too far from current time"},
		{"revoke", &RevokeSubaccount{Timestamp: testTS + 60001}, false, 406, "revoke_subaccount timestamp too far from current time"},
		{"unrevoke", &UnrevokeSubaccount{Timestamp: testTS + 60001}, false, 406, "unrevoke_subaccount timestamp too far from current time"},
	}
	for _, tt := range tests {
		err := CheckTime(tt.r, now, tt.forwarded)
		if tt.status == 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		wantError(t, tt.name, err, tt.status, tt.reason)
	}
}

func TestNamespaceRules(t *testing.T) {
	for _, tt := range []struct {
		ns                                                Namespace
		inbox, outbox, retrieveAuth, unrevocable, private bool
	}{
		{0, true, false, true, false, false},
		{-10, true, false, false, false, false},
		{10, true, false, true, false, false},
		{2, false, false, true, false, true},
		{-1, false, true, false, false, true},
		{-21, false, true, false, false, true},
		{-11, false, false, true, true, true},
		{-111, false, false, true, true, true},
		{-32768, false, false, true, false, true},
	} {
		n := tt.ns
		if n.IsPublicInbox() != tt.inbox || n.IsPublicOutbox() != tt.outbox || n.RetrieveNeedsAuth() != tt.retrieveAuth ||
			n.IsUnrevocable() != tt.unrevocable || n.StoreNeedsAuth() != tt.private ||
			(n.MaxTTL() == TTLMaximumPrivate) != tt.private {
			t.Errorf("namespace %d: rules wrong", n)
		}
	}
}

func TestMessageHash(t *testing.T) {
	id := testIdentity(t).SessionID()
	h0 := MessageHash(id, 0, []byte("hello"))
	if h0 != testHash || !isMessageHash(h0) {
		t.Fatalf("hash %q", h0)
	}
	group := id
	group.Prefix = keys.PrefixGroup
	for _, other := range []string{MessageHash(id, 2, []byte("hello")), MessageHash(group, 0, []byte("hello")), MessageHash(id, 0, []byte("hellO"))} {
		if other == h0 || len(other) != MessageHashLength {
			t.Fatalf("hash %q does not depend on all inputs", other)
		}
	}
}
