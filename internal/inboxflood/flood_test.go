package inboxflood_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/devnet/devnettest"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/mnemonic"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

// Limits small enough to reach in seconds. The account quota is what one
// quota per account used to be: a flood of the inbox took all of it, and
// the account's own config pushes were refused until the flood expired. An
// address gets a share at each member it stores through (members record it
// under keys of their own), so, as with the defaults, a swarm's worth of
// shares (7 × 25) fits in the inbox.
const (
	inboxMax  = 200
	senderMax = 25
	floodSize = 600 // per burst, in batches of MaxBatchRequests
)

// One swarm of 7, so that every onion path has relays in front of the
// destination.
var shared = devnettest.Lazy{Nodes: 7, Env: []string{
	fmt.Sprintf("SNODE_INBOX_MAX_MESSAGES=%d", inboxMax),
	fmt.Sprintf("SNODE_INBOX_SENDER_MAX_MESSAGES=%d", senderMax),
	fmt.Sprintf("SNODE_ACCOUNT_MAX_MESSAGES=%d", inboxMax+50),
}}

func TestMain(m *testing.M) { os.Exit(shared.Main(m)) }

var insecure = &http.Client{
	Timeout:   40 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
}

// TestInboxFloodByStrangers floods a victim's public inbox, straight at its
// swarm's nodes, with unsigned stores (issue 8, point 5: 64 s of this used to
// lock the victim out for 14 days). Every flood store is accepted, and the
// flood only churns through its own share of the inbox: a message a contact
// sent before the flood is still there, the victim receives a contact's
// messages sent during and after it, a second device of the victim still
// syncs a config change, and every swarm member keeps the same messages.
func TestInboxFloodByStrangers(t *testing.T) {
	dn := shared.Net(t)
	ctx := t.Context()
	opts := func() client.Options {
		return client.Options{Home: t.TempDir(), Network: dn.NetworkFile, PollWait: time.Second}
	}
	d1, words, err := client.Create(ctx, opts(), "Victim")
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	bob, _, err := client.Create(ctx, opts(), "Bob")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	seed, err := mnemonic.Decode(words)
	if err != nil {
		t.Fatal(err)
	}
	victim, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	members := swarmOf(t, dn, victim.SessionID())

	// Bob writes first; the victim is not polling through the flood.
	if _, err := bob.Send(ctx, d1.SessionID(), "before the flood"); err != nil {
		t.Fatal(err)
	}
	if err := flood(ctx, members, victim.SessionID(), floodSize); err != nil {
		t.Fatal(err)
	}

	// Every member keeps the same messages: the flood's newest senderMax
	// through each member, and Bob's.
	held := sameEverywhere(t, members, victim)
	if max := len(members)*senderMax + 1; len(held) > max {
		t.Errorf("members hold %d messages in the inbox, want at most the flood's shares and Bob's, %d", len(held), max)
	}
	got := receiveUntil(t, d1, "Bob's message from before the flood", "before the flood")
	if n := len(got); n != 1 {
		t.Errorf("the victim received %d messages, want Bob's alone (junk is not a message)", n)
	}

	// The victim's own devices still sync: a config change on one reaches
	// a second one, restored now.
	d2, err := client.Restore(ctx, opts(), words, "")
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if err := d1.SetNickname(ctx, bob.SessionID(), "Bobby"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for nick := ""; nick != "Bobby"; {
		if time.Now().After(deadline) {
			t.Fatalf("the victim's second device shows Bob as %q after 60 s, want the nickname Bobby set on the first", nick)
		}
		for _, d := range []*client.Client{d1, d2} {
			if _, err := d.Receive(ctx); err != nil {
				t.Logf("receive: %v", err)
			}
		}
		cts, err := d2.Contacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cts {
			if c.SessionID == bob.SessionID() {
				nick = c.Nickname
			}
		}
	}

	// Honest traffic flows during a second flood and after it.
	var wg sync.WaitGroup
	var floodErr error
	wg.Go(func() { floodErr = flood(ctx, members, victim.SessionID(), floodSize) })
	if _, err := bob.Send(ctx, d1.SessionID(), "during the flood"); err != nil {
		t.Error(err)
	}
	receiveUntil(t, d1, "Bob's message sent during the flood", "during the flood")
	wg.Wait()
	if floodErr != nil {
		t.Fatal(floodErr)
	}
	if _, err := bob.Send(ctx, d1.SessionID(), "after the flood"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, d1, "Bob's message sent after the flood", "after the flood")
	if held, max := sameEverywhere(t, members, victim), len(members)*senderMax+3; len(held) > max {
		t.Errorf("members hold %d messages in the inbox after the second flood, want at most %d", len(held), max)
	}
}

// flood stores n unsigned junk messages into account's public inbox, in
// batches sent straight to the members in turn, and fails unless every store
// is accepted: a full inbox evicts, it never refuses.
func flood(ctx context.Context, members []*devnet.Node, account keys.ID, n int) error {
	for i := 0; i < n; i += storagerpc.MaxBatchRequests {
		b := &storagerpc.Batch{}
		for range min(storagerpc.MaxBatchRequests, n-i) {
			junk := make([]byte, 100)
			rand.Read(junk)
			b.Requests = append(b.Requests, &storagerpc.Store{
				Auth: storagerpc.Auth{Pubkey: account}, Timestamp: time.Now().UnixMilli(),
				TTL: storagerpc.TTLMaximum.Milliseconds(), Data: junk,
			})
		}
		m := members[(i/storagerpc.MaxBatchRequests)%len(members)]
		status, body, err := post(ctx, m, b)
		if err != nil {
			return fmt.Errorf("flood batch at %d to node %d: %w", i, m.Index, err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("flood batch at %d to node %d: %d %s", i, m.Index, status, body)
		}
		var resp storagerpc.BatchResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			return fmt.Errorf("flood batch at %d: %w", i, err)
		}
		for j, r := range resp.Results {
			if r.Code != http.StatusOK {
				return fmt.Errorf("flood store %d refused: %d %s", i+j, r.Code, r.Body)
			}
		}
	}
	return nil
}

// sameEverywhere waits until every member holds the same messages in
// account's inbox (forwarded stores and catch-up settle) and returns them.
func sameEverywhere(t *testing.T, members []*devnet.Node, id *keys.Identity) map[string]bool {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		first := inbox(t, members[0], id)
		diff := ""
		for _, m := range members[1:] {
			if got := inbox(t, m, id); !maps.Equal(got, first) {
				diff = fmt.Sprintf("member %d holds %d messages, member %d %d", members[0].Index, len(first), m.Index, len(got))
				break
			}
		}
		if diff == "" {
			return first
		}
		if time.Now().After(deadline) {
			t.Fatalf("swarm members still disagree after 60 s: %s", diff)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// inbox returns the hashes n holds in id's public inbox.
func inbox(t *testing.T, n *devnet.Node, id *keys.Identity) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	last := ""
	for {
		r := &storagerpc.Retrieve{LastHash: last, Timestamp: time.Now().UnixMilli()}
		storagerpc.Sign(r, id)
		status, body := rpc(t, n, r)
		if status != http.StatusOK {
			t.Fatalf("retrieve on node %d: %d %s", n.Index, status, body)
		}
		var resp storagerpc.RetrieveResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.Messages {
			out[m.Hash] = true
			last = m.Hash
		}
		if !resp.More || len(resp.Messages) == 0 {
			return out
		}
	}
}

// receiveUntil polls c until a message with body want arrives and returns
// everything received meanwhile.
func receiveUntil(t *testing.T, c *client.Client, what, want string) []client.Message {
	t.Helper()
	var got []client.Message
	deadline := time.Now().Add(60 * time.Second)
	for {
		ms, err := c.Receive(t.Context())
		if err != nil {
			t.Logf("receive: %v", err)
		}
		got = append(got, ms...)
		if slices.ContainsFunc(got, func(m client.Message) bool { return m.Body == want }) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not received after 60 s (got %d messages)", what, len(got))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func swarmOf(t *testing.T, dn *devnet.Net, account keys.ID) []*devnet.Node {
	t.Helper()
	d, err := (&netview.FileSource{Path: dn.DirectoryFile}).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, ms := d.SwarmFor(account)
	var out []*devnet.Node
	for _, n := range dn.Nodes {
		if slices.ContainsFunc(ms, func(m netview.Node) bool { return m.Ed25519 == n.Ed25519 }) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		t.Fatal("the account has no swarm")
	}
	return out
}

func rpc(t *testing.T, n *devnet.Node, req storagerpc.Request) (int, []byte) {
	t.Helper()
	status, body, err := post(t.Context(), n, req)
	if err != nil {
		t.Fatalf("%s on node %d: %v", req.Method(), n.Index, err)
	}
	return status, body
}

// post sends req to n's storage RPC, straight (not through an onion path).
func post(ctx context.Context, n *devnet.Node, req storagerpc.Request) (int, []byte, error) {
	body, err := storagerpc.EncodeBody(req)
	if err != nil {
		return 0, nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL()+"/storage_rpc/v1", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	resp, err := insecure.Do(hr)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// TestInboxFloodCatchUpAgrees floods an inbox while one member of the swarm
// is down: when it comes back, catch-up brings it the rest of the flood,
// with each message's sender, and it evicts what the others evicted, so
// that it ends up holding the same messages, and none of what the flood
// pushed out elsewhere comes back.
func TestInboxFloodCatchUpAgrees(t *testing.T) {
	dn := shared.Net(t)
	seed := make([]byte, 16)
	rand.Read(seed)
	victim, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	members := swarmOf(t, dn, victim.SessionID())
	down, up := members[0], members[1:]
	t.Cleanup(func() {
		if !down.Running() {
			down.Start()
		}
		dn.WaitReady(context.Background())
	})

	if err := flood(t.Context(), members, victim.SessionID(), floodSize/2); err != nil {
		t.Fatal(err)
	}
	before := sameEverywhere(t, members, victim)
	if err := down.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := flood(t.Context(), up, victim.SessionID(), floodSize); err != nil {
		t.Fatal(err)
	}
	after := sameEverywhere(t, up, victim)
	if err := down.Start(); err != nil {
		t.Fatal(err)
	}
	if err := down.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	// sameEverywhere waits for catch-up; the members that stayed up must
	// not have changed meanwhile (nothing evicted came back to them).
	got := sameEverywhere(t, members, victim)
	if !maps.Equal(got, after) {
		t.Errorf("after catch-up the swarm holds %d messages, %d of them new to the members that stayed up",
			len(got), len(got)-len(intersect(got, after)))
	}
	if len(intersect(got, before)) == len(before) {
		t.Error("the second flood evicted nothing of the first")
	}
}

// intersect returns the keys of a that are in b.
func intersect(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if b[k] {
			out[k] = true
		}
	}
	return out
}
