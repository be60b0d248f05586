package storagerpc

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// fuzzMethods are the method names FuzzDecodeRequest tries; the fuzzer picks
// one by index.
var fuzzMethods = []string{
	MethodStore, MethodRetrieve, MethodDelete, MethodDeleteAll, MethodDeleteBefore, MethodExpire,
	MethodExpireAll, MethodGetExpiries, MethodGetSwarm, MethodGetSnodesForPubkey, MethodInfo,
	MethodOxendRequest, MethodRevokeSubaccount, MethodUnrevokeSubaccount, MethodBatch, MethodSequence,
	MethodIfElse, "no_such_method",
}

// fuzzSeeds are example params per method, from the storage RPC vectors and
// the spec's method table (signatures are well-formed dummies).
var fuzzSeeds = map[string][]string{
	MethodStore: {
		`{"pubkey":"` + testPubkey + `","pubkey_ed25519":"` + testEd + `","namespace":2,"timestamp":1700000000000,"sig_timestamp":1700000000000,"ttl":2592000000,"data":"aGVsbG8=","signature":` + testSigJSON + `}`,
		`{"pubKey":"` + testPubkey + `","timestamp":"1700000000000","ttl":"86400000","data":"aGVsbG8"}`,
		`{"pubkey":"03` + testEd + `","timestamp":1700000000000,"expiry":1700000100000,"namespace":-21,"data":"","signature":` + testSigJSON + `,"subaccount":"AwMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","subaccount_sig":` + testSigJSON + `}`,
	},
	MethodRetrieve: {
		`{"pubkey":"` + testPubkey + `","pubkey_ed25519":"` + testEd + `","timestamp":1700000000000,"signature":` + testSigJSON + `,"last_hash":""}`,
		`{"pubkey":"` + testPubkey + `","namespace":-10,"lastHash":"` + testHash + `","max_count":5,"max_size":-5}`,
	},
	MethodDelete:       {`{"pubkey":"` + testPubkey + `","pubkey_ed25519":"` + testEd + `","messages":["` + testHash + `"],"required":true,"signature":` + testSigJSON + `}`},
	MethodDeleteAll:    {`{"pubkey":"` + testPubkey + `","namespace":"all","timestamp":1700000000000,"signature":` + testSigJSON + `}`},
	MethodDeleteBefore: {`{"pubkey":"` + testPubkey + `","before":1700000000000,"namespace":5,"signature":` + testSigJSON + `}`},
	MethodExpire: {
		`{"pubkey":"` + testPubkey + `","messages":["` + testHash + `"],"expiry":1700086400000,"extend":true,"signature":` + testSigJSON + `}`,
		`{"pubkey":"` + testPubkey + `","messages":["` + testHash + `","` + testHash + `"],"expiry":[1,2],"shorten":true,"signature":` + testSigJSON + `}`,
	},
	MethodExpireAll:    {`{"pubkey":"` + testPubkey + `","expiry":1700000000000,"signature":` + testSigJSON + `}`},
	MethodGetExpiries:  {`{"pubkey":"` + testPubkey + `","messages":["all"],"timestamp":1700000000000,"signature":` + testSigJSON + `}`},
	MethodGetSwarm:     {`{"pubkey":"` + testPubkey + `"}`},
	MethodInfo:         {`{}`},
	MethodOxendRequest: {`{"endpoint":"get_service_nodes","params":{"active_only":true,"fields":{"public_ip":true}}}`},
	MethodRevokeSubaccount: {
		`{"pubkey":"03` + testEd + `","revoke":"AwMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","timestamp":1700000000000,"signature":` + testSigJSON + `}`,
	},
	MethodUnrevokeSubaccount: {
		`{"pubkey":"03` + testEd + `","unrevoke":["030300000000000000000000000000000000000000000000000000000000000000000000"],"timestamp":1700000000000,"signature":` + testSigJSON + `}`,
	},
	MethodBatch: {
		`{"requests":[{"method":"info","params":{}},{"method":"get_swarm","params":{"pubkey":"` + testPubkey + `"}},{"method":"retrieve","params":{"pubkey":"` + testPubkey + `","namespace":-10}}]}`,
	},
	MethodSequence: {`{"requests":[{"method":"oxend_request","params":{"endpoint":"ons_resolve","params":{"type":0}}}]}`},
	MethodIfElse:   {`{"if":{"hf_at_least":[19,3]},"then":{"method":"info","params":{}}}`},
}

