package webapp

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/session-go/session-go/client"
)

// maxStreams caps the open event streams (browser tabs); each holds a
// goroutine and a buffer.
const maxStreams = 32

// streamBuffer is how many events a slow tab may fall behind; past it the
// tab gets a "resync" and reloads its lists.
const streamBuffer = 256

// sse is one event ready to write: its name and JSON data.
type sse struct {
	name string
	data []byte
}

// hub fans events out to the open event streams.
type hub struct {
	mu     sync.Mutex // guards subs, closed
	subs   map[chan sse]struct{}
	closed bool
}

func newHub() *hub { return &hub{subs: map[chan sse]struct{}{}} }

func (h *hub) subscribe() (chan sse, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.subs) >= maxStreams {
		return nil, false
	}
	ch := make(chan sse, streamBuffer)
	h.subs[ch] = struct{}{}
	return ch, true
}

func (h *hub) unsubscribe(ch chan sse) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

func (h *hub) listeners() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		close(ch)
	}
	h.subs = map[chan sse]struct{}{}
}

// publish sends an event to every stream; a stream whose buffer is full
// gets a resync instead of blocking the others.
func (h *hub) publish(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- sse{name, data}:
		default:
			// Drop the oldest, then say the tab missed something.
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- sse{"resync", []byte("null")}:
			default:
			}
		}
	}
}

// maxWarnings is how many of the client's latest warnings the network
// status keeps.
const maxWarnings = 20

// warning is one thing the client repaired, left out or could not sync.
type warning struct {
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}

// connection is the client's latest news about reaching the network.
type connection struct {
	Connected bool   `json:"connected"`
	Error     string `json:"error,omitempty"`
	RetryInMS int64  `json:"retry_in_ms,omitempty"`
}

// lists is what the conversation list, the requests and the contacts show,
// kept between changes so that loading a page is served from memory.
type lists struct {
	c        *client.Client
	gen      uint64
	Inbox    []client.Conversation
	Requests []client.Conversation
	Contacts []client.Contact
	Groups   []client.Group // joined and invited (issue 13)
}

// readLists reads the three lists from the account's database, at once.
func readLists(ctx context.Context, c *client.Client) (*lists, error) {
	l := &lists{c: c}
	var errI, errR, errC, errG error
	var wg sync.WaitGroup
	wg.Go(func() { l.Inbox, errI = c.Inbox(ctx) })
	wg.Go(func() { l.Requests, errR = c.Requests(ctx) })
	wg.Go(func() { l.Groups, errG = c.Groups(ctx) })
	l.Contacts, errC = c.Contacts(ctx)
	wg.Wait()
	if err := errors.Join(errI, errR, errC, errG); err != nil {
		return nil, err
	}
	l.Inbox, l.Requests, l.Contacts, l.Groups = nonNil(l.Inbox), nonNil(l.Requests), nonNil(l.Contacts), nonNil(l.Groups)
	return l, nil
}

// loadLists returns the lists, from memory when nothing changed since they
// were read. A change during a read leaves that read stale, since the
// generation is taken before it.
func (s *Server) loadLists(ctx context.Context, c *client.Client) (*lists, error) {
	gen := s.gen.Load()
	s.listsMu.Lock()
	l := s.lists
	s.listsMu.Unlock()
	if l != nil && l.c == c && l.gen == gen {
		return l, nil
	}
	return s.refreshLists(ctx, c, gen)
}

func (s *Server) refreshLists(ctx context.Context, c *client.Client, gen uint64) (*lists, error) {
	l, err := readLists(ctx, c)
	if err != nil {
		return nil, err
	}
	l.gen = gen
	s.listsMu.Lock()
	if s.lists == nil || s.lists.c != c || s.lists.gen <= gen {
		s.lists = l
	}
	s.listsMu.Unlock()
	return l, nil
}

// changed notes that what the lists show changed (an action, an event) and
// tells the tabs.
func (s *Server) changed() {
	s.gen.Add(1)
	s.hub.publish("changed", nil)
}

