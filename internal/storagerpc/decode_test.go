package storagerpc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

func TestDecodeStore(t *testing.T) {
	r, err := DecodeRequest("store", params(
		"pubKey", q(testPubkey), "timestamp", q("1700000000000"), "ttl", q("86400000"),
		"data", q("aGVsbG8="), "unknown_field", "[1,2,{}]"))
	if err != nil {
		t.Fatal(err)
	}
	s := r.(*Store)
	if s.Pubkey.String() != testPubkey || s.Timestamp != testTS || s.TTL != 86400000 || s.Expiry != 0 ||
		s.ExpiryTime() != testTS+86400000 || string(s.Data) != "hello" || s.Signature != nil || s.Namespace != 0 {
		t.Fatalf("decoded %+v", s)
	}

	r, err = DecodeRequest("store", params(
		"pubkey", q(testPubkey), "pubkey_ed25519", q(strings.ToUpper(testEd)), "namespace", "-21",
		"timestamp", "1700000000000", "expiry", "1700000060000", "sig_timestamp", "1700000000123",
		"data", `"aGVsbG8"`, "signature", testSigJSON))
	if err != nil {
		t.Fatal(err)
	}
	s = r.(*Store)
	if s.Namespace != -21 || s.Expiry != 1700000060000 || s.SigTimestamp != 1700000000123 ||
		hex.EncodeToString(s.PubkeyEd25519) != testEd || len(s.Signature) != 64 || string(s.Data) != "hello" {
		t.Fatalf("decoded %+v", s)
	}
	if got := string(s.SignedMessage()); got != "store-211700000000123" {
		t.Fatalf("SignedMessage = %q", got)
	}

	// The largest body is accepted, one more base64 quantum is not.
	big := strings.Repeat("A", MaxMessageSizeBase64)
	if _, err := DecodeRequest("store", params("pubkey", q(testPubkey), "timestamp", "1", "ttl", "1", "data", q(big))); err != nil {
		t.Fatalf("max-size data: %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	pk := q(testPubkey)
	sig := testSigJSON
	tests := []struct {
		method string
		params string
		reason string // after "invalid request: " unless it starts with '!'
	}{
		{"store", `[]`, "!invalid json: no `params` field"},
		{"store", `{"pubkey":`, "!invalid json: no `params` field"},
		{"no_such_method", `{}`, "!no method no_such_method"},
		{"ifelse", `{}`, "ifelse requests are not supported"},
		{"store", string(params("pubkey", pk, "ttl", "1000", "data", `""`)), "Required field 'timestamp' missing"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "data", `""`)), "Required field 'expiry' or 'ttl' missing"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1", "expiry", "1700000000000", "data", `""`)), "Cannot specify both 'expiry' and 'ttl'"},
		{"store", string(params("pubkey", pk, "pubKey", pk, "timestamp", "1", "ttl", "1", "data", `""`)), "Cannot specify both 'pubkey' and 'pubKey'"},
		{"store", string(params("timestamp", "1", "ttl", "1", "data", `""`)), "Required field 'pubkey' missing"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1")), "Required field 'data' missing"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1", "data", `"a$=="`)), "Invalid 'data' value: not base64 encoded"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1", "data", q(strings.Repeat("A", MaxMessageSizeBase64+4)))), "Message body exceeds maximum allowed length of 76800 bytes"},
		{"store", string(params("pubkey", pk, "timestamp", "1.5", "ttl", "1", "data", `""`)), "Invalid value given for 'timestamp': expected integer"},
		{"store", string(params("pubkey", pk, "timestamp", `"+1"`, "ttl", "1", "data", `""`)), `Invalid value given for 'timestamp': "+1"`},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "-1", "data", `""`)), "Invalid value given for 'ttl': expected positive integer"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", `"-1"`, "data", `""`)), `Invalid value given for 'ttl': "-1"`},
		{"store", string(params("pubkey", pk, "timestamp", "1", "expiry", "1700000", "data", `""`)), "Invalid timestamp for 'expiry': timestamp must be in milliseconds"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1", "namespace", "32768", "data", `""`)), "Invalid value given for 'namespace': value out of range"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1", "namespace", `"2"`, "data", `""`)), "Invalid value given for 'namespace': expected 16-bit integer"},
		{"store", string(params("pubkey", q(testPubkey[:64]), "timestamp", "1", "ttl", "1", "data", `""`)), "Pubkey must be 66 hex digits (33 bytes) long"},
		{"store", string(params("pubkey", q("zz"+testPubkey[2:]), "timestamp", "1", "ttl", "1", "data", `""`)), "Pubkey must be 66 hex digits (33 bytes) long"},
		{"store", string(params("pubkey", q("03"+testPubkey[2:]), "pubkey_ed25519", q(testEd), "timestamp", "1", "ttl", "1", "data", `""`, "signature", sig)), "pubkey_ed25519 is only permitted for 05[...] pubkeys"},
		{"store", string(params("pubkey", pk, "pubkey_ed25519", q(testEd[:62]), "timestamp", "1", "ttl", "1", "data", `""`, "signature", sig)), "Invalid pubkey_ed25519: expected 64 hex char or 32 byte pubkey"},
		{"store", string(params("pubkey", pk, "pubkey_ed25519", q("xx"+testEd[2:]), "timestamp", "1", "ttl", "1", "data", `""`, "signature", sig)), "invalid pubkey_ed25519: value is not hex"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1", "data", `""`, "signature", q("AAAA"))), "invalid signature: expected base64 encoded Ed25519 signature"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1", "data", `""`, "signature", sig, "subaccount", q(strings.Repeat("A", 48)))), "invalid subaccount: subaccount_sig is required when using subaccount"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1", "data", `""`, "signature", sig, "subaccount", q("AAAA"), "subaccount_sig", sig)), "invalid subaccount: expected base64 or hex-encoded subaccount token"},
		{"store", string(params("pubkey", pk, "timestamp", "1", "ttl", "1", "data", `""`, "signature", "12")), "Invalid value given for 'signature': expected string"},
		{"retrieve", string(params("pubkey", pk, "namespace", "0")), "Required field 'signature' missing"},
		{"retrieve", string(params("pubkey", pk, "namespace", "2", "signature", sig)), "Required field 'timestamp' missing"},
		{"retrieve", string(params("pubkey", pk, "timestamp", "999999999", "signature", sig)), "Invalid timestamp for 'timestamp': timestamp must be in milliseconds"},
		{"retrieve", string(params("pubkey", pk, "last_hash", q("abc"))), "Invalid last_hash: expected base64 (43 chars)"},
		{"retrieve", string(params("pubkey", pk, "last_hash", q(strings.Repeat("-", 43)))), "Invalid last_hash: not base64"},
		{"retrieve", string(params("pubkey", pk, "last_hash", q(testHash), "lastHash", q(testHash))), "Cannot specify both 'last_hash' and 'lastHash'"},
		{"retrieve", string(params("pubkey", pk, "max_count", "true")), "Invalid value given for 'max_count': expected integer"},
		{"delete", string(params("pubkey", pk, "messages", q(testHash))), "Required field 'signature' missing"},
		{"delete", string(params("pubkey", pk, "signature", sig)), "Required field 'messages' missing"},
		{"delete", string(params("pubkey", pk, "signature", sig, "messages", "[]")), "messages does not contain any message hashes"},
		{"delete", string(params("pubkey", pk, "signature", sig, "messages", `["short"]`)), `invalid message hash: "short"`},
		{"delete", string(params("pubkey", pk, "signature", sig, "messages", `[1]`)), "Invalid value given for 'messages': expected string array"},
		{"delete", string(params("pubkey", pk, "signature", sig, "messages", q(testHash), "required", "1")), "Invalid value given for 'required': expected boolean"},
		{"delete_all", string(params("pubkey", pk, "signature", sig)), "Required field 'timestamp' missing"},
		{"delete_all", string(params("pubkey", pk, "signature", sig, "timestamp", "1700000000000", "namespace", `"some"`)), `Invalid value given for 'namespace': expected integer or "all"`},
		{"delete_before", string(params("pubkey", pk, "signature", sig)), "Required field 'before' missing"},
		{"expire_all", string(params("pubkey", pk, "signature", sig, "namespace", "all")), "!invalid json: no `params` field"},
		{"expire_all", string(params("pubkey", pk, "signature", sig, "namespace", `"all"`)), "Required field 'expiry' missing"},
		{"expire", string(params("pubkey", pk, "signature", sig, "messages", q(testHash))), "Required field 'expiry' missing"},
		{"expire", string(params("pubkey", pk, "signature", sig, "messages", q(testHash), "expiry", "[]")), "'expiry' does not contain any expiration timestamps"},
		{"expire", string(params("pubkey", pk, "signature", sig, "messages", q(testHash), "expiry", "1", "shorten", "true", "extend", "true")), "cannot specify both 'shorten' and 'extend'"},
		{"expire", string(params("pubkey", pk, "signature", sig, "messages", `["`+testHash+`","`+testHash+`","`+testHash+`"]`, "expiry", "[1,2]")), "'expiry' must be a single expiry, or the same length as 'messages'"},
		{"expire", string(params("pubkey", pk, "signature", sig, "messages", q(testHash), "expiry", "[-1]")), "Invalid value given for 'expiry': expected timestamp array"},
		{"get_expiries", string(params("pubkey", pk, "signature", sig, "messages", `["all"]`)), "Required field 'timestamp' missing"},
		{"get_expiries", string(params("pubkey", pk, "signature", sig, "timestamp", "1700000000000")), "Required field 'messages' missing"},
		{"revoke_subaccount", string(params("pubkey", pk, "signature", sig, "timestamp", "1700000000000")), "Required field 'revoke' missing"},
		{"revoke_subaccount", string(params("pubkey", pk, "signature", sig, "timestamp", "1700000000000", "revoke", q("nope"))), "invalid revoke: expected base64 or hex-encoded subaccount tag"},
		{"revoke_subaccount", string(params("pubkey", pk, "signature", sig, "timestamp", "1700000000000", "revoke", `[`+strings.Repeat(q(strings.Repeat("A", 48))+",", 50)+q(strings.Repeat("A", 48))+`]`)), "invalid revoke: cannot revoke more than 50 subaccounts at once"},
		{"unrevoke_subaccount", string(params("pubkey", pk, "signature", sig, "unrevoke", q(strings.Repeat("A", 48)))), "Required field 'timestamp' missing"},
		{"get_swarm", `{}`, "Required field 'pubkey' missing"},
		{"get_snodes_for_pubkey", string(params("pubkey", q("05"))), "Pubkey must be 66 hex digits/33 bytes long"},
		{"oxend_request", `{}`, "Required field 'endpoint' missing"},
		{"oxend_request", string(params("endpoint", q("get_n_service_nodes"))), `Invalid oxend endpoint "get_n_service_nodes"`},
		{"batch", `{}`, `Invalid batch request: no valid "requests" field`},
		{"batch", `{"requests":[]}`, `Invalid batch request: no valid "requests" field`},
		{"batch", `{"requests":[` + strings.Repeat(`{"method":"info","params":{}},`, 20) + `{"method":"info","params":{}}]}`, "Invalid batch request: subrequest limit exceeded"},
		{"batch", `{"requests":[1]}`, "Invalid batch request: requests must be objects"},
		{"batch", `{"requests":[{"method":"info"}]}`, "Invalid batch request: subrequests must have method/params keys"},
		{"batch", `{"requests":[{"method":"info","params":[]}]}`, "Invalid batch request: subrequests must have method/params keys"},
		{"sequence", `{"requests":[{"method":"nope","params":{}}]}`, `Invalid batch subrequest: invalid method "nope"`},
		{"batch", `{"requests":[{"method":"batch","params":{}}]}`, "Invalid batch subrequest: subrequests may not contain meta-requests"},
		{"batch", `{"requests":[{"method":"get_swarm","params":{}}]}`, "Required field 'pubkey' missing"},
	}
	for _, tt := range tests {
		_, err := DecodeRequest(tt.method, []byte(tt.params))
		reason := "invalid request: " + tt.reason
		if strings.HasPrefix(tt.reason, "!") {
			reason = tt.reason[1:]
		}
		wantError(t, tt.method+" "+tt.params, err, http.StatusBadRequest, reason)
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s %s: error does not match ErrBadRequest", tt.method, tt.params)
		}
	}
}

