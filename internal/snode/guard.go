package snode

import (
	"net/netip"
	"sync"
)

// Limits caps what strangers can make a node hold at once. Each cap has a
// total and a per-sender part, so that one sender cannot take the whole
// node; a sender is a client address (an IPv6 /64) or a verified peer.
type Limits struct {
	// RelaysInFlight caps onion requests being relayed to the next node or
	// proxied to a server at once (default 2 048). A relayed long poll holds
	// its slot at every hop while it waits.
	RelaysInFlight int
	// RelaysInFlightPerSender caps them per client address (default 64).
	RelaysInFlightPerSender int
	// RelaysInFlightPerPeer caps them per verified peer (default 512): a
	// peer relays for many clients, but no one peer may take the node.
	RelaysInFlightPerPeer int
	// LongPolls caps retrieves held open waiting for a message (default
	// 4 000); beyond it a retrieve is answered at once.
	LongPolls int
	// LongPollsPerSender caps held retrieves per sender (default 256). A
	// verified peer relaying onion requests for many clients gets four times
	// as many.
	LongPollsPerSender int
}

func (l Limits) withDefaults() Limits {
	if l.RelaysInFlight == 0 {
		l.RelaysInFlight = 2048
	}
	if l.RelaysInFlightPerSender == 0 {
		l.RelaysInFlightPerSender = 64
	}
	if l.RelaysInFlightPerPeer == 0 {
		l.RelaysInFlightPerPeer = 512
	}
	if l.LongPolls == 0 {
		l.LongPolls = 4000
	}
	if l.LongPollsPerSender == 0 {
		l.LongPollsPerSender = 256
	}
	return l
}

// inflight counts things held at once, in total and per sender.
type inflight struct {
	max, perSender int

	mu       sync.Mutex // guards total and bySender
	total    int
	bySender map[string]int
}

func newInflight(max, perSender int) *inflight {
	return &inflight{max: max, perSender: perSender, bySender: map[string]int{}}
}

// acquire takes one slot for sender with the given per-sender cap (0 means
// the default), reporting false when the total or the sender's cap is
// reached. Each successful acquire must be released exactly once.
func (f *inflight) acquire(sender string, perSender int) (release func(), ok bool) {
	if perSender == 0 {
		perSender = f.perSender
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.total >= f.max || f.bySender[sender] >= perSender {
		return nil, false
	}
	f.total++
	f.bySender[sender]++
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.total--
			if f.bySender[sender]--; f.bySender[sender] <= 0 {
				delete(f.bySender, sender)
			}
		})
	}, true
}

// held returns how many slots are taken (for tests and metrics).
func (f *inflight) held() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

// addressKey is the key of a client address for rate limits and caps: the
// IPv4 address, or the /64 of an IPv6 address, since one IPv6 host commonly
// owns a whole /64 and could otherwise take a fresh bucket per address.
func addressKey(host string) string {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}