func FuzzDecodeRequest(f *testing.F) {
	for i, m := range fuzzMethods {
		for _, s := range fuzzSeeds[m] {
			f.Add(uint8(i), []byte(s))
		}
		f.Add(uint8(i), []byte(`{}`))
	}
	now := time.UnixMilli(testTS)
	f.Fuzz(func(t *testing.T, m uint8, params []byte) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		r, err := DecodeRequest(method, params)
		if err != nil {
			if StatusOf(err) != 400 && StatusOf(err) != 413 {
				t.Fatalf("%s: rejection with status %d: %v", method, StatusOf(err), err)
			}
			return
		}
		// Checking a decoded request never panics, whatever it holds.
		_ = Validate(r, now, false)
		_ = Validate(r, now, true)
		if b, ok := r.(*Batch); ok {
			for _, sub := range b.Requests {
				_ = Validate(sub, now, false)
			}
		}

		// Accepted requests round-trip: encoding is a fixed point after one
		// decode, and the signed bytes do not change.
		enc, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: MarshalJSON: %v", method, err)
		}
		back, err := DecodeRequest(r.Method(), enc)
		if err != nil {
			t.Fatalf("%s: re-decoding %s: %v", method, enc, err)
		}
		enc2, err := back.MarshalJSON()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("%s: not a fixed point:\n %s\n %s", method, enc, enc2)
		}
		if a, ok := r.(Authenticated); ok {
			if !bytes.Equal(a.SignedMessage(), back.(Authenticated).SignedMessage()) {
				t.Fatalf("%s: signed message changed", method)
			}
		}
		body, err := EncodeBody(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseBody(body); err != nil {
			t.Fatalf("%s: ParseBody(EncodeBody): %v", method, err)
		}
	})
}

// FuzzResponses decodes node replies, which clients read from the network.
func FuzzResponses(f *testing.F) {
	for _, s := range []string{
		`{"swarm":{"aa":{"deleted":{"0":["a"],"-10":["b"]},"signature":"AAAA"}},"t":1,"hf":[19,0]}`,
		`{"swarm":{"aa":{"deleted":["a","b"]},"bb":{"failed":true,"code":401,"reason":"x"}}}`,
		`{"swarm":{"aa":{"updated":["a"],"unchanged":{"b":5},"expiry":[1,2],"signature":"AAAA"}}}`,
		`{"swarm":{"aa":{"updated":{"2":["a"]},"expiry":7}}}`,
		`{"messages":[{"hash":"h","timestamp":1,"expiration":2,"data":"eA=="}],"more":false}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var da DeleteAllResponse
		if json.Unmarshal(data, &da) == nil {
			for k, r := range da.Swarm {
				enc, err := json.Marshal(r.Deleted)
				if err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				var back Hashes
				if err := json.Unmarshal(enc, &back); err != nil || !slices.Equal(back.All(), r.Deleted.All()) {
					t.Fatalf("%s: hashes %s do not round-trip: %v", k, enc, err)
				}
			}
		}
		var e ExpireResponse
		if json.Unmarshal(data, &e) == nil {
			for _, r := range e.Swarm {
				enc, _ := json.Marshal(r.Expiry)
				var back Expiries
				if json.Unmarshal(enc, &back) != nil || !slices.Equal(back.Values, r.Expiry.Values) {
					t.Fatalf("expiries %s do not round-trip", enc)
				}
			}
		}
		var ea ExpireAllResponse
		_ = json.Unmarshal(data, &ea)
		var rr RetrieveResponse
		_ = json.Unmarshal(data, &rr)
	})
}

// parseBodyTwoPass is how ParseBody read a body before it became one pass:
// the whole body into a map, then the params again. FuzzParseBodyOnePass
// holds the one-pass reader to exactly its answers.
func parseBodyTwoPass(body []byte) (Request, error) {
	if len(body) > MaxRequestBodySize {
		return nil, NewError(413, "Request body too large")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, NewError(400, "invalid json")
	}
	method, ok := asString(bytes.TrimSpace(top["method"]))
	if !ok {
		return nil, NewError(400, "invalid json: no `method` field")
	}
	params := bytes.TrimSpace(top["params"])
	if len(params) == 0 || params[0] != '{' {
		return nil, NewError(400, "invalid json: no `params` field")
	}
	return DecodeRequest(method, params)
}

func FuzzParseBodyOnePass(f *testing.F) {
	for method, seeds := range fuzzSeeds {
		for _, p := range seeds {
			f.Add([]byte(`{"method":"` + method + `","params":` + p + `}`))
			f.Add([]byte(`{"params":` + p + `,"method":"` + method + `","x":[1,{"a":null}]}`))
		}
	}
	for _, s := range []string{``, `null`, `[]`, `{}`, `{"method":"info"}`, `{"method":"info","params":null}`,
		`{"method":"info","params":[]}`, `{"method":"info","params":{}} x`, `{"method":"info","params":{}}{}`,
		`{"method":1,"params":{}}`, `{"method":"info","params":{},"method":"nope"}`,
		`{"method":"info","params":5,"params":{}}`, `{"method":"info","params":{},"params":"x"}`, `  {"method":"info","params":{} }  `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotErr := ParseBody(body)
		want, wantErr := parseBodyTwoPass(body)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: one pass %v, two passes %v", body, gotErr, wantErr)
		}
		if gotErr != nil {
			if gotErr.Error() != wantErr.Error() {
				t.Fatalf("%q: one pass %q, two passes %q", body, gotErr, wantErr)
			}
			return
		}
		a, _ := EncodeBody(got)
		b, _ := EncodeBody(want)
		if !bytes.Equal(a, b) {
			t.Fatalf("%q: one pass %s, two passes %s", body, a, b)
		}
	})
}
