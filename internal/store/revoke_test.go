package store

import (
	"context"
	"testing"
	"time"
)

func TestRevocations(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, newClock(), nil)
	o := owner(3)
	tok := [RevocationTokenSize]byte{3, 1}
	at := time.UnixMilli(1_700_000_000_000)
	isRevoked := func(s *Store) bool {
		t.Helper()
		v, err := s.Revoked(ctx, o, tok)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if isRevoked(s) {
		t.Fatal("revoked before any decision")
	}
	n, err := s.ApplyRevocations(ctx, []Revocation{{Owner: o, Token: tok, Revoked: true, At: at, Proof: []byte("p1")}})
	if err != nil || n != 1 || !isRevoked(s) {
		t.Fatalf("revoke: %d %v", n, err)
	}
	// The same decision again, and an older unrevoke arriving late,
	// change nothing.
	n, err = s.ApplyRevocations(ctx, []Revocation{
		{Owner: o, Token: tok, Revoked: true, At: at},
		{Owner: o, Token: tok, Revoked: false, At: at.Add(-time.Second)},
		{Owner: o, Token: tok, Revoked: false, At: at},
	})
	if err != nil || n != 0 || !isRevoked(s) {
		t.Fatalf("stale decisions: %d %v, revoked %v", n, err, isRevoked(s))
	}
	if _, err := s.ApplyRevocations(ctx, []Revocation{{Owner: o, Token: tok, Revoked: false, At: at.Add(time.Second)}}); err != nil || isRevoked(s) {
		t.Fatalf("newer unrevoke: %v, revoked %v", err, isRevoked(s))
	}
	// Another owner's identical token is a different subaccount.
	if v, _ := s.Revoked(ctx, owner(4), tok); v {
		t.Fatal("revocation leaked to another owner")
	}
	list, err := s.ListRevocationsSince(ctx, 0, 10)
	if err != nil || len(list) != 1 || list[0].Revoked || list[0].Owner != o {
		t.Fatalf("list: %+v %v", list, err)
	}
	if more, _ := s.ListRevocationsSince(ctx, list[0].Seq, 10); len(more) != 0 {
		t.Fatalf("after the cursor: %d", len(more))
	}

	// The per-owner cap keeps the newest revocations.
	var rs []Revocation
	for i := range MaxRevocations + 20 {
		var k [RevocationTokenSize]byte
		k[0], k[4], k[5] = 3, byte(i), byte(i>>8)
		rs = append(rs, Revocation{Owner: o, Token: k, Revoked: true, At: at.Add(time.Duration(i) * time.Millisecond)})
	}
	if _, err := s.ApplyRevocations(ctx, rs); err != nil {
		t.Fatal(err)
	}
	all, _ := s.ListRevocationsSince(ctx, 0, 1000)
	if len(all) != MaxRevocations {
		t.Fatalf("%d decisions kept, want %d", len(all), MaxRevocations)
	}
	if v, _ := s.Revoked(ctx, o, rs[len(rs)-1].Token); !v {
		t.Fatal("newest revocation evicted")
	}
	if v, _ := s.Revoked(ctx, o, rs[0].Token); v {
		t.Fatal("oldest revocation kept past the cap")
	}
	// Decisions survive a restart.
	s.Close()
	s2 := openAt(t, path, newClock(), nil)
	if v, _ := s2.Revoked(ctx, o, rs[len(rs)-1].Token); !v {
		t.Fatal("revocation lost across a restart")
	}
}
