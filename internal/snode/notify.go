package snode

import (
	"context"
	"sync"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
)

// notifier wakes long-polling retrieves when a message arrives for their
// account and namespace. Entries are reference-counted, so that accounts
// that poll and never receive do not accumulate.
type notifier struct {
	mu      sync.Mutex // guards waiters
	waiters map[mailbox]*waiter
}

type waiter struct {
	ch   chan struct{}
	refs int
}

type mailbox struct {
	owner keys.ID
	ns    int16
}

func newNotifier() *notifier { return &notifier{waiters: map[mailbox]*waiter{}} }

// subscribe returns a channel closed at the next message for (owner, ns),
// and a release function to call when no longer waiting.
func (nt *notifier) subscribe(owner keys.ID, ns int16) (<-chan struct{}, func()) {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	k := mailbox{owner, ns}
	w, ok := nt.waiters[k]
	if !ok {
		w = &waiter{ch: make(chan struct{})}
		nt.waiters[k] = w
	}
	w.refs++
	return w.ch, func() {
		nt.mu.Lock()
		defer nt.mu.Unlock()
		w.refs--
		if w.refs == 0 && nt.waiters[k] == w {
			delete(nt.waiters, k)
		}
	}
}

func (nt *notifier) wake(owner keys.ID, ns int16) {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	k := mailbox{owner, ns}
	if w, ok := nt.waiters[k]; ok {
		close(w.ch)
		delete(nt.waiters, k)
	}
}

func (nt *notifier) closeAll() {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	for k, w := range nt.waiters {
		close(w.ch)
		delete(nt.waiters, k)
	}
}

// size returns how many mailboxes have waiters (for tests).
func (nt *notifier) size() int {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	return len(nt.waiters)
}

// mailboxes lists the mailboxes a retrieve, or a batch of requests, reads;
// nil when the request is anything else, which is never held.
func mailboxes(req storagerpc.Request) []mailbox {
	switch r := req.(type) {
	case *storagerpc.Retrieve:
		return []mailbox{{r.Pubkey, int16(r.Namespace)}}
	case *storagerpc.Batch:
		var out []mailbox
		for _, s := range r.Requests {
			rr, ok := s.(*storagerpc.Retrieve)
			if !ok {
				return nil
			}
			out = append(out, mailbox{rr.Pubkey, int16(rr.Namespace)})
		}
		return out
	}
	return nil
}

// pollSender is who holds a long poll: a client address or a verified
// peer relaying onion requests for many clients.
type pollSender struct {
	key  string
	peer bool
}

// longPoll runs req, and if it is a retrieve (or batch of retrieves) that
// found nothing, waits up to wait for a message in any of its mailboxes and
// runs it once more. Subscribing before the first run closes the race with a
// store that lands in between. Beyond the node's and the sender's caps on
// held polls the request is answered at once, as by a node without the
// extension.
func (n *Node) longPoll(ctx context.Context, req storagerpc.Request, wait time.Duration, sender pollSender) rpcResult {
	boxes := mailboxes(req)
	if boxes == nil {
		return n.runRPC(ctx, req, false)
	}
	perSender := n.cfg.Limits.LongPollsPerSender
	if sender.peer {
		perSender *= 4
	}
	releaseSlot, ok := n.polls.acquire(sender.key, perSender)
	if !ok {
		n.metrics.longPollsRefused.Add(1)
		return n.runRPC(ctx, req, false)
	}
	defer releaseSlot()
	wake := make(chan struct{}, 1)
	stop := make(chan struct{})
	defer close(stop)
	for _, b := range boxes {
		c, release := n.notify.subscribe(b.owner, b.ns)
		defer release()
		go func() {
			select {
			case <-c:
				select {
				case wake <- struct{}{}:
				default:
				}
			case <-stop:
			}
		}()
	}
	res := n.runRPC(ctx, req, false)
	if !res.empty {
		return res
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
		return res
	case <-ctx.Done():
		return res
	}
	// The request passed Validate (its signatures, its times) a moment
	// ago, every part of it, or it would not have been held: the run
	// after the wake skips that, and with it an Ed25519 verification
	// per namespace polled, on the way of every message to a waiting
	// recipient. The swarm and revocation checks run again.
	return n.runRPC(rerunCtx(ctx), req, false)
}

// rerunKey marks the context of a held poll's second run.
type rerunKey struct{}

func rerunCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, rerunKey{}, true)
}

// validatedBefore reports whether ctx is a held poll's second run, whose
// request was validated by the first.
func validatedBefore(ctx context.Context) bool {
	v, _ := ctx.Value(rerunKey{}).(bool)
	return v
}
