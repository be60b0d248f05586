package groups

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

// A removal notice opens for each removed member with the generation it
// names, for nobody else, and only when the group's key wrote it.
func TestKicked(t *testing.T) {
	a := newGroup(t)
	bob, carol, dan := newAccount(t), newAccount(t), newAccount(t)
	msg, err := EncodeKicked(rand.Reader, a.SecretKey(), []keys.ID{bob.SessionID(), carol.SessionID()}, 7)
	if err != nil {
		t.Fatal(err)
	}
	groupPK := a.SecretKey()[32:]
	for _, who := range []*keys.Identity{bob, carol} {
		gen, ok, err := DecodeKicked(msg, groupPK, who.X25519PrivateKey(), who.X25519PublicKey())
		if err != nil || !ok || gen != 7 {
			t.Errorf("a removed member reads %d, %v, %v", gen, ok, err)
		}
	}
	if _, ok, err := DecodeKicked(msg, groupPK, dan.X25519PrivateKey(), dan.X25519PublicKey()); ok || err != nil {
		t.Errorf("a member not removed reads it: %v, %v", ok, err)
	}
	// Another group's key (anyone's) cannot write one for this group.
	other := newGroup(t)
	forged, err := EncodeKicked(rand.Reader, other.SecretKey(), []keys.ID{bob.SessionID()}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := DecodeKicked(forged, groupPK, bob.X25519PrivateKey(), bob.X25519PublicKey()); ok || err != nil {
		t.Errorf("a notice from another key opens: %v, %v", ok, err)
	}
	for name, bad := range map[string][]byte{"empty": nil, "not bt": []byte("hello"), "no nonce": []byte("d1:el0:ee"), "too big": make([]byte, MaxKickedSize+1)} {
		if _, ok, err := DecodeKicked(bad, groupPK, bob.X25519PrivateKey(), bob.X25519PublicKey()); ok || err == nil {
			t.Errorf("%s: %v, %v", name, ok, err)
		} else if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzDecodeKicked: arbitrary bytes in namespace -11 never panic and never
// read as a removal without the group's key.
func FuzzDecodeKicked(f *testing.F) {
	a := newGroup(f)
	bob := newAccount(f)
	msg, _ := EncodeKicked(rand.Reader, a.SecretKey(), []keys.ID{bob.SessionID()}, 3)
	f.Add(msg)
	f.Add([]byte("d1:#24:aaaaaaaaaaaaaaaaaaaaaaaa1:el0:ee"))
	other := newGroup(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, ok, _ := DecodeKicked(data, other.SecretKey()[32:], bob.X25519PrivateKey(), bob.X25519PublicKey()); ok {
			t.Fatal("a notice opened with a group key that wrote none")
		}
		DecodeKicked(data, a.SecretKey()[32:], bob.X25519PrivateKey(), bob.X25519PublicKey())
	})
}
