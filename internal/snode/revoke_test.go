package snode

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
	"github.com/session-go/session-go/internal/store"
)

// A peer's revocation is applied only with the owner's signed request for
// that very token and time; forged or mismatched ones are skipped and
// counted, never an error that would stall catch-up.
func TestSyncRevocationsNeedTheOwnersSignature(t *testing.T) {
	n := newFuzzNode(t)
	ctx := context.Background()
	seed := make([]byte, 32)
	rand.Read(seed)
	admin, _ := groups.NewAdmin(seed)
	// Another group: the seed with its first byte changed (setting it to a
	// fixed value gave the same group once in 256 runs).
	other, _ := groups.NewAdmin(append([]byte{seed[0] ^ 1}, seed[1:]...))
	m, _ := keys.NewIdentity(seed) // any account
	tok, _ := admin.SubaccountToken(m.SessionID(), true, false)
	token := storagerpc.SubaccountToken(tok)
	ts := time.Now().UnixMilli()

	signed := func(a *groups.Admin, owner keys.ID, revoke bool, at int64) []byte {
		var req storagerpc.Request
		if revoke {
			r := &storagerpc.RevokeSubaccount{Tokens: []storagerpc.SubaccountToken{token}, Timestamp: at}
			storagerpc.SignAs(r, keys.PrefixGroup, a.SecretKey())
			r.Pubkey = owner
			req = r
		} else {
			r := &storagerpc.UnrevokeSubaccount{Tokens: []storagerpc.SubaccountToken{token}, Timestamp: at}
			storagerpc.SignAs(r, keys.PrefixGroup, a.SecretKey())
			req = r
		}
		b, err := storagerpc.EncodeBody(req)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	entry := func(revoked bool, at int64, proof []byte) syncRevocation {
		return syncRevocation{Seq: 1, Owner: admin.ID().String(), Token: token[:], Revoked: revoked, At: at, Proof: proof}
	}
	revoked := func() bool {
		v, err := n.db.Revoked(ctx, admin.ID(), [store.RevocationTokenSize]byte(token))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for name, e := range map[string]syncRevocation{
		"no proof":                     entry(true, ts, nil),
		"another group's signature":    entry(true, ts, signed(other, admin.ID(), true, ts)),
		"signed for another time":      entry(true, ts+1, signed(admin, admin.ID(), true, ts)),
		"unrevoke offered as a revoke": entry(true, ts, signed(admin, admin.ID(), false, ts)),
	} {
		var rej rejections
		if err := n.applySyncRevocations(ctx, []syncRevocation{e}, &rej); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rej.n != 1 || revoked() {
			t.Fatalf("%s: applied (rejected %d)", name, rej.n)
		}
	}
	var rej rejections
	if err := n.applySyncRevocations(ctx, []syncRevocation{entry(true, ts, signed(admin, admin.ID(), true, ts))}, &rej); err != nil || rej.n != 0 {
		t.Fatalf("genuine revocation: %v, rejected %d (%s)", err, rej.n, rej.first)
	}
	if !revoked() {
		t.Fatal("genuine revocation not applied")
	}
}