// publishEvent turns a client event into a stream event, and keeps the
// warnings and the connection state for the network status.
func (s *Server) publishEvent(ev client.Event) {
	h := s.hub
	switch ev.(type) {
	case client.MessageReceived, client.MessageStatusChanged, client.RequestReceived:
		s.gen.Add(1) // before the tabs hear of it and ask for the lists
	}
	switch e := ev.(type) {
	case client.MessageReceived:
		h.publish("message", e.Message)
	case client.MessageStatusChanged:
		h.publish("status", e.Message)
	case client.RequestReceived:
		h.publish("request", e.Conversation)
	case client.ConnectionChanged:
		cn := connection{Connected: e.Connected, RetryInMS: e.RetryIn.Milliseconds()}
		if e.Err != nil {
			cn.Error = e.Err.Error()
		}
		s.statusMu.Lock()
		s.conn = &cn
		s.statusMu.Unlock()
		h.publish("connection", cn)
	case client.TypingChanged:
		h.publish("typing", map[string]any{"conversation": e.Conversation, "typing": e.Typing})
	case client.ReactionChanged, client.MessageEdited, client.MessageUnsent, client.MessagesReadByPeer, client.MessageExpired, client.DisappearingChanged,
		client.MessagesCleared:
		// What changes a shown message: the open conversation reloads.
		s.changed()
	case client.FileProgress:
		h.publish("progress", progressFrom(e))
		if e.Stored {
			s.changed() // the open conversation shows the file now
		}
	case client.Warning:
		w := warning{Time: time.Now(), Text: e.Text}
		s.statusMu.Lock()
		s.warnings = append(s.warnings, w)
		if len(s.warnings) > maxWarnings {
			s.warnings = s.warnings[len(s.warnings)-maxWarnings:]
		}
		s.statusMu.Unlock()
		h.publish("warning", w)
	}
}

// watchInterval is how often the account's lists are compared with what
// the tabs last saw. Changes merged from the account's other devices (a
// block, a nickname, a conversation read elsewhere) arrive as config
// messages, which the client's event stream does not report one by one.
const watchInterval = 3 * time.Second

// watch publishes "changed" when the conversations, requests, contacts or
// the display name change, and "network" when the network view does.
func (s *Server) watch(ctx context.Context, c *client.Client) {
	var lastState, lastNet [32]byte
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.hub.listeners() == 0 {
			continue
		}
		// Changes merged from other devices come without an event: the
		// lists are read again (which also refreshes the copy in memory)
		// and compared.
		s.listsMu.Lock()
		served := s.lists
		s.listsMu.Unlock()
		if l, err := s.refreshLists(ctx, c, s.gen.Load()); err == nil {
			if lastState == ([32]byte{}) && served != nil && served.c == c {
				// The first look compares with the lists the tabs may
				// have been served: a change between their load and
				// this tick (an invitation processed by the poll) is
				// news too.
				lastState = stateSum(served, c)
			}
			if sum := stateSum(l, c); sum != lastState {
				if lastState != ([32]byte{}) {
					s.hub.publish("changed", nil)
				}
				lastState = sum
			}
		}
		st := s.networkStatus(c)
		b, _ := json.Marshal(st)
		if sum := sha256.Sum256(b); sum != lastNet {
			lastNet = sum
			s.hub.publish("network", st)
		}
	}
}

// stateSum hashes what the lists show.
func stateSum(l *lists, c *client.Client) [32]byte {
	b, _ := json.Marshal([]any{l.Inbox, l.Requests, l.Contacts, l.Groups, c.DisplayName()})
	return sha256.Sum256(b)
}

// heartbeat keeps idle streams (and the proxies some users put in front)
// from timing out, and lets a gone tab be noticed.
const heartbeat = 20 * time.Second

// events is GET /api/events: a Server-Sent Events stream.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	ch, ok := s.hub.subscribe()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "too many open tabs")
		return
	}
	defer s.hub.unsubscribe(ch)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\nevent: hello\ndata: null\n\n")
	fl.Flush()
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			fmt.Fprint(w, ": ping\n\n")
		case ev, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, ev.data)
		}
		fl.Flush()
	}
}
