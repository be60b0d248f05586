package storagerpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

func TestHashesJSON(t *testing.T) {
	for _, tt := range []struct {
		h    Hashes
		json string
		all  []string
	}{
		{Hashes{List: []string{"b", "a"}}, `["b","a"]`, []string{"a", "b"}},
		{Hashes{}, `[]`, nil},
		{Hashes{ByNamespace: map[Namespace][]string{-10: {"c"}, 2: {"a", "d"}}}, `{"-10":["c"],"2":["a","d"]}`, []string{"a", "c", "d"}},
	} {
		b, err := json.Marshal(tt.h)
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.h, b, err, tt.json)
		}
		var back Hashes
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(back.All()) != fmt.Sprint(tt.all) || fmt.Sprint(tt.h.All()) != fmt.Sprint(tt.all) {
			t.Errorf("All() of %s = %v, want %v", b, back.All(), tt.all)
		}
	}
	var h Hashes
	if err := json.Unmarshal([]byte(`{"x":[]}`), &h); err == nil {
		t.Error("non-numeric namespace key accepted")
	}
}

func TestExpiriesJSON(t *testing.T) {
	for _, tt := range []struct {
		e    Expiries
		json string
	}{
		{Expiries{Values: []int64{5}}, `5`},
		{Expiries{Values: []int64{5}, List: true}, `[5]`},
		{Expiries{Values: []int64{1, 2}, List: true}, `[1,2]`},
	} {
		b, _ := json.Marshal(tt.e)
		var back Expiries
		if string(b) != tt.json || json.Unmarshal(b, &back) != nil || !reflect.DeepEqual(back, tt.e) {
			t.Errorf("%+v: %s → %+v", tt.e, b, back)
		}
	}
}

func TestResponseFieldNames(t *testing.T) {
	r := RetrieveResponse{Messages: []RetrievedMessage{{Hash: "h", Timestamp: 1, Expiration: 2, Data: []byte("x")}}, More: true, Meta: Meta{T: 3, HF: []int{19, 3}}}
	b, _ := json.Marshal(r)
	if want := `{"messages":[{"hash":"h","timestamp":1,"expiration":2,"data":"eA=="}],"more":true,"t":3,"hf":[19,3]}`; string(b) != want {
		t.Errorf("retrieve response %s, want %s", b, want)
	}
	s := SwarmResponse{Snodes: []Snode{{Port: "443", PortHTTPS: 443}}, Swarm: "ff"}
	b, _ = json.Marshal(s)
	if want := `{"snodes":[{"address":"","pubkey_legacy":"","pubkey_x25519":"","pubkey_ed25519":"","port":"443","port_https":443,"port_omq":0,"port_quic":0,"ip":""}],"swarm":"ff"}`; string(b) != want {
		t.Errorf("swarm response %s, want %s", b, want)
	}
	var sr StoreResponse
	in := `{"swarm":{"aa":{"hash":"h","signature":"AAAA","expiry":9,"already":true},"bb":{"failed":true,"timeout":true}},"hash":"h","t":1,"hf":[19,0]}`
	if err := json.Unmarshal([]byte(in), &sr); err != nil {
		t.Fatal(err)
	}
	if a := sr.Swarm["aa"]; !a.Already || a.Expiry != 9 || len(a.Signature) != 3 || !sr.Swarm["bb"].Failed || !sr.Swarm["bb"].Timeout || sr.HF[0] != 19 {
		t.Errorf("store response decoded as %+v", sr)
	}
}

func TestResultSignedMessages(t *testing.T) {
	acct := testIdentity(t).SessionID()
	if got := string(DeleteResultSignedMessage(acct, []string{"r1", "r2"}, []string{"d1"})); got != testPubkey+"r1r2d1" {
		t.Errorf("delete: %q", got)
	}
	byNS := Hashes{ByNamespace: map[Namespace][]string{0: {"z"}, 5: {"b"}}}
	if got := string(DeletedSignedMessage(acct, 17, byNS)); got != testPubkey+"17bz" {
		t.Errorf("delete_all: %q", got)
	}
	if got := string(ExpireAllResultSignedMessage(acct, 9, Hashes{List: []string{"b", "a"}})); got != testPubkey+"9ab" {
		t.Errorf("expire_all: %q", got)
	}
	got := string(ExpireResultSignedMessage(acct, []int64{100, 200}, []string{"q"}, []string{"u"}, map[string]int64{"y": 2, "x": 1}))
	if got != testPubkey+"100200qux1y2" {
		t.Errorf("expire: %q", got)
	}
	tok := NewSubaccountToken(keys.PrefixGroup, SubaccountRead, pubOf(keyFromByte(1)))
	if got := string(RevokeResultSignedMessage(acct, 5, []SubaccountToken{tok})); got != testPubkey+"5"+string(tok[:]) {
		t.Errorf("revoke: %q", got)
	}
	if string(StoreResultSignedMessage(testHash)) != testHash {
		t.Error("store")
	}
}

func TestErrorStatus(t *testing.T) {
	for status, sentinel := range map[int]error{
		400: ErrBadRequest, 401: ErrUnauthorized, 403: ErrForbidden, 404: ErrNotFound, 406: ErrNotAcceptable,
		413: ErrTooLarge, 421: ErrMisdirected, 429: ErrTooManyRequests, 500: ErrServer, 503: ErrServer,
	} {
		err := fmt.Errorf("context: %w", NewError(status, "why"))
		if !errors.Is(err, sentinel) || StatusOf(err) != status {
			t.Errorf("status %d: Is(%v) = %v, StatusOf = %d", status, sentinel, errors.Is(err, sentinel), StatusOf(err))
		}
	}
	if StatusOf(nil) != http.StatusOK || StatusOf(errors.New("x")) != http.StatusInternalServerError {
		t.Error("StatusOf of nil / plain error")
	}
}
