package socks5

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"golang.org/x/net/proxy"
)

// start runs a proxy for the test's duration.
func start(t *testing.T) *Server {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// echoServer answers every connection by echoing it back until the client
// half-closes, then closes.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func dialer(t *testing.T, s *Server) proxy.ContextDialer {
	t.Helper()
	d, err := proxy.SOCKS5("tcp", s.Addr(), nil, &net.Dialer{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return d.(proxy.ContextDialer)
}

func TestConnectRelaysBothWays(t *testing.T) {
	s := start(t)
	echo := echoServer(t)
	_, port, _ := net.SplitHostPort(echo)
	d := dialer(t, s)
	want := []string{echo, net.JoinHostPort("localhost", port)}
	for _, dest := range want {
		c, err := d.DialContext(t.Context(), "tcp", dest)
		if err != nil {
			t.Fatalf("dial %s through the proxy: %v", dest, err)
		}
		msg := []byte("ping through the proxy to " + dest)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		got := make([]byte, len(msg))
		_, err = io.ReadFull(c, got)
		c.Close()
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("echo via %s: %q, %v (want %q)", dest, got, err, msg)
		}
	}
	if got := s.Destinations(); !slices.Equal(got, want) {
		t.Errorf("Destinations() = %q, want %q", got, want)
	}
}

// TestHalfClose checks that an end of stream crosses the proxy both ways:
// the echo server sees ours, closes, and we then see its.
func TestHalfClose(t *testing.T) {
	s := start(t)
	dest := netipPort(t, echoServer(t))
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := request{cmd: cmdConnect, atyp: atypIPv4, ip: dest.Addr(), port: dest.Port()}.marshal()
	msg := []byte("half a conversation")
	// Greeting, request and data in one write, as an eager client may send.
	if _, err := c.Write(slices.Concat([]byte{5, 1, 0}, req, msg)); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 12 || !bytes.Equal(got[:2], []byte{5, 0}) || got[2] != 5 || got[3] != repSucceeded {
		t.Fatalf("handshake answers %x", got)
	}
	if !bytes.Equal(got[12:], msg) {
		t.Errorf("echoed %q, want %q", got[12:], msg)
	}
}

// exchange sends a raw greeting and request and returns the proxy's answers.
func exchange(t *testing.T, s *Server, greeting, req []byte) (method []byte, reply []byte) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(greeting); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	method = make([]byte, 2)
	if _, err := io.ReadFull(r, method); err != nil {
		t.Fatalf("no method selection: %v", err)
	}
	if req == nil {
		return method, nil
	}
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	reply = make([]byte, 10) // failures carry an IPv4 0.0.0.0:0
	if _, err := io.ReadFull(r, reply); err != nil {
		t.Fatalf("no reply: %v", err)
	}
	return method, reply
}

func TestRefusals(t *testing.T) {
	s := start(t)
	dead := deadAddr(t)
	deadReq := func() []byte {
		ap := netipPort(t, dead)
		return request{cmd: cmdConnect, atyp: atypIPv4, ip: ap.Addr(), port: ap.Port()}.marshal()
	}()
	for _, tc := range []struct {
		name string
		req  []byte
		code byte
		dest string // "" when nothing is recorded
	}{
		// 192.0.2.1 is TEST-NET-1: the proxy must refuse it without dialing.
		{"not loopback", []byte{5, 1, 0, 1, 192, 0, 2, 1, 0x01, 0xbb}, repNotAllowed, "192.0.2.1:443"},
		{"not loopback name", append(append([]byte{5, 1, 0, 3, 11}, "example.org"...), 0, 80), repNotAllowed, "example.org:80"},
		{"ipv4-mapped not loopback", []byte{5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1, 0, 80}, repNotAllowed, "[::ffff:192.0.2.1]:80"},
		{"bind", []byte{5, 2, 0, 1, 127, 0, 0, 1, 0, 80}, repCommandUnsupported, "127.0.0.1:80"},
		{"udp associate", []byte{5, 3, 0, 1, 127, 0, 0, 1, 0, 80}, repCommandUnsupported, "127.0.0.1:80"},
		{"address type", []byte{5, 1, 0, 9, 127, 0, 0, 1, 0, 80}, repAddressUnsupported, ""},
		{"empty name", []byte{5, 1, 0, 3, 0, 0, 80}, repAddressUnsupported, ""},
		{"reserved byte", []byte{5, 1, 1, 1, 127, 0, 0, 1, 0, 80}, repGeneralFailure, ""},
		{"nobody listening", deadReq, repConnectionRefused, dead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.Destinations())
			method, reply := exchange(t, s, []byte{5, 1, 0}, tc.req)
			if !bytes.Equal(method, []byte{5, 0}) {
				t.Fatalf("method selection %x, want 0500", method)
			}
			if reply[0] != 5 || reply[1] != tc.code {
				t.Errorf("reply %x, want code %d", reply, tc.code)
			}
			got := s.Destinations()[before:]
			if tc.dest == "" && len(got) != 0 || tc.dest != "" && !slices.Equal(got, []string{tc.dest}) {
				t.Errorf("recorded %q, want %q", got, tc.dest)
			}
		})
	}
}

