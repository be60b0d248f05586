// Package socks5 is a SOCKS5 proxy for tests: RFC 1928 with no
// authentication and the CONNECT command only. It listens on 127.0.0.1,
// connects only to loopback destinations, and records every destination it
// was asked for, so that a test can check that a client's traffic really went
// through the proxy (as it would through Tor) rather than around it.
//
// It is test scaffolding, not a proxy for real use: it has no access control
// beyond the loopback rule and no limits on the number of connections.
package socks5

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Protocol constants of RFC 1928.
const (
	version = 5

	methodNoAuth       = 0x00
	methodNoAcceptable = 0xff

	cmdConnect = 1

	atypIPv4   = 1
	atypDomain = 3
	atypIPv6   = 4

	repSucceeded          = 0
	repGeneralFailure     = 1
	repNotAllowed         = 2
	repHostUnreachable    = 4
	repConnectionRefused  = 5
	repCommandUnsupported = 7
	repAddressUnsupported = 8
)

// handshakeTimeout bounds how long a client may take to send its greeting
// and request, so a stalled client cannot hold a connection forever.
const handshakeTimeout = 10 * time.Second

// dialTimeout bounds the proxy's own connection to the destination.
const dialTimeout = 10 * time.Second

// Server is a running SOCKS5 proxy on 127.0.0.1. It is safe for concurrent
// use.
type Server struct {
	ln net.Listener

	mu     sync.Mutex // guards dests, conns and closed
	dests  []string
	conns  map[net.Conn]struct{}
	closed bool

	wg sync.WaitGroup // the accept loop and every connection's goroutines
}

// New starts a proxy on 127.0.0.1 at a free port. Stop it with Close.
func New() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("socks5: %w", err)
	}
	s := &Server{ln: ln, conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr returns the proxy's address, 127.0.0.1:PORT.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Destinations returns, in order, the host:port of every CONNECT request the
// proxy has read, including those it refused. Hosts are as the client sent
// them: an IP address or a domain name.
func (s *Server) Destinations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.dests)
}

// Close stops the proxy: it closes the listener and every open connection,
// and waits for the proxy's goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// track registers c so that Close closes it; it reports false (and closes
// c) when the server is already closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

func (s *Server) record(dest string) {
	s.mu.Lock()
	s.dests = append(s.dests, dest)
	s.mu.Unlock()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		if !s.track(c) {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.handle(c)
		}()
	}
}

// handle serves one client connection: handshake, then relay.
func (s *Server) handle(c net.Conn) {
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := negotiate(c, c); err != nil {
		return
	}
	req, err := readRequest(c)
	if err != nil {
		var re *requestError
		if errors.As(err, &re) {
			writeReply(c, re.code, nil)
		}
		return
	}
	s.record(req.String())
	if req.cmd != cmdConnect {
		writeReply(c, repCommandUnsupported, nil)
		return
	}
	target, ok := req.loopbackTarget()
	if !ok {
		// Tests must never reach past this machine through the proxy.
		writeReply(c, repNotAllowed, nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	up, err := (&net.Dialer{}).DialContext(ctx, "tcp", target)
	cancel()
	if err != nil {
		code := byte(repHostUnreachable)
		if errors.Is(err, syscall.ECONNREFUSED) {
			code = repConnectionRefused
		}
		writeReply(c, code, nil)
		return
	}
	if !s.track(up) {
		writeReply(c, repGeneralFailure, nil)
		return
	}
	defer s.untrack(up)
	bound := up.LocalAddr().(*net.TCPAddr).AddrPort()
	if err := writeReply(c, repSucceeded, &bound); err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	relay(c, up)
}

// relay copies bytes both ways until both directions have ended, passing a
// half-close on so that each side sees the other's end of stream.
func relay(a, b net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		pipe(b, a)
	}()
	pipe(a, b)
	<-done
}

func pipe(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if cw, ok := dst.(interface{ CloseWrite() error }); ok && err == nil {
		cw.CloseWrite()
		return
	}
	// An error on one side ends the whole relay.
	dst.Close()
	src.Close()
}

// negotiate reads the client's greeting from r and answers it on w. Only
// "no authentication" is offered; a client that does not list it is told
// that no method is acceptable.
func negotiate(r io.Reader, w io.Writer) error {
	methods, err := readGreeting(r)
	if err != nil {
		return err
	}
	if !slices.Contains(methods, methodNoAuth) {
		w.Write([]byte{version, methodNoAcceptable})
		return errors.New("socks5: client offers no acceptable authentication method")
	}
	_, err = w.Write([]byte{version, methodNoAuth})
	return err
}

// readGreeting reads a method-selection message: VER NMETHODS METHODS.
func readGreeting(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("socks5: greeting: %w", err)
	}
	if hdr[0] != version {
		return nil, fmt.Errorf("socks5: greeting: version %d, want %d", hdr[0], version)
	}
	if hdr[1] == 0 {
		return nil, errors.New("socks5: greeting lists no methods")
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return nil, fmt.Errorf("socks5: greeting: %w", err)
	}
	return methods, nil
}

