package snode

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
)

// FuzzServeRPCBody runs arbitrary storage RPC bodies through a real node
// (real SQLite file) without the HTTP layer: no panic, and garbage is a
// client error (4xx), never a server error.
func FuzzServeRPCBody(f *testing.F) {
	for _, s := range []string{
		`{"method":"info","params":{}}`,
		`{"method":"store","params":{"pubkey":"0501010101010101010101010101010101010101010101010101010101010101","timestamp":1,"ttl":10000,"data":"aGk="}}`,
		`{"method":"retrieve","params":{"pubkey":"0501010101010101010101010101010101010101010101010101010101010101","long_poll_ms":1}}`,
		`{"method":"batch","params":{"requests":[{"method":"info","params":{}}]}}`,
		`{"method":"get_swarm","params":{"pubkey":"0501010101010101010101010101010101010101010101010101010101010101"}}`,
		`{"method":"delete_all","params":{"pubkey":"05","timestamp":"x"}}`,
	} {
		f.Add([]byte(s))
	}
	n := newFuzzNode(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		res := n.serveRPCBody(context.Background(), body, pollSender{key: "fuzz"})
		if res.status >= 500 && res.status != http.StatusServiceUnavailable {
			t.Fatalf("status %d for %q: %s", res.status, body, res.body)
		}
	})
}

