package snode_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// desktopSeedRequest is the body session-desktop (v1.17, SeedNodeAPI.ts)
// posts to a seed's /json_rpc.
const desktopSeedRequest = `{"jsonrpc":"2.0","method":"get_n_service_nodes","params":{"active_only":true,` +
	`"fields":{"public_ip":true,"storage_port":true,"pubkey_x25519":true,"pubkey_ed25519":true,"requested_unlock_height":true,"height":true}}}`

// TestSeedAnswerStockClientsAccept (issue 14 point 1) checks a node's
// get_n_service_nodes answer against what Session's clients require of
// it: desktop's schema (every entry: string public_ip, pubkey_ed25519,
// pubkey_x25519, number storage_port and requested_unlock_height; the
// result: number height; one bad entry rejects the whole answer), and
// libsession's reading of storage_server_version. No QUIC port is
// advertised, since nodes serve none.
func TestSeedAnswerStockClientsAccept(t *testing.T) {
	needNet(t)
	status, body := post(t, testNet.Nodes[0].URL()+"/json_rpc", []byte(desktopSeedRequest))
	if status != http.StatusOK {
		t.Fatalf("seed answer: %d %s", status, body)
	}
	var ans struct {
		Result struct {
			States []map[string]any `json:"service_node_states"`
			Height *float64         `json:"height"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Result.Height == nil {
		t.Error("result has no numeric height")
	}
	if len(ans.Result.States) != len(testNet.Nodes) {
		t.Fatalf("%d entries, want %d", len(ans.Result.States), len(testNet.Nodes))
	}
	for i, e := range ans.Result.States {
		for _, f := range []string{"public_ip", "pubkey_ed25519", "pubkey_x25519"} {
			if s, ok := e[f].(string); !ok || s == "" {
				t.Errorf("entry %d: %s = %#v, want a string", i, f, e[f])
			}
		}
		for _, f := range []string{"storage_port", "requested_unlock_height", "swarm_id"} {
			if _, ok := e[f].(float64); !ok {
				t.Errorf("entry %d: %s = %#v, want a number", i, f, e[f])
			}
		}
		if v, ok := e["storage_server_version"].([]any); !ok || len(v) != 3 {
			t.Errorf("entry %d: storage_server_version = %#v, want [major, minor, patch]", i, e["storage_server_version"])
		}
		for _, f := range []string{"storage_lmq_port", "port_omq", "port_quic", "quorumnet_port"} {
			if v, ok := e[f]; ok {
				t.Errorf("entry %d advertises %s = %v, a port the node does not serve", i, f, v)
			}
		}
	}
}