func TestNoAcceptableMethod(t *testing.T) {
	s := start(t)
	// Only username/password (2) is offered.
	method, _ := exchange(t, s, []byte{5, 1, 2}, nil)
	if !bytes.Equal(method, []byte{5, 0xff}) {
		t.Errorf("method selection %x, want 05ff", method)
	}
}

func TestCloseEndsOpenConnections(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := dialer(t, s).DialContext(t.Context(), "tcp", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs with a relayed connection open")
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("read after Close: %v, want the connection closed", err)
	}
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		t.Error("the proxy still accepts connections after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestReadRequest(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string // "" means an error
	}{
		{[]byte{5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90}, "127.0.0.1:8080"},
		{[]byte{5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 22}, "[::1]:22"},
		{append(append([]byte{5, 1, 0, 3, 9}, "localhost"...), 0xff, 0xff), "localhost:65535"},
		{[]byte{4, 1, 0, 1, 127, 0, 0, 1, 0, 80}, ""},    // SOCKS4 version
		{[]byte{5, 1, 0, 1, 127, 0, 0}, ""},              // cut short
		{[]byte{5, 1, 0, 3, 5, 'a', 'b'}, ""},            // name cut short
		{[]byte{5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0}, ""}, // IPv6 cut short
		{nil, ""},
	} {
		req, err := readRequest(bytes.NewReader(tc.in))
		if tc.want == "" {
			if err == nil {
				t.Errorf("readRequest(%x) = %v, want an error", tc.in, req)
			}
			continue
		}
		if err != nil || req.String() != tc.want {
			t.Errorf("readRequest(%x) = %v, %v; want %s", tc.in, req, err, tc.want)
			continue
		}
		if got := req.marshal(); !bytes.Equal(got, tc.in) {
			t.Errorf("marshal = %x, want %x", got, tc.in)
		}
	}
}

func TestReadGreeting(t *testing.T) {
	for _, tc := range []struct {
		in []byte
		ok bool
	}{
		{[]byte{5, 1, 0}, true},
		{[]byte{5, 3, 2, 1, 0}, true},
		{[]byte{5, 0}, false},
		{[]byte{4, 1, 0}, false},
		{[]byte{5, 2, 0}, false},
		{[]byte{5}, false},
	} {
		m, err := readGreeting(bytes.NewReader(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("readGreeting(%x) = %x, %v; want ok=%v", tc.in, m, err, tc.ok)
		}
		if err == nil && !bytes.Equal(m, tc.in[2:]) {
			t.Errorf("readGreeting(%x) methods = %x", tc.in, m)
		}
	}
}

// FuzzHandshake feeds a greeting and a request to the parsers. They must
// never panic, and an accepted request must encode back to the bytes read.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90})
	f.Add([]byte{5, 2, 0, 2, 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 22})
	f.Add(append(append([]byte{5, 1, 0, 5, 1, 0, 3, 9}, "localhost"...), 0, 80))
	f.Add([]byte{5, 1, 2})
	f.Add([]byte{5, 1, 0, 5, 2, 0, 9, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var answer bytes.Buffer
		if err := negotiate(r, &answer); err != nil {
			return
		}
		if !bytes.Equal(answer.Bytes(), []byte{5, 0}) {
			t.Fatalf("accepted greeting answered %x", answer.Bytes())
		}
		start := len(data) - r.Len()
		req, err := readRequest(r)
		if err != nil {
			return
		}
		read := data[start : len(data)-r.Len()]
		if got := req.marshal(); !bytes.Equal(got, read) {
			t.Fatalf("marshal = %x, read %x", got, read)
		}
		if req.host() == "" {
			t.Fatalf("accepted request %x has no host", read)
		}
		if target, ok := req.loopbackTarget(); ok {
			host, _, err := net.SplitHostPort(target)
			ip := net.ParseIP(host)
			if err != nil || ip == nil || !ip.IsLoopback() {
				t.Fatalf("request %x would dial %q, not a loopback address", read, target)
			}
		}
	})
}

func netipPort(t *testing.T, addr string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}
