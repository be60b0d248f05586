package netview

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// sessionSeedAnswer is a get_n_service_nodes answer shaped as oxend gives
// it to Session's seed requests: unsigned, with fields we do not use, the
// swarms oxend assigned, and one entry no client can use (a node that has
// sent no proof yet: 0.0.0.0, port 0) plus one with a short key.
func sessionSeedAnswer() string {
	key := func(b byte) string { return strings.Repeat(hex.EncodeToString([]byte{b}), 32) }
	entry := func(b byte, ip string, port int, swarm string) string {
		return `{"public_ip":"` + ip + `","storage_port":` + itoa(port) + `,"storage_lmq_port":22020,"pubkey_ed25519":"` + key(b) +
			`","pubkey_x25519":"` + key(b+100) + `","requested_unlock_height":0,"storage_server_version":[2,8,0],"swarm_id":` + swarm + `}`
	}
	states := []string{
		entry(1, "203.0.113.1", 22021, "1000"),
		entry(2, "203.0.113.2", 22021, "1000"),
		entry(3, "203.0.113.3", 22021, "9223372036854775808"),
		entry(4, "0.0.0.0", 0, "1000"),
		`{"public_ip":"203.0.113.5","storage_port":22021,"pubkey_ed25519":"abcd","pubkey_x25519":"` + key(105) + `","swarm_id":1000}`,
		`"not an object"`,
	}
	return `{"jsonrpc":"2.0","id":"0","result":{"service_node_states":[` + strings.Join(states, ",") + `],"height":1500000,"hardfork":20,"snode_revision":1}}`
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// TestParseServiceNodesSkipsBadEntriesKeepsSwarms (issue 14 point 5).
func TestParseServiceNodesSkipsBadEntriesKeepsSwarms(t *testing.T) {
	d, err := ParseServiceNodes([]byte(sessionSeedAnswer()))
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 {
		t.Fatalf("%d nodes, want the 3 usable ones", d.Len())
	}
	ids := d.SwarmIDs()
	if len(ids) != 2 || ids[0] != 1000 || ids[1] != 9223372036854775808 || len(d.Swarm(1000)) != 2 {
		t.Errorf("swarms %v (%d in 1000), want the listed 1000 and 2^63", ids, len(d.Swarm(1000)))
	}
	// Without swarm_ids the swarms are computed, as before.
	noSwarms := strings.ReplaceAll(sessionSeedAnswer(), `"swarm_id":`, `"other":`)
	if d, err := ParseServiceNodes([]byte(noSwarms)); err != nil || d.Len() != 3 || len(d.SwarmIDs()) == 0 {
		t.Errorf("without swarm ids: %v, %v", d, err)
	}
	if _, err := ParseServiceNodes([]byte(`{"result":{"service_node_states":[{"public_ip":"0.0.0.0"}]}}`)); !errors.Is(err, ErrBadDirectory) {
		t.Errorf("no usable node: %v", err)
	}
}

func pemOf(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestPinnedSeedUnsignedAnswer (issue 14 point 5): a seed without an
// Ed25519 key is asked over TLS with its certificate pinned, and its
// unsigned answer is accepted; pinning another certificate fails the
// request, and so does a seed with neither key nor certificate.
func TestPinnedSeedUnsignedAnswer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/json_rpc" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(sessionSeedAnswer()))
	}))
	defer srv.Close()
	src, err := NewSeedSource([]Seed{{URL: srv.URL, Certificate: pemOf(srv.Certificate().Raw)}}, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := src.Load(t.Context())
	if err != nil || d.Len() != 3 {
		t.Fatalf("pinned seed: %v, %v", d, err)
	}

	// Another certificate for the same address: refused.
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "impostor"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewSeedSource([]Seed{{URL: srv.URL, Certificate: pemOf(der)}}, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Load(t.Context()); err == nil {
		t.Error("a seed with another certificate than the pinned one was trusted")
	}

	for _, bad := range []Seed{
		{URL: srv.URL},
		{URL: strings.Replace(srv.URL, "https:", "http:", 1), Certificate: pemOf(srv.Certificate().Raw)},
		{URL: srv.URL, Certificate: "not pem"},
	} {
		if _, err := NewSeedSource([]Seed{bad}, &http.Client{}); !errors.Is(err, ErrBadDirectory) {
			t.Errorf("seed %+v accepted (%v)", bad, err)
		}
	}
}

// TestMainnetPreset checks the mainnet preset: Session's three seeds on
// port 4443, each with the certificate session-desktop pins (its public
// key's SHA-256 as desktop lists it). The live network is not reached.
func TestMainnetPreset(t *testing.T) {
	if !IsPreset(PresetMainnet) || IsPreset("network.json") {
		t.Fatal("IsPreset")
	}
	src, err := OpenFile(PresetMainnet, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	seeds := src.(*SeedSource).Seeds()
	want := map[string]string{ // desktop's pubkey256 per seed host
		"seed1.getsession.org": "mlYTXvkmIEYcpswANTpnBwlz9Cswi0py/RQKkbdQOZQ=",
		"seed2.getsession.org": "ZuUxe4wopBR83Yy5fePPNX0c00BnkQCu/49oapFpB0k=",
		"seed3.getsession.org": "4xe+8k1NjxerVTjUsWlZJNKt3PA7Y31pUls2tHYippA=",
	}
	if len(seeds) != 3 {
		t.Fatalf("%d seeds", len(seeds))
	}
	for _, sd := range seeds {
		blk, _ := pem.Decode([]byte(sd.Certificate))
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		host := cert.Subject.CommonName
		if sd.URL != "https://"+host+":4443" || spkiHash(cert) != want[host] {
			t.Errorf("seed %s: certificate for %s, key hash %s", sd.URL, host, spkiHash(cert))
		}
		if cert.NotAfter.Before(time.Now()) {
			t.Errorf("seed %s: certificate expired %v", sd.URL, cert.NotAfter)
		}
	}
}

func spkiHash(c *x509.Certificate) string {
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(h[:])
}