// FuzzSyncReply feeds arbitrary catch-up answers, as a swarm peer sends
// them, through the code that applies them to a real database: no panic,
// and the database stays sound.
func FuzzSyncReply(f *testing.F) {
	const owner = "0501010101010101010101010101010101010101010101010101010101010101"
	for _, s := range []string{
		`{"records":[],"next":0,"more":false,"tombstones":[],"tombstones_next":0,"tombstones_more":false}`,
		`{"records":[{"seq":1,"owner":"` + owner + `","namespace":0,"hash":"aGFzaA","timestamp":1,"expiry":99999999999999,"data":"aGk="}],"next":1}`,
		`{"tombstones":[{"seq":1,"owner":"` + owner + `","hash":"aGFzaA","expiry":99999999999999}],"tombstones_next":1,"records":[{"seq":1,"owner":"` + owner + `","namespace":0,"hash":"aGFzaA","timestamp":1,"expiry":99999999999999,"data":""}]}`,
		`{"tombstones":[{"owner":"05","hash":"","expiry":-1}],"records":[{"owner":"` + owner + `","namespace":-1,"hash":"","data":null}]}`,
		// Proofs: a signed delete shared by two tombstones, an index past
		// the list, and a record in a signed namespace with a store proof.
		`{"tombstones":[{"seq":1,"owner":"` + owner + `","hash":"aGFzaA","expiry":99999999999999,"proof":1},` +
			`{"seq":2,"owner":"` + owner + `","hash":"aGFzaB","expiry":99999999999999,"proof":1},` +
			`{"seq":3,"owner":"` + owner + `","hash":"aGFzaC","expiry":99999999999999,"proof":9}],` +
			`"proofs":["eyJtZXRob2QiOiJkZWxldGUiLCJwYXJhbXMiOnsicHVia2V5IjoiMDUwMSIsIm1lc3NhZ2VzIjpbImFHRnphQSJdLCJzaWduYXR1cmUiOiJBQUFBIn19"],` +
			`"records":[{"seq":1,"owner":"` + owner + `","namespace":2,"hash":"aGFzaA","timestamp":1,"expiry":99999999999999,"data":"aGk=",` +
			`"proof":"eyJtZXRob2QiOiJzdG9yZSIsInBhcmFtcyI6eyJwdWJrZXkiOiIwNTAxIiwibmFtZXNwYWNlIjoyLCJ0aW1lc3RhbXAiOjEsInR0bCI6MTAwMCwiZGF0YSI6IiJ9fQ=="}]}`,
		// A revocation with a proof that is not a signed revoke.
		`{"revocations":[{"seq":1,"owner":"03` + owner[2:] + `","token":"AwEAADDHDr9Zsn/shMHywShhK2Q0/bsJL0xaUMe8B+aqeyoy","revoked":true,"at":1,` +
			`"proof":"eyJtZXRob2QiOiJyZXZva2Vfc3ViYWNjb3VudCIsInBhcmFtcyI6e319"}],"revocations_next":1}`,
		// A revocation with a proof that is not a signed revoke.
		`{"revocations":[{"seq":1,"owner":"03` + owner[2:] + `","token":"AwEAADDHDr9Zsn/shMHywShhK2Q0/bsJL0xaUMe8B+aqeyoy","revoked":true,"at":1,` +
			`"proof":"eyJtZXRob2QiOiJyZXZva2Vfc3ViYWNjb3VudCIsInBhcmFtcyI6e319"}],"revocations_next":1}`,
	} {
		f.Add([]byte(s))
	}
	n := newFuzzNode(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var rep syncReply
		if json.Unmarshal(body, &rep) != nil {
			return
		}
		ctx := context.Background()
		// Whatever a peer sends is skipped or applied, never an error
		// (which would hold the cursor and stall catch-up): only this
		// node's own database may fail a pull.
		var rej rejections
		if err := n.applySyncTombstones(ctx, rep.Tombstones, rep.Proofs, &rej); err != nil {
			t.Fatalf("tombstones: %v", err)
		}
		if err := n.applySyncRecords(ctx, rep.Records, &rej); err != nil {
			t.Fatalf("records: %v", err)
		}
		if err := n.applySyncRevocations(ctx, rep.Revocations, &rej); err != nil {
			t.Fatalf("revocations: %v", err)
		}
		if err := n.db.Check(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// newFuzzNode returns a node, not serving, alone in its network (so in the
// swarm of every account), with its database in a temporary directory.
func newFuzzNode(f testing.TB) *Node {
	dir := f.TempDir()
	id, err := LoadOrCreateIdentity(dir)
	if err != nil {
		f.Fatal(err)
	}
	xpk := id.X25519PublicKey()
	nodes, _ := json.Marshal(netview.DirectoryFile{Nodes: []netview.Node{{IP: "127.0.0.1", StoragePort: 1,
		Ed25519: hex.EncodeToString(id.Ed25519PublicKey()), X25519: hex.EncodeToString(xpk[:])}}})
	netFile := filepath.Join(dir, "nodes.json")
	if err := os.WriteFile(netFile, nodes, 0o644); err != nil {
		f.Fatal(err)
	}
	n, err := New(context.Background(), Config{DataDir: dir, Listen: "127.0.0.1:0", Network: netFile, MaxLongPoll: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.db.Close() })
	return n
}

// FuzzHeldBefore feeds arbitrary prev_swarm and prev_swarms values of a
// sync request to the filter a peer builds from them: an error or a
// filter, never a panic; a filter answers for any account.
func FuzzHeldBefore(f *testing.F) {
	f.Add("0", "0,7fffffffffffffff")
	f.Add("", "")
	f.Add("ffffffffffffffff", "ffffffffffffffff")
	f.Add("-1", "+1,,x")
	f.Add("8000000000000000", strings.Repeat("1,", 5000))
	f.Fuzz(func(t *testing.T, prev, list string) {
		var ids []string
		if list != "" {
			ids = strings.Split(list, ",")
		}
		held, err := heldBefore(prev, ids)
		if err != nil {
			return
		}
		if prev != "" && (len(ids) == 0 || len(ids) > maxPrevSwarms) {
			t.Fatalf("accepted %d previous swarms", len(ids))
		}
		var acct keys.ID
		acct.Prefix = keys.PrefixStandard
		for i := range acct.Key {
			acct.Key[i] = byte(len(list) + i)
		}
		_ = held(acct)
	})
}