func TestDecodeTooLarge(t *testing.T) {
	huge := append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), MaxRequestBodySize)...)
	huge = append(huge, `"}`...)
	_, err := DecodeRequest("info", huge)
	wantError(t, "huge params", err, http.StatusRequestEntityTooLarge, "Request body too large")
	if !errors.Is(err, ErrTooLarge) || StatusOf(err) != http.StatusRequestEntityTooLarge {
		t.Fatal("413 does not unwrap to ErrTooLarge")
	}
}

func TestDecodeRetrieve(t *testing.T) {
	// Unauthenticated: no namespace, or a namespace that needs no auth.
	for _, p := range []string{
		string(params("pubkey", q(testPubkey), "lastHash", q(testHash), "max_size", "-3")),
		string(params("pubKey", q(testPubkey), "namespace", "-10", "last_hash", `""`)),
		string(params("pubkey", q(testPubkey), "namespace", "-41", "timestamp", "null", "signature", "null")),
	} {
		r, err := DecodeRequest("retrieve", []byte(p))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if rr := r.(*Retrieve); rr.Signature != nil || rr.Timestamp != 0 {
			t.Fatalf("%s: decoded as authenticated: %+v", p, rr)
		}
	}
	r, err := DecodeRequest("retrieve", params("pubkey", q(testPubkey), "timestamp", "1700000000000",
		"signature", testSigJSON, "namespace", "5", "max_count", "10", "last_hash", q(testHash)))
	if err != nil {
		t.Fatal(err)
	}
	rr := r.(*Retrieve)
	if rr.Namespace != 5 || rr.Timestamp != testTS || rr.MaxCount != 10 || rr.LastHash != testHash || rr.Signature == nil {
		t.Fatalf("decoded %+v", rr)
	}
	if got := string(rr.SignedMessage()); got != "retrieve51700000000000" {
		t.Fatalf("SignedMessage = %q", got)
	}
}

