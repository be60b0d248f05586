package snode_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
)

// TestDeletesReachAMemberThatWasDown kills a swarm member, deletes messages
// of three accounts through another member with delete, delete_before and
// delete_all, and restarts the killed member: its catch-up must delete them
// too, and no member may hold them afterwards.
func TestDeletesReachAMemberThatWasDown(t *testing.T) {
	needNet(t)
	a := newAccount(t)
	members, _ := swarmOf(t, a.SessionID())
	if len(members) < 3 {
		t.Fatalf("swarm has %d members, want at least 3", len(members))
	}
	b, c := accountIn(t, members), accountIn(t, members)
	entry, victim, deleter := members[0], members[1], members[2]
	t.Cleanup(func() {
		if !victim.Running() {
			victim.Start()
		}
		testNet.WaitReady(context.Background())
	})

	store := func(id *keys.Identity, body string) (hash string, ts int64) {
		t.Helper()
		data := []byte(body)
		req := storeReq(id.SessionID(), data)
		if status, resp := rpc(t, entry, req); status != http.StatusOK {
			t.Fatalf("store %q: %d %s", body, status, resp)
		}
		return storagerpc.MessageHash(id.SessionID(), 0, data), req.Timestamp
	}
	type account struct {
		id            *keys.Identity
		kept, deleted []string
	}
	accts := []*account{{id: a}, {id: b}, {id: c}}

	// a: four messages, two of which are deleted by hash.
	for i := range 4 {
		h, _ := store(a, fmt.Sprint("a ", i))
		if i%2 == 0 {
			accts[0].deleted = append(accts[0].deleted, h)
		} else {
			accts[0].kept = append(accts[0].kept, h)
		}
	}
	// b: three old messages, deleted by delete_before, and two newer ones.
	var cut int64
	for i := range 3 {
		h, ts := store(b, fmt.Sprint("b old ", i))
		accts[1].deleted = append(accts[1].deleted, h)
		cut = max(cut, ts)
	}
	for time.Now().UnixMilli() <= cut {
		time.Sleep(time.Millisecond)
	}
	for i := range 2 {
		h, _ := store(b, fmt.Sprint("b new ", i))
		accts[1].kept = append(accts[1].kept, h)
	}
	// c: three messages, all deleted by delete_all.
	for i := range 3 {
		h, _ := store(c, fmt.Sprint("c ", i))
		accts[2].deleted = append(accts[2].deleted, h)
	}

	// Pushed on write, every member holds everything, the victim included
	// (a store is answered at a quorum: the victim's copy may come a
	// moment later).
	for _, ac := range accts {
		awaitHeld(t, []*devnet.Node{victim}, ac.id, append(slices.Clone(ac.kept), ac.deleted...)...)
	}

	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	del := &storagerpc.Delete{Messages: accts[0].deleted, Required: true}
	storagerpc.Sign(del, a)
	before := &storagerpc.DeleteBefore{Namespace: storagerpc.NamespaceOrAll{Namespace: 0}, Before: cut}
	storagerpc.Sign(before, b)
	all := &storagerpc.DeleteAll{Namespace: storagerpc.AllNamespaces(), Timestamp: now}
	storagerpc.Sign(all, c)
	for i, req := range []storagerpc.Request{del, before, all} {
		status, resp := rpc(t, deleter, req)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", req.Method(), status, resp)
		}
		// The deleter deleted exactly what the test expects.
		want := slices.Sorted(slices.Values(accts[i].deleted))
		var got []string
		switch req.(type) {
		case *storagerpc.Delete:
			got = decodeSwarm[storagerpc.DeleteResult](t, resp)[deleter.Ed25519].Deleted
		default:
			h := decodeSwarm[storagerpc.DeleteAllResult](t, resp)[deleter.Ed25519].Deleted
			got = h.List
			for _, l := range h.ByNamespace {
				got = append(got, l...)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s on member %d deleted %q, want %q", req.Method(), deleter.Index, got, want)
		}
	}
	// A message stored while the victim is down shows when its catch-up
	// has pulled from the swarm.
	marker, _ := store(a, "stored while a member was down")
	accts[0].kept = append(accts[0].kept, marker)
	awaitHeld(t, slices.DeleteFunc(slices.Clone(members), func(m *devnet.Node) bool { return m == victim }), a, marker)

	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	if err := victim.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Its database still holds the deleted messages until catch-up runs.
	deadline := time.Now().Add(30 * time.Second)
	for {
		problems := holdingProblems(t, victim, accts[0].id, accts[0].kept, accts[0].deleted)
		for _, ac := range accts[1:] {
			problems = append(problems, holdingProblems(t, victim, ac.id, ac.kept, ac.deleted)...)
		}
		if len(problems) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted member %d after 30 s: %q", victim.Index, problems)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, m := range members {
		for _, ac := range accts {
			for _, p := range holdingProblems(t, m, ac.id, ac.kept, ac.deleted) {
				t.Errorf("member %d: %s", m.Index, p)
			}
		}
	}
}

// accountIn returns a new account whose swarm is members.
func accountIn(t *testing.T, members []*devnet.Node) *keys.Identity {
	t.Helper()
	for range 200 {
		id := newAccount(t)
		ms, _ := swarmOf(t, id.SessionID())
		if slices.EqualFunc(ms, members, func(x, y *devnet.Node) bool { return x.Ed25519 == y.Ed25519 }) {
			return id
		}
	}
	t.Fatal("no account found in the swarm")
	return nil
}

// holdingProblems lists what is wrong with what n holds for id: a kept
// message missing or a deleted one present.
func holdingProblems(t *testing.T, n *devnet.Node, id *keys.Identity, kept, deleted []string) []string {
	t.Helper()
	got := retrieveAll(t, n, id)
	var out []string
	for _, h := range kept {
		if _, ok := got[h]; !ok {
			out = append(out, "lacks "+h)
		}
	}
	for _, h := range deleted {
		if _, ok := got[h]; ok {
			out = append(out, "still holds deleted "+h)
		}
	}
	return out
}

// decodeSwarm decodes a recursive request's reply {"swarm": {ed: result}}.
func decodeSwarm[R any](t *testing.T, body []byte) map[string]R {
	t.Helper()
	var resp struct {
		Swarm map[string]R `json:"swarm"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("reply %q: %v", body, err)
	}
	return resp.Swarm
}
