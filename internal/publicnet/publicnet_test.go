package publicnet

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestIsPublic(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "100.64.0.1", "100.127.255.254", "224.0.0.1", "239.255.255.250",
		"0.0.0.0", "0.1.2.3", "255.255.255.255", "240.0.0.1", "198.18.0.1",
		"::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "ff05::2",
		"::ffff:127.0.0.1", "::ffff:10.1.2.3", "64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::1",
		"2002:c0a8:101::1", "2001:db8::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "::127.0.0.1",
	}
	for _, s := range refused {
		if IsPublic(netip.MustParseAddr(s)) {
			t.Errorf("%s is public, want refused", s)
		}
	}
	public := []string{"1.1.1.1", "8.8.8.8", "100.128.0.1", "172.32.0.1", "192.169.0.1", "2606:4700::1111",
		"::ffff:1.1.1.1", "64:ff9b::808:808", "2002:808:808::1"}
	for _, s := range public {
		if !IsPublic(netip.MustParseAddr(s)) {
			t.Errorf("%s is refused, want public", s)
		}
	}
	if IsPublic(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

// TestDialRefusesLoopback dials a real listener on 127.0.0.1: refused
// unless its exact address is allowed.
func TestDialRefusesLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := ln.Addr().String()
	if c, err := Dialer(nil, 5*time.Second).DialContext(ctx, "tcp", addr); !errors.Is(err, ErrRefused) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("dial %s: %v, want ErrRefused", addr, err)
	}
	// "localhost" resolves at dial time, and is judged by what it resolved to.
	_, port, _ := net.SplitHostPort(addr)
	if _, err := Dialer(nil, 5*time.Second).DialContext(ctx, "tcp", net.JoinHostPort("localhost", port)); !errors.Is(err, ErrRefused) {
		t.Fatalf("dial localhost: %v, want ErrRefused", err)
	}
	allowed := netip.MustParseAddrPort(addr)
	c, err := Dialer([]netip.AddrPort{allowed}, 5*time.Second).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial the allowed %s: %v", addr, err)
	}
	c.Close()
	// Allowing one port does not open the host's other ports.
	other := netip.AddrPortFrom(allowed.Addr(), allowed.Port()+1)
	if _, err := Dialer([]netip.AddrPort{allowed}, 5*time.Second).DialContext(ctx, "tcp", other.String()); !errors.Is(err, ErrRefused) {
		t.Fatalf("dial %s next to the allowed port: %v, want ErrRefused", other, err)
	}
}
