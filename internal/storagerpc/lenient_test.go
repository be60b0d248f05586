package storagerpc

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestLenientSwarmResult decodes a store reply shaped as Session's storage
// server relays its peers' answers (bt-encoded flags, string codes).
func TestLenientSwarmResult(t *testing.T) {
	in := `{"swarm":{"aa":{"hash":"h","already":1,"expiry":9},"bb":{"failed":1,"code":"406","reason":"Timestamp error"},` +
		`"cc":{"failed":true,"code":421},"dd":{"failed":true,"code":"x"},"ee":{"already":0,"failed":null}},"hash":"h"}`
	var r StoreResponse
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	s := r.Swarm
	if !s["aa"].Already || s["aa"].Failed || !s["bb"].Failed || s["bb"].Code != 406 || s["cc"].Code != 421 ||
		s["dd"].Code != 0 || s["ee"].Already || s["ee"].Failed {
		t.Errorf("decoded %+v", s)
	}
	// What we write stays what Session's own node writes for itself.
	b, _ := json.Marshal(StoreResult{Hash: "h", Already: true, SwarmFailure: SwarmFailure{Code: 406}})
	if want := `{"code":406,"hash":"h","already":true}`; string(b) != want {
		t.Errorf("marshalled %s, want %s", b, want)
	}
	for _, bad := range []string{`{"already":"yes"}`, `{"failed":[]}`, `{"code":{}}`, `{"code":1.5}`} {
		var x StoreResult
		if err := json.Unmarshal([]byte(bad), &x); err == nil {
			t.Errorf("%s: accepted", bad)
		} else if !errors.Is(err, ErrBadReply) && !isJSONTypeError(err) {
			t.Errorf("%s: error %v", bad, err)
		}
	}
}

func isJSONTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}
