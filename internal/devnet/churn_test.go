package devnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

// TestChurnLosesNothing: on a devnet run by a directory, 7 nodes form one
// swarm and hold messages of many accounts; 7 nodes join, so a second
// swarm forms and accounts move to it; then 3 of the first nodes leave.
// Every message is then retrievable from a member of its account's new
// swarm: the hand-off moved it, nothing was lost.
func TestChurnLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	// Opt-in for now: it takes 75–200 s on two cores, and on a loaded CI
	// machine its directory member has stopped answering mid-run (issue 16
	// is not finished; this is its acceptance test in the making).
	if os.Getenv("SESSION_CHURN_TEST") == "" {
		t.Skip("set SESSION_CHURN_TEST=1 to run the membership churn test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	bin, err := BuildSnode(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if keep := os.Getenv("CHURN_DIR"); keep != "" {
		dir = keep
	}
	dn, err := Start(ctx, Config{Nodes: 7, Directory: 1, Dir: dir, Binary: bin, NoFileServer: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dn.Stop()
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
	view := func() *netview.Directory {
		e, err := dn.Epoch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d, err := netview.NewAssignedDirectory(e.ServiceNodes(), e.Number)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// 60 accounts, 3 messages each, stored on the one swarm.
	type account struct {
		id     *keys.Identity
		hashes []string
	}
	var accounts []*account
	d := view()
	for i := range 60 {
		seed := make([]byte, keys.SeedSize)
		_, _ = rand.Read(seed)
		id, err := keys.NewIdentity(seed)
		if err != nil {
			t.Fatal(err)
		}
		a := &account{id: id}
		_, members := d.SwarmFor(id.SessionID())
		for j := range 3 {
			s := &storagerpc.Store{Auth: storagerpc.Auth{Pubkey: id.SessionID()}, Timestamp: time.Now().UnixMilli(),
				TTL: time.Hour.Milliseconds(), Data: []byte("account " + strconv.Itoa(i) + " message " + strconv.Itoa(j))}
			if status, body := rpc(members[j%len(members)].URL(), s); status != http.StatusOK {
				t.Fatalf("store: %d %s", status, body)
			}
			a.hashes = append(a.hashes, storagerpc.MessageHash(s.Pubkey, s.Namespace, s.Data))
		}
		accounts = append(accounts, a)
	}

	if _, err := dn.AddNodes(ctx, 7); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for len(view().SwarmIDs()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no second swarm formed with 14 nodes")
		}
		time.Sleep(time.Second)
	}
	var wg sync.WaitGroup
	for _, n := range dn.Nodes[:3] {
		wg.Go(func() {
			if err := dn.RemoveNode(n); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	// Every message, from every member of its account's swarm now.
	missing := func() (int, string) {
		d := view()
		lost, example := 0, ""
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
					if !got[h] {
						lost++
						example = "node " + m.Ed25519 + " (" + strconv.Itoa(status) + ") lacks " + h
					}
				}
			}
		}
		return lost, example
	}
	deadline = time.Now().Add(3 * time.Minute)
	for {
		lost, example := missing()
		if lost == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d message copies still missing from their new swarms, e.g. %s", lost, example)
		}
		time.Sleep(3 * time.Second)
	}
	t.Logf("after churn: epoch %d, %d nodes, %d swarms; all %d messages on every member of their swarm",
		view().Epoch(), view().Len(), len(view().SwarmIDs()), 3*len(accounts))
}
