package snode

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/nodecert"
)

// Node-to-node TLS. A node serves a certificate bound to its Ed25519
// identity (see package nodecert); Session clients do not verify it (they
// authenticate nodes by the onion-layer X25519 key) and see an ordinary
// self-signed certificate. A node connecting to an address the directory
// lists checks that the server there proves that node's identity, so that
// whoever answers at a stopped peer's address cannot pass for it; peerPost
// checks again, per answer, that it came from the very peer it asked.

// peerClient is the HTTPS client for node-to-node traffic (peer requests,
// onion relays to the next node, seeds). A connection to an address the
// directory lists is pinned to that node's identity; any other address (a
// seed before the directory is known, whose answer is signed) gets no pin.
func (n *Node) peerClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return n.dialTLS(ctx, dialer, network, addr)
		},
	}
	return &http.Client{Transport: tr, Timeout: 35 * time.Second}
}

// dialTLS dials addr and completes the TLS handshake, checking the
// certificate against the directory's node at addr if there is one.
func (n *Node) dialTLS(ctx context.Context, dialer *net.Dialer, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		// Node certificates are self-signed: they are checked by their
		// identity binding below, never by a CA.
		InsecureSkipVerify: true,
		ServerName:         host,
		NextProtos:         []string{"h2", "http/1.1"},
		MinVersion:         tls.VersionTLS12,
	}
	if want := n.nodesAt(addr); len(want) > 0 {
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			var err error
			for _, k := range want {
				if err = nodecert.Verify(raw, k); err == nil {
					return nil
				}
			}
			n.metrics.peerTLSRefused.Add(1)
			n.log.Warn("refused the TLS certificate at a node's address", "addr", addr, "err", err)
			return err
		}
	}
	raw, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, cfg)
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}

// nodesAt returns the identities of the directory's nodes at addr
// (host:port): normally one.
func (n *Node) nodesAt(addr string) []ed25519.PublicKey {
	d := n.dir.Load()
	if d == nil {
		return nil
	}
	var out []ed25519.PublicKey
	for _, m := range d.NodesAt(addr) {
		if k, err := hexKey(m.Ed25519); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// checkPeerAnswer checks that an answer came over TLS from peer itself. The
// dial already pinned the connection to the node at the address; this
// catches a connection kept from before the directory moved another node
// to that address.
func checkPeerAnswer(resp *http.Response, peer netview.Node) error {
	want, err := hexKey(peer.Ed25519)
	if err != nil {
		return err
	}
	if resp.TLS == nil {
		return fmt.Errorf("%w: answer without TLS", nodecert.ErrUnbound)
	}
	var raw [][]byte
	for _, c := range resp.TLS.PeerCertificates {
		raw = append(raw, c.Raw)
	}
	return nodecert.Verify(raw, want)
}
