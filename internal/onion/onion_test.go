package onion

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// detRand is a deterministic randomness source for tests: SHA-256 in
// counter mode over a label. It also records the size of every read, so
// tests can check the draw pattern that makes libsession's tapes replay.
type detRand struct {
	label string
	n     uint64
	sizes []int
}

func (r *detRand) Read(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	for i := 0; i < len(p); i += sha256.Size {
		var ctr [8]byte
		binary.LittleEndian.PutUint64(ctr[:], r.n)
		r.n++
		h := sha256.Sum256(append([]byte(r.label), ctr[:]...))
		copy(p[i:], h[:])
	}
	return len(p), nil
}

// testNode is a service node with its keys.
type testNode struct {
	key *NodeKey
	hop Hop
}

func newTestNode(t testing.TB, name string) testNode {
	t.Helper()
	secret := sha256.Sum256([]byte("x25519 " + name))
	k, err := NewNodeKey(secret[:])
	if err != nil {
		t.Fatal(err)
	}
	return testNode{key: k, hop: Hop{Ed25519: sha256.Sum256([]byte("ed25519 " + name)), X25519: k.PublicKey()}}
}

func newPath(t testing.TB, n int) []testNode {
	var p []testNode
	for i := range n {
		p = append(p, newTestNode(t, fmt.Sprintf("hop%d", i)))
	}
	return p
}

func hopsOf(p []testNode) []Hop {
	var hs []Hop
	for _, n := range p {
		hs = append(hs, n.hop)
	}
	return hs
}

// walk peels req through path as the nodes would, and returns the
// destination's layer and route.
func walk(t *testing.T, path []testNode, req []byte) (last *Layer, r Route) {
	t.Helper()
	for i, n := range path {
		l, route, err := n.key.Peel(req)
		if err != nil {
			t.Fatalf("hop %d: Peel: %v", i, err)
		}
		switch route := route.(type) {
		case *RelayToNode:
			if i < len(path)-1 && route.Next != path[i+1].hop.Ed25519 {
				t.Fatalf("hop %d: next is %x, want hop %d", i, route.Next, i+1)
			}
			if req, err = route.Request(); err != nil {
				t.Fatalf("hop %d: Request: %v", i, err)
			}
		default:
			if i != len(path)-1 {
				t.Fatalf("hop %d: route %T before the last hop", i, route)
			}
			return l, route
		}
		last, r = l, route
	}
	return last, r
}

func TestRoundTripSnode(t *testing.T) {
	for _, enc := range []EncType{AESGCM, XChaCha20} {
		for _, nhops := range []int{1, 3, MaxHops} {
			t.Run(fmt.Sprintf("%v/%d", enc, nhops), func(t *testing.T) {
				path := newPath(t, nhops)
				dest := newTestNode(t, "dest")
				payload := []byte(`{"method":"retrieve","params":{"pubkey":"05…"}}`)
				rng := &detRand{label: "snode"}
				req, reply, err := Build(SnodeDestination{Ed25519: dest.hop.Ed25519, X25519: dest.hop.X25519}, hopsOf(path), payload, enc, rng)
				if err != nil {
					t.Fatal(err)
				}
				ivSize := map[EncType]int{AESGCM: 12, XChaCha20: 24}[enc]
				var want []int
				for range nhops + 1 {
					want = append(want, 32, ivSize)
				}
				if fmt.Sprint(rng.sizes) != fmt.Sprint(want) {
					t.Errorf("draws %v, want %v", rng.sizes, want)
				}

				l, r := walk(t, path, req)
				rn := r.(*RelayToNode)
				if rn.Next != dest.hop.Ed25519 {
					t.Fatalf("last hop sends to %x, want the destination", rn.Next)
				}
				fwd, _ := rn.Request()
				dl, dr, err := dest.key.Peel(fwd)
				if err != nil {
					t.Fatal(err)
				}
				fd, ok := dr.(*FinalDestination)
				if !ok {
					t.Fatalf("destination route %T", dr)
				}
				if !bytes.Equal(fd.Payload, payload) || string(fd.Control) != `{"headers":""}` || !fd.Base64 || fd.EmbedJSON {
					t.Errorf("destination got %q %q %v %v", fd.Payload, fd.Control, fd.Base64, fd.EmbedJSON)
				}
				if dl.EphemeralKey != reply.PublicKey() || dl.EncType != enc || reply.EncType() != enc {
					t.Errorf("destination layer key does not match the reply key")
				}
				_ = l

				ct, err := dl.EncryptReply([]byte(`{"status":200,"body":"ok"}`), nil)
				if err != nil {
					t.Fatal(err)
				}
				pt, err := reply.DecryptReply(ct)
				if err != nil || string(pt) != `{"status":200,"body":"ok"}` {
					t.Errorf("DecryptReply = %q, %v", pt, err)
				}
				ct[len(ct)-1] ^= 1
				if _, err := reply.DecryptReply(ct); !errors.Is(err, ErrDecrypt) {
					t.Errorf("tampered reply: %v, want ErrDecrypt", err)
				}
			})
		}
	}
}

