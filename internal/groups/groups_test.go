package groups

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

func newAccount(t testing.TB) *keys.Identity {
	t.Helper()
	seed := make([]byte, 32)
	rand.Read(seed)
	id, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newGroup(t testing.TB) *Admin {
	t.Helper()
	seed := make([]byte, 32)
	rand.Read(seed)
	a, err := NewAdmin(seed)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func ring(t testing.TB, id *keys.Identity, a *Admin, admin bool) *KeyRing {
	t.Helper()
	var ad *Admin
	if admin {
		ad = a
	}
	r, err := NewKeyRing(id.Ed25519PrivateKey(), a.PublicKey(), ad)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A removed member keeps old keys but cannot read what is written after
// the rekey; the remaining member can.
func TestRekeyRemovesAccess(t *testing.T) {
	a := newGroup(t)
	adminID, alice, bob := newAccount(t), newAccount(t), newAccount(t)
	ar := ring(t, adminID, a, true)
	rAlice, rBob := ring(t, alice, a, false), ring(t, bob, a, false)

	all := []keys.ID{adminID.SessionID(), alice.SessionID(), bob.SessionID()}
	msg, err := ar.Rekey(all)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []*KeyRing{ar, rAlice, rBob} {
		if found, err := r.Load("h0", msg, 1000); err != nil || !found {
			t.Fatalf("ring %d: load gen 0: %v %v", i, found, err)
		}
	}
	msg, err = ar.Rekey([]keys.ID{adminID.SessionID(), alice.SessionID()})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []*KeyRing{ar, rAlice, rBob} {
		found, err := r.Load("h1", msg, 2000)
		if err != nil || found != (i != 2) {
			t.Fatalf("ring %d: load gen 1: found %v, %v", i, found, err)
		}
	}
	key, _ := ar.EncryptionKey()
	ct, err := EncryptMessage(rand.Reader, key, adminID.Ed25519PrivateKey(), []byte("after removal"), true, 256)
	if err != nil {
		t.Fatal(err)
	}
	if len(ct)%256 != 0 {
		t.Errorf("padded message is %d bytes", len(ct))
	}
	from, pt, err := DecryptMessage(rAlice.Keys(), ct)
	if err != nil || string(pt) != "after removal" || from != adminID.SessionID() {
		t.Fatalf("alice: %v %q %v", from, pt, err)
	}
	if _, _, err := DecryptMessage(rBob.Keys(), ct); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("removed bob decrypted: %v", err)
	}
	if len(rBob.Keys()) != 1 || rAlice.Generation() != 1 {
		t.Errorf("bob keeps %d keys, alice at generation %d", len(rBob.Keys()), rAlice.Generation())
	}
}

// Key messages that are forged, truncated or resigned by another key change
// nothing.
func TestLoadRejectsForgeries(t *testing.T) {
	a, other := newGroup(t), newGroup(t)
	m := newAccount(t)
	msg, _, err := a.Rekey([]keys.ID{m.SessionID()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := other.Rekey([]keys.ID{m.SessionID()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(msg)
	flipped[40] ^= 1
	r := ring(t, m, a, false)
	for name, bad := range map[string][]byte{
		"other group's signature": forged,
		"flipped byte":            flipped,
		"truncated":               msg[:len(msg)-1],
		"signature stripped":      append(bytes.Clone(msg[:len(msg)-71]), 'e'),
		"empty":                   nil,
	} {
		if found, err := r.Load("x", bad, 1); err == nil || found {
			t.Errorf("%s: accepted (found %v)", name, found)
		}
	}
	if len(r.Keys()) != 0 {
		t.Fatalf("forgeries left %d keys", len(r.Keys()))
	}
	if found, err := r.Load("ok", msg, 1); err != nil || !found {
		t.Fatalf("honest message: %v %v", found, err)
	}
}

// Old generations expire KeyExpiry after a newer one appeared.
func TestKeyExpiry(t *testing.T) {
	a := newGroup(t)
	m := newAccount(t)
	r := ring(t, m, a, false)
	day := int64(24 * 3600 * 1000)
	for g := int64(0); g < 3; g++ {
		msg, _, err := a.Rekey([]keys.ID{m.SessionID()}, g)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Load("h", msg, g*40*day); err != nil {
			t.Fatal(err)
		}
	}
	// Generation 1 appeared at day 40, generation 2 at day 80: 0 is still
	// needed until day 100.
	if n := len(r.Keys()); n != 3 {
		t.Fatalf("%d keys before expiry, want 3", n)
	}
	msg, _, _ := a.Rekey([]keys.ID{m.SessionID()}, 3)
	if _, err := r.Load("h3", msg, 101*day); err != nil {
		t.Fatal(err)
	}
	if n := len(r.Keys()); n != 3 || r.Generation() != 3 {
		t.Fatalf("after expiry: %d keys at generation %d, want 3 at 3", n, r.Generation())
	}
}

func TestSupplementGivesOldKeys(t *testing.T) {
	a := newGroup(t)
	adminID, late := newAccount(t), newAccount(t)
	ar := ring(t, adminID, a, true)
	msg, _ := ar.Rekey([]keys.ID{adminID.SessionID()})
	if _, err := ar.Load("h0", msg, 5); err != nil {
		t.Fatal(err)
	}
	supp, err := ar.Supplement([]keys.ID{late.SessionID()})
	if err != nil {
		t.Fatal(err)
	}
	r := ring(t, late, a, false)
	if found, err := r.Load("s", supp, 6); err != nil || !found {
		t.Fatalf("supplement: %v %v", found, err)
	}
	if got, want := r.Keys(), ar.Keys(); len(got) != 1 || got[0] != want[0] {
		t.Fatal("supplement did not give the admin's key")
	}
	if found, _ := ring(t, newAccount(t), a, false).Load("s", supp, 6); found {
		t.Fatal("stranger found a key in the supplement")
	}
}

// A storage server accepts a subaccount only with the flags a request
// needs, for the right group, and refuses tampered tokens.
func TestSubaccountRequest(t *testing.T) {
	a, other := newGroup(t), newGroup(t)
	m := newAccount(t)
	auth, err := a.MakeSubaccount(m.SessionID(), true, false)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifySubaccountGrant(a.ID(), m.Ed25519PrivateKey(), auth, true, false) {
		t.Fatal("member does not accept its own grant")
	}
	msg := []byte("store111700000000000")
	sa, err := SignSubaccount(m.Ed25519PrivateKey(), auth, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySubaccountRequest(a.ID(), sa.Token, sa.TokenSig, sa.Signature, msg, Needs{Read: true, Write: true}); err != nil {
		t.Fatalf("honest store refused: %v", err)
	}
	if err := VerifySubaccountRequest(a.ID(), sa.Token, sa.TokenSig, sa.Signature, msg, Needs{Delete: true}); !errors.Is(err, ErrDenied) {
		t.Errorf("delete without the delete flag: %v", err)
	}
	if err := VerifySubaccountRequest(other.ID(), sa.Token, sa.TokenSig, sa.Signature, msg, Needs{Read: true}); !errors.Is(err, ErrSignature) {
		t.Errorf("token used on another group: %v", err)
	}
	tok := bytes.Clone(sa.Token)
	tok[1] |= FlagDelete
	if err := VerifySubaccountRequest(a.ID(), tok, sa.TokenSig, sa.Signature, msg, Needs{Delete: true}); !errors.Is(err, ErrSignature) {
		t.Errorf("self-granted delete flag: %v", err)
	}
	if err := VerifySubaccountRequest(a.ID(), sa.Token, sa.TokenSig, sa.Signature, []byte("other"), Needs{Read: true}); !errors.Is(err, ErrSignature) {
		t.Errorf("signature over another message: %v", err)
	}
	// Someone else holding the auth data cannot sign as the subaccount.
	thief := newAccount(t)
	sb, err := SignSubaccount(thief.Ed25519PrivateKey(), auth, msg)
	if err == nil {
		if err := VerifySubaccountRequest(a.ID(), sb.Token, sb.TokenSig, sb.Signature, msg, Needs{Read: true}); err == nil {
			t.Error("stolen auth data signed a request")
		}
	}
}

func TestConfigRoundTrip(t *testing.T) {
	a := newGroup(t)
	body := []byte("d1:#i1e1:&d1:n4:Teste1:<le1:=de")
	signed := append(body, "1:~64:"...)
	signed = append(signed, a.Sign(body)...)
	signed = append(signed, 'e')
	var key [32]byte
	rand.Read(key[:])
	push, err := SealConfig(signed, key, DomainInfo)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := OpenConfig(push, [][32]byte{{1}, key}, DomainInfo, a.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := VerifyConfig(msg, a.PublicKey())
	if ParseInfo(d).Name != "Test" {
		t.Fatalf("name %q", ParseInfo(d).Name)
	}
	if _, err := OpenConfig(push, [][32]byte{key}, DomainInfo, newGroup(t).PublicKey()); !errors.Is(err, ErrSignature) {
		t.Fatalf("another group's key verified: %v", err)
	}
}

func TestMessageRejectsForgedSender(t *testing.T) {
	var key [32]byte
	rand.Read(key[:])
	m := newAccount(t)
	ct, err := EncryptMessage(rand.Reader, key, m.Ed25519PrivateKey(), []byte("hi"), false, 1)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := OpenMessage([][32]byte{key}, ct)
	if err != nil {
		t.Fatal(err)
	}
	// Swap the author key for another account's: the signature fails.
	other := newAccount(t)
	forged := bytes.Replace(inner, m.Ed25519PublicKey(), other.Ed25519PublicKey(), 1)
	nonce := ct[:24]
	fct := append(bytes.Clone(nonce), seal(key[:], nonce, forged)...)
	if _, _, err := DecryptMessage([][32]byte{key}, fct); !errors.Is(err, ErrSignature) {
		t.Fatalf("forged author: %v", err)
	}
	_ = ed25519.PublicKeySize
}

func TestControlSignatures(t *testing.T) {
	a, other := newGroup(t), newGroup(t)
	m := newAccount(t)
	inv := InviteSigned(m.SessionID(), 1700000000123)
	if want := "INVITE" + m.SessionID().String() + "1700000000123"; string(inv) != want {
		t.Fatalf("invite text %q", inv)
	}
	sig := a.Sign(inv)
	if !VerifyAdmin(a.ID(), inv, sig) {
		t.Fatal("admin signature refused")
	}
	if VerifyAdmin(other.ID(), inv, sig) || VerifyAdmin(a.ID(), InviteSigned(m.SessionID(), 1700000000124), sig) {
		t.Fatal("signature accepted for another group or timestamp")
	}
	if got := string(MemberChangeSigned(MemberChangeRemoved, 5)); got != "MEMBER_CHANGE25" {
		t.Fatalf("member change text %q", got)
	}
	if got := string(InfoChangeSigned(InfoChangeName, 7)); got != "INFO_CHANGE17" {
		t.Fatalf("info change text %q", got)
	}
	if got := string(DeleteContentSigned(9, []keys.ID{m.SessionID()}, []string{"h1", "h2"})); got != "DELETE_CONTENT9"+m.SessionID().String()+"h1h2" {
		t.Fatalf("delete content text %q", got)
	}
}

func TestKeyRingDump(t *testing.T) {
	a := newGroup(t)
	adminID, m := newAccount(t), newAccount(t)
	ar := ring(t, adminID, a, true)
	all := []keys.ID{adminID.SessionID(), m.SessionID()}
	msg, _ := ar.Rekey(all)
	ar.Load("h0", msg, 10)
	ar.Rekey(all) // pending
	again := ring(t, adminID, a, true)
	if err := again.LoadDump(ar.Dump()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Dump(), ar.Dump()) || len(again.Keys()) != 2 || !bytes.Equal(again.PendingMessage(), ar.PendingMessage()) {
		t.Fatal("dump does not round-trip")
	}
	if got := again.ActiveHashes(); len(got) != 1 || got[0] != "h0" {
		t.Fatalf("active hashes %v", got)
	}
	for _, bad := range [][]byte{nil, []byte("de"), []byte("d1:Ale1:Lld1:gi0e1:k1:x1:ti0eeee")} {
		if err := again.LoadDump(bad); err == nil {
			t.Errorf("bad dump %q accepted", bad)
		}
	}
}
