package client

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/testutil/socks5"
)

// startProxy runs a test SOCKS5 proxy for the test's duration.
func startProxy(t *testing.T) *socks5.Server {
	t.Helper()
	px, err := socks5.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	return px
}

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestSOCKS5AddressChecked(t *testing.T) {
	for _, bad := range []string{"127.0.0.1", "socks5://127.0.0.1:9050", ":9050", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "localhost:tor"} {
		home := filepath.Join(t.TempDir(), "home")
		_, _, err := Create(t.Context(), Options{Home: home, SOCKS5: bad}, "Alice")
		if !errors.Is(err, ErrInvalidSOCKS5) {
			t.Errorf("SOCKS5 %q: %v, want ErrInvalidSOCKS5", bad, err)
		}
		// Nothing may be created: an account made before the error would
		// have lost its recovery password.
		if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("SOCKS5 %q: the home was created (%v)", bad, err)
		}
	}
	for _, good := range []string{"127.0.0.1:9050", "localhost:9050", "[::1]:1080"} {
		c, err := Open(t.Context(), Options{Home: t.TempDir(), SOCKS5: good, CreateAccount: true})
		if err != nil {
			t.Errorf("SOCKS5 %q: %v", good, err)
			continue
		}
		c.Close()
	}
}

// TestSOCKS5CarriesTheTraffic sends and receives with an account whose
// connections all go through a SOCKS5 proxy, as they would through Tor.
func TestSOCKS5CarriesTheTraffic(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	px := startProxy(t)
	// One seed only, so that the first connection the client makes (to
	// load the node pool, before any path exists) is known.
	seed := testNet.Nodes[3]
	seedFile := filepath.Join(t.TempDir(), "network.json")
	b, _ := json.Marshal(netview.SeedFile{Seeds: []netview.Seed{{URL: seed.URL(), Ed25519: seed.Ed25519}}})
	if err := os.WriteFile(seedFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	alice, _, err := Create(ctx, Options{Home: t.TempDir(), Network: seedFile, SOCKS5: px.Addr(), PollWait: time.Second}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob := account(t, "Bob") // direct

	if m, err := alice.Send(ctx, bob.SessionID(), "hello over SOCKS5"); err != nil || m.Status != "sent" {
		t.Fatalf("send through the proxy: %+v, %v", m, err)
	}
	receiveUntil(t, bob, "the proxied message", func(ms []Message) bool { return slices.Contains(bodies(ms), "hello over SOCKS5") })
	if _, err := bob.Send(ctx, alice.SessionID(), "and back"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, alice, "the reply, polled through the proxy", func(ms []Message) bool { return slices.Contains(bodies(ms), "and back") })

	dests := px.Destinations()
	if len(dests) == 0 {
		t.Fatal("the proxy saw no connection")
	}
	if dests[0] != seed.Addr {
		t.Errorf("first connection through the proxy went to %s, want the seed %s", dests[0], seed.Addr)
	}
	nodes := map[string]bool{}
	for _, n := range testNet.Nodes {
		nodes[n.Addr] = true
	}
	for _, d := range dests {
		if !nodes[d] {
			t.Errorf("the proxy was asked for %s, not a devnet node", d)
		}
	}
	net, err := alice.network()
	if err != nil {
		t.Fatal(err)
	}
	paths := net.Paths()
	if len(paths) == 0 {
		t.Fatal("Alice has no onion paths")
	}
	for _, p := range paths {
		if guard := p[0].Addr(); !slices.Contains(dests, guard) {
			t.Errorf("guard %s was not reached through the proxy (proxy saw %q)", guard, dests)
		}
	}
}

// TestDeadSOCKS5FailsSend checks that an unreachable proxy fails a send
// promptly, keeps the message as failed, and that a retry through a working
// proxy delivers it.
func TestDeadSOCKS5FailsSend(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	bob := account(t, "Bob")
	home := t.TempDir()
	alice, _, err := Create(ctx, Options{Home: home, Network: testNet.NetworkFile, SOCKS5: deadAddr(t)}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		m   Message
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		m, err := alice.Send(ctx, bob.SessionID(), "waiting for a proxy")
		done <- result{m, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("Send through a dead proxy has not returned after 2 minutes")
	}
	if !errors.Is(r.err, ErrSendFailed) || r.m.Status != "failed" {
		t.Fatalf("send through a dead proxy: %+v, %v (want ErrSendFailed, status failed)", r.m, r.err)
	}
	t.Logf("Send failed after %v: %v", time.Since(start).Round(time.Millisecond), r.err)
	conv, err := alice.Messages(ctx, bob.SessionID(), 10)
	if err != nil || len(conv) != 1 || conv[0].Status != "failed" || conv[0].Body != "waiting for a proxy" {
		t.Fatalf("stored conversation: %+v, %v", conv, err)
	}
	alice.Close()

	px := startProxy(t)
	alice, err = Open(ctx, Options{Home: home, SOCKS5: px.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	if m, err := alice.Retry(ctx, r.m.ID); err != nil || m.Status != "sent" {
		t.Fatalf("retry through a working proxy: %+v, %v", m, err)
	}
	if len(px.Destinations()) == 0 {
		t.Error("the retry did not go through the proxy")
	}
	receiveUntil(t, bob, "the retried message", func(ms []Message) bool { return slices.Contains(bodies(ms), "waiting for a proxy") })
}
