package nodecert

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"
)

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIdentityRoundTrip(t *testing.T) {
	k := newKey(t)
	c, err := New(k, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Identity(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(k.Public()) {
		t.Fatal("bound identity is not the signing key")
	}
	if err := Verify(c.Certificate, k.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	other := newKey(t).Public().(ed25519.PublicKey)
	if err := Verify(c.Certificate, other); !errors.Is(err, ErrWrongIdentity) {
		t.Fatalf("Verify against another key: %v, want ErrWrongIdentity", err)
	}
}

// TestBindingDoesNotTransfer: a binding extension copied into a certificate
// for another TLS key (what an impostor who saw a node's certificate could
// make) does not verify.
func TestBindingDoesNotTransfer(t *testing.T) {
	victim := newKey(t)
	c, err := New(victim, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	own, err := New(newKey(t), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Splice the victim's binding into the impostor's certificate by
	// building one with the victim's extension value.
	vc, _ := parse(c.Certificate[0])
	oc, _ := parse(own.Certificate[0])
	oc.Extensions = vc.Extensions
	if _, err := identityOf(oc); !errors.Is(err, ErrUnbound) {
		t.Fatalf("spliced binding: %v, want ErrUnbound", err)
	}
}

func TestPlainCertificateIsUnbound(t *testing.T) {
	for _, der := range [][]byte{nil, []byte("junk"), make([]byte, maxCertSize+1)} {
		if _, err := Identity(der); !errors.Is(err, ErrUnbound) {
			t.Errorf("Identity(%d bytes): %v, want ErrUnbound", len(der), err)
		}
	}
	if err := Verify(nil, newKey(t).Public().(ed25519.PublicKey)); !errors.Is(err, ErrUnbound) {
		t.Errorf("Verify(no certificates): %v", err)
	}
}

// TestHandshake runs a real TLS handshake over TCP: a client pinning the
// server's identity connects; a client pinning another identity does not.
func TestHandshake(t *testing.T) {
	k := newKey(t)
	cert, err := New(k, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
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
			go func() {
				_ = c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	dial := func(want ed25519.PublicKey) error {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		tc := tls.Client(c, &tls.Config{
			InsecureSkipVerify: true,
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509Certificate) error {
				return Verify(raw, want)
			},
		})
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		return tc.Handshake()
	}
	if err := dial(k.Public().(ed25519.PublicKey)); err != nil {
		t.Fatalf("pinned to the server's identity: %v", err)
	}
	if err := dial(newKey(t).Public().(ed25519.PublicKey)); !errors.Is(err, ErrWrongIdentity) {
		t.Fatalf("pinned to another identity: %v, want ErrWrongIdentity", err)
	}
}
