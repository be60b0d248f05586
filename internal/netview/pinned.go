package netview

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"embed"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Session's own seeds do not sign their answers: Session's desktop trusts
// a seed because it reaches it over TLS with the seed's certificate pinned
// (the certificate as the only root, its public key and fingerprint
// compared). A [Seed] with a Certificate and no Ed25519 key is such a seed;
// our own seeds sign (see SignSeedAnswer) and keep doing so.

// PresetMainnet is the network name that stands for Session's public
// network: its three seeds, with the certificates Session's clients pin.
const PresetMainnet = "mainnet"

// IsPreset reports whether name is a network preset rather than a file.
func IsPreset(name string) bool { return name == PresetMainnet }

//go:embed mainnet/*.pem
var mainnetFS embed.FS

// MainnetSeeds returns Session's public seeds (session-desktop's seed list
// and pinned certificates, valid until 2033). Untried from here: the
// machines this was built on have no route to the internet.
func MainnetSeeds() []Seed {
	var out []Seed
	for _, host := range []string{"seed1.getsession.org", "seed2.getsession.org", "seed3.getsession.org"} {
		b, err := mainnetFS.ReadFile("mainnet/" + host + ".pem")
		if err != nil {
			panic("netview: embedded seed certificate missing: " + host) // a build error
		}
		out = append(out, Seed{URL: "https://" + host + ":4443", Certificate: string(b)})
	}
	return out
}

// errPinned reports a seed certificate or URL that cannot be pinned.
var errPinned = errors.New("netview: seed certificate")

// pinnedClient returns a client of base's kind (its dialer, so its proxy)
// that talks to sd only over TLS with sd.Certificate as the one root, and
// whose leaf must carry the pinned certificate's public key.
func pinnedClient(base *http.Client, sd Seed) (*http.Client, error) {
	u, err := url.Parse(sd.URL)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: seed %q: a pinned certificate needs an https URL", errPinned, sd.URL)
	}
	blk, _ := pem.Decode([]byte(sd.Certificate))
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: seed %q: certificate is not PEM", errPinned, sd.URL)
	}
	pinned, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: seed %q: %v", errPinned, sd.URL, err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(pinned)
	want := sha256.Sum256(pinned.RawSubjectPublicKeyInfo)
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    roots,
		ServerName: u.Hostname(),
		// After the usual chain and name checks against the pinned root:
		// the leaf itself must hold the pinned key (desktop's pubkey256).
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: no certificate", errPinned)
			}
			got := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
			if !bytes.Equal(got[:], want[:]) {
				return fmt.Errorf("%w: %s does not hold the pinned key", errPinned, u.Host)
			}
			return nil
		},
	}
	var tr *http.Transport
	if base != nil {
		if t, ok := base.Transport.(*http.Transport); ok {
			tr = t.Clone()
		}
	}
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.TLSClientConfig = cfg
	c := &http.Client{Transport: tr}
	if base != nil {
		c.Timeout = base.Timeout
	}
	return c, nil
}
