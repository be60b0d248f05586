package vectors

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/sogs"
	"github.com/session-go/session-go/internal/storagerpc"
)

// derivedStorageRPC is derived/storage_rpc_derived.json (README §4.9).
type derivedStorageRPC struct {
	Keys struct {
		Seed      string `json:"ed25519_seed"`
		Ed25519PK string `json:"ed25519_pubkey"`
		X25519PK  string `json:"x25519_pubkey_from_ed"`
		SessionID string `json:"session_id"`
	} `json:"keys"`
	MessageHash []struct {
		Pubkey    string `json:"pubkey"`
		Namespace int16  `json:"namespace"`
		DataUTF8  string `json:"data_utf8"`
		Hash      string `json:"hash_b64_unpadded"`
	} `json:"message_hash"`
	RequestSignatures []struct {
		Method        string                     `json:"method"`
		SignedMessage string                     `json:"signed_message_utf8"`
		Signature     string                     `json:"signature_b64"`
		ExampleParams map[string]json.RawMessage `json:"example_params"`
	} `json:"request_signatures"`
	Monitor *struct {
		SignedMessage string `json:"signed_message_utf8"`
		Signature     string `json:"signature_b64"`
		Dict          struct {
			D int                    `json:"d"`
			N []storagerpc.Namespace `json:"n"`
			T int64                  `json:"t"`
		} `json:"bt_dict_keys"`
	} `json:"monitor_subscription"`
	SOGS struct {
		ServerPubkey string `json:"server_pubkey"`
		Pubkey       string `json:"X-SOGS-Pubkey"`
		Nonce        string `json:"X-SOGS-Nonce"`
		Timestamp    string `json:"X-SOGS-Timestamp"`
		Cases        []struct {
			Method        string  `json:"method"`
			Path          string  `json:"path"`
			BodyUTF8      *string `json:"body_utf8"`
			SignedMessage string  `json:"signed_message_hex"`
			Signature     string  `json:"X-SOGS-Signature"`
		} `json:"cases"`
	} `json:"sogs_auth"`
	FileServer *struct {
		SignedMessage string `json:"signed_message_utf8"`
		Signature     string `json:"signature_b64_with_test_key"`
	} `json:"file_server_auth"`
}

