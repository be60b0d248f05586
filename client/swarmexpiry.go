package client

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/storagerpc"
)

// A disappearing message must not outlive its timer in the swarm either:
// when its timer starts (an after-read message read here) or when it
// arrives with a swarm expiry later than its own (a sender that stored it
// for longer), this account's swarm copy is shortened with an
// authenticated expire ("shorten": the node only ever brings an expiry
// forward, so a late or repeated request cannot lengthen one). A request
// that fails is kept and retried with the unsent messages.

// kvPendingExpiries holds swarm expiries not yet sent.
const kvPendingExpiries = "pending_swarm_expiries"

// maxPendingExpiries bounds the expiries kept for retry; past it the
// oldest go (those messages then expire with their original TTL).
const maxPendingExpiries = 5000

// expireBatch is how many hashes one expire request carries.
const expireBatch = 100

// expirySlack is how much later than a message's own expiry its swarm
// expiry may be before it is shortened (clock differences).
const expirySlack = 5 * time.Second

// pendingExpiry is a SwarmExpiry as kvPendingExpiries stores it.
type pendingExpiry struct {
	Hash string `json:"hash"`
	At   int64  `json:"at"`
}

// shortenSwarm brings forward the swarm expiry of each message of es (in
// this account's swarm) to its At. Inside a receive page the requests go
// once the page is committed; otherwise now. A failure is queued for
// retry, not returned: the local copy expires on time regardless.
func (c *Client) shortenSwarm(ctx context.Context, es []clientdb.SwarmExpiry) {
	if len(es) == 0 {
		return
	}
	if pg, ok := ctx.Value(pageKey{}).(*page); ok {
		pg.expiries = append(pg.expiries, es...)
		return
	}
	if err := c.sendExpiries(ctx, es); err != nil {
		c.log.Warn("shortening disappearing messages' swarm expiry failed; will retry", "messages", len(es), "err", err)
		if qerr := c.queueExpiries(ctx, es); qerr != nil {
			c.log.Warn("could not queue swarm expiries", "err", qerr)
		}
	}
}

// sendExpiries sends es as expire requests with shorten set, in batches.
func (c *Client) sendExpiries(ctx context.Context, es []clientdb.SwarmExpiry) error {
	net, err := c.network()
	if err != nil {
		return err
	}
	for len(es) > 0 {
		n := min(len(es), expireBatch)
		batch := es[:n]
		es = es[n:]
		hashes := make([]string, n)
		at := make([]int64, n)
		for i, e := range batch {
			hashes[i], at[i] = e.Hash, e.At.UnixMilli()
		}
		if n == 1 || allEqual(at) {
			at = at[:1]
		}
		status, body, err := net.SwarmRPC(ctx, c.id.SessionID(), func(time.Time) (string, any, error) {
			r := &storagerpc.Expire{Messages: hashes, Expiry: at, Shorten: true}
			storagerpc.Sign(r, c.id)
			return storagerpc.MethodExpire, r, nil
		})
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("expire: node answered %d: %.200s", status, body)
		}
	}
	return nil
}

func allEqual(v []int64) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}

// queueExpiries keeps es for flushExpiries.
func (c *Client) queueExpiries(ctx context.Context, es []clientdb.SwarmExpiry) error {
	var q []pendingExpiry
	if b, err := c.db.Get(ctx, kvPendingExpiries); err == nil {
		_ = json.Unmarshal(b, &q)
	}
	for _, e := range es {
		q = append(q, pendingExpiry{Hash: e.Hash, At: e.At.UnixMilli()})
	}
	if len(q) > maxPendingExpiries {
		q = q[len(q)-maxPendingExpiries:]
	}
	b, err := json.Marshal(q)
	if err != nil {
		return err
	}
	return c.db.Put(ctx, kvPendingExpiries, b)
}

// flushExpiries sends the queued swarm expiries. Those whose message left
// the swarm anyway (its longest TTL is over) are dropped.
func (c *Client) flushExpiries(ctx context.Context) error {
	b, err := c.db.Get(ctx, kvPendingExpiries)
	if err != nil {
		return nil
	}
	var q []pendingExpiry
	if json.Unmarshal(b, &q) != nil || len(q) == 0 {
		return nil
	}
	var es []clientdb.SwarmExpiry
	oldest := c.now().Add(-MessageTTL)
	for _, p := range q {
		if at := time.UnixMilli(p.At); at.After(oldest) {
			es = append(es, clientdb.SwarmExpiry{Hash: p.Hash, At: at})
		}
	}
	if err := c.sendExpiries(ctx, es); err != nil {
		return err
	}
	return c.db.Put(ctx, kvPendingExpiries, []byte("[]"))
}

// overdueInSwarm is the expiry to give the swarm copy of stored message m,
// retrieved as rm, when rm outlives m's own expiry there.
func overdueInSwarm(m clientdb.Message, rm storagerpc.RetrievedMessage) []clientdb.SwarmExpiry {
	if m.Expiry.At.IsZero() || rm.Expiration <= m.Expiry.At.Add(expirySlack).UnixMilli() {
		return nil
	}
	return []clientdb.SwarmExpiry{{Hash: rm.Hash, At: m.Expiry.At}}
}
