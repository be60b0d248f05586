package client

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/keys"
)

// Groups left or declined. Leaving forgets the group on this device and
// then erases it from the synced UserGroups config; a config merge that
// still lists the group (a snapshot read before the erase, or a message of
// another device that has not seen it yet) must not put it back. So a left
// group keeps a tombstone until a clean UserGroups config (pushed and
// confirmed, or merged from the swarm) no longer lists it: while it is
// there, applyUserGroups skips the group and erases it from the config
// again. In libsession erase_group is a plain erase of the entry, and a
// device only acts on the merged config; here the merge result is read
// under the config and group locks (applyUserGroups), and the tombstone
// covers what the erase alone cannot: the moment between forgetting the
// group and erasing it, and a merge of a message that still sets it before
// the erase is pushed.

// kvGroupsLeft holds the tombstones: group ID → when it was left (unix ms).
const kvGroupsLeft = "groups_left"

// maxGroupsLeft bounds the tombstones; the oldest go first.
const maxGroupsLeft = 1000

// leftGroups returns the tombstones still in force (younger than
// ConfigTTL: by then every config message that listed the group is gone
// from the swarm). Call with groupMu held.
func (c *Client) leftGroups(ctx context.Context) (map[string]int64, error) {
	b, err := c.db.Get(ctx, kvGroupsLeft)
	if errors.Is(err, clientdb.ErrNotFound) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	left := map[string]int64{}
	if err := json.Unmarshal(b, &left); err != nil {
		// A damaged list must not stop the groups: it is started anew.
		c.log.Warn("the list of groups left is damaged; starting it anew", "err", err)
		return map[string]int64{}, nil
	}
	cutoff := c.now().Add(-ConfigTTL).UnixMilli()
	for id, at := range left {
		if at < cutoff {
			delete(left, id)
		}
	}
	return left, nil
}

// saveLeftGroups writes the tombstones, keeping the newest maxGroupsLeft.
// Call with groupMu held.
func (c *Client) saveLeftGroups(ctx context.Context, left map[string]int64) error {
	for len(left) > maxGroupsLeft {
		oldest, at := "", int64(0)
		for id, t := range left {
			if oldest == "" || t < at {
				oldest, at = id, t
			}
		}
		delete(left, oldest)
	}
	if len(left) == 0 {
		err := c.db.Delete(ctx, kvGroupsLeft)
		if errors.Is(err, clientdb.ErrNotFound) {
			return nil
		}
		return err
	}
	b, err := json.Marshal(left)
	if err != nil {
		return err
	}
	return c.db.Put(ctx, kvGroupsLeft, b)
}

// markGroupLeft records a tombstone for gid (groupMu held).
func (c *Client) markGroupLeft(ctx context.Context, gid keys.ID, at time.Time) error {
	left, err := c.leftGroups(ctx)
	if err != nil {
		return err
	}
	left[gid.String()] = at.UnixMilli()
	return c.saveLeftGroups(ctx, left)
}

// unmarkGroupLeft lifts the tombstone of gid, if any: the group is joined
// (or invited to) again (groupMu held).
func (c *Client) unmarkGroupLeft(ctx context.Context, gid keys.ID) error {
	left, err := c.leftGroups(ctx)
	if err != nil {
		return err
	}
	if _, ok := left[gid.String()]; !ok {
		return nil
	}
	delete(left, gid.String())
	return c.saveLeftGroups(ctx, left)
}
