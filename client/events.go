package client

import (
	"context"
	"slices"
	"sync"
)

// eventBuffer is how many events a slow subscriber may fall behind before
// it misses some (the database still has everything).
const eventBuffer = 1024

// broker fans events out to subscribers and callbacks.
type broker struct {
	mu       sync.Mutex // guards subs, handlers, closed
	subs     map[chan Event]struct{}
	handlers []func(Event)
	closed   bool
}

func newBroker() *broker { return &broker{subs: map[chan Event]struct{}{}} }

func (b *broker) publish(ev Event) {
	b.mu.Lock()
	handlers := slices.Clone(b.handlers)
	for ch := range b.subs {
		select {
		case ch <- ev:
		default: // a stalled subscriber must not stall delivery
		}
	}
	b.mu.Unlock()
	for _, h := range handlers {
		h(ev)
	}
}

func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for ch := range b.subs {
		close(ch)
	}
	b.subs = nil
}

// Subscribe returns a channel of events until ctx ends or the client closes.
func (c *Client) Subscribe(ctx context.Context) <-chan Event {
	ch := make(chan Event, eventBuffer)
	b := c.events
	b.mu.Lock()
	if b.closed {
		close(ch)
		b.mu.Unlock()
		return ch
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
		b.mu.Unlock()
	}()
	return ch
}

// OnEvent registers f to be called, on the receiving goroutine, for every event.
func (c *Client) OnEvent(f func(Event)) {
	c.events.mu.Lock()
	c.events.handlers = append(c.events.handlers, f)
	c.events.mu.Unlock()
}

// OnMessage registers f to be called for every incoming message (not for
// messages this account sent from another device).
func (c *Client) OnMessage(f func(Message)) {
	c.OnEvent(func(ev Event) {
		if m, ok := ev.(MessageReceived); ok && !m.Message.Outgoing {
			f(m.Message)
		}
	})
}
