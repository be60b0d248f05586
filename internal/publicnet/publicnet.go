// Package publicnet dials only public internet addresses. A service node
// uses it for the one kind of outgoing connection whose destination a
// stranger chooses: the onion request proxied to an HTTP server. Without it
// the node is a proxy into its own loopback and private networks.
//
// The check runs in [net.Dialer.Control], on the address actually being
// connected to after name resolution, so a name that resolves to a public
// address when checked and to 127.0.0.1 when dialled (DNS rebinding) is
// refused as well.
package publicnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// ErrRefused reports a connection to an address that is not public. It is
// returned (wrapped) from the dial.
var ErrRefused = errors.New("publicnet: destination address is not public")

// nonPublic lists the ranges that are never dialled: this host, private
// networks, link-local, carrier-grade NAT, multicast, broadcast, the
// unspecified address and reserved, documentation and benchmarking ranges.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network", unspecified
	netip.MustParsePrefix("10.0.0.0/8"),         // private
	netip.MustParsePrefix("100.64.0.0/10"),      // carrier-grade NAT
	netip.MustParsePrefix("127.0.0.0/8"),        // loopback
	netip.MustParsePrefix("169.254.0.0/16"),     // link-local (cloud metadata)
	netip.MustParsePrefix("172.16.0.0/12"),      // private
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation
	netip.MustParsePrefix("192.168.0.0/16"),     // private
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation
	netip.MustParsePrefix("224.0.0.0/4"),        // multicast
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, broadcast
	netip.MustParsePrefix("::/128"),             // unspecified
	netip.MustParsePrefix("::1/128"),            // loopback
	netip.MustParsePrefix("100::/64"),           // discard
	netip.MustParsePrefix("2001:db8::/32"),      // documentation
	netip.MustParsePrefix("fc00::/7"),           // unique local (private)
	netip.MustParsePrefix("fe80::/10"),          // link-local
	netip.MustParsePrefix("fec0::/10"),          // old site-local
	netip.MustParsePrefix("ff00::/8"),           // multicast
	netip.MustParsePrefix("::ffff:0:0:0/96"),    // IPv4-translated (SIIT)
	netip.MustParsePrefix("64:ff9b:1::/48"),     // local-use NAT64
	netip.MustParsePrefix("2001::/32"),          // Teredo: tunnels to anything
	netip.MustParsePrefix("2001:10::/28"),       // ORCHID
	netip.MustParsePrefix("2001:20::/28"),       // ORCHIDv2
	netip.MustParsePrefix("::/96"),              // IPv4-compatible (deprecated)
	netip.MustParsePrefix("5f00::/16"),          // SRv6 SIDs
	netip.MustParsePrefix("3fff::/20"),          // documentation
	netip.MustParsePrefix("255.255.255.255/32"), // broadcast
}

// Prefixes of IPv6 addresses that carry an IPv4 address.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// IsPublic reports whether a is an address of the public internet: none
// of the ranges above. An IPv4 address inside IPv6 (mapped, NAT64, 6to4)
// is judged by the IPv4 address it reaches.
func IsPublic(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return IsPublic(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return IsPublic(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Control returns a [net.Dialer.Control] function that refuses every
// address that is not public, except the exact addresses in allow (for a
// devnet's own server on 127.0.0.1). Its error wraps [ErrRefused].
func Control(allow []netip.AddrPort) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %q is not an IP address and port", ErrRefused, address)
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		for _, a := range allow {
			if netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) == ap {
				return nil
			}
		}
		if !IsPublic(ap.Addr()) {
			return fmt.Errorf("%w: %s", ErrRefused, ap)
		}
		return nil
	}
}

// Dialer returns a dialer that connects only to public addresses (and to
// the addresses in allow), with the given connect timeout.
func Dialer(allow []netip.AddrPort, timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: Control(allow)}
}
