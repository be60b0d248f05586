package client

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// switchable forwards TCP connections from a fixed loopback address to
// target, and can be cut (listener and every connection closed) and
// restored on the same address: a network that goes away and comes back.
type switchable struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex // guards ln and conns
	ln    net.Listener
	conns []net.Conn
}

func newSwitchable(t *testing.T, target string) *switchable {
	s := &switchable{t: t, target: target}
	s.up()
	s.addr = s.ln.Addr().String()
	t.Cleanup(s.down)
	return s
}

func (s *switchable) up() {
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", s.target)
			if err != nil {
				c.Close()
				continue
			}
			s.mu.Lock()
			s.conns = append(s.conns, c, d)
			s.mu.Unlock()
			go func() { io.Copy(d, c); d.Close() }()
			go func() { io.Copy(c, d); c.Close() }()
		}
	}()
}

func (s *switchable) down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// TestRunReportsALostNetwork cuts the client's only way to the network
// while Run polls: one ConnectionChanged{Connected: false} however many
// retries fail, then Connected: true once it is back, and messages sent
// meanwhile arrive.
func TestRunReportsALostNetwork(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	px := startProxy(t)
	sw := newSwitchable(t, px.Addr())
	alice, _, err := Create(ctx, Options{Home: t.TempDir(), Network: testNet.NetworkFile, SOCKS5: sw.addr, PollWait: time.Second}, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob := account(t, "Bob")
	events := alice.Subscribe(ctx)
	done := make(chan error, 1)
	go func() { done <- alice.Run(ctx) }()

	sw.down()
	var lost []ConnectionChanged
	next := func(what string) Event {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-time.After(2 * time.Minute):
			t.Fatalf("no event after 2 minutes, waiting for %s", what)
		case err := <-done:
			t.Fatalf("Run returned %v while waiting for %s", err, what)
		}
		return nil
	}
	for len(lost) == 0 {
		if cc, ok := next("the network to be reported lost").(ConnectionChanged); ok {
			if cc.Connected || cc.Err == nil {
				t.Fatalf("first connection event: %+v, want lost with a reason", cc)
			}
			lost = append(lost, cc)
		}
	}
	// Several retries fail meanwhile; none is reported again.
	time.Sleep(3 * lost[0].RetryIn)
	if _, err := bob.Send(ctx, alice.SessionID(), "while you were away"); err != nil {
		t.Fatal(err)
	}
	sw.up()
	back, got := false, false
	for !back || !got {
		switch ev := next("the network to come back and Bob's message").(type) {
		case ConnectionChanged:
			if !ev.Connected {
				t.Fatalf("the lost network was reported twice: %+v", ev)
			}
			back = true
		case MessageReceived:
			if ev.Message.Body == "while you were away" {
				got = true
				if !back {
					t.Fatal("a message arrived before the recovery was reported")
				}
			}
		}
	}
}
