package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// testNet is a devnet of real snode processes shared by this package's tests.
var testNet *devnet.Net

func TestMain(m *testing.M) { os.Exit(devnettest.Main(m, 14, &testNet)) }

func needNet(t *testing.T) {
	t.Helper()
	devnettest.Need(t, testNet)
}

// account creates a new account in a fresh home on the test devnet.
func account(t *testing.T, name string) *Client {
	t.Helper()
	c, _, err := Create(t.Context(), Options{Home: t.TempDir(), Network: testNet.NetworkFile, PollWait: time.Second}, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// receiveUntil polls until cond holds for the messages received so far.
func receiveUntil(t *testing.T, c *Client, what string, cond func([]Message) bool) []Message {
	t.Helper()
	var got []Message
	deadline := time.Now().Add(30 * time.Second)
	for {
		ms, err := c.Receive(t.Context())
		if err != nil {
			t.Logf("receive: %v", err)
		}
		got = append(got, ms...)
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not received after 30s (got %d messages)", what, len(got))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func bodies(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

func TestRequestAcceptConversation(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")

	m, err := alice.Send(ctx, bob.SessionID(), "hi Bob, it's Alice")
	if err != nil || m.Status != "sent" || m.Hash == "" {
		t.Fatalf("send: %+v, %v", m, err)
	}
	receiveUntil(t, bob, "first message", func(ms []Message) bool { return len(ms) == 1 })

	reqs, err := bob.Requests(ctx)
	if err != nil || len(reqs) != 1 || reqs[0].SessionID != alice.SessionID() || reqs[0].Name != "Alice" || reqs[0].Unread != 1 {
		t.Fatalf("Bob's requests: %+v, %v", reqs, err)
	}
	if inbox, _ := bob.Inbox(ctx); len(inbox) != 0 {
		t.Fatalf("a stranger's message reached the inbox: %+v", inbox)
	}
	if err := bob.Accept(ctx, alice.SessionID()); err != nil {
		t.Fatal(err)
	}
	if reqs, _ := bob.Requests(ctx); len(reqs) != 0 {
		t.Fatalf("request still pending after accept: %+v", reqs)
	}
	if _, err := bob.Send(ctx, "Alice", "hello Alice"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, alice, "Bob's reply", func(ms []Message) bool { return slices.Contains(bodies(ms), "hello Alice") })
	cts, _ := alice.Contacts(ctx)
	if len(cts) != 1 || !cts[0].ApprovedMe || cts[0].Name != "Bob" {
		t.Errorf("Alice's contact for Bob: %+v (want approved_me, name Bob)", cts)
	}
	inbox, _ := alice.Inbox(ctx)
	if len(inbox) != 1 || inbox[0].SessionID != bob.SessionID() {
		t.Errorf("Alice's inbox: %+v", inbox)
	}
	if _, err := alice.Send(ctx, bob.SessionID(), "how are you?"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "Alice's second message", func(ms []Message) bool { return slices.Contains(bodies(ms), "how are you?") })
	conv, err := bob.Messages(ctx, alice.SessionID(), 10)
	if err != nil || !slices.Equal(bodies(conv), []string{"hi Bob, it's Alice", "hello Alice", "how are you?"}) {
		t.Errorf("Bob's conversation: %q, %v", bodies(conv), err)
	}
}

func TestOfflineRecipientGetsEveryMessageOnce(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice := account(t, "Alice")
	bobHome := t.TempDir()
	bob, _, err := Create(ctx, Options{Home: bobHome, Network: testNet.NetworkFile}, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	bobID := bob.SessionID()
	bob.Close() // Bob is offline

	var want []string
	for i := range 20 {
		text := fmt.Sprintf("message %02d", i)
		want = append(want, text)
		if _, err := alice.Send(ctx, bobID, text); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	bob, err = Open(ctx, Options{Home: bobHome})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	got := receiveUntil(t, bob, "20 messages", func(ms []Message) bool { return len(ms) >= 20 })
	// Once more: nothing new may come back.
	again, err := bob.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, again...)
	if len(got) != 20 {
		t.Fatalf("Bob received %d messages, want exactly 20", len(got))
	}
	stored, _ := bob.Messages(ctx, alice.SessionID(), 100)
	if !slices.Equal(bodies(stored), want) {
		t.Errorf("Bob's conversation, in sent order: %q", bodies(stored))
	}
}

func TestRelayKilledDuringSendStillDelivers(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	// Build Alice's paths, then kill the middle hop of one of them.
	if _, err := alice.Send(ctx, bob.SessionID(), "warm up"); err != nil {
		t.Fatal(err)
	}
	net, _ := alice.network()
	paths := net.Paths()
	if len(paths) == 0 || len(paths[0]) < 3 {
		t.Fatalf("Alice has no 3-hop paths: %v", paths)
	}
	var victim *devnet.Node
	for _, n := range testNet.Nodes {
		if n.Ed25519 == paths[0][1].Ed25519 {
			victim = n
		}
	}
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { victim.Start(); testNet.WaitReady(context.Background()) })
	for i := range 5 {
		if m, err := alice.Send(ctx, bob.SessionID(), fmt.Sprintf("after the kill %d", i)); err != nil || m.Status != "sent" {
			t.Fatalf("send %d with a dead relay: %+v, %v", i, m, err)
		}
	}
	receiveUntil(t, bob, "messages sent around a dead relay", func(ms []Message) bool {
		n := 0
		for _, m := range ms {
			if len(m.Body) > 14 && m.Body[:14] == "after the kill" {
				n++
			}
		}
		return n == 5
	})
}

func TestSecondDeviceSeesSentAndIncoming(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice1, words, err := Create(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice1.Close()
	alice2, err := Restore(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile}, words, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice2.Close()
	if alice2.SessionID() != alice1.SessionID() {
		t.Fatal("restored device has another Session ID")
	}
	bob := account(t, "Bob")
	if _, err := alice1.Send(ctx, bob.SessionID(), "sent from device 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Send(ctx, alice1.SessionID(), "to both of Alice's devices"); err != nil {
		t.Fatal(err)
	}
	got := receiveUntil(t, alice2, "sync copy and incoming", func(ms []Message) bool { return len(ms) >= 2 })
	var sawSent, sawIncoming bool
	for _, m := range got {
		switch {
		case m.Outgoing && m.Body == "sent from device 1" && m.Conversation == bob.SessionID():
			sawSent = true
		case !m.Outgoing && m.Body == "to both of Alice's devices":
			sawIncoming = true
		}
	}
	if !sawSent || !sawIncoming {
		t.Fatalf("device 2 got %+v", got)
	}
	// Device 1 gets Bob's message too, and does not show its own sync copy twice.
	got1 := receiveUntil(t, alice1, "incoming on device 1", func(ms []Message) bool { return slices.Contains(bodies(ms), "to both of Alice's devices") })
	conv, _ := alice1.Messages(ctx, bob.SessionID(), 10)
	if len(conv) != 2 {
		t.Errorf("device 1 conversation has %d messages (%q), want 2; received %q", len(conv), bodies(conv), bodies(got1))
	}
}

func TestBadInputLosesNothing(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice := account(t, "Alice")
	if _, err := alice.Send(ctx, "05zz", "x"); !errors.Is(err, ErrUnknownContact) && !errors.Is(err, ErrInvalidRecipient) {
		t.Errorf("bad id: %v", err)
	}
	if _, err := alice.Send(ctx, "nobody", "x"); !errors.Is(err, ErrUnknownContact) {
		t.Errorf("unknown contact: %v", err)
	}
	// An unreachable network: the message is kept as failed, then retried.
	home := t.TempDir()
	dead := filepath.Join(home, "dead.json")
	os.WriteFile(dead, []byte(`{"seeds":[{"url":"https://127.0.0.1:1","pubkey_ed25519":"`+testNet.Nodes[0].Ed25519+`"}]}`), 0o600)
	c, _, err := Create(ctx, Options{Home: home, Network: dead}, "Offline")
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Send(ctx, alice.SessionID(), "kept")
	if !errors.Is(err, ErrSendFailed) || m.Status != "failed" {
		t.Fatalf("send on a dead network: %+v, %v", m, err)
	}
	c.Close()
	// Same home, working network: the failed message goes out on retry.
	c, err = Open(ctx, Options{Home: home, Network: testNet.NetworkFile})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if m2, err := c.Retry(ctx, m.ID); err != nil || m2.Status != "sent" {
		t.Fatalf("retry: %+v, %v", m2, err)
	}
	receiveUntil(t, alice, "the retried message", func(ms []Message) bool { return slices.Contains(bodies(ms), "kept") })
}

// TestEchoBot runs the echo bot of Example_echoBot against the devnet.
func TestEchoBot(t *testing.T) {
	needNet(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	bot, err := Open(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile, CreateAccount: true, DisplayName: "Echo", PollWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	bot.OnMessage(func(m Message) { bot.Send(ctx, m.From, m.Body) })
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()

	alice := account(t, "Alice")
	if _, err := alice.Send(ctx, bot.SessionID(), "ping"); err != nil {
		t.Fatal(err)
	}
	got := receiveUntil(t, alice, "the echo", func(ms []Message) bool { return slices.Contains(bodies(ms), "ping") })
	if got[0].From != bot.SessionID() {
		t.Errorf("echo came from %s, want the bot", got[0].From)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
