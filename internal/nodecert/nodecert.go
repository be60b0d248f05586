// Package nodecert binds a service node's TLS certificate to its Ed25519
// identity, so that one node can tell that the HTTPS server it reached at a
// peer's address is that peer and not whoever answers there now.
//
// A node's certificate is an ordinary self-signed ECDSA P-256 certificate, so
// that every Session client (which does not verify node certificates) can
// still connect; it carries one extra, non-critical extension in which the
// node's Ed25519 identity key signs the certificate's public key. The TLS
// handshake proves possession of the certificate key; the extension proves
// that the identity vouches for it. This is the scheme libp2p uses for its
// TLS handshake, with our own extension and domain separation.
package nodecert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// ErrUnbound reports a certificate that does not prove an Ed25519 identity:
// no binding extension, a malformed one, or a bad signature.
var ErrUnbound = errors.New("nodecert: certificate not bound to a node identity")

// ErrWrongIdentity reports a certificate bound to another identity than the
// one expected.
var ErrWrongIdentity = errors.New("nodecert: certificate bound to another node")

// extensionOID identifies the binding extension: an OID under the UUID arc
// 2.25 (ITU-T X.667), which needs no registration, with a random number
// small enough for crypto/x509 (31 bits).
var extensionOID = asn1.ObjectIdentifier{2, 25, 1907388921}

// domain separates the binding signature from every other signature the
// identity key makes (storage RPC answers, peer requests, seed answers).
const domain = "session-go node tls v1\x00"

// maxCertSize caps the certificate this package parses; ours are well under
// 1 KiB.
const maxCertSize = 16 << 10

type binding struct {
	PublicKey []byte
	Signature []byte
}

// New makes a node's TLS certificate: a fresh ECDSA P-256 key in a
// self-signed certificate whose binding extension is signed by identity.
func New(identity ed25519.PrivateKey, now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	ext, err := asn1.Marshal(binding{
		PublicKey: identity.Public().(ed25519.PublicKey),
		Signature: ed25519.Sign(identity, signedMessage(spki)),
	})
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:    serial,
		Subject:         pkix.Name{CommonName: "session-go service node"},
		NotBefore:       now.Add(-time.Hour),
		NotAfter:        now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:        []string{"localhost"},
		ExtraExtensions: []pkix.Extension{{Id: extensionOID, Value: ext}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func signedMessage(spki []byte) []byte {
	return append([]byte(domain), spki...)
}

// Identity returns the Ed25519 identity a DER certificate is bound to.
func Identity(der []byte) (ed25519.PublicKey, error) {
	if len(der) > maxCertSize {
		return nil, fmt.Errorf("%w: certificate of %d bytes", ErrUnbound, len(der))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnbound, err)
	}
	return identityOf(cert)
}

func identityOf(cert *x509.Certificate) (ed25519.PublicKey, error) {
	var found *pkix.Extension
	for i, e := range cert.Extensions {
		if e.Id.Equal(extensionOID) {
			if found != nil {
				return nil, fmt.Errorf("%w: two binding extensions", ErrUnbound)
			}
			found = &cert.Extensions[i]
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: no binding extension", ErrUnbound)
	}
	var b binding
	rest, err := asn1.Unmarshal(found.Value, &b)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: malformed binding extension", ErrUnbound)
	}
	if len(b.PublicKey) != ed25519.PublicKeySize || len(b.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: binding of a %d-byte key and a %d-byte signature", ErrUnbound, len(b.PublicKey), len(b.Signature))
	}
	if !ed25519.Verify(b.PublicKey, signedMessage(cert.RawSubjectPublicKeyInfo), b.Signature) {
		return nil, fmt.Errorf("%w: bad binding signature", ErrUnbound)
	}
	return ed25519.PublicKey(b.PublicKey), nil
}

// Verify checks that the leaf of a TLS peer's certificate chain (as
// tls.Config.VerifyPeerCertificate receives it) is bound to want.
func Verify(rawCerts [][]byte, want ed25519.PublicKey) error {
	if len(rawCerts) == 0 {
		return fmt.Errorf("%w: no certificate", ErrUnbound)
	}
	got, err := Identity(rawCerts[0])
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return ErrWrongIdentity
	}
	return nil
}
