package vectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/onion"
)

// key32 decodes a 32-byte hex key field.
func key32(t *testing.T, where, s string) [32]byte {
	t.Helper()
	var k [32]byte
	b := unhex(t, where, s)
	if len(b) != 32 {
		t.Fatalf("%s: want 32 bytes, got %d", where, len(b))
	}
	copy(k[:], b)
	return k
}

// nodeKey makes a NodeKey from a hex secret and checks its public key when
// wantPub is given.
func nodeKey(t *testing.T, where, sec, wantPub string) *onion.NodeKey {
	t.Helper()
	k, err := onion.NewNodeKey(unhex(t, where, sec))
	if err != nil {
		t.Fatalf("%s: NewNodeKey: %v", where, err)
	}
	if wantPub != "" {
		pub := k.PublicKey()
		eqHex(t, where+": public key", pub[:], wantPub)
	}
	return k
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

type onionUpstream struct {
	HopEncryption []struct {
		Name         string            `json:"name"`
		ClientPub    string            `json:"client_x25519_pub_A"`
		ClientSec    string            `json:"client_x25519_sec_a"`
		ServerPub    string            `json:"server_x25519_pub_B"`
		ServerSec    string            `json:"server_x25519_sec_b"`
		AESGCM       string            `json:"aes_gcm_ciphertext"`
		XChaCha20    string            `json:"xchacha20_ciphertext"`
		Plaintext    string            `json:"expected_plaintext_utf8"`
		MustFail     map[string]string `json:"must_fail"`
		DerivedCheck map[string]string `json:"derived_check"`
	} `json:"hop_encryption"`
	CombinedPayloadParse []struct {
		Name      string `json:"name"`
		ServerPub string `json:"server_x25519_pub_B"`
		ServerSec string `json:"server_x25519_sec_b"`
		ClientPub string `json:"client_x25519_pub_A"`
		ClientSec string `json:"client_x25519_sec_a"`
		Payload   string `json:"payload_hex"`
		Parsed    struct {
			CiphertextLen int             `json:"ciphertext_len_le32"`
			JSON          json.RawMessage `json:"json"`
			Plaintext     string          `json:"plaintext_utf8"`
			RemotePubkey  string          `json:"remote_pubkey"`
		} `json:"parsed"`
		Reply struct {
			Plaintext   string `json:"plaintext_utf8"`
			ExpectedLen int    `json:"expected_reply_len"`
		} `json:"reply"`
	} `json:"combined_payload_parse"`
	InnerRequestClassification []struct {
		Prefix string `json:"plaintext_prefix_hex"`
		Cases  []struct {
			JSON       json.RawMessage `json:"json"`
			Result     string          `json:"result"`
			Host       *string         `json:"host"`
			Port       *int            `json:"port"`
			Protocol   *string         `json:"protocol"`
			Target     *string         `json:"target"`
			NextNode   *string         `json:"next_node_ed25519"`
			Body       *string         `json:"body"`
			Ciphertext *string         `json:"ciphertext"`
			EncType    *string         `json:"enc_type"`
		} `json:"cases"`
	} `json:"inner_request_classification"`
	URLTargetFilter struct {
		Allowed  []string `json:"allowed"`
		Rejected []string `json:"rejected"`
	} `json:"url_target_filter"`
	CiphertextOverheads map[string]json.RawMessage `json:"ciphertext_overheads"`
}

func checkOnionUpstream(t *testing.T, raw []byte) int {
	var f onionUpstream
	decode(t, raw, &f)
	n := 0

	for i, v := range f.HopEncryption {
		where := fmt.Sprintf("hop_encryption[%d]", i)
		nk := nodeKey(t, where+".server_x25519_sec_b", v.ServerSec, v.ServerPub)
		A := key32(t, where+".client_x25519_pub_A", v.ClientPub)
		for _, c := range []struct {
			enc onion.EncType
			ct  string
		}{{onion.AESGCM, v.AESGCM}, {onion.XChaCha20, v.XChaCha20}} {
			w := fmt.Sprintf("%s.%v", where, c.enc)
			ct := unhex(t, w, c.ct)
			l, err := nk.OpenCiphertext(ct, A, c.enc)
			if err != nil {
				t.Errorf("%s: node decrypt: %v", w, err)
			} else if string(l.Plaintext) != v.Plaintext {
				t.Errorf("%s: node decrypt: got %q, want %q", w, l.Plaintext, v.Plaintext)
			}
			// The key is the same both ways, so the client, holding a, can
			// open what was sealed to the node.
			if v.ClientSec != "" {
				rk, err := onion.NewReplyKey(c.enc, unhex(t, w, v.ClientSec), nk.PublicKey())
				if err != nil {
					t.Errorf("%s: NewReplyKey: %v", w, err)
				} else {
					if pub := rk.PublicKey(); pub != A {
						t.Errorf("%s: client public key %x, want %x", w, pub, A)
					}
					if pt, err := rk.DecryptReply(ct); err != nil || string(pt) != v.Plaintext {
						t.Errorf("%s: client-side decrypt: %q, %v", w, pt, err)
					}
				}
			}
		}
		for name, ct := range v.MustFail {
			enc := onion.XChaCha20
			if strings.HasPrefix(name, "gcm_") {
				enc = onion.AESGCM
			}
			if _, err := nk.OpenCiphertext(unhex(t, where+"."+name, ct), A, enc); !errors.Is(err, onion.ErrDecrypt) {
				t.Errorf("%s.must_fail.%s (%v): want ErrDecrypt, got %v", where, name, enc, err)
			}
		}
		if len(v.DerivedCheck) == 0 {
			t.Errorf("%s: no derived_check", where)
		}
		for formula, want := range v.DerivedCheck {
			var enc onion.EncType
			switch {
			case strings.HasPrefix(formula, "aes_gcm_key"):
				enc = onion.AESGCM
			case strings.HasPrefix(formula, "xchacha20_key"):
				enc = onion.XChaCha20
			default:
				t.Errorf("%s.derived_check: unknown formula %q", where, formula)
				continue
			}
			got, err := nk.LayerKey(enc, A)
			if err != nil {
				t.Errorf("%s.derived_check %q: %v", where, formula, err)
				continue
			}
			eqHex(t, fmt.Sprintf("%s.derived_check %q", where, formula), got, want)
		}
		n++
	}

	for i, v := range f.CombinedPayloadParse {
		where := fmt.Sprintf("combined_payload_parse[%d]", i)
		payload := unhex(t, where+".payload_hex", v.Payload)
		blob, meta, err := onion.ParseLayer(payload)
		if err != nil {
			t.Errorf("%s: ParseLayer: %v", where, err)
			continue
		}
		if len(blob) != v.Parsed.CiphertextLen {
			t.Errorf("%s: ciphertext_len_le32: got %d, want %d", where, len(blob), v.Parsed.CiphertextLen)
		}
		if !sameJSON(meta, v.Parsed.JSON) {
			t.Errorf("%s: json: got %s, want %s", where, meta, v.Parsed.JSON)
		}
		nk := nodeKey(t, where+".server_x25519_sec_b", v.ServerSec, v.ServerPub)
		l, err := nk.Open(payload)
		if err != nil {
			t.Errorf("%s: Open: %v", where, err)
			continue
		}
		if string(l.Plaintext) != v.Parsed.Plaintext {
			t.Errorf("%s: plaintext_utf8: got %q, want %q", where, l.Plaintext, v.Parsed.Plaintext)
		}
		if v.Parsed.RemotePubkey != "" {
			eqHex(t, where+": remote_pubkey", l.EphemeralKey[:], v.Parsed.RemotePubkey)
		}
		eqHex(t, where+": ephemeral key vs client_x25519_pub_A", l.EphemeralKey[:], v.ClientPub)
		reply, err := l.EncryptReply([]byte(v.Reply.Plaintext), nil)
		if err != nil {
			t.Errorf("%s: EncryptReply: %v", where, err)
			continue
		}
		if len(reply) != v.Reply.ExpectedLen {
			t.Errorf("%s: reply length: got %d, want %d", where, len(reply), v.Reply.ExpectedLen)
		}
		// The client decrypts with its secret when the entry gives it;
		// otherwise the reply must open under the layer key from the node
		// side, which is the same key.
		var pt []byte
		if v.ClientSec != "" {
			rk, err := onion.NewReplyKey(l.EncType, unhex(t, where, v.ClientSec), nk.PublicKey())
			if err == nil {
				pt, err = rk.DecryptReply(reply)
			}
			if err != nil {
				t.Errorf("%s: client decrypt of reply: %v", where, err)
			}
		} else {
			back, err := nk.OpenCiphertext(reply, l.EphemeralKey, l.EncType)
			if err != nil {
				t.Errorf("%s: decrypt of reply: %v", where, err)
			} else {
				pt = back.Plaintext
			}
		}
		if pt != nil && string(pt) != v.Reply.Plaintext {
			t.Errorf("%s: reply decrypts to %q, want %q", where, pt, v.Reply.Plaintext)
		}
		n++
	}

	for i, group := range f.InnerRequestClassification {
		prefix := unhex(t, fmt.Sprintf("inner_request_classification[%d].plaintext_prefix_hex", i), group.Prefix)
		for j, c := range group.Cases {
			where := fmt.Sprintf("inner_request_classification[%d].cases[%d]", i, j)
			plaintext := append(append([]byte(nil), prefix...), c.JSON...)
			r, err := (&onion.Layer{Plaintext: plaintext}).Route()
			if err != nil {
				t.Errorf("%s: Route: %v", where, err)
				continue
			}
			switch c.Result {
			case "FinalDestination":
				fd, ok := r.(*onion.FinalDestination)
				if !ok {
					t.Errorf("%s: got %T, want FinalDestination", where, r)
					continue
				}
				if c.Body != nil && string(fd.Payload) != *c.Body {
					t.Errorf("%s: body: got %q, want %q", where, fd.Payload, *c.Body)
				}
				if !fd.Base64 || fd.EmbedJSON {
					t.Errorf("%s: defaults: base64 %v json %v, want true false", where, fd.Base64, fd.EmbedJSON)
				}
			case "RelayToServer":
				rs, ok := r.(*onion.RelayToServer)
				if !ok {
					t.Errorf("%s: got %T, want RelayToServer", where, r)
					continue
				}
				if c.Host != nil && rs.Host != *c.Host {
					t.Errorf("%s: host: got %q, want %q", where, rs.Host, *c.Host)
				}
				if c.Port != nil && int(rs.Port) != *c.Port {
					t.Errorf("%s: port: got %d, want %d", where, rs.Port, *c.Port)
				}
				if c.Protocol != nil && rs.Protocol != *c.Protocol {
					t.Errorf("%s: protocol: got %q, want %q", where, rs.Protocol, *c.Protocol)
				}
				if c.Target != nil && rs.Target != *c.Target {
					t.Errorf("%s: target: got %q, want %q", where, rs.Target, *c.Target)
				}
				if c.Body != nil && string(rs.Body) != *c.Body {
					t.Errorf("%s: body: got %q, want %q", where, rs.Body, *c.Body)
				}
				// The whole decrypted plaintext is forwarded.
				if !bytes.Equal(rs.Body, plaintext) {
					t.Errorf("%s: body is not the whole plaintext", where)
				}
			case "RelayToNode":
				rn, ok := r.(*onion.RelayToNode)
				if !ok {
					t.Errorf("%s: got %T, want RelayToNode", where, r)
					continue
				}
				if c.NextNode != nil {
					eqHex(t, where+": next_node_ed25519", rn.Next[:], *c.NextNode)
				}
				if c.Ciphertext != nil && string(rn.Ciphertext) != *c.Ciphertext {
					t.Errorf("%s: ciphertext: got %q, want %q", where, rn.Ciphertext, *c.Ciphertext)
				}
				if c.EncType != nil {
					name, _, _ := strings.Cut(*c.EncType, " ")
					want, err := onion.ParseEncType(name)
					if err != nil {
						t.Errorf("%s: enc_type %q: %v", where, *c.EncType, err)
					} else if rn.EncType != want {
						t.Errorf("%s: enc_type: got %v, want %v", where, rn.EncType, want)
					}
				}
				var j struct {
					Eph string `json:"ephemeral_key"`
				}
				if json.Unmarshal(c.JSON, &j) == nil && j.Eph != "" {
					eqHex(t, where+": ephemeral_key", rn.EphemeralKey[:], j.Eph)
				}
			default:
				t.Errorf("%s: unknown result %q", where, c.Result)
				continue
			}
			n++
		}
	}

	for _, s := range f.URLTargetFilter.Allowed {
		if !onion.TargetAllowed(s) {
			t.Errorf("url_target_filter.allowed %q: refused", s)
		}
		n++
	}
	for _, s := range f.URLTargetFilter.Rejected {
		if onion.TargetAllowed(s) {
			t.Errorf("url_target_filter.rejected %q: accepted", s)
		}
		n++
	}

	if f.CiphertextOverheads != nil {
		// The note's 19-byte plaintext.
		msg := []byte("Grumpy cat says no!")
		node, err := onion.NewNodeKey(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for name, enc := range map[string]onion.EncType{"aes_cbc": onion.AESCBC, "aes_gcm": onion.AESGCM, "xchacha20": onion.XChaCha20} {
			rawWant, ok := f.CiphertextOverheads[name]
			if !ok {
				continue
			}
			var want int
			if err := json.Unmarshal(rawWant, &want); err != nil {
				t.Errorf("ciphertext_overheads.%s: %v", name, err)
				continue
			}
			ct, rk, err := onion.SealLayer(enc, msg, node.PublicKey(), nil)
			if err != nil {
				t.Errorf("ciphertext_overheads.%s: SealLayer: %v", name, err)
				continue
			}
			if got := len(ct) - len(msg); got != want {
				t.Errorf("ciphertext_overheads.%s: got %d, want %d", name, got, want)
			}
			if l, err := node.OpenCiphertext(ct, rk.PublicKey(), enc); err != nil || !bytes.Equal(l.Plaintext, msg) {
				t.Errorf("ciphertext_overheads.%s: round trip failed: %v", name, err)
			}
			checked++
		}
		if checked != 3 {
			t.Errorf("ciphertext_overheads: checked %d of aes_cbc, aes_gcm, xchacha20", checked)
		}
		n++
	}
	return n
}

type onionKeys struct {
	Ed25519   string `json:"ed25519_pubkey"`
	X25519Pub string `json:"x25519_pubkey"`
	X25519Sec string `json:"x25519_seckey"`
}

type onionOracleVector struct {
	Label           string `json:"label"`
	EncType         string `json:"enc_type"`
	DestinationKind string `json:"destination_kind"`
	Destination     struct {
		onionKeys
		Host     string `json:"host"`
		Target   string `json:"target"`
		Protocol string `json:"protocol"`
		Port     int    `json:"port"`
	} `json:"destination"`
	Hops     []onionKeys `json:"hops"`
	Payload  string      `json:"payload"`
	BuildRng tape        `json:"build_rng"`
	FinalHop struct {
		Pubkey string `json:"pubkey"`
		Seckey string `json:"seckey"`
	} `json:"final_hop_x25519_keypair"`
	OnionRequest string `json:"onion_request_hex"`
	HopByHop     []struct {
		RequestIn    string `json:"request_in_hex"`
		RemoteEph    string `json:"remote_ephemeral_pubkey"`
		Decrypted    string `json:"decrypted_hex"`
		RoutingJSON  string `json:"routing_json"`
		HopX25519Pub string `json:"hop_x25519_pubkey"`
	} `json:"hop_by_hop"`
	Dest struct {
		RequestIn       string `json:"request_in_hex"`
		DecryptedHex    string `json:"decrypted_hex"`
		Payload         string `json:"payload"`
		ControlJSON     string `json:"control_json"`
		ServerPub       string `json:"server_x25519_pubkey"`
		Blob            string `json:"blob_hex"`
		Decrypted       string `json:"decrypted"`
		ReplyPlaintext  string `json:"reply_plaintext"`
		ReplyCiphertext string `json:"reply_ciphertext_hex"`
		ReplyRng        tape   `json:"reply_rng"`
		ReplyByClient   string `json:"reply_decrypted_by_client"`
	} `json:"destination_processing"`
}

func checkOnionOracle(t *testing.T, raw []byte) int {
	var f struct {
		Vectors []onionOracleVector `json:"vectors"`
	}
	decode(t, raw, &f)
	n := 0
	for i, v := range f.Vectors {
		if checkOnionBuild(t, fmt.Sprintf("vectors[%d] (%s)", i, v.Label), &v) {
			n++
		}
	}
	return n
}

// checkOnionBuild checks one full request: the build with the tape replayed,
// every hop peeling its layer, the destination reading the payload, and the
// reply both ways. It reports whether every comparison was made.
func checkOnionBuild(t *testing.T, where string, v *onionOracleVector) bool {
	enc, err := onion.ParseEncType(v.EncType)
	if err != nil {
		t.Errorf("%s: enc_type: %v", where, err)
		return false
	}
	destPub := key32(t, where+".destination.x25519_pubkey", v.Destination.X25519Pub)
	var dest onion.Destination
	switch v.DestinationKind {
	case "snode":
		dest = onion.SnodeDestination{
			Ed25519: key32(t, where+".destination.ed25519_pubkey", v.Destination.Ed25519),
			X25519:  destPub,
		}
	case "server":
		dest = onion.ServerDestination{
			Host: v.Destination.Host, Target: v.Destination.Target,
			Protocol: v.Destination.Protocol, Port: uint16(v.Destination.Port), X25519: destPub,
		}
	default:
		t.Errorf("%s: unknown destination_kind %q", where, v.DestinationKind)
		return false
	}
	var hops []onion.Hop
	for j, h := range v.Hops {
		w := fmt.Sprintf("%s.hops[%d]", where, j)
		hops = append(hops, onion.Hop{Ed25519: key32(t, w+".ed25519_pubkey", h.Ed25519), X25519: key32(t, w+".x25519_pubkey", h.X25519Pub)})
	}
	if len(v.HopByHop) != len(hops) {
		t.Errorf("%s: %d hop_by_hop steps for %d hops", where, len(v.HopByHop), len(hops))
		return false
	}

	// Build check.
	rng := newTape(t, v.BuildRng)
	req, reply, err := onion.Build(dest, hops, []byte(v.Payload), enc, rng)
	if err != nil {
		t.Errorf("%s: Build: %v", where, err)
		return false
	}
	eqHex(t, where+": onion_request_hex", req, v.OnionRequest)
	if !rng.done() {
		t.Errorf("%s: build_rng: Build used %d of %d draws", where, rng.next, len(rng.draws))
	}
	pub := reply.PublicKey()
	eqHex(t, where+": final_hop_x25519_keypair.pubkey", pub[:], v.FinalHop.Pubkey)
	kept, err := onion.NewReplyKey(enc, unhex(t, where+".final_hop_x25519_keypair.seckey", v.FinalHop.Seckey), destPub)
	if err != nil {
		t.Errorf("%s: NewReplyKey: %v", where, err)
		return false
	}
	if kept.PublicKey() != pub {
		t.Errorf("%s: NewReplyKey from the kept secret gives another public key", where)
	}

	// Hop checks. Each hop peels what the vector says it receives; what it
	// would forward must be what the next hop receives.
	var toServer *onion.RelayToServer
	for j, step := range v.HopByHop {
		w := fmt.Sprintf("%s.hop_by_hop[%d]", where, j)
		in := unhex(t, w+".request_in_hex", step.RequestIn)
		if j == 0 && !bytes.Equal(in, req) {
			t.Errorf("%s: request_in_hex differs from onion_request_hex", w)
		}
		nk := nodeKey(t, w, v.Hops[j].X25519Sec, v.Hops[j].X25519Pub)
		if step.HopX25519Pub != "" && step.HopX25519Pub != v.Hops[j].X25519Pub {
			t.Errorf("%s: hop_x25519_pubkey differs from hops[%d]", w, j)
		}
		l, r, err := nk.Peel(in)
		if err != nil {
			t.Errorf("%s: Peel: %v", w, err)
			return false
		}
		eqHex(t, w+": remote_ephemeral_pubkey", l.EphemeralKey[:], step.RemoteEph)
		eqHex(t, w+": decrypted_hex", l.Plaintext, step.Decrypted)
		if _, meta, err := onion.ParseLayer(l.Plaintext); err != nil || string(meta) != step.RoutingJSON {
			t.Errorf("%s: routing_json: got %q (%v), want %q", w, meta, err, step.RoutingJSON)
		}
		last := j == len(v.HopByHop)-1
		switch r := r.(type) {
		case *onion.RelayToNode:
			var next, nextIn string
			switch {
			case !last:
				next, nextIn = v.Hops[j+1].Ed25519, v.HopByHop[j+1].RequestIn
			case v.DestinationKind == "snode":
				next, nextIn = v.Destination.Ed25519, v.Dest.RequestIn
			default:
				t.Errorf("%s: last hop relays to a node, want the server", w)
				return false
			}
			eqHex(t, w+": next node", r.Next[:], next)
			if r.EncType != enc {
				t.Errorf("%s: next enc_type %v, want %v", w, r.EncType, enc)
			}
			fwd, err := r.Request()
			if err != nil {
				t.Errorf("%s: Request: %v", w, err)
				return false
			}
			eqHex(t, w+": forwarded request", fwd, nextIn)
		case *onion.RelayToServer:
			if !last || v.DestinationKind != "server" {
				t.Errorf("%s: unexpected RelayToServer", w)
				return false
			}
			d := v.Destination
			if r.Host != d.Host || r.Target != d.Target || r.Protocol != d.Protocol || int(r.Port) != d.Port {
				t.Errorf("%s: server %s://%s:%d%s, want %s://%s:%d%s", w, r.Protocol, r.Host, r.Port, r.Target, d.Protocol, d.Host, d.Port, d.Target)
			}
			if _, err := r.URL(); err != nil {
				t.Errorf("%s: URL: %v", w, err)
			}
			toServer = r
		default:
			t.Errorf("%s: route %T, want a relay", w, r)
			return false
		}
	}

	// Destination check.
	d := v.Dest
	var destLayer *onion.Layer
	switch v.DestinationKind {
	case "snode":
		nk := nodeKey(t, where+".destination", v.Destination.X25519Sec, v.Destination.X25519Pub)
		l, r, err := nk.Peel(unhex(t, where+".destination_processing.request_in_hex", d.RequestIn))
		if err != nil {
			t.Errorf("%s: destination Peel: %v", where, err)
			return false
		}
		eqHex(t, where+": destination_processing.decrypted_hex", l.Plaintext, d.DecryptedHex)
		fd, isFinal := r.(*onion.FinalDestination)
		if !isFinal {
			t.Errorf("%s: destination route %T, want FinalDestination", where, r)
			return false
		}
		if string(fd.Payload) != d.Payload || string(fd.Control) != d.ControlJSON {
			t.Errorf("%s: destination payload %q control %q, want %q %q", where, fd.Payload, fd.Control, d.Payload, d.ControlJSON)
		}
		destLayer = l
	case "server":
		nk := nodeKey(t, where+".destination", v.Destination.X25519Sec, d.ServerPub)
		if toServer == nil {
			return false
		}
		blob, _, err := onion.ParseLayer(toServer.Body)
		if err != nil {
			t.Errorf("%s: server ParseLayer: %v", where, err)
			return false
		}
		eqHex(t, where+": destination_processing.blob_hex", blob, d.Blob)
		l, err := nk.Open(toServer.Body)
		if err != nil {
			t.Errorf("%s: server Open: %v", where, err)
			return false
		}
		if string(l.Plaintext) != d.Decrypted {
			t.Errorf("%s: destination_processing.decrypted: got %q, want %q", where, l.Plaintext, d.Decrypted)
		}
		destLayer = l
	}
	if destLayer.EphemeralKey != pub || destLayer.EncType != enc {
		t.Errorf("%s: destination layer key %x/%v, want %x/%v", where, destLayer.EphemeralKey, destLayer.EncType, pub, enc)
	}

	// Reply check.
	rrng := newTape(t, d.ReplyRng)
	ct, err := destLayer.EncryptReply([]byte(d.ReplyPlaintext), rrng)
	if err != nil {
		t.Errorf("%s: EncryptReply: %v", where, err)
		return false
	}
	eqHex(t, where+": reply_ciphertext_hex", ct, d.ReplyCiphertext)
	if !rrng.done() {
		t.Errorf("%s: reply_rng: EncryptReply used %d of %d draws", where, rrng.next, len(rrng.draws))
	}
	recorded := unhex(t, where+".reply_ciphertext_hex", d.ReplyCiphertext)
	for name, k := range map[string]*onion.ReplyKey{"Build's ReplyKey": reply, "NewReplyKey": kept} {
		pt, err := k.DecryptReply(recorded)
		if err != nil || string(pt) != d.ReplyByClient {
			t.Errorf("%s: reply_decrypted_by_client with %s: got %q (%v), want %q", where, name, pt, err, d.ReplyByClient)
		}
	}
	return true
}
