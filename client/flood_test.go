package client

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/onionreq"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// floodStrangers is how many strangers write to the account in the flood
// test: about 600 requesters with 100-character names already fill the
// synced contact list, so 2 000 are more than three times what fits.
const floodStrangers = 2000

// floodSwarm has n strangers, each with a 100-character display name,
// store one message each in to's swarm, through via's onion paths, as a
// script would: batches of 20 stores, a few batches at a time.
func floodSwarm(t *testing.T, via *Client, to keys.ID, n int) {
	t.Helper()
	net, err := via.network()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	datas := make([][]byte, n)
	for i := range datas {
		raw := make([]byte, 50)
		rand.Read(raw)
		at := now.Add(time.Duration(i) * time.Millisecond)
		if datas[i], err = protocol.EncodeMessage(stranger(t), to, text("buy my stuff", hex.EncodeToString(raw), at), at); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	errs := make(chan error, n/storagerpc.MaxBatchRequests+1)
	for start := 0; start < n; start += storagerpc.MaxBatchRequests {
		chunk := datas[start:min(start+storagerpc.MaxBatchRequests, n)]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs <- storeBatch(t, net, to, chunk)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// storeBatch stores datas in to's public inbox with one batch request.
func storeBatch(t *testing.T, net *onionreq.Client, to keys.ID, chunk [][]byte) error {
	status, body, err := net.SwarmRPC(t.Context(), to, func(now time.Time) (string, any, error) {
		b := &storagerpc.Batch{}
		for _, d := range chunk {
			b.Requests = append(b.Requests, &storagerpc.Store{Auth: storagerpc.Auth{Pubkey: to},
				Timestamp: now.UnixMilli(), TTL: MessageTTL.Milliseconds(), Data: d})
		}
		return storagerpc.MethodBatch, b, nil
	})
	if err != nil {
		return err
	}
	var res storagerpc.BatchResponse
	if status != 200 || json.Unmarshal(body, &res) != nil || len(res.Results) != len(chunk) {
		return errors.New("flood: bad batch answer: " + string(body[:min(len(body), 200)]))
	}
	for _, r := range res.Results {
		if r.Code != 200 {
			return errors.New("flood: a store failed: " + string(r.Body))
		}
	}
	return nil
}

// receiveAllOf polls c until it has n message requests, failing on any
// poll error: a flood of strangers must not fail a poll.
func receiveAllOf(t *testing.T, c *Client, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if _, err := c.Receive(t.Context()); err != nil {
			t.Fatalf("a poll failed under the flood: %v", err)
		}
		reqs, err := c.Requests(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(reqs) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests after 5 minutes", len(reqs), n)
		}
	}
}

// Strangers flood an account with message requests; its two devices still
// sync a nickname and a block, the synced contact list stays within its
// limit, and the device that left requests out of it says so.
func TestStrangerFloodKeepsContactSync(t *testing.T) {
	needNet(t)
	if raceEnabled {
		t.Skip("slow under the race detector; the plain test run covers it")
	}
	ctx := t.Context()
	bob1 := account(t, "Bob")
	bob2 := otherDevice(t, bob1, "Bob")
	var mu sync.Mutex
	var warned []string
	bob1.OnEvent(func(ev Event) {
		if w, ok := ev.(Warning); ok {
			mu.Lock()
			warned = append(warned, w.Text)
			mu.Unlock()
		}
	})

	floodSwarm(t, account(t, "Flooder"), bob1.id.SessionID(), floodStrangers)
	receiveAllOf(t, bob1, floodStrangers)

	friend, foe := stranger(t).SessionID().String(), stranger(t).SessionID().String()
	if err := bob1.SetNickname(ctx, friend, "Best friend"); err != nil {
		t.Fatalf("nickname with a full contact list: %v", err)
	}
	if err := bob1.Block(ctx, foe); err != nil {
		t.Fatalf("block with a full contact list: %v", err)
	}
	mu.Lock()
	full := strings.Join(warned, "\n")
	mu.Unlock()
	if !strings.Contains(full, "kept on this device only") {
		t.Errorf("requests were left out of the synced list without a warning: %q", full)
	}

	receiveAllOf(t, bob2, floodStrangers)
	deadline := time.Now().Add(time.Minute)
	for {
		ct, _ := findContact(contactsOf(t, bob2), friend)
		bl, _ := findContact(contactsOf(t, bob2), foe)
		if ct.Nickname == "Best friend" && bl.Blocked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other device has nickname %q, blocked %v", ct.Nickname, bl.Blocked)
		}
		if _, err := bob2.Receive(ctx); err != nil {
			t.Fatalf("poll: %v", err)
		}
	}
	bob1.cfg.mu.Lock()
	size, _ := bob1.cfg.contacts.PushSize()
	bob1.cfg.mu.Unlock()
	if size > 76800 {
		t.Errorf("contacts config is %d bytes", size)
	}

	// The devices settle: they do not keep pushing a trimmed list at each
	// other on every poll.
	seqnos := func() (int64, int64) {
		bob1.cfg.mu.Lock()
		a := bob1.cfg.contacts.Seqno()
		bob1.cfg.mu.Unlock()
		bob2.cfg.mu.Lock()
		b := bob2.cfg.contacts.Seqno()
		bob2.cfg.mu.Unlock()
		return a, b
	}
	settle(t, bob1, bob2)
	a1, b1 := seqnos()
	settle(t, bob1, bob2)
	if a2, b2 := seqnos(); a2 != a1 || b2 != b1 {
		t.Errorf("contacts config still changing after settling: seqno %d→%d and %d→%d", a1, a2, b1, b2)
	}
}
