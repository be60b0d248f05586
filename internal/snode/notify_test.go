package snode

import (
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

func TestNotifierWakesAndForgets(t *testing.T) {
	nt := newNotifier()
	a := keys.ID{Prefix: keys.PrefixStandard, Key: [32]byte{1}}
	c1, r1 := nt.subscribe(a, 0)
	c2, r2 := nt.subscribe(a, 0)
	_, r3 := nt.subscribe(a, 2)
	nt.wake(a, 0)
	for _, c := range []<-chan struct{}{c1, c2} {
		select {
		case <-c:
		default:
			t.Fatal("a waiter was not woken")
		}
	}
	r1()
	r2()
	if nt.size() != 1 {
		t.Fatalf("%d mailboxes tracked, want 1 (namespace 2 still waits)", nt.size())
	}
	r3()
	if nt.size() != 0 {
		t.Fatalf("%d mailboxes tracked after every waiter left, want 0", nt.size())
	}
}
