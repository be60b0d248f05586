package client

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/storagerpc"
)

// recordedStoreHash is the message hash in testdata/storage-server.
const recordedStoreHash = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWp"

// TestStoreReplyFromSessionStorageServer feeds the client replies shaped as
// Session's storage server (v2.x) writes them: peers' answers converted from
// bt-encoding ("already": 1, "failed": 1), a peer's error code as a string
// ("406"), the entry node's "t" inside its own entry. A reply with one
// member holding the message is a delivery; one where every member failed
// (HTTP 500) is not.
func TestStoreReplyFromSessionStorageServer(t *testing.T) {
	for _, tc := range []struct {
		file    string
		status  int
		wantErr bool
	}{
		{"store-already-peers.json", 200, false},
		{"store-new-bt-flags.json", 200, false},
		{"store-all-failed.json", 500, true},
	} {
		body, err := os.ReadFile(filepath.Join("testdata", "storage-server", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		hash, err := storeReply(tc.status, body, recordedStoreHash)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.file, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && hash != recordedStoreHash {
			t.Errorf("%s: hash %q, want %q", tc.file, hash, recordedStoreHash)
		}
	}
}

// TestStoreReplyOtherHash checks that a node naming another hash (in the
// top level or in a member's entry) is not taken as having stored ours.
func TestStoreReplyOtherHash(t *testing.T) {
	for _, body := range []string{
		`{"hash":"other","swarm":{}}`,
		`{"hash":"` + recordedStoreHash + `","swarm":{"aa":{"hash":"other","already":1}}}`,
	} {
		if _, err := storeReply(200, []byte(body), recordedStoreHash); err == nil {
			t.Errorf("%s: accepted", body)
		}
	}
	if _, err := storeReply(200, []byte(`not json`), recordedStoreHash); err == nil {
		t.Error("a reply that is not JSON was accepted")
	}
}

// TestConfigExpiryBumpedOnPoll (issue 14 point 3): every poll extends the
// account's current config messages to 30 days, as Session's clients do,
// so that account state outlives 30 days without a change. The expiry is
// first shortened to an hour, then one poll must bring it back.
func TestConfigExpiryBumpedOnPoll(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	c := account(t, "Ann")
	if _, err := c.Receive(ctx); err != nil { // pushes the new account's profile
		t.Fatal(err)
	}
	c.cfg.mu.Lock()
	hashes := c.cfg.profile.CurrentHashes()
	c.cfg.mu.Unlock()
	if len(hashes) != 1 {
		t.Fatalf("profile config hashes %q after the first poll", hashes)
	}
	net, err := c.network()
	if err != nil {
		t.Fatal(err)
	}
	rpc := func(build func(now time.Time) storagerpc.Authenticated) []byte {
		t.Helper()
		status, body, err := net.SwarmRPC(ctx, c.id.SessionID(), func(now time.Time) (string, any, error) {
			r := build(now)
			storagerpc.Sign(r, c.id)
			return r.(storagerpc.Request).Method(), r, nil
		})
		if err != nil || status != 200 {
			t.Fatalf("%d %s %v", status, body, err)
		}
		return body
	}
	expiry := func() time.Time {
		t.Helper()
		var r storagerpc.GetExpiriesResponse
		body := rpc(func(now time.Time) storagerpc.Authenticated {
			return &storagerpc.GetExpiries{Messages: hashes, Timestamp: now.UnixMilli()}
		})
		if err := json.Unmarshal(body, &r); err != nil || r.Expiries[hashes[0]] == 0 {
			t.Fatalf("get_expiries: %s (%v)", body, err)
		}
		return time.UnixMilli(r.Expiries[hashes[0]])
	}
	rpc(func(now time.Time) storagerpc.Authenticated {
		return &storagerpc.Expire{Messages: hashes, Expiry: []int64{now.Add(time.Hour).UnixMilli()}, Shorten: true}
	})
	if e := expiry(); time.Until(e) > 2*time.Hour {
		t.Fatalf("the expiry was not shortened: %v", e)
	}
	if _, err := c.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if e := expiry(); time.Until(e) < ConfigTTL-time.Hour {
		t.Errorf("after a poll the profile config expires in %v, want about %v", time.Until(e).Round(time.Minute), ConfigTTL)
	}
	// Extended once, the same messages are not extended again by the next
	// poll: a batch carrying an expire is answered at once, so extending
	// with every poll would turn every long poll into a short one.
	if r := c.configBump(c.now()); r != nil {
		t.Errorf("the next poll extends %q again", r.Messages)
	}
	if r := c.configBump(c.now().Add(configBumpInterval + time.Minute)); r == nil {
		t.Error("an hour later the config messages are not extended again")
	}
}

// TestProfileCarriesUpdateTime (issue 14 point 3): a name change records
// the profile-updated time in the synced profile (t) and every outgoing
// profile carries it (lastProfileUpdateSeconds), or Session's clients,
// which apply only newer profiles, would keep the old name.
func TestProfileCarriesUpdateTime(t *testing.T) {
	c := offline(t, "Ann")
	before := time.Now().Add(-time.Second)
	if err := c.SetDisplayName(t.Context(), "Annie"); err != nil && !errors.Is(err, ErrNotSynced) {
		t.Fatal(err)
	}
	c.cfg.mu.Lock()
	updated := c.cfg.profile.ProfileUpdated()
	c.cfg.mu.Unlock()
	if updated.Before(before.Truncate(time.Second)) || updated.After(time.Now()) {
		t.Fatalf("profile updated at %v, want now", updated)
	}
	p := c.profile()
	if p.GetDisplayName() != "Annie" || p.GetLastProfileUpdateSeconds() != uint64(updated.Unix()) {
		t.Errorf("outgoing profile %v, want Annie updated at %d", p, updated.Unix())
	}
}
