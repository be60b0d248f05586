package client

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// swarmMessages lists what c's swarm holds in namespace 0.
func swarmMessages(t *testing.T, c *Client) []storagerpc.RetrievedMessage {
	t.Helper()
	net, err := c.network()
	if err != nil {
		t.Fatal(err)
	}
	status, body, err := net.SwarmRPC(t.Context(), c.id.SessionID(), func(now time.Time) (string, any, error) {
		r := &storagerpc.Retrieve{Timestamp: now.UnixMilli()}
		storagerpc.Sign(r, c.id)
		return storagerpc.MethodRetrieve, r, nil
	})
	if err != nil || status != 200 {
		t.Fatalf("retrieve: %d %v", status, err)
	}
	var resp storagerpc.RetrieveResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Messages
}

// TestDeleteForEveryone deletes a sent message for everyone and checks the
// UnsendRequest on the wire (Session's format, to the peer and to this
// account's swarm), the sync copy gone from this account's swarm, and the
// message deleted on both of the author's devices and out of search.
func TestDeleteForEveryone(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, alice2 := aliceBobAndSecondDevice(t)
	sent, err := alice.Send(ctx, bob.SessionID(), "oops wrongword")
	if err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, alice2, "the sync copy", func(ms []Message) bool { return len(ms) == 1 })
	receiveUntil(t, bob, "the message", func(ms []Message) bool { return len(ms) == 1 })
	m, err := alice.db.Message(ctx, sent.ID)
	if err != nil || m.OwnHash == "" {
		t.Fatalf("sent message has no own-swarm hash: %+v, %v", m, err)
	}

	if err := alice.Delete(ctx, sent.ID, true); err != nil {
		t.Fatal(err)
	}
	got, err := alice.Message(ctx, sent.ID)
	if err != nil || !got.Deleted || got.Body != "" {
		t.Fatalf("after delete for everyone: %+v, %v", got, err)
	}
	if found, _ := alice.Search(ctx, "wrongword", "", 10); len(found) != 0 {
		t.Fatalf("a deleted message is still found: %+v", found)
	}

	// On the wire: an UnsendRequest naming the message, in Bob's swarm.
	var unsend bool
	for _, rm := range swarmMessages(t, bob) {
		dm, err := protocol.DecodeMessage(bob.id, rm.Data)
		if err != nil {
			continue
		}
		if u := dm.Content.GetUnsendRequest(); u != nil {
			unsend = u.GetTimestamp() == uint64(sent.SentAt.UnixMilli()) && u.GetAuthor() == alice.SessionID() &&
				dm.Sender == alice.id.SessionID() && dm.Content.GetDataMessage() == nil
		}
	}
	if !unsend {
		t.Fatal("no UnsendRequest for the message in Bob's swarm")
	}
	// Alice's swarm: the sync copy is gone, an UnsendRequest is there.
	own := swarmMessages(t, alice)
	if slices.ContainsFunc(own, func(rm storagerpc.RetrievedMessage) bool { return rm.Hash == m.OwnHash }) {
		t.Fatal("the sync copy is still in Alice's swarm")
	}
	// The other device deletes it too.
	deadline := time.Now().Add(30 * time.Second)
	for {
		alice2.Receive(ctx)
		ms, err := alice2.Messages(ctx, bob.SessionID(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 1 && ms[0].Deleted && ms[0].Body == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second device: %+v", ms)
		}
	}

	// Only the author deletes for everyone; anyone deletes for themselves.
	theirs, err := alice.Send(ctx, bob.SessionID(), "second")
	if err != nil {
		t.Fatal(err)
	}
	got2 := receiveUntil(t, bob, "second", func(ms []Message) bool {
		return slices.ContainsFunc(ms, func(m Message) bool { return m.Body == "second" })
	})
	var atBob int64
	for _, m := range got2 {
		if m.Body == "second" {
			atBob = m.ID
		}
	}
	if err := bob.Delete(ctx, atBob, true); !errors.Is(err, ErrNotAuthor) {
		t.Fatalf("Bob deleting Alice's message for everyone: %v", err)
	}
	if err := bob.Delete(ctx, atBob, false); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Message(ctx, atBob); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted for me, still there: %v", err)
	}
	if m, err := alice.Message(ctx, theirs.ID); err != nil || m.Deleted {
		t.Fatalf("Bob's delete for himself touched Alice's copy: %+v, %v", m, err)
	}
	if err := alice.Delete(ctx, 1<<40, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete of a missing message: %v", err)
	}
}

// blobsIn lists the encrypted attachment files in c's home.
func blobsIn(t *testing.T, c *Client) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(c.opts.Home, attachmentsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestPeerUnsendRemovesFiles has Bob delete for everyone a message with a
// file that Alice downloaded: Alice's copy of the file goes with the
// message, and her inbox preview reads "This message was deleted".
func TestPeerUnsendRemovesFiles(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	if _, err := alice.Send(ctx, bob.SessionID(), "send me the photo"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "Alice's message", func(ms []Message) bool { return len(ms) == 1 })
	path, _ := testFile(t, 64<<10)
	sent, err := bob.SendFile(ctx, alice.SessionID(), "the photo", path)
	if err != nil {
		t.Fatal(err)
	}
	got := receiveUntil(t, alice, "the file", func(ms []Message) bool { return withFiles(ms) != nil })
	savedFiles(t, alice, withFiles(got).ID)
	if n := len(blobsIn(t, alice)); n != 1 {
		t.Fatalf("Alice holds %d files, want the 1 downloaded", n)
	}
	if err := bob.Delete(ctx, sent.ID, true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		alice.Receive(ctx)
		if m, err := alice.Message(ctx, withFiles(got).ID); err == nil && m.Deleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unsend did not reach Alice")
		}
	}
	if left := blobsIn(t, alice); len(left) != 0 {
		t.Errorf("the deleted message's files stayed on Alice's device: %v", left)
	}
	if left := blobsIn(t, bob); len(left) != 0 {
		t.Errorf("the deleted message's files stayed on Bob's device: %v", left)
	}
	for c, peer := range map[*Client]string{alice: bob.SessionID(), bob: alice.SessionID()} {
		cvs, err := c.Inbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range cvs {
			if cv.SessionID == peer && cv.Preview != DeletedText {
				t.Errorf("inbox preview %q, want %q", cv.Preview, DeletedText)
			}
		}
	}
}