func TestRetrieveLimits(t *testing.T) {
	tests := []struct{ count, size, wantCount, wantSize int }{
		{0, 0, 0, RetrieveMaxSize / 5},
		{10, 0, 10, RetrieveMaxSize},
		{0, -1, 0, RetrieveMaxSize},
		{0, -4, 0, RetrieveMaxSize / 4},
		{3, 1000, 3, 1000},
		{0, RetrieveMaxSize + 1, 0, RetrieveMaxSize},
	}
	for _, tt := range tests {
		c, s := (&Retrieve{MaxCount: tt.count, MaxSize: tt.size}).Limits()
		if c != tt.wantCount || s != tt.wantSize {
			t.Errorf("Limits(%d, %d) = %d, %d; want %d, %d", tt.count, tt.size, c, s, tt.wantCount, tt.wantSize)
		}
	}
}

func TestDecodeSubaccount(t *testing.T) {
	tok := NewSubaccountToken(keys.PrefixGroup, SubaccountRead|SubaccountWrite, pubOf(keyFromByte(9)))
	for _, enc := range []string{b64(tok[:]), hex.EncodeToString(tok[:])} {
		r, err := DecodeRequest("retrieve", params("pubkey", q("03"+testEd), "namespace", "11",
			"timestamp", "1700000000000", "signature", testSigJSON, "subaccount", q(enc), "subaccount_sig", testSigJSON))
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		sa := r.(*Retrieve).Subaccount
		if sa == nil || sa.Token != tok || len(sa.Signature) != 64 {
			t.Fatalf("%s: subaccount %+v", enc, sa)
		}
	}
	// An empty subaccount means none, even with a subaccount_sig.
	r, err := DecodeRequest("delete_all", params("pubkey", q(testPubkey), "timestamp", "1700000000000",
		"signature", testSigJSON, "subaccount", `""`, "subaccount_sig", q("junk")))
	if err != nil || r.(*DeleteAll).Subaccount != nil {
		t.Fatalf("empty subaccount: %v, %+v", err, r)
	}
}

