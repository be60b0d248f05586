package client

import (
	"testing"
	"time"
)

// Polls stay on a member only while it answers with messages, and never
// longer than the poll wait: a member that withholds messages must not keep
// the client for longer than a long poll it holds already could.
func TestPollStickRotates(t *testing.T) {
	var p pollStick
	if got := p.member(time.Hour); got != "" {
		t.Fatalf("first poll goes to %q, want a member picked at random", got)
	}
	p.done("a", 1, false)
	if got := p.member(time.Hour); got != "a" {
		t.Fatalf("after a poll that brought a message: %q, want a", got)
	}
	p.done("a", 0, false)
	if got := p.member(time.Hour); got != "" {
		t.Fatalf("after a poll that brought nothing: %q, want a member picked at random", got)
	}
	p.done("b", 3, false)
	p.done("b", 2, true)
	if got := p.member(time.Hour); got != "" {
		t.Fatalf("after a poll that failed: %q, want a member picked at random", got)
	}
	p.done("c", 1, false)
	if got := p.member(0); got != "" {
		t.Fatalf("past the poll wait: %q, want a member picked at random", got)
	}
	// Staying does not extend the time: the wait counts from the first
	// poll of the member.
	p.done("d", 1, false)
	p.mu.Lock()
	p.since = time.Now().Add(-time.Minute)
	p.mu.Unlock()
	p.done("d", 1, false)
	if got := p.member(30 * time.Second); got != "" {
		t.Fatalf("a member polled for a minute kept past a 30s wait: %q", got)
	}
}