func TestRoundTripServer(t *testing.T) {
	for _, enc := range []EncType{AESGCM, XChaCha20} {
		t.Run(enc.String(), func(t *testing.T) {
			path := newPath(t, 3)
			server := newTestNode(t, "server")
			v4, err := (&V4Request{Method: "POST", Endpoint: "/file", Headers: map[string]string{"Content-Type": "application/octet-stream"}, Body: []byte{0, 1, 2}}).Encode()
			if err != nil {
				t.Fatal(err)
			}
			dest := ServerDestination{Host: "filev2.getsession.org", Target: "/oxen/v4/lsrpc", Protocol: "http", X25519: server.hop.X25519}
			req, reply, err := Build(dest, hopsOf(path), v4, enc, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, r := walk(t, path, req)
			rs, ok := r.(*RelayToServer)
			if !ok {
				t.Fatalf("last route %T", r)
			}
			if rs.Port != 80 || rs.Protocol != "http" || rs.Host != dest.Host || rs.Target != dest.Target {
				t.Errorf("server route %+v", rs)
			}
			if u, err := rs.URL(); err != nil || u != "http://filev2.getsession.org/oxen/v4/lsrpc" {
				t.Errorf("URL = %q, %v", u, err)
			}
			sl, err := server.key.Open(rs.Body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseV4Request(sl.Plaintext)
			if err != nil || got.Method != "POST" || got.Endpoint != "/file" || !bytes.Equal(got.Body, []byte{0, 1, 2}) {
				t.Fatalf("server read %+v, %v", got, err)
			}
			resp, _ := (&V4Response{Code: 201, Headers: map[string]string{"content-type": "application/json"}, Body: []byte(`{"id":"x"}`)}).Encode()
			ct, err := sl.EncryptReply(resp, nil)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := reply.DecryptReply(ct)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseV4Response(pt)
			if err != nil || back.Code != 201 || string(back.Body) != `{"id":"x"}` || back.Headers["content-type"] != "application/json" {
				t.Errorf("client read %+v, %v", back, err)
			}
		})
	}
}

// The legacy push server answers xchacha20 requests in aes-gcm; the client
// must still read the reply, as libsession's does.
func TestReplyFallsBackToGCM(t *testing.T) {
	node := newTestNode(t, "pn")
	ct, rk, err := SealLayer(XChaCha20, []byte("req"), node.hop.X25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := node.key.OpenCiphertext(ct, rk.PublicKey(), AESGCM)
	if !errors.Is(err, ErrDecrypt) {
		t.Fatalf("aes-gcm open of an xchacha20 layer: %v", err)
	}
	l, err = node.key.OpenCiphertext(ct, rk.PublicKey(), XChaCha20)
	if err != nil {
		t.Fatal(err)
	}
	gcmLayer := *l
	gcmLayer.key, _ = node.key.layerKey(AESGCM, &l.EphemeralKey)
	reply, _ := gcmLayer.EncryptReply([]byte("error"), nil)
	if pt, err := rk.DecryptReply(reply); err != nil || string(pt) != "error" {
		t.Errorf("DecryptReply of an aes-gcm reply = %q, %v", pt, err)
	}
	// No fallback the other way round.
	_, gk, _ := SealLayer(AESGCM, []byte("req"), node.hop.X25519, nil)
	l2, _ := node.key.OpenCiphertext(mustSeal(t, gk), gk.PublicKey(), AESGCM)
	xLayer := *l2
	xLayer.key, _ = node.key.layerKey(XChaCha20, &l2.EphemeralKey)
	reply, _ = xLayer.EncryptReply([]byte("x"), nil)
	if _, err := gk.DecryptReply(reply); !errors.Is(err, ErrDecrypt) {
		t.Errorf("aes-gcm key read an xchacha20 reply: %v", err)
	}
}

// mustSeal seals a message with the ReplyKey's own key, as its receiver would.
func mustSeal(t *testing.T, k *ReplyKey) []byte {
	t.Helper()
	ct, err := k.key.seal([]byte("req"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func TestAESCBC(t *testing.T) {
	node := newTestNode(t, "old")
	for _, n := range []int{0, 1, 15, 16, 17, 100} {
		msg := bytes.Repeat([]byte{'m'}, n)
		ct, rk, err := SealLayer(AESCBC, msg, node.hop.X25519, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := 16 + (n/16+1)*16; len(ct) != want {
			t.Errorf("%d bytes: ciphertext %d bytes, want %d", n, len(ct), want)
		}
		l, err := node.key.OpenCiphertext(ct, rk.PublicKey(), AESCBC)
		if err != nil || !bytes.Equal(l.Plaintext, msg) {
			t.Errorf("%d bytes: round trip %q, %v", n, l.Plaintext, err)
		}
		reply, _ := l.EncryptReply([]byte("ok"), nil)
		if pt, err := rk.DecryptReply(reply); err != nil || string(pt) != "ok" {
			t.Errorf("%d bytes: reply %q, %v", n, pt, err)
		}
		for _, bad := range [][]byte{ct[:len(ct)-1], ct[:16], append(bytes.Clone(ct), make([]byte, 16)...)} {
			if _, err := node.key.OpenCiphertext(bad, rk.PublicKey(), AESCBC); !errors.Is(err, ErrDecrypt) {
				t.Errorf("%d bytes: bad ciphertext of %d bytes: %v", n, len(bad), err)
			}
		}
	}
	if _, _, err := Build(SnodeDestination{}, hopsOf(newPath(t, 1)), nil, AESCBC, nil); !errors.Is(err, ErrEncType) {
		t.Errorf("Build with aes-cbc: %v", err)
	}
}

// TestWithoutCBC: a key that refuses aes-cbc fails every aes-cbc layer,
// good or bad, with the same error before decrypting, and still opens the
// authenticated types.
func TestWithoutCBC(t *testing.T) {
	node := newTestNode(t, "strict")
	strict := node.key.WithoutCBC()
	ct, rk, err := SealLayer(AESCBC, []byte(`{"headers":""}`), node.hop.X25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(ct)
	bad[len(bad)-1] ^= 1
	var msgs []string
	for _, c := range [][]byte{ct, bad, ct[:16], ct[:len(ct)-1]} {
		_, err := strict.OpenCiphertext(c, rk.PublicKey(), AESCBC)
		if !errors.Is(err, ErrEncType) {
			t.Fatalf("aes-cbc layer of %d bytes: %v, want ErrEncType", len(c), err)
		}
		msgs = append(msgs, err.Error())
		meta := []byte(`{"ephemeral_key":"` + fmt.Sprintf("%x", rk.PublicKey()) + `","enc_type":"aes-cbc"}`)
		layer, err := BuildLayer(c, meta)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := strict.Peel(layer); !errors.Is(err, ErrEncType) || err.Error() != msgs[0] {
			t.Fatalf("Peel of an aes-cbc layer: %v, want %q", err, msgs[0])
		}
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Errorf("aes-cbc errors differ: %q and %q", msgs[0], m)
		}
	}
	if _, err := node.key.OpenCiphertext(ct, rk.PublicKey(), AESCBC); err != nil {
		t.Errorf("the original key no longer opens aes-cbc: %v", err)
	}
	for _, enc := range []EncType{AESGCM, XChaCha20} {
		ct, rk, err := SealLayer(enc, []byte("m"), node.hop.X25519, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := strict.OpenCiphertext(ct, rk.PublicKey(), enc); err != nil || string(l.Plaintext) != "m" {
			t.Errorf("%v: %v", enc, err)
		}
	}
}

func TestPeelErrors(t *testing.T) {
	path := newPath(t, 2)
	dest := newTestNode(t, "dest")
	good, _, err := Build(SnodeDestination{Ed25519: dest.hop.Ed25519, X25519: dest.hop.X25519}, hopsOf(path), []byte(`{}`), XChaCha20, nil)
	if err != nil {
		t.Fatal(err)
	}
	blob, _, _ := ParseLayer(good)
	ephHex := func() string {
		_, meta, _ := ParseLayer(good)
		var m map[string]string
		json.Unmarshal(meta, &m)
		return m["ephemeral_key"]
	}()
	frame := func(meta string) []byte { return appendLayer(nil, blob, []byte(meta)) }

	for _, c := range []struct {
		name string
		req  []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"short prefix", []byte{1, 0, 0}, ErrMalformed},
		{"overrun", []byte{5, 0, 0, 0, '{', '}'}, ErrMalformed},
		{"huge prefix", []byte{0xff, 0xff, 0xff, 0xff, '{', '}'}, ErrMalformed},
		{"no json", frame(""), ErrMalformed},
		{"array", frame(`[1]`), ErrMalformed},
		{"string", frame(`"x"`), ErrMalformed},
		{"trailing", frame(`{"ephemeral_key":"` + ephHex + `"}x`), ErrMalformed},
		{"bad utf-8", frame("{\"a\":\"\xff\",\"ephemeral_key\":\"" + ephHex + "\"}"), ErrMalformed},
		{"no key", frame(`{"enc_type":"xchacha20"}`), ErrMalformed},
		{"key not string", frame(`{"ephemeral_key":5}`), ErrMalformed},
		{"key null", frame(`{"ephemeral_key":null}`), ErrMalformed},
		{"short key", frame(`{"ephemeral_key":"abcd","enc_type":"xchacha20"}`), ErrMalformed},
		{"non-hex key", frame(`{"ephemeral_key":"` + strings.Repeat("zz", 32) + `"}`), ErrMalformed},
		{"unknown enc", frame(`{"ephemeral_key":"` + ephHex + `","enc_type":"rot13"}`), ErrEncType},
		{"enc not string", frame(`{"ephemeral_key":"` + ephHex + `","enc_type":1}`), ErrMalformed},
		{"hop_no float", frame(`{"ephemeral_key":"` + ephHex + `","enc_type":"xchacha20","hop_no":1.5}`), ErrMalformed},
		{"default gcm", frame(`{"ephemeral_key":"` + ephHex + `"}`), ErrDecrypt},
		{"wrong enc", frame(`{"ephemeral_key":"` + ephHex + `","enc_type":"gcm"}`), ErrDecrypt},
		{"wrong eph", frame(`{"ephemeral_key":"` + strings.Repeat("11", 32) + `","enc_type":"xchacha20"}`), ErrDecrypt},
		{"low order eph", frame(`{"ephemeral_key":"` + strings.Repeat("00", 32) + `","enc_type":"xchacha20"}`), ErrDecrypt},
		{"too large", make([]byte, MaxRequestSize+1), ErrTooLarge},
	} {
		l, r, err := path[0].key.Peel(c.req)
		if !errors.Is(err, c.want) || l != nil || r != nil {
			t.Errorf("%s: got %v, %v, %v; want %v", c.name, l, r, err, c.want)
		}
	}

	// Every strict prefix of a good request fails.
	for i := range good {
		if _, _, err := path[0].key.Peel(good[:i]); err == nil {
			t.Fatalf("prefix of %d bytes accepted", i)
		}
	}
	// The good one has hop_no 0 and works.
	if l, _, err := path[0].key.Peel(good); err != nil || l.HopNo != 0 {
		t.Fatalf("good request: %v", err)
	}
	withHop := frame(`{"enc_type":"xchacha20","ephemeral_key":"` + ephHex + `","hop_no":-4}`)
	if l, _, err := path[0].key.Peel(withHop); err != nil || l.HopNo != 0 {
		t.Errorf("negative hop_no: %v, %v", l, err)
	}
	withHop = frame(`{"enc_type":"xchacha20","ephemeral_key":"` + ephHex + `","hop_no":7}`)
	if l, _, err := path[0].key.Peel(withHop); err != nil || l.HopNo != 7 {
		t.Errorf("hop_no 7: %v, %v", l, err)
	}
}

// A layer that decrypts but whose JSON is bad still yields the Layer, so the
// node can send its encrypted "Invalid json" reply.
func TestPeelInvalidJSONKeepsLayer(t *testing.T) {
	node := newTestNode(t, "n")
	for _, inner := range []string{"", "\x01\x00\x00", "\x00\x00\x00\x00not json", "\x00\x00\x00\x00[]", "\x00\x00\x00\x00{}",
		"\x00\x00\x00\x00{\"destination\":\"ab\"}"} {
		ct, rk, err := SealLayer(XChaCha20, []byte(inner), node.hop.X25519, nil)
		if err != nil {
			t.Fatal(err)
		}
		req := appendLayer(nil, ct, []byte(`{"enc_type":"xchacha20","ephemeral_key":"`+hex.EncodeToString(func() []byte { p := rk.PublicKey(); return p[:] }())+`"}`))
		l, r, err := node.key.Peel(req)
		if !errors.Is(err, ErrInvalidJSON) || l == nil || r != nil {
			t.Errorf("%q: got %v, %v, %v", inner, l, r, err)
			continue
		}
		reply, err := l.EncryptReply([]byte(`{"status":400,"body":"Invalid json"}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := rk.DecryptReply(reply); err != nil || !strings.Contains(string(pt), "Invalid json") {
			t.Errorf("%q: reply %q, %v", inner, pt, err)
		}
	}
}

func TestRoute(t *testing.T) {
	const eph = "0000111122223333444455556666777788889999000011112222333344445555"
	const dst = "ffffeeeeddddccccbbbbaaaa9999888877776666555544443333222211110000"
	route := func(json string) (Route, error) {
		return (&Layer{Plaintext: appendLayer(nil, []byte("blob"), []byte(json))}).Route()
	}
	for _, c := range []struct {
		json string
		want string // %+v-ish summary, or "error"
	}{
		{`{"headers":{}}`, "final json=false b64=true"},
		{`{"headers":null,"json":true,"base64":false}`, "final json=true b64=false"},
		{`{"headers":"","json":"yes"}`, "error"},
		{`{"headers":"","base64":null}`, "error"},
		{`{"headers":"","host":"h","target":"/x"}`, "final json=false b64=true"},
		{`{"Headers":"","destination":"` + dst + `","ephemeral_key":"` + eph + `"}`, "node aes-gcm"},
		{`{"host":"h","target":"/oxen/v4/lsrpc"}`, "server https://h:443/oxen/v4/lsrpc"},
		{`{"host":"h","target":"/t","protocol":"http"}`, "server http://h:443/t"},
		{`{"host":"h","target":"/t","port":8080,"protocol":"http"}`, "server http://h:8080/t"},
		{`{"host":"h"}`, "error"},
		{`{"host":1,"target":"/t"}`, "error"},
		{`{"host":"h","target":"/t","port":"80"}`, "error"},
		{`{"host":"h","target":"/t","port":65536}`, "error"},
		{`{"host":"h","target":"/t","port":0}`, "error"},
		{`{"host":"h","target":"/t","port":80.0}`, "error"},
		{`{"host":"h","target":"/t","protocol":5}`, "error"},
		{`{"destination":"` + dst + `","ephemeral_key":"` + eph + `","enc_type":"xchacha20-poly1305"}`, "node xchacha20"},
		{`{"destination":"` + dst + `","ephemeral_key":"` + eph + `","enc_type":"cbc"}`, "node aes-cbc"},
		{`{"destination":"` + strings.ToUpper(dst) + `","ephemeral_key":"` + eph + `"}`, "node aes-gcm"},
		{`{"destination":"` + dst + `"}`, "error"},
		{`{"ephemeral_key":"` + eph + `"}`, "error"},
		{`{"destination":"` + dst[2:] + `","ephemeral_key":"` + eph + `"}`, "error"},
		{`{"destination":"` + dst + `","ephemeral_key":"` + eph + `","enc_type":"none"}`, "error"},
		{`{}`, "error"},
	} {
		r, err := route(c.json)
		var got string
		switch r := r.(type) {
		case nil:
			got = "error"
			if !errors.Is(err, ErrInvalidJSON) {
				t.Errorf("%s: error %v does not wrap ErrInvalidJSON", c.json, err)
			}
		case *FinalDestination:
			got = fmt.Sprintf("final json=%v b64=%v", r.EmbedJSON, r.Base64)
			if string(r.Payload) != "blob" || string(r.Control) != c.json {
				t.Errorf("%s: payload %q control %q", c.json, r.Payload, r.Control)
			}
		case *RelayToServer:
			got = fmt.Sprintf("server %s://%s:%d%s", r.Protocol, r.Host, r.Port, r.Target)
		case *RelayToNode:
			got = "node " + r.EncType.String()
			if hex.EncodeToString(r.Next[:]) != dst || hex.EncodeToString(r.EphemeralKey[:]) != eph || string(r.Ciphertext) != "blob" {
				t.Errorf("%s: relay %x %x %q", c.json, r.Next, r.EphemeralKey, r.Ciphertext)
			}
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.json, got, c.want)
		}
	}
}

func TestURL(t *testing.T) {
	for _, c := range []struct {
		r    RelayToServer
		want string
	}{
		{RelayToServer{Host: "open.example.org", Port: 443, Protocol: "https", Target: "/oxen/v4/lsrpc"}, "https://open.example.org/oxen/v4/lsrpc"},
		{RelayToServer{Host: "1.2.3.4", Port: 80, Protocol: "http", Target: "/loki/v3/lsrpc"}, "http://1.2.3.4/loki/v3/lsrpc"},
		{RelayToServer{Host: "h", Port: 443, Protocol: "http", Target: "/oxen/v4/lsrpc"}, "http://h:443/oxen/v4/lsrpc"},
		{RelayToServer{Host: "[::1]", Port: 8443, Protocol: "https", Target: "/oxen/v4/lsrpc"}, "https://[::1]:8443/oxen/v4/lsrpc"},
		{RelayToServer{Host: "h", Port: 443, Protocol: "ftp", Target: "/oxen/v4/lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/oxen/v4/lsrpc?x"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/admin"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/oxen/#/lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/oxen/ x/lsrpc"}, ""},
		// A host cannot move the path or the authority.
		{RelayToServer{Host: "internal/admin?", Port: 443, Protocol: "https", Target: "/oxen/v4/lsrpc"}, ""},
		{RelayToServer{Host: "user@internal", Port: 443, Protocol: "https", Target: "/oxen/v4/lsrpc"}, ""},
		{RelayToServer{Host: "h:8080", Port: 443, Protocol: "https", Target: "/oxen/v4/lsrpc"}, ""},
		{RelayToServer{Host: "", Port: 443, Protocol: "https", Target: "/oxen/v4/lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 0, Protocol: "https", Target: "/oxen/v4/lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/oxen/../admin/lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/oxen//lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/oxen/./v4/lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/oxen/%2e%2e/metrics/lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/oxen/%2E%2E/lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/oxen/a%2fb/lsrpc"}, ""},
		{RelayToServer{Host: "h", Port: 443, Protocol: "https", Target: "/loki/../lsrpc"}, ""},
	} {
		u, err := c.r.URL()
		if c.want == "" {
			if !errors.Is(err, ErrInvalidURL) {
				t.Errorf("%+v: got %q, %v; want ErrInvalidURL", c.r, u, err)
			}
		} else if u != c.want || err != nil {
			t.Errorf("%+v: got %q, %v; want %q", c.r, u, err, c.want)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	path := hopsOf(newPath(t, 3))
	snode := SnodeDestination{X25519: path[0].X25519}
	for _, c := range []struct {
		name string
		dest Destination
		hops []Hop
		enc  EncType
		want error
	}{
		{"no dest", nil, path, XChaCha20, ErrInvalidRequest},
		{"no hops", snode, nil, XChaCha20, ErrInvalidRequest},
		{"too many hops", snode, make([]Hop, MaxHops+1), XChaCha20, ErrInvalidRequest},
		{"zero enc", snode, path, 0, ErrEncType},
		{"bad target", ServerDestination{Host: "h", Target: "/x"}, path, XChaCha20, ErrInvalidURL},
		{"bad host", ServerDestination{Host: "a/b", Target: "/oxen/v4/lsrpc"}, path, XChaCha20, ErrInvalidURL},
		{"bad protocol", ServerDestination{Host: "h", Target: "/oxen/v4/lsrpc", Protocol: "gopher"}, path, XChaCha20, ErrInvalidURL},
		{"low-order dest", SnodeDestination{}, path, XChaCha20, ErrInvalidKey},
		{"low-order hop", snode, []Hop{{}}, AESGCM, ErrInvalidKey},
	} {
		if _, _, err := Build(c.dest, c.hops, []byte("x"), c.enc, nil); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if _, _, err := Build(snode, path, make([]byte, MaxRequestSize), XChaCha20, nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized payload: %v", err)
	}
	if _, _, err := Build(snode, path, nil, XChaCha20, strings.NewReader("short")); err == nil {
		t.Errorf("Build with a short random source succeeded")
	}
}

// The server destination fills in defaults in its routing JSON as libsession does.
func TestServerRoutingJSON(t *testing.T) {
	node := newTestNode(t, "n")
	for _, c := range []struct {
		dest ServerDestination
		want string
	}{
		{ServerDestination{Host: "h", Target: "/oxen/v4/lsrpc"}, `"host":"h","method":"POST","port":443,"protocol":"https","target":"/oxen/v4/lsrpc"}`},
		{ServerDestination{Host: "h", Target: "/oxen/v4/lsrpc", Protocol: "http"}, `"host":"h","method":"POST","port":80,"protocol":"http","target":"/oxen/v4/lsrpc"}`},
		{ServerDestination{Host: "h", Target: "/loki/v3/lsrpc", Protocol: "https", Port: 4433}, `"host":"h","method":"POST","port":4433,"protocol":"https","target":"/loki/v3/lsrpc"}`},
	} {
		c.dest.X25519 = node.hop.X25519
		req, _, err := Build(c.dest, []Hop{node.hop}, []byte("p"), AESGCM, nil)
		if err != nil {
			t.Fatal(err)
		}
		l, _, err := node.key.Peel(req)
		if err != nil {
			t.Fatal(err)
		}
		_, meta, _ := ParseLayer(l.Plaintext)
		if !strings.HasPrefix(string(meta), `{"enc_type":"aes-gcm","ephemeral_key":"`) || !strings.HasSuffix(string(meta), c.want) {
			t.Errorf("%+v: routing JSON %s", c.dest, meta)
		}
	}
}

func TestEncodeObjectMatchesNlohmann(t *testing.T) {
	got, err := encodeObject([]field{
		strField("z", "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f<>&é\u2028😀"),
		intField("port", 443),
		strField("A", ""),
		intField("neg", -1),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"A":"","neg":-1,"port":443,"z":"a\"b\\c/d\b\f\n\r\t\u0001\u001f` + "\x7f<>&é\u2028😀" + `"}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil {
		t.Errorf("not JSON: %v", err)
	}
	if _, err := encodeObject([]field{strField("k", "\xff")}); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
	if _, err := encodeObject([]field{strField("k", "a"), strField("k", "b")}); err == nil {
		t.Error("duplicate key accepted")
	}
}

func TestParseAndBuildLayer(t *testing.T) {
	l, err := BuildLayer([]byte("abc"), []byte(` {"a":1} `))
	if err != nil {
		t.Fatal(err)
	}
	if want := "\x03\x00\x00\x00abc {\"a\":1} "; string(l) != want {
		t.Errorf("BuildLayer = %q, want %q", l, want)
	}
	blob, meta, err := ParseLayer(l)
	if err != nil || string(blob) != "abc" || string(meta) != ` {"a":1} ` {
		t.Errorf("ParseLayer = %q %q %v", blob, meta, err)
	}
	for _, bad := range []string{"[]", "", "1", `{"a":}`, "{}{}"} {
		if _, err := BuildLayer(nil, []byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("BuildLayer meta %q: %v", bad, err)
		}
	}
	if _, err := BuildLayer(make([]byte, MaxRequestSize), []byte("{}")); !errors.Is(err, ErrTooLarge) {
		t.Errorf("BuildLayer oversized: %v", err)
	}
}

func TestParseEncType(t *testing.T) {
	for s, want := range map[string]EncType{"aes-gcm": AESGCM, "gcm": AESGCM, "xchacha20": XChaCha20, "xchacha20-poly1305": XChaCha20, "aes-cbc": AESCBC, "cbc": AESCBC} {
		if got, err := ParseEncType(s); got != want || err != nil {
			t.Errorf("%q: %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "AES-GCM", "xchacha", "aes_gcm"} {
		if _, err := ParseEncType(s); !errors.Is(err, ErrEncType) {
			t.Errorf("%q accepted", s)
		}
	}
	if EncType(0).String() != "EncType(0)" || AESGCM.String() != "aes-gcm" {
		t.Error("String")
	}
}

func TestOverhead(t *testing.T) {
	node := newTestNode(t, "n")
	for _, enc := range []EncType{AESGCM, XChaCha20, AESCBC} {
		for _, n := range []int{0, 19, 32} {
			ct, _, err := SealLayer(enc, make([]byte, n), node.hop.X25519, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := map[EncType]int{AESGCM: 12 + 16, XChaCha20: 24 + 16, AESCBC: 16 + 16 - n%16}[enc]
			if len(ct)-n != want {
				t.Errorf("%v, %d bytes: overhead %d, want %d", enc, n, len(ct)-n, want)
			}
		}
	}
}

func TestV4(t *testing.T) {
	// The examples from session-pysogs' documentation of v4 requests.
	get := `l79:{"method":"GET","endpoint":"/room/some-room","headers":{"Some-Header":"12345"}}e`
	r, err := ParseV4Request([]byte(get))
	if err != nil || r.Method != "GET" || r.Endpoint != "/room/some-room" || r.Headers["Some-Header"] != "12345" || r.Body != nil {
		t.Errorf("GET example: %+v, %v", r, err)
	}
	post := `l72:{"method":"POST","endpoint":"/some/thing","headers":{"Some-Header":"a"}}14:post body heree`
	r, err = ParseV4Request([]byte(post))
	if err != nil || r.Method != "POST" || string(r.Body) != "post body here" {
		t.Errorf("POST example: %+v, %v", r, err)
	}
	resp := `l58:{"code":200,"headers":{"content-type":"application/json"}}11:{"id": 123}e`
	rr, err := ParseV4Response([]byte(resp))
	if err != nil || rr.Code != 200 || string(rr.Body) != `{"id": 123}` || rr.Headers["content-type"] != "application/json" {
		t.Errorf("response example: %+v, %v", rr, err)
	}
	// pysogs writes its metadata with spaces.
	if rr, err := ParseV4Response([]byte(`l40:{"code": 404, "headers": {"a": "<b&c>"}}0:e`)); err != nil || rr.Code != 404 || rr.Headers["a"] != "<b&c>" {
		t.Errorf("spaced metadata: %+v, %v", rr, err)
	}

	enc, err := (&V4Request{Method: "GET", Endpoint: "/capabilities", Headers: map[string]string{"X-SOGS-Nonce": "a<b"}}).Encode()
	if want := `l76:{"endpoint":"/capabilities","headers":{"X-SOGS-Nonce":"a<b"},"method":"GET"}e`; err != nil || string(enc) != want {
		t.Errorf("Encode GET = %s, %v; want %s", enc, err, want)
	}
	enc, err = (&V4Request{Method: "PUT", Endpoint: "/x"}).Encode()
	if want := `l45:{"endpoint":"/x","headers":{},"method":"PUT"}0:e`; err != nil || string(enc) != want {
		t.Errorf("Encode PUT = %s, %v; want %s", enc, err, want)
	}
	out, err := (&V4Response{Code: 200, Body: []byte("hi")}).Encode()
	if want := `l25:{"code":200,"headers":{}}2:hie`; err != nil || string(out) != want {
		t.Errorf("Encode response = %s, %v", out, err)
	}

	if _, err := ParseV4Request([]byte(`l35:{"method":"GET","endpoint":"/room"}0:e`)); err != nil {
		t.Errorf("base of the bad cases: %v", err)
	}
	for _, bad := range []string{
		"", "le", "l", "x3:abce", "l3:abc", `l2:{}e`,
		`l35:{"method":"GET","endpoint":"/room"}1:xe`,          // body on GET
		`l34:{"method":"GET","endpoint":"room"}e`,              // endpoint without /
		`l35:{"METHOD":"GET","endpoint":"/room"}e`,             // keys are exact
		`l20:{"endpoint":"/room"}e`,                            // no method
		`l35:{"method":"GET","endpoint":"/room"}0:0:e`,         // three parts
		`l035:{"method":"GET","endpoint":"/room"}e`,            // leading zero
		`l99:{"method":"GET","endpoint":"/room"}e`,             // overrun
		`l-1:{"method":"GET","endpoint":"/room"}e`,             // sign
		`l35:{"method":"GET","endpoint":"/room"}` + "\n" + `e`, // junk
	} {
		if _, err := ParseV4Request([]byte(bad)); !errors.Is(err, ErrV4) {
			t.Errorf("ParseV4Request(%q): %v", bad, err)
		}
	}
	for _, bad := range []string{`l12:{"code":"1"}e`, `l11:{"code":99}e`, `l2:{}e`, `l14:{"code":200.5}e`} {
		if _, err := ParseV4Response([]byte(bad)); !errors.Is(err, ErrV4) {
			t.Errorf("ParseV4Response(%q): %v", bad, err)
		}
	}
	if _, err := (&V4Request{Method: "GET", Endpoint: "/x", Body: []byte("b")}).Encode(); !errors.Is(err, ErrV4) {
		t.Errorf("GET with body encoded: %v", err)
	}
	if _, err := (&V4Request{Method: "GET", Endpoint: "/x", Headers: map[string]string{"a": "\xff"}}).Encode(); !errors.Is(err, ErrV4) {
		t.Errorf("invalid UTF-8 header encoded: %v", err)
	}
}

// Errors never carry the plaintext of a layer.
func TestErrorsHideSecrets(t *testing.T) {
	node := newTestNode(t, "n")
	secret := "SECRET-PAYLOAD-0123456789"
	ct, rk, _ := SealLayer(XChaCha20, []byte("\x03\x00\x00\x00abc{\"host\":\""+secret+"\"}"), node.hop.X25519, nil)
	pub := rk.PublicKey()
	l, err := node.key.OpenCiphertext(ct, pub, XChaCha20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Route(); err == nil || strings.Contains(err.Error(), "abc") {
		t.Errorf("Route error %v", err)
	}
	_, err = node.key.OpenCiphertext(ct[:len(ct)-1], pub, XChaCha20)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("decrypt error %v", err)
	}
}

var _ io.Reader = (*detRand)(nil)

// Zero values fail with an error instead of panicking.
func TestZeroValues(t *testing.T) {
	if _, err := (&Layer{}).EncryptReply([]byte("x"), nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Layer{}.EncryptReply: %v", err)
	}
	if _, err := (&ReplyKey{}).DecryptReply(make([]byte, 64)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("ReplyKey{}.DecryptReply: %v", err)
	}
	if _, err := (&NodeKey{}).OpenCiphertext(make([]byte, 64), [32]byte{9}, XChaCha20); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("NodeKey{}.OpenCiphertext: %v", err)
	}
	if _, err := NewNodeKey(make([]byte, 31)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("NewNodeKey(31 bytes): %v", err)
	}
	if _, err := NewReplyKey(XChaCha20, make([]byte, 33), [32]byte{9}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("NewReplyKey(33 bytes): %v", err)
	}
	if _, err := NewReplyKey(0, make([]byte, 32), [32]byte{9}); !errors.Is(err, ErrEncType) {
		t.Errorf("NewReplyKey(enc 0): %v", err)
	}
}

// Errors about decrypted JSON describe it without quoting it.
func TestJSONErrorsDoNotQuote(t *testing.T) {
	for _, inner := range []string{`{"headers":"","json":"SECRET"}`, `{"SECRET`, `["SECRET"]`, `{"host":"h","target":"/t","port":"SECRET"}`} {
		_, err := (&Layer{Plaintext: appendLayer(nil, nil, []byte(inner))}).Route()
		if !errors.Is(err, ErrInvalidJSON) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: %v", inner, err)
		}
	}
	for _, meta := range []string{`{"method":"SECRET","endpoint":"SECRET"}`, `{"method":"GET","endpoint":"/x","headers":{"a":1}}SECRET`} {
		_, err := ParseV4Request(encodeBList([][]byte{[]byte(meta)}))
		if !errors.Is(err, ErrV4) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: %v", meta, err)
		}
	}
}
