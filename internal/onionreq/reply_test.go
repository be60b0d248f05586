package onionreq

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/onion"
	"github.com/session-go/session-go/internal/storagerpc"
)

func TestParseNotFound(t *testing.T) {
	ed := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		body, want string
	}{
		{"Next node not found: " + ed, ed},
		{"Next node not found: " + strings.ToUpper(ed) + "\n", ed},
		{"Next node not found: " + ed[:62], ""},
		{"Next node not found: " + strings.Repeat("zz", 32), ""},
		{"next node not found: " + ed, ""},
		{"Request time out", ""},
		{"", ""},
	} {
		if got := parseNotFound([]byte(tc.body)); got != tc.want {
			t.Errorf("parseNotFound(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
	if got := parseUnreachable([]byte("Next node is unreachable: " + ed)); got != ed {
		t.Errorf("parseUnreachable = %q, want %q", got, ed)
	}
	if got := parseUnreachable([]byte("Next node not found: " + ed)); got != "" {
		t.Errorf("parseUnreachable of a not-found answer = %q", got)
	}
}

func TestParseSnodeReply(t *testing.T) {
	for _, tc := range []struct {
		in     string
		status int
		body   string
		bad    bool
	}{
		{`{"status":200,"body":"{\"t\":5}"}`, 200, `{"t":5}`, false},
		{`{"body":"Timestamp error: check your clock","status":406}`, 406, "Timestamp error: check your clock", false},
		{`{"status":200,"body":{"t":5}}`, 200, `{"t":5}`, false}, // "json": true
		{`{"status":200}`, 200, "", false},
		{`{"status":200,"body":null}`, 200, "", false},
		{`{"body":"x"}`, 0, "", true},
		{`{"status":"200","body":"x"}`, 0, "", true},
		{`{"status":42,"body":"x"}`, 0, "", true},
		{`[200,"x"]`, 0, "", true},
		{`not json`, 0, "", true},
	} {
		status, body, err := parseSnodeReply([]byte(tc.in))
		if tc.bad {
			if err == nil {
				t.Errorf("parseSnodeReply(%s) accepted", tc.in)
			}
			continue
		}
		if err != nil || status != tc.status || string(body) != tc.body {
			t.Errorf("parseSnodeReply(%s) = %d %q %v; want %d %q", tc.in, status, body, err, tc.status, tc.body)
		}
	}
}

func TestReplyTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{`{"t":1700000000123,"hf":[19,4]}`, 1700000000123},
		{`{"version":[2,8,0],"timestamp":1700000000001}`, 1700000000001},
		{`{"t":-5}`, 0},
		{`{"t":"soon"}`, 0},
		{`{"t":1.5}`, 0},
		{`"Timestamp error"`, 0},
		{``, 0},
	} {
		if got := replyTime([]byte(tc.in)); got != tc.want {
			t.Errorf("replyTime(%s) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestEncodeRPC(t *testing.T) {
	id := newIdentity(t)
	r := &storagerpc.Retrieve{Timestamp: 1700000000000}
	storagerpc.Sign(r, id)
	payload, acct, err := encodeRPC(r.Method(), r)
	if err != nil {
		t.Fatal(err)
	}
	if acct != id.SessionID() {
		t.Errorf("account %s, want %s", acct, id.SessionID())
	}
	// The node parses it back to the same request.
	back, err := storagerpc.ParseBody(payload)
	if err != nil {
		t.Fatalf("node cannot parse %s: %v", payload, err)
	}
	if got := back.(*storagerpc.Retrieve); got.Timestamp != r.Timestamp || got.Pubkey != r.Pubkey {
		t.Errorf("round trip: %+v", got)
	}

	payload, acct, err = encodeRPC("info", nil)
	if err != nil || string(payload) != `{"method":"info","params":{}}` || !acct.IsZero() {
		t.Errorf("info: %s %v %v", payload, acct, err)
	}
	if _, _, err := encodeRPC("x", []int{1}); err == nil {
		t.Error("non-object params accepted")
	}
	_, acct, _ = encodeRPC("x", map[string]string{"pubkey": "nonsense"})
	if !acct.IsZero() {
		t.Error("a bad pubkey gave an account")
	}
}

func TestParseSwarm(t *testing.T) {
	good := `{"snodes":[
		{"address":"x.snode","pubkey_ed25519":"` + strings.Repeat("AA", 32) + `","pubkey_x25519":"` + strings.Repeat("bb", 32) + `","ip":"203.0.113.1","port":"22021","port_https":22021,"port_omq":22020},
		{"pubkey_ed25519":"` + strings.Repeat("cc", 32) + `","pubkey_x25519":"` + strings.Repeat("dd", 32) + `","ip":"203.0.113.2","port":"443"},
		{"pubkey_ed25519":"` + strings.Repeat("cc", 32) + `","pubkey_x25519":"` + strings.Repeat("dd", 32) + `","ip":"203.0.113.2","port":"443"},
		{"pubkey_ed25519":"short","pubkey_x25519":"` + strings.Repeat("dd", 32) + `","ip":"203.0.113.3","port_https":1},
		{"pubkey_ed25519":"` + strings.Repeat("ee", 32) + `","pubkey_x25519":"` + strings.Repeat("ff", 32) + `","ip":"0.0.0.0","port_https":1}
	],"swarm":"7fff","t":1,"hf":[19,4]}`
	id, nodes, err := parseSwarm([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if id != "7fff" || len(nodes) != 2 {
		t.Fatalf("swarm %q with %d nodes, want 7fff with 2 (a duplicate and two unusable dropped)", id, len(nodes))
	}
	if nodes[0].Ed25519 != strings.Repeat("aa", 32) || nodes[0].StoragePort != 22021 || nodes[0].SwarmID != 0x7fff {
		t.Errorf("node 0: %+v", nodes[0])
	}
	if nodes[1].StoragePort != 443 {
		t.Errorf("the string port was not used: %+v", nodes[1])
	}
	if _, _, err := parseSwarm([]byte(`"Wrong swarm"`)); err == nil {
		t.Error("a text body parsed as a swarm")
	}
}

func TestDecryptReplyForms(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	nk, err := onion.NewNodeKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []onion.EncType{onion.XChaCha20, onion.AESGCM} {
		req, rk, err := onion.Build(onion.SnodeDestination{X25519: nk.PublicKey()}, []onion.Hop{{X25519: nk.PublicKey()}}, []byte(`{}`), enc, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Peel the single hop, as the node would, to get a layer to
		// encrypt the reply with... the reply key is the destination's,
		// so open the innermost layer the same way.
		l, err := nk.Open(req)
		if err != nil {
			t.Fatal(err)
		}
		route, _ := l.Route()
		relay := route.(*onion.RelayToNode)
		inner, err := nk.OpenCiphertext(relay.Ciphertext, relay.EphemeralKey, relay.EncType)
		if err != nil {
			t.Fatal(err)
		}
		ct, err := inner.EncryptReply([]byte(`{"status":200,"body":"ok"}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, body := range map[string][]byte{
			"base64":         []byte(base64.StdEncoding.EncodeToString(ct)),
			"base64 newline": []byte(base64.StdEncoding.EncodeToString(ct) + "\n"),
			"raw":            ct,
		} {
			pt, err := decryptReply(rk, body)
			if err != nil || string(pt) != `{"status":200,"body":"ok"}` {
				t.Errorf("%v %s: %q %v", enc, name, pt, err)
			}
		}
		if _, err := decryptReply(rk, []byte("Invalid ciphertext")); err == nil {
			t.Errorf("%v: a plaintext error decrypted", enc)
		}
	}
}

func TestErrorsText(t *testing.T) {
	pe := &PathError{Guard: strings.Repeat("a", 64), Status: 502, Body: "Next node not found: " + strings.Repeat("b", 64), NotFound: strings.Repeat("b", 64)}
	if !strings.Contains(pe.Error(), "not found") {
		t.Errorf("PathError text: %s", pe)
	}
	ws := &WrongSwarmError{Account: keys.ID{Prefix: keys.PrefixStandard}, SwarmID: "ff"}
	if !strings.Contains(ws.Error(), "421") {
		t.Errorf("WrongSwarmError text: %s", ws)
	}
}

// Fuzz targets: every parser of bytes from the network must not panic.

func FuzzParseSnodeReply(f *testing.F) {
	for _, s := range []string{
		`{"status":200,"body":"{\"t\":5}"}`, `{"status":406,"body":"Timestamp error"}`,
		`{"status":200,"body":{"a":1}}`, `{"status":1e3}`, `{}`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		status, body, err := parseSnodeReply(b)
		if err != nil {
			return
		}
		if status < 100 || status > 999 || body == nil {
			t.Fatalf("accepted status %d body %v", status, body)
		}
		// Accepted replies re-encode to something that parses the same.
		again, _ := json.Marshal(struct {
			Status int    `json:"status"`
			Body   string `json:"body"`
		}{status, string(body)})
		s2, b2, err := parseSnodeReply(again)
		if err != nil || s2 != status || utf8.Valid(body) && !bytes.Equal(b2, body) {
			t.Fatalf("round trip: %d %q -> %d %q %v", status, body, s2, b2, err)
		}
	})
}

func FuzzParseSwarm(f *testing.F) {
	f.Add([]byte(`{"snodes":[{"pubkey_ed25519":"` + strings.Repeat("aa", 32) + `","pubkey_x25519":"` + strings.Repeat("bb", 32) + `","ip":"203.0.113.1","port":"22021","port_https":22021}],"swarm":"7fff","t":1}`))
	f.Add([]byte(`{"snodes":[],"swarm":""}`))
	f.Add([]byte(`{"snodes":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, nodes, err := parseSwarm(b)
		if err != nil {
			return
		}
		for _, n := range nodes {
			if _, err := nodeHop(n); err != nil || !usable(n) {
				t.Fatalf("accepted an unusable node %+v", n)
			}
		}
	})
}

func FuzzParseNotFound(f *testing.F) {
	f.Add([]byte("Next node not found: " + strings.Repeat("ab", 32)))
	f.Add([]byte("Request time out"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ed := parseNotFound(b)
		if ed == "" {
			return
		}
		if len(ed) != 64 || strings.ToLower(ed) != ed || !bytes.HasPrefix(b, []byte(notFoundPrefix)) {
			t.Fatalf("parseNotFound(%q) = %q", b, ed)
		}
	})
}

func FuzzDecryptReply(f *testing.F) {
	secret := make([]byte, 32)
	rand.Read(secret)
	nk, err := onion.NewNodeKey(secret)
	if err != nil {
		f.Fatal(err)
	}
	_, rk, err := onion.Build(onion.SnodeDestination{X25519: nk.PublicKey()}, []onion.Hop{{X25519: nk.PublicKey()}}, []byte(`{}`), onion.XChaCha20, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("Invalid ciphertext"))
	f.Add([]byte(base64.StdEncoding.EncodeToString(make([]byte, 60))))
	f.Add(make([]byte, 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		if pt, err := decryptReply(rk, b); err == nil {
			t.Fatalf("random bytes decrypted to %q", pt)
		}
	})
}

func FuzzReplyTime(f *testing.F) {
	f.Add([]byte(`{"t":1700000000123}`))
	f.Add([]byte(`{"timestamp":"12"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if v := replyTime(b); v < 0 {
			t.Fatalf("negative time %d", v)
		}
	})
}
