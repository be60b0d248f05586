package directory

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/session-go/session-go/internal/nodecert"
)

// A member's Raft address is "ED25519HEX@host:port": the key it must prove
// in the TLS handshake travels with the address, so that Raft (which only
// hands its transport an address) never talks to an impostor.

// RaftAddress returns the Raft address of a member with key pub at hostport.
func RaftAddress(pub ed25519.PublicKey, hostport string) string {
	return hex.EncodeToString(pub) + "@" + hostport
}

// splitRaftAddress parses a Raft address.
func splitRaftAddress(addr string) (ed25519.PublicKey, string, error) {
	k, hostport, ok := strings.Cut(addr, "@")
	pub, err := hex.DecodeString(k)
	if !ok || err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, "", fmt.Errorf("directory: raft address %q is not ED25519HEX@host:port", addr)
	}
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		return nil, "", fmt.Errorf("directory: raft address %q: %v", addr, err)
	}
	return pub, hostport, nil
}

// tlsStream is a raft.StreamLayer over mutual TLS: the dialer checks that
// the server proves the key in the address; the server accepts only clients
// that prove a trusted key (a current member, or one named on the command
// line before this member knows the configuration).
type tlsStream struct {
	ln        net.Listener
	cert      tls.Certificate
	advertise net.Addr
	// trusted is the set of member keys (hex) accepted as clients; it is
	// refreshed from the Raft configuration.
	trusted atomic.Pointer[map[string]bool]
	extra   map[string]bool // keys trusted from the command line
}

func newTLSStream(ln net.Listener, cert tls.Certificate, self ed25519.PublicKey, extra []ed25519.PublicKey) *tlsStream {
	s := &tlsStream{ln: ln, cert: cert, advertise: raftAddr(RaftAddress(self, ln.Addr().String())), extra: map[string]bool{}}
	for _, k := range extra {
		s.extra[hex.EncodeToString(k)] = true
	}
	s.setTrusted(nil)
	return s
}

// setTrusted replaces the set of current members' keys.
func (s *tlsStream) setTrusted(members []string) {
	m := map[string]bool{}
	for k := range s.extra {
		m[k] = true
	}
	for _, k := range members {
		m[k] = true
	}
	s.trusted.Store(&m)
}

func (s *tlsStream) serverConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{s.cert},
		MinVersion:   tls.VersionTLS13,
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return nodecert.ErrUnbound
			}
			pub, err := nodecert.Identity(raw[0])
			if err != nil {
				return err
			}
			if !(*s.trusted.Load())[hex.EncodeToString(pub)] {
				return fmt.Errorf("directory: raft peer %x is not a member", []byte(pub))
			}
			return nil
		},
	}
}

// Accept implements net.Listener; the handshake runs before the connection
// is handed to Raft, with a deadline.
func (s *tlsStream) Accept() (net.Conn, error) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return nil, err
		}
		tc := tls.Server(c, s.serverConfig())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			c.Close()
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			continue // an impostor or a broken peer: not Raft's concern
		}
		return tc, nil
	}
}

// Close implements net.Listener.
func (s *tlsStream) Close() error { return s.ln.Close() }

// Addr implements net.Listener.
func (s *tlsStream) Addr() net.Addr { return s.advertise }

// Dial implements raft.StreamLayer.
func (s *tlsStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	want, hostport, err := splitRaftAddress(string(address))
	if err != nil {
		return nil, err
	}
	d := &tls.Dialer{
		NetDialer: &net.Dialer{Timeout: timeout},
		Config: &tls.Config{
			Certificates:       []tls.Certificate{s.cert},
			MinVersion:         tls.VersionTLS13,
			InsecureSkipVerify: true, // replaced by the identity check below
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				return nodecert.Verify(raw, want)
			},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, "tcp", hostport)
}

// raftAddr is a net.Addr whose String is a Raft address, so that the
// address Raft advertises for this member carries its key.
type raftAddr string

func (a raftAddr) Network() string { return "tcp" }
func (a raftAddr) String() string  { return string(a) }
