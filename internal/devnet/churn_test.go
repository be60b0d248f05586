package devnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/directory"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onionreq"
	"github.com/session-go/session-go/internal/storagerpc"
)

// TestChurnLosesNothing (issue 16): on a devnet run by a directory, 4 nodes
// form one swarm and hold messages of many accounts. While clients keep
// sending (through onion paths, following the epochs the nodes name, with
// no manual step), 10 nodes join, so that a second swarm forms and accounts
// move to it; then 5 nodes of one swarm leave, so that it dissolves (9
// nodes keep one swarm). Every message any client was told was stored is
// then on every member of its account's swarm: nothing was lost.
func TestChurnLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	bin, err := BuildSnode(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if keep := os.Getenv("CHURN_DIR"); keep != "" {
		dir = keep
	}
	// Nodes read the directory every second (the default is 5 s) and a
	// leaving node serves its successors for 15 s (the default is a
	// minute), so that the whole churn takes about a minute.
	dn, err := Start(ctx, Config{Nodes: 4, Directory: 1, Dir: dir, Binary: bin, NoFileServer: true,
		ExtraArgs: []string{"--directory-refresh", "1s", "--leave-drain", "15s"}})
	if err != nil {
		t.Fatal(err)
	}
	defer dn.Stop()
	defer func() {
		if t.Failed() {
			t.Logf("directory member log (tail):\n%s", tail(dn.Members[0].LogFile(), 40))
		}
	}()
	hc := insecureClient()
	hc.Timeout = 30 * time.Second
	rpc := func(url string, req storagerpc.Request) (int, []byte) {
		body, err := storagerpc.EncodeBody(req)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Post(url+"/storage_rpc/v1", "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, []byte(err.Error())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		return resp.StatusCode, b
	}
	// The directory answers under load: the test asks it with a long
	// timeout and retries, so that what it checks is the network, not
	// its own patience.
	var slowest time.Duration // the slowest directory answer
	view := func() *netview.Directory {
		t.Helper()
		var last error
		for range 10 {
			asked := time.Now()
			e, err := dn.Epoch(ctx)
			slowest = max(slowest, time.Since(asked))
			if err == nil {
				d, err := netview.NewAssignedDirectory(e.ServiceNodes(), e.Number)
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			last = err
			time.Sleep(time.Second)
		}
		t.Fatalf("the directory did not answer ten times in a row: %v", last)
		return nil
	}

	type account struct {
		id *keys.Identity
		mu sync.Mutex
		// hashes are the messages a client was told were stored.
		hashes []string
	}
	newAccount := func() *account {
		seed := make([]byte, keys.SeedSize)
		_, _ = rand.Read(seed)
		id, err := keys.NewIdentity(seed)
		if err != nil {
			t.Fatal(err)
		}
		return &account{id: id}
	}
	// 40 accounts with 3 messages each on the one swarm, stored directly.
	var accounts []*account
	d := view()
	if n := len(d.SwarmIDs()); n != 1 {
		t.Fatalf("%d swarms with 4 nodes, want 1", n)
	}
	for i := range 40 {
		a := newAccount()
		_, members := d.SwarmFor(a.id.SessionID())
		for j := range 3 {
			s := &storagerpc.Store{Auth: storagerpc.Auth{Pubkey: a.id.SessionID()}, Timestamp: time.Now().UnixMilli(),
				TTL: time.Hour.Milliseconds(), Data: []byte("account " + strconv.Itoa(i) + " message " + strconv.Itoa(j))}
			if status, body := rpc(members[j%len(members)].URL(), s); status != http.StatusOK {
				t.Fatalf("store: %d %s", status, body)
			}
			a.hashes = append(a.hashes, storagerpc.MessageHash(s.Pubkey, s.Namespace, s.Data))
		}
		accounts = append(accounts, a)
	}

	// Clients: each sends to its own accounts through onion paths, with
	// the directory as its source (network.json names it), as long as the
	// churn lasts. A send that fails is sent again, never dropped.
	traffic, stopTraffic := context.WithCancel(ctx)
	var senders sync.WaitGroup
	var sentMu sync.Mutex
	sent, retried := 0, 0
	var clients []*onionreq.Client
	for c := range 2 {
		mine := []*account{newAccount(), newAccount(), newAccount(), newAccount()}
		accounts = append(accounts, mine...)
		tr := onionreq.NewHTTPTransport(onionreq.HTTPConfig{})
		defer tr.CloseIdleConnections()
		src, err := directory.OpenNetwork(dn.NetworkFile, tr.Client())
		if err != nil {
			t.Fatal(err)
		}
		cl, err := onionreq.New(onionreq.Config{Source: src, Transport: tr, RequestTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		clients = append(clients, cl)
		senders.Go(func() {
			for i := 0; traffic.Err() == nil; i++ {
				a := mine[i%len(mine)]
				data := []byte(fmt.Sprintf("client %d message %d", c, i))
				build := func(now time.Time) (string, any, error) {
					return storagerpc.MethodStore, &storagerpc.Store{Auth: storagerpc.Auth{Pubkey: a.id.SessionID()},
						Timestamp: now.UnixMilli(), TTL: time.Hour.Milliseconds(), Data: data}, nil
				}
				for traffic.Err() == nil {
					status, _, err := cl.SwarmRPC(traffic, a.id.SessionID(), build)
					if err == nil && status == http.StatusOK {
						a.mu.Lock()
						a.hashes = append(a.hashes, storagerpc.MessageHash(a.id.SessionID(), 0, data))
						a.mu.Unlock()
						sentMu.Lock()
						sent++
						sentMu.Unlock()
						break
					}
					sentMu.Lock()
					retried++
					sentMu.Unlock()
					time.Sleep(200 * time.Millisecond)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	defer func() { stopTraffic(); senders.Wait() }()

	start := time.Now()
	if _, err := dn.AddNodes(ctx, 10); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, ok func(*netview.Directory) bool) *netview.Directory {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			d := view()
			if ok(d) {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after 2 minutes (epoch %d, %d nodes, %d swarms)", what, d.Epoch(), d.Len(), len(d.SwarmIDs()))
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	d = waitFor("14 nodes in two swarms", func(d *netview.Directory) bool { return d.Len() == 14 && len(d.SwarmIDs()) == 2 })
	t.Logf("10 nodes joined: epoch %d, 2 swarms (%v)", d.Epoch(), time.Since(start).Round(time.Second))

	// 5 members of one swarm leave, gracefully and at once.
	var leavers []*Node
	for _, m := range d.Swarm(d.SwarmIDs()[0])[:5] {
		leavers = append(leavers, dn.nodeByKey(m.Ed25519))
	}
	var wg sync.WaitGroup
	for _, n := range leavers {
		wg.Go(func() {
			if err := dn.RemoveNode(n); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	d = waitFor("9 nodes in one swarm", func(d *netview.Directory) bool { return d.Len() == 9 && len(d.SwarmIDs()) == 1 })
	t.Logf("5 nodes left: epoch %d, one swarm (%v)", d.Epoch(), time.Since(start).Round(time.Second))
	// A little more traffic on the final layout, then the clients stop.
	time.Sleep(3 * time.Second)
	stopTraffic()
	senders.Wait()
	if sent == 0 {
		t.Fatal("the clients stored nothing during the churn")
	}
	// The clients' node lists are the directory's now, with no manual
	// step (they reload on a newer epoch in a reply, and on nodes that
	// fail them; onionreq.TestClientFollowsNewerEpoch tests the first).
	final := map[string]bool{}
	for _, n := range d.Nodes() {
		final[n.Ed25519] = true
	}
	for i, cl := range clients {
		deadline := time.Now().Add(time.Minute)
		for {
			pool := cl.Nodes()
			same := len(pool) == len(final)
			for _, n := range pool {
				same = same && final[n.Ed25519]
			}
			if same {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("client %d's pool has %d nodes, not the %d of epoch %d", i, len(pool), len(final), d.Epoch())
			}
			// Any reply names the epoch.
			_, _, _ = cl.SwarmRPC(ctx, accounts[0].id.SessionID(), func(now time.Time) (string, any, error) {
				r := &storagerpc.Retrieve{Timestamp: now.UnixMilli()}
				storagerpc.Sign(r, accounts[0].id)
				return storagerpc.MethodRetrieve, r, nil
			})
			time.Sleep(time.Second)
		}
	}

	// Every message, from every member of its account's swarm now.
	missing := func() (int, int, string) {
		d := view()
		lost, total, example := 0, 0, ""
		for _, a := range accounts {
			_, members := d.SwarmFor(a.id.SessionID())
			for _, m := range members {
				r := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
				storagerpc.Sign(r, a.id)
				status, body := rpc(m.URL(), r)
				got := map[string]bool{}
				if status == http.StatusOK {
					var resp storagerpc.RetrieveResponse
					if json.Unmarshal(body, &resp) == nil {
						for _, msg := range resp.Messages {
							got[msg.Hash] = true
						}
					}
				}
				for _, h := range a.hashes {
					total++
					if !got[h] {
						lost++
						example = "node " + m.Ed25519 + " (" + strconv.Itoa(status) + ") lacks " + h
					}
				}
			}
		}
		return lost, total, example
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		lost, total, example := missing()
		if lost == 0 {
			t.Logf("after churn (%v): epoch %d, %d nodes, %d swarm; %d clients' sends during the churn (%d retried after a failure); all %d message copies in place, 0 lost; slowest directory answer %v",
				time.Since(start).Round(time.Second), d.Epoch(), d.Len(), len(d.SwarmIDs()), sent, retried, total, slowest.Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d message copies still missing from their new swarms, e.g. %s", lost, total, example)
		}
		time.Sleep(2 * time.Second)
	}
}

// tail returns the last n lines of a file, for a failure's log.
func tail(path string, n int) string {
	b, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