func checkStorageRPCDerived(t *testing.T, raw []byte) int {
	var v derivedStorageRPC
	decode(t, raw, &v)
	n := 0

	id, err := keys.NewIdentity(unhex(t, "keys.ed25519_seed", v.Keys.Seed))
	if err != nil {
		t.Fatalf("keys: %v", err)
	}
	x := id.X25519PublicKey()
	if eqHex(t, "keys: ed25519_pubkey", id.Ed25519PublicKey(), v.Keys.Ed25519PK) &&
		eqHex(t, "keys: x25519_pubkey_from_ed", x[:], v.Keys.X25519PK) &&
		eqHex(t, "keys: session_id", id.SessionID().Bytes(), v.Keys.SessionID) {
		n++
	}

	for i, e := range v.MessageHash {
		where := fmt.Sprintf("message_hash[%d]", i)
		pk, err := keys.ParseID(e.Pubkey)
		if err != nil {
			t.Fatalf("%s: pubkey: %v", where, err)
		}
		if got := storagerpc.MessageHash(pk, storagerpc.Namespace(e.Namespace), []byte(e.DataUTF8)); got != e.Hash {
			t.Errorf("%s: hash_b64_unpadded: got %s, want %s", where, got, e.Hash)
			continue
		}
		n++
	}

	for i, e := range v.RequestSignatures {
		if checkRequestSignature(t, fmt.Sprintf("request_signatures[%d] (%s)", i, e.Method), id,
			e.Method, e.ExampleParams, e.SignedMessage, e.Signature) {
			n++
		}
	}

	if m := v.Monitor; m != nil {
		ok := true
		msg := storagerpc.MonitorSignedMessage(id.SessionID(), m.Dict.T, m.Dict.D == 1, m.Dict.N)
		if string(msg) != m.SignedMessage {
			t.Errorf("monitor_subscription: signed_message_utf8: got %q, want %q", msg, m.SignedMessage)
			ok = false
		}
		if got := base64.StdEncoding.EncodeToString(id.Sign(msg)); got != m.Signature {
			t.Errorf("monitor_subscription: signature_b64: got %s, want %s", got, m.Signature)
			ok = false
		}
		if ok {
			n++
		}
	}

	serverPK := unhex(t, "sogs_auth.server_pubkey", v.SOGS.ServerPubkey)
	nonce := unb64(t, "sogs_auth.X-SOGS-Nonce", v.SOGS.Nonce)
	ts, err := strconv.ParseInt(v.SOGS.Timestamp, 10, 64)
	if err != nil {
		t.Fatalf("sogs_auth: X-SOGS-Timestamp %q: %v", v.SOGS.Timestamp, err)
	}
	if got := "00" + hex.EncodeToString(id.Ed25519PublicKey()); got != v.SOGS.Pubkey {
		t.Errorf("sogs_auth: X-SOGS-Pubkey: got %s, want %s", got, v.SOGS.Pubkey)
	}
	for i, c := range v.SOGS.Cases {
		where := fmt.Sprintf("sogs_auth.cases[%d]", i)
		var body []byte
		if c.BodyUTF8 != nil {
			body = []byte(*c.BodyUTF8)
		}
		msg := sogs.SignedMessage(serverPK, nonce, ts, c.Method, c.Path, body)
		if !eqHex(t, where+": signed_message_hex", msg, c.SignedMessage) {
			continue
		}
		if got := base64.StdEncoding.EncodeToString(ed25519.Sign(id.Ed25519PrivateKey(), msg)); got != c.Signature {
			t.Errorf("%s: X-SOGS-Signature: got %s, want %s", where, got, c.Signature)
			continue
		}
		n++
	}

	if fs := v.FileServer; fs != nil {
		if got := base64.StdEncoding.EncodeToString(id.Sign([]byte(fs.SignedMessage))); got != fs.Signature {
			t.Errorf("file_server_auth: signature_b64_with_test_key: got %s, want %s", got, fs.Signature)
		} else {
			n++
		}
	}
	return n
}

// checkRequestSignature decodes the example params with storagerpc (the
// "<sig>" placeholder replaced by a well-formed dummy, since the decoder
// insists on a signature), checks the signed message the request builds,
// then signs it afresh with the account and compares the signature and the
// authentication fields it sets.
func checkRequestSignature(t *testing.T, where string, id *keys.Identity, method string,
	params map[string]json.RawMessage, wantMsg, wantSig string) bool {
	t.Helper()
	p := make(map[string]json.RawMessage, len(params))
	for k, v := range params {
		p[k] = v
	}
	dummy, _ := json.Marshal(strings.Repeat("A", 86) + "==")
	p["signature"] = dummy
	rawParams, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	req, err := storagerpc.DecodeRequest(method, rawParams)
	if err != nil {
		t.Errorf("%s: DecodeRequest: %v", where, err)
		return false
	}
	ar, ok := req.(storagerpc.Authenticated)
	if !ok {
		t.Errorf("%s: %T carries no signature", where, req)
		return false
	}
	if got := ar.SignedMessage(); string(got) != wantMsg {
		t.Errorf("%s: signed_message_utf8: got %q, want %q", where, got, wantMsg)
		return false
	}
	decoded := *ar.Authentication()
	storagerpc.Sign(ar, id)
	a := ar.Authentication()
	if got := base64.StdEncoding.EncodeToString(a.Signature); got != wantSig {
		t.Errorf("%s: signature_b64: got %s, want %s", where, got, wantSig)
		return false
	}
	if a.Pubkey != decoded.Pubkey || !bytes.Equal(a.PubkeyEd25519, decoded.PubkeyEd25519) {
		t.Errorf("%s: Sign set pubkey %s / pubkey_ed25519 %x, example has %s / %x",
			where, a.Pubkey, a.PubkeyEd25519, decoded.Pubkey, decoded.PubkeyEd25519)
		return false
	}
	if err := storagerpc.Verify(req); err != nil {
		t.Errorf("%s: Verify after Sign: %v", where, err)
		return false
	}
	return true
}
