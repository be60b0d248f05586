package snode

import "testing"

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":               "192.0.2.7",
		"::ffff:192.0.2.7":        "192.0.2.7",
		"2001:db8:1:2:3:4:5:6":    "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":    "2001:db8:1:2::/64",
		"fe80::1%eth0":            "fe80::/64",
		"not an address":          "not an address",
		"2001:db8:1:3:3:4:5:6":    "2001:db8:1:3::/64",
		"2001:0db8:0001:0002::10": "2001:db8:1:2::/64",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInflight(t *testing.T) {
	f := newInflight(3, 2)
	r1, ok1 := f.acquire("a", 0)
	_, ok2 := f.acquire("a", 0)
	if _, ok := f.acquire("a", 0); !ok1 || !ok2 || ok {
		t.Fatalf("per-sender cap of 2: got %v %v %v", ok1, ok2, ok)
	}
	if _, ok := f.acquire("b", 0); !ok {
		t.Fatal("another sender was refused below the total")
	}
	if _, ok := f.acquire("c", 5); ok {
		t.Fatal("the total cap of 3 was passed")
	}
	r1()
	r1() // a second release is a no-op
	if f.held() != 2 {
		t.Fatalf("held %d after one release, want 2", f.held())
	}
	if _, ok := f.acquire("c", 0); !ok {
		t.Fatal("a released slot was not reusable")
	}
	if _, ok := f.acquire("c", 0); ok {
		t.Fatal("the total cap of 3 was passed after a release")
	}
}
