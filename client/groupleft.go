package client

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
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

// Groups left or declined on another device. As in libsession, a device
// acts on the merged UserGroups list: a group it has that was listed in an
// earlier merged list and no longer is was left or declined elsewhere, and
// is dropped here too (forgetGroup, like a leave here; Session desktop
// also removes the conversation and its messages). Only groups this device
// saw listed count: one joined or created here and not yet listed (or
// pushed) is not dropped. A list near its size limit may have left
// invitations out for room (grouplist_fit.go): then a missing invitation
// means nothing, and stays.

// kvSeenGroups lists the group IDs of the last merged UserGroups list.
const kvSeenGroups = "config_seen_groups"

// dropUnlistedGroups drops the groups of this device that were in the
// last merged list and are not in list, and records list as seen. Call
// with cfg.mu and groupMu held.
func (c *Client) dropUnlistedGroups(ctx context.Context, list []config.Group) []error {
	listed := make(map[string]bool, len(list))
	for _, e := range list {
		listed[e.ID.String()] = true
	}
	var seen []string
	if b, err := c.db.Get(ctx, kvSeenGroups); err == nil {
		_ = json.Unmarshal(b, &seen) // damaged: nothing is dropped this time
	}
	size, _ := c.cfg.groups.PushSize()
	full := size > nearlyFull
	var errs []error
	for _, id := range seen {
		if listed[id] {
			continue
		}
		g, err := c.loadGroup(ctx, id)
		if err != nil {
			continue // not here (left here too, or never joined)
		}
		if full && g.st.Invited {
			continue // maybe left out for room
		}
		if err := c.forgetGroup(ctx, g.id); err != nil {
			listed[id] = true // seen still: tried again on the next merge
			errs = append(errs, err)
			continue
		}
		c.log.Info("group left on another device", "group", ShortID(id))
	}
	ids := slices.Sorted(maps.Keys(listed))
	if slices.Equal(ids, seen) {
		return errs
	}
	if b, err := json.Marshal(ids); err == nil {
		if err := c.db.Put(ctx, kvSeenGroups, b); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
