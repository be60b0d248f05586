package onion

import (
	"bytes"
	"errors"
	"maps"
	"net/url"
	"path"
	"strings"
	"testing"
)

// fuzzSeeds returns real requests for node: built for a 3-hop path that
// starts at node, both ciphers, both kinds of destination.
func fuzzSeeds(t testing.TB, node testNode) [][]byte {
	path := append([]testNode{node}, newPath(t, 3)[1:]...)
	dest := newTestNode(t, "dest")
	var seeds [][]byte
	for _, enc := range []EncType{AESGCM, XChaCha20} {
		for _, d := range []Destination{
			SnodeDestination{Ed25519: dest.hop.Ed25519, X25519: dest.hop.X25519},
			ServerDestination{Host: "open.example.org", Target: "/oxen/v4/lsrpc", X25519: dest.hop.X25519},
		} {
			req, _, err := Build(d, hopsOf(path), []byte(`{"method":"info","params":{}}`), enc, &detRand{label: "seed"})
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, req)
		}
	}
	return seeds
}

func FuzzParseLayer(f *testing.F) {
	node := newTestNode(f, "hop0")
	for _, s := range fuzzSeeds(f, node) {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Add([]byte("\x00\x00\x00\x00{}"))
	f.Add([]byte("\x02\x00\x00\x00ab {\"a\":[1,{\"b\":null}]}\n"))
	f.Add([]byte("\xff\xff\xff\xff{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		blob, meta, err := ParseLayer(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		again, err := BuildLayer(blob, meta)
		if err != nil {
			t.Fatalf("BuildLayer of a parsed layer: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("round trip changed the layer:\n%q\n%q", data, again)
		}
	})
}

// FuzzPeel feeds a node garbage and truncated requests, which must fail
// cleanly. It also routes each input as if it were a decrypted layer, so
// that the routing JSON parser sees arbitrary input; sealing it for real
// would spend two X25519 operations per input and starve the fuzzer.
func FuzzPeel(f *testing.F) {
	node := newTestNode(f, "hop0")
	for _, s := range fuzzSeeds(f, node) {
		f.Add(s)
		f.Add(s[:len(s)-1])
		f.Add(s[:len(s)/3])
		// A hop's plaintext, for the routing half of the test.
		if l, _, err := node.key.Peel(s); err == nil {
			f.Add(l.Plaintext)
		}
	}
	f.Add([]byte{})
	f.Add([]byte("\x04\x00\x00\x00blob{\"headers\":\"\",\"json\":true}"))
	f.Add([]byte("\x04\x00\x00\x00blob{\"host\":\"h\",\"target\":\"/oxen/v4/lsrpc\",\"port\":80}"))
	f.Add([]byte("\x04\x00\x00\x00blob{\"host\":\"h\",\"target\":\"/oxen/%2e%2e/x/lsrpc\",\"port\":80}"))
	f.Add([]byte("\x04\x00\x00\x00blob{\"host\":\"h\",\"target\":\"/oxen/..//lsrpc\"}"))
	// The key of a layer sealed under a fixed ephemeral key, so a decrypted
	// layer can reply.
	other := newTestNode(f, "ephemeral")
	lk, err := node.key.layerKey(XChaCha20, &other.hop.X25519)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, r, err := node.key.Peel(data)
		checkPeelResult(t, l, r, err)

		l = &Layer{EncType: XChaCha20, EphemeralKey: other.hop.X25519, Plaintext: data, key: lk}
		r, err = l.Route()
		if err != nil && !errors.Is(err, ErrInvalidJSON) {
			t.Fatalf("Route: %v does not wrap ErrInvalidJSON", err)
		}
		checkPeelResult(t, l, r, err)
		switch r := r.(type) {
		case *FinalDestination:
			if !bytes.Equal(appendLayer(nil, r.Payload, r.Control), data) {
				t.Fatal("payload and control do not rebuild the layer")
			}
		case *RelayToServer:
			if !bytes.Equal(r.Body, data) {
				t.Fatal("a server relay does not forward the whole layer")
			}
			if u, err := r.URL(); err == nil {
				// The path a node would request is the target, unchanged by
				// URL parsing: no dot segments, empty segments or escapes.
				pu, perr := url.Parse(u)
				if !strings.HasSuffix(u, "/lsrpc") || perr != nil || pu.EscapedPath() != r.Target || path.Clean(r.Target) != r.Target || pu.Host == "" {
					t.Fatalf("URL %q accepted", u)
				}
			}
		case *RelayToNode:
			fwd, err := r.Request()
			if err != nil {
				t.Fatalf("Request: %v", err)
			}
			blob, _, err := ParseLayer(fwd)
			if err != nil || !bytes.Equal(blob, r.Ciphertext) {
				t.Fatalf("forwarded request does not parse back: %v", err)
			}
		}
	})
}

func checkPeelResult(t *testing.T, l *Layer, r Route, err error) {
	t.Helper()
	switch {
	case err == nil:
		if l == nil || r == nil {
			t.Fatal("success without a layer and a route")
		}
	case errors.Is(err, ErrInvalidJSON):
		if l == nil || r != nil || l.key == nil {
			t.Fatal("ErrInvalidJSON must come with the layer only")
		}
		if _, err := l.EncryptReply([]byte("Invalid json"), &detRand{label: "reply"}); err != nil {
			t.Fatalf("EncryptReply: %v", err)
		}
	default:
		if l != nil || r != nil {
			t.Fatal("an error came with a result")
		}
		known := false
		for _, e := range []error{ErrMalformed, ErrTooLarge, ErrEncType, ErrDecrypt} {
			known = known || errors.Is(err, e)
		}
		if !known {
			t.Fatalf("unexpected error kind: %v", err)
		}
	}
}

func FuzzParseV4Request(f *testing.F) {
	f.Add([]byte(`l79:{"method":"GET","endpoint":"/room/some-room","headers":{"Some-Header":"12345"}}e`))
	f.Add([]byte(`l72:{"method":"POST","endpoint":"/some/thing","headers":{"Some-Header":"a"}}14:post body heree`))
	f.Add([]byte(`l35:{"method":"GET","endpoint":"/room"}0:e`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseV4Request(data)
		if err != nil {
			return
		}
		enc, err := r.Encode()
		if err != nil {
			t.Fatalf("Encode of a parsed request: %v", err)
		}
		back, err := ParseV4Request(enc)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if back.Method != r.Method || back.Endpoint != r.Endpoint || !bytes.Equal(back.Body, r.Body) ||
			!maps.Equal(headersOrEmpty(back.Headers), headersOrEmpty(r.Headers)) {
			t.Fatalf("round trip: %+v != %+v", back, r)
		}
	})
}

func FuzzParseV4Response(f *testing.F) {
	f.Add([]byte(`l58:{"code":200,"headers":{"content-type":"application/json"}}11:{"id": 123}e`))
	f.Add([]byte(`l40:{"code": 404, "headers": {"a": "<b&c>"}}0:e`))
	f.Add([]byte(`l12:{"code":200}e`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseV4Response(data)
		if err != nil {
			return
		}
		enc, err := r.Encode()
		if err != nil {
			t.Fatalf("Encode of a parsed response: %v", err)
		}
		back, err := ParseV4Response(enc)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if back.Code != r.Code || !bytes.Equal(back.Body, r.Body) || !maps.Equal(headersOrEmpty(back.Headers), headersOrEmpty(r.Headers)) {
			t.Fatalf("round trip: %+v != %+v", back, r)
		}
	})
}
