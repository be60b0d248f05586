package client

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net/http"

	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

// A member learns that an admin removed it when the group's swarm refuses
// its token (the admin revoked it at the swarm, which spreads the
// revocation to every member). One node's refusal is only that node's
// word: any swarm node can answer 401 to anything, and a group marked
// removed is no longer polled. So a refusal is confirmed with another
// member of the swarm before the group is marked removed.

// removalWitnesses is how many other swarm members a refusal is checked
// with (the first that answers decides).
const removalWitnesses = 2

// removalConfirmed reports whether a member of group g's swarm other than
// refusing (the Ed25519 key of the node that refused this account's
// token) refuses it too. A swarm of one node has nobody else to ask: its
// refusal stands. When no other member answers, the error says so and the
// group stays as it is (the next poll asks again).
func (c *Client) removalConfirmed(ctx context.Context, g *groupSession, refusing string) (bool, error) {
	net, err := c.network()
	if err != nil {
		return false, err
	}
	members, err := net.Swarm(ctx, g.id)
	if err != nil {
		return false, err
	}
	var others []netview.Node
	for _, m := range members {
		if m.Ed25519 != refusing {
			others = append(others, m)
		}
	}
	if len(others) == 0 {
		return true, nil
	}
	mrand.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	var errs []error
	for _, m := range others[:min(len(others), removalWitnesses)] {
		r := &storagerpc.Retrieve{Namespace: groups.NamespaceKeys, Timestamp: net.Now().UnixMilli()}
		if err := c.signGroup(g, r); err != nil {
			return false, err
		}
		status, _, err := net.SnodeRPC(ctx, m, storagerpc.MethodRetrieve, r)
		switch {
		case status == http.StatusUnauthorized:
			return true, nil
		case err == nil && status == http.StatusOK:
			c.log.Warn("a node of a group's swarm refused this account's token that another accepts: ignored",
				"group", ShortID(g.st.ID), "node", refusing, "other", m.Ed25519)
			return false, nil
		case err != nil:
			errs = append(errs, err)
		default:
			errs = append(errs, fmt.Errorf("node answered %d", status))
		}
	}
	return false, fmt.Errorf("group %s: a node refused this account's token and no other member confirmed it: %v",
		ShortID(g.st.ID), errs)
}

// removalCheck is what pollGroup does when every namespace of a retrieve
// was refused at node: mark the group removed once another member
// confirms, else fail this poll (nothing saved, the next one retries).
func (c *Client) removalCheck(ctx context.Context, gid keys.ID, g *groupSession, node string) error {
	ok, err := c.removalConfirmed(ctx, g, node)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("group %s: node %s refused this account's token; another member accepts it", ShortID(g.st.ID), node)
	}
	return c.markRemoved(ctx, gid)
}

// postKicked writes, for an admin who removed ids, Session's removal notice
// to the group's namespace -11, which a removed member can still read
// (groups.EncodeKicked). Best effort: the removal itself is done, and a
// removed member also learns it from the swarm refusing its token.
func (c *Client) postKicked(ctx context.Context, g *groupSession, ids []keys.ID) {
	data, err := groups.EncodeKicked(rand.Reader, g.admin.SecretKey(), ids, g.ring.Generation())
	if err == nil {
		_, err = c.groupStore(ctx, g, groups.NamespaceRevoked, data, MessageTTL)
	}
	if err != nil {
		c.log.Warn("the removed members were not sent the removal notice", "group", ShortID(g.st.ID), "err", err)
	}
}

// kickedCheck reports whether group g's namespace -11 holds an admin's
// removal notice for this account, at a key generation not older than the
// one it holds (an older one is from before it last joined).
func (c *Client) kickedCheck(ctx context.Context, g *groupSession) bool {
	msgs, err := c.groupRetrieve(ctx, g, groups.NamespaceRevoked)
	if err != nil {
		c.log.Debug("reading a group's removal notices failed", "group", ShortID(g.st.ID), "err", err)
		return false
	}
	for _, m := range msgs {
		gen, ok, err := groups.DecodeKicked(m.Data, g.id.Key[:], c.id.X25519PrivateKey(), c.id.X25519PublicKey())
		if err != nil {
			c.log.Debug("ignored a malformed removal notice", "group", ShortID(g.st.ID), "err", err)
			continue
		}
		if ok && gen >= g.ring.Generation() {
			return true
		}
	}
	return false
}

// removedNotice adds "You were removed from the group" to group g's
// conversation; its hash, of this device's making, is unique to the
// removal's time.
func (c *Client) removedNotice(ctx context.Context, g *groupSession) {
	now := c.now()
	hash := fmt.Sprintf("local:removed:%s:%d", g.st.ID, now.UnixMilli())
	m, ok, err := c.saveNotice(ctx, g, c.id.SessionID(), now, hash, "You were removed from the group")
	if err != nil {
		c.log.Warn("saving a group notice failed", "group", ShortID(g.st.ID), "err", err)
	} else if ok {
		c.events.publish(MessageReceived{m})
	}
}