func TestDecodeNamespaceOrAll(t *testing.T) {
	for _, tt := range []struct {
		ns   string
		want NamespaceOrAll
		msg  string
	}{
		{"", NamespaceOrAll{}, "delete_all1700000000000"},
		{"0", NamespaceOrAll{}, "delete_all1700000000000"},
		{`"all"`, AllNamespaces(), "delete_allall1700000000000"},
		{"-10", OneNamespace(-10), "delete_all-101700000000000"},
	} {
		kv := []string{"pubkey", q(testPubkey), "timestamp", "1700000000000", "signature", testSigJSON}
		if tt.ns != "" {
			kv = append(kv, "namespace", tt.ns)
		}
		r, err := DecodeRequest("delete_all", params(kv...))
		if err != nil {
			t.Fatalf("%s: %v", tt.ns, err)
		}
		d := r.(*DeleteAll)
		if d.Namespace != tt.want || string(d.SignedMessage()) != tt.msg {
			t.Errorf("namespace %s: %+v, signs %q; want %+v, %q", tt.ns, d.Namespace, d.SignedMessage(), tt.want, tt.msg)
		}
	}
}

func TestDecodeExpireForms(t *testing.T) {
	two := `["` + testHash + `","` + strings.Replace(testHash, "g", "h", 1) + `"]`
	r, err := DecodeRequest("expire", params("pubkey", q(testPubkey), "signature", testSigJSON,
		"messages", two, "expiry", "[1700000000001,1700000000002]", "shorten", "true"))
	if err != nil {
		t.Fatal(err)
	}
	e := r.(*Expire)
	want := "expireshorten17000000000011700000000002" + testHash + strings.Replace(testHash, "g", "h", 1)
	if got := string(e.SignedMessage()); got != want || e.ExtendOnly() {
		t.Fatalf("SignedMessage = %q (want %q), ExtendOnly %v", got, want, e.ExtendOnly())
	}
	r, err = DecodeRequest("expire", params("pubkey", q(testPubkey), "signature", testSigJSON,
		"messages", q(testHash), "expiry", "1700000000001"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(r.(*Expire).SignedMessage()); got != "expire1700000000001"+testHash {
		t.Fatalf("SignedMessage = %q", got)
	}
}

func TestDecodeBatch(t *testing.T) {
	body := `{"method":"sequence","params":{"requests":[
		{"method":"get_snodes_for_pubkey","params":{"pubkey":"` + testPubkey + `"}},
		{"method":"info","params":{"ignored":true}},
		{"method":"oxend_request","params":{"endpoint":"ons_resolve","params":{ "type": 0, "name_hash": "abc" }}}
	]}}`
	r, err := ParseBody([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	b := r.(*Batch)
	if !b.Sequence || len(b.Requests) != 3 || b.Method() != "sequence" {
		t.Fatalf("decoded %+v", b)
	}
	if g := b.Requests[0].(*GetSwarm); g.Pubkey.String() != testPubkey || g.Method() != "get_swarm" {
		t.Fatalf("subrequest 0: %+v", g)
	}
	if o := b.Requests[2].(*OxendRequest); o.Endpoint != "ons_resolve" || string(o.Params) != `{"type":0,"name_hash":"abc"}` {
		t.Fatalf("subrequest 2: %+v / %s", o, o.Params)
	}
	enc, err := EncodeBody(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"method":"sequence","params":{"requests":[{"method":"get_swarm","params":{"pubkey":"` + testPubkey +
		`"}},{"method":"info","params":{}},{"method":"oxend_request","params":{"endpoint":"ons_resolve","params":{"type":0,"name_hash":"abc"}}}]}}`
	if string(enc) != want {
		t.Fatalf("EncodeBody:\n got %s\nwant %s", enc, want)
	}
}

func TestParseBody(t *testing.T) {
	for _, tt := range []struct{ body, reason string }{
		{`nope`, "invalid json"},
		{`{"params":{}}`, "invalid json: no `method` field"},
		{`{"method":5,"params":{}}`, "invalid json: no `method` field"},
		{`{"method":"info"}`, "invalid json: no `params` field"},
		{`{"method":"info","params":"x"}`, "invalid json: no `params` field"},
	} {
		_, err := ParseBody([]byte(tt.body))
		wantError(t, tt.body, err, http.StatusBadRequest, tt.reason)
	}
	r, err := ParseBody([]byte(`{"method":"info","params":{}}`))
	if err != nil || r.Method() != "info" {
		t.Fatalf("info: %v %v", r, err)
	}
}

// Every request type round-trips through its MarshalJSON and UnmarshalJSON.
func TestMarshalRoundTrip(t *testing.T) {
	id := testIdentity(t)
	sub := SignSubaccountToken(keyFromByte(1), NewSubaccountToken(keys.PrefixGroup, SubaccountRead|SubaccountWrite, pubOf(keyFromByte(2))))
	reqs := []Authenticated{
		&Store{Namespace: 3, Timestamp: testTS, TTL: 1000, Data: []byte("x")},
		&Store{Timestamp: testTS, Expiry: testTS + 5000, SigTimestamp: testTS + 1, Data: nil},
		&Retrieve{Namespace: -11, LastHash: testHash, MaxCount: 2, MaxSize: -2, Timestamp: testTS},
		&Delete{Messages: []string{testHash}, Required: true},
		&DeleteAll{Namespace: AllNamespaces(), Timestamp: testTS},
		&DeleteBefore{Namespace: OneNamespace(-10), Before: testTS},
		&Expire{Messages: []string{testHash}, Expiry: []int64{testTS}, Extend: true},
		&ExpireAll{Namespace: OneNamespace(4), Expiry: testTS},
		&GetExpiries{Messages: []string{"all"}, Timestamp: testTS},
		&RevokeSubaccount{Tokens: []SubaccountToken{sub.Token}, Timestamp: testTS},
		&UnrevokeSubaccount{Tokens: []SubaccountToken{sub.Token}, Timestamp: testTS},
	}
	for _, r := range reqs {
		Sign(r, id)
		if _, ok := r.(*Retrieve); ok {
			r.Authentication().Subaccount = &sub
		}
		enc, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeRequest(r.Method(), enc)
		if err != nil {
			t.Fatalf("%s: %s: %v", r.Method(), enc, err)
		}
		enc2, _ := back.MarshalJSON()
		if !bytes.Equal(enc, enc2) {
			t.Errorf("%s: round trip changed\n %s\n %s", r.Method(), enc, enc2)
		}
		if !bytes.Equal(r.SignedMessage(), back.(Authenticated).SignedMessage()) {
			t.Errorf("%s: signed message changed in round trip", r.Method())
		}
	}
	var s Store
	if err := s.UnmarshalJSON([]byte(`{"pubkey":"` + testPubkey + `","timestamp":1,"ttl":5,"data":""}`)); err != nil || s.TTL != 5 {
		t.Fatalf("Store.UnmarshalJSON: %v %+v", err, s)
	}
	if err := s.UnmarshalJSON([]byte(`{}`)); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("Store.UnmarshalJSON({}) = %v", err)
	}
}

// TestDecodeHashLimit: delete, expire and get_expiries name at most
// MaxHashesPerRequest hashes, so that one request cannot make a node work
// through a 10 MB list.
func TestDecodeHashLimit(t *testing.T) {
	list := func(n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat(q(testHash)+",", n), ",") + "]"
	}
	for _, n := range []int{1, MaxHashesPerRequest} {
		if _, err := DecodeRequest("delete", params("pubkey", q(testPubkey), "signature", testSigJSON, "messages", list(n))); err != nil {
			t.Errorf("delete of %d hashes: %v", n, err)
		}
	}
	n := MaxHashesPerRequest + 1
	_, err := DecodeRequest("delete", params("pubkey", q(testPubkey), "signature", testSigJSON, "messages", list(n)))
	wantError(t, "delete", err, http.StatusBadRequest, "invalid request: too many message hashes: 1001, the limit is 1000")
	_, err = DecodeRequest("expire", params("pubkey", q(testPubkey), "signature", testSigJSON, "messages", list(n), "expiry", "1700000000001"))
	wantError(t, "expire", err, http.StatusBadRequest, "invalid request: too many message hashes: 1001, the limit is 1000")
	_, err = DecodeRequest("get_expiries", params("pubkey", q(testPubkey), "signature", testSigJSON, "messages", list(n), "timestamp", "1700000000001"))
	wantError(t, "get_expiries", err, http.StatusBadRequest, "invalid request: too many message hashes: 1001, the limit is 1000")
}

// TestDecodeLongPoll checks session-go's long_poll_ms: decoded with the
// retrieve (or batch) it belongs to, so a node reads the body once; never an
// error, since a Session node ignores the field; written back by MarshalJSON.
func TestDecodeLongPoll(t *testing.T) {
	for v, want := range map[string]int64{"25000": 25000, "0": 0, "-5": 0, `"100"`: 0, "1.5": 0, "null": 0, "99999999999999999999": 0} {
		r, err := DecodeRequest("retrieve", params("pubkey", q(testPubkey), "namespace", "-10", "long_poll_ms", v))
		if err != nil {
			t.Fatalf("long_poll_ms %s: %v", v, err)
		}
		if got := r.(*Retrieve).LongPollMS; got != want {
			t.Errorf("long_poll_ms %s: decoded %d, want %d", v, got, want)
		}
	}
	sub := `{"method":"retrieve","params":` + string(params("pubkey", q(testPubkey), "namespace", "-10")) + `}`
	body := `{"method":"batch","params":{"requests":[` + sub + `],"long_poll_ms":1234}}`
	req, err := ParseBody([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	b := req.(*Batch)
	if b.LongPollMS != 1234 || len(b.Requests) != 1 {
		t.Fatalf("batch decoded as %+v", b)
	}
	enc, err := EncodeBody(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseBody(enc)
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	if again.(*Batch).LongPollMS != 1234 {
		t.Fatalf("%s lost long_poll_ms", enc)
	}
}