// request is a parsed SOCKS5 request. Exactly one of ip and domain is set,
// as atyp says.
type request struct {
	cmd    byte
	atyp   byte
	ip     netip.Addr // atypIPv4 (4 bytes) or atypIPv6 (16 bytes, kept as sent)
	domain string     // atypDomain
	port   uint16
}

// requestError is a request that was read but cannot be served; code is
// the reply to send.
type requestError struct {
	code byte
	msg  string
}

func (e *requestError) Error() string { return "socks5: " + e.msg }

// readRequest reads VER CMD RSV ATYP DST.ADDR DST.PORT.
func readRequest(r io.Reader) (request, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return request{}, fmt.Errorf("socks5: request: %w", err)
	}
	if hdr[0] != version {
		return request{}, fmt.Errorf("socks5: request: version %d, want %d", hdr[0], version)
	}
	if hdr[2] != 0 {
		return request{}, &requestError{repGeneralFailure, fmt.Sprintf("request: reserved byte is %#x, want 0", hdr[2])}
	}
	req := request{cmd: hdr[1], atyp: hdr[3]}
	switch req.atyp {
	case atypIPv4:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return request{}, fmt.Errorf("socks5: request: %w", err)
		}
		req.ip = netip.AddrFrom4(b)
	case atypIPv6:
		var b [16]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return request{}, fmt.Errorf("socks5: request: %w", err)
		}
		req.ip = netip.AddrFrom16(b)
	case atypDomain:
		var n [1]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return request{}, fmt.Errorf("socks5: request: %w", err)
		}
		if n[0] == 0 {
			return request{}, &requestError{repAddressUnsupported, "request: empty domain name"}
		}
		b := make([]byte, n[0])
		if _, err := io.ReadFull(r, b); err != nil {
			return request{}, fmt.Errorf("socks5: request: %w", err)
		}
		req.domain = string(b)
	default:
		return request{}, &requestError{repAddressUnsupported, fmt.Sprintf("request: address type %d", req.atyp)}
	}
	var p [2]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return request{}, fmt.Errorf("socks5: request: %w", err)
	}
	req.port = uint16(p[0])<<8 | uint16(p[1])
	return req, nil
}

// marshal encodes req as a client would send it.
func (req request) marshal() []byte {
	b := []byte{version, req.cmd, 0, req.atyp}
	switch req.atyp {
	case atypIPv4:
		a := req.ip.As4()
		b = append(b, a[:]...)
	case atypIPv6:
		a := req.ip.As16()
		b = append(b, a[:]...)
	case atypDomain:
		b = append(b, byte(len(req.domain)))
		b = append(b, req.domain...)
	}
	return append(b, byte(req.port>>8), byte(req.port))
}

// host returns the destination host as the client gave it.
func (req request) host() string {
	if req.atyp == atypDomain {
		return req.domain
	}
	return req.ip.String()
}

// String returns host:port.
func (req request) String() string {
	return net.JoinHostPort(req.host(), strconv.Itoa(int(req.port)))
}

// loopbackTarget returns the address to dial for req, if it is on this
// machine: a loopback IP, or "localhost" or a name under ".localhost"
// (RFC 6761), which is taken as 127.0.0.1 without asking any resolver.
func (req request) loopbackTarget() (string, bool) {
	if req.atyp == atypDomain {
		d := strings.ToLower(strings.TrimSuffix(req.domain, "."))
		if d != "localhost" && !strings.HasSuffix(d, ".localhost") {
			return "", false
		}
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(req.port))), true
	}
	ip := req.ip.Unmap()
	if !ip.IsLoopback() {
		return "", false
	}
	return netip.AddrPortFrom(ip, req.port).String(), true
}

// writeReply sends VER REP RSV ATYP BND.ADDR BND.PORT; a nil bound sends
// 0.0.0.0:0, as failures do.
func writeReply(w io.Writer, code byte, bound *netip.AddrPort) error {
	ap := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	if bound != nil {
		ap = *bound
	}
	ip := ap.Addr().Unmap()
	b := []byte{version, code, 0}
	if ip.Is4() {
		a := ip.As4()
		b = append(append(b, atypIPv4), a[:]...)
	} else {
		a := ip.As16()
		b = append(append(b, atypIPv6), a[:]...)
	}
	b = append(b, byte(ap.Port()>>8), byte(ap.Port()))
	_, err := w.Write(b)
	return err
}
