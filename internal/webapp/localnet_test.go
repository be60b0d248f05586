package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// callJSON makes an API call with c and decodes the answer into v.
func callJSON(t testing.TB, c *http.Client, method, url, body string, v any) int {
	t.Helper()
	resp, got := do(t, c, newReq(t, method, url, body))
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(got), v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, got)
		}
	}
	return resp.StatusCode
}

// TestLocalNetworkAndEcho: with no network given, the first app starts the
// local test network and runs Echo; a second app with another home joins
// it, sees Echo, and Echo answers its message.
func TestLocalNetworkAndEcho(t *testing.T) {
	devnettest.Need(t, testNet) // for the snode binary it built
	dir := filepath.Join(t.TempDir(), "session-devnet")
	cfg := Config{DevnetDir: dir, DevnetNodes: 5, NodeCommand: []string{testNet.Nodes[0].Args[0]}}
	first := startApp(t, "first", cfg)
	second := startApp(t, "second", cfg)
	if first.localNet() == nil || first.localNet().dn == nil {
		t.Fatal("the first app did not start the local network")
	}
	if second.localNet() == nil || second.localNet().dn != nil {
		t.Fatal("the second app did not join the first one's network")
	}

	c := signedIn(t, second)
	var st state
	callJSON(t, c, http.MethodGet, second.BaseURL()+"api/state", "", &st)
	if !st.Network.Local || st.Network.EchoID == "" || st.Network.EchoID != first.localNet().echoID {
		t.Fatalf("second app's state %+v; want the local network and the first app's Echo %s", st.Network, first.localNet().echoID)
	}
	var acct map[string]string
	if code := callJSON(t, c, http.MethodPost, second.BaseURL()+"api/account/create", `{"display_name":"Newcomer"}`, &acct); code != http.StatusOK {
		t.Fatalf("create: %d", code)
	}
	var resolved map[string]string
	callJSON(t, c, http.MethodPost, second.BaseURL()+"api/resolve", `{"who":"Echo"}`, &resolved)
	if resolved["session_id"] != st.Network.EchoID {
		t.Fatalf("New message to \"Echo\" resolves to %q, want Echo's ID", resolved["session_id"])
	}
	echo := st.Network.EchoID
	var sent struct{ Status string }
	callJSON(t, c, http.MethodPost, second.BaseURL()+"api/conversations/"+echo+"/messages", `{"body":"Is anyone there?"}`, &sent)
	if sent.Status != "sent" {
		t.Fatalf("message to Echo: status %q", sent.Status)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var conv conversationView
		callJSON(t, c, http.MethodGet, second.BaseURL()+"api/conversations/"+echo, "", &conv)
		n := 0
		for _, m := range conv.Messages {
			if !m.Outgoing && m.Body == "Is anyone there?" && m.From == echo {
				n++
			}
		}
		if n == 1 {
			if conv.Name != "Echo" {
				t.Errorf("Echo's conversation is named %q", conv.Name)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Echo did not answer: %+v", conv.Messages)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// With the network down a message is kept as failed (never dropped), and
	// Retry sends it once the network is back.
	for _, n := range first.localNet().dn.Nodes {
		n.Stop(5 * time.Second)
	}
	var failed client.Message
	callJSON(t, c, http.MethodPost, second.BaseURL()+"api/conversations/"+echo+"/messages", `{"body":"are you still there?"}`, &failed)
	if failed.Status != "failed" || failed.Error == "" || failed.ID == 0 {
		t.Fatalf("message sent with the network down: %+v, want failed with an error", failed)
	}
	for _, n := range first.localNet().dn.Nodes {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.localNet().dn.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	var retried client.Message
	deadline = time.Now().Add(90 * time.Second)
	for retried.Status != "sent" {
		if time.Now().After(deadline) {
			t.Fatalf("retry after the network came back: %+v", retried)
		}
		callJSON(t, c, http.MethodPost, second.BaseURL()+"api/messages/"+strconv.FormatInt(failed.ID, 10)+"/retry", `{}`, &retried)
		if retried.Status != "sent" {
			time.Sleep(time.Second)
		}
	}

	var ns networkStatus
	callJSON(t, c, http.MethodGet, second.BaseURL()+"api/network", "", &ns)
	if !ns.Local || !ns.Connected || ns.Nodes != 5 || len(ns.Paths) == 0 || !strings.HasSuffix(ns.NetworkFile, filepath.Join("session-devnet", "network.json")) {
		t.Errorf("network status %+v", ns)
	}
}

// TestJoinedAppKeepsTheNetwork: when the app that ran the local test
// network stops, an app that joined it starts it again and goes on, Echo
// included.
func TestJoinedAppKeepsTheNetwork(t *testing.T) {
	devnettest.Need(t, testNet)
	dir := filepath.Join(t.TempDir(), "session-devnet")
	cfg := Config{DevnetDir: dir, DevnetNodes: 4, NodeCommand: []string{testNet.Nodes[0].Args[0]}}
	first := startApp(t, "first", cfg)
	second := startApp(t, "second", cfg)
	echo := first.localNet().echoID
	c, _ := newAccount(t, second, "Stayer")
	first.stop()
	deadline := time.Now().Add(90 * time.Second)
	for ln := second.localNet(); ln == nil || ln.dn == nil; ln = second.localNet() {
		if time.Now().After(deadline) {
			t.Fatal("the second app did not start the network again")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var st state
	callJSON(t, c, http.MethodGet, second.BaseURL()+"api/state", "", &st)
	if st.Network.EchoID != echo {
		t.Errorf("Echo is %s after the takeover, want the same bot %s", st.Network.EchoID, echo)
	}
	var m client.Message
	for m.Status != "sent" {
		if time.Now().After(deadline) {
			t.Fatalf("message after the takeover: %+v", m)
		}
		callJSON(t, c, http.MethodPost, second.BaseURL()+"api/conversations/"+echo+"/messages", `{"body":"still here?"}`, &m)
	}
	for {
		var conv conversationView
		callJSON(t, c, http.MethodGet, second.BaseURL()+"api/conversations/"+echo, "", &conv)
		if slices.ContainsFunc(conv.Messages, func(m client.Message) bool { return !m.Outgoing && m.Body == "still here?" }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Echo did not answer after the takeover: %+v", conv.Messages)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
