package client

import (
	"cmp"
	"slices"
	"strings"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/keys"
)

// Strangers' group invitations and the synced group list. An invitation
// from someone not approved is a message request, and like a requester in
// the contacts config it is listed in the UserGroups config so that the
// account's other devices show it too. Anyone can make groups and invite
// this account to them, so those entries take only the room left: a list
// that would not fit one config message leaves invitations out, oldest
// first, exactly as fitContacts leaves requesters out. A left-out
// invitation stays on this device (another device that merges a list this
// near full does not take a missing invitation for a decline:
// dropUnlistedGroups).

// groupsBudget is the size the UserGroups config is brought under when
// invitations must be left out.
const groupsBudget = config.MaxMessageSize * 9 / 10

// noteInvitation records the order in which this process listed
// invitations, for leaving the oldest out first. Call with c.cfg.mu held.
func (c *Client) noteInvitation(gid keys.ID) {
	if c.cfg.addedGroups == nil {
		c.cfg.addedGroups = map[keys.ID]int64{}
	}
	if _, ok := c.cfg.addedGroups[gid]; !ok {
		c.cfg.addedGroups[gid] = int64(len(c.cfg.addedGroups)) + 1
	}
}

// fitGroups makes the UserGroups config fit one config message by leaving
// out pending invitations (joined groups and pinned or hidden invitations
// always stay). It returns how many it left out. Call with
// c.cfg.mu held.
func (c *Client) fitGroups() (int, error) {
	ug := c.cfg.groups
	size, err := ug.PushSize()
	if err != nil || size <= config.MaxMessageSize {
		return 0, err
	}
	all := ug.Groups()
	var cands []config.Group
	for _, g := range all {
		if g.Invited && g.Priority == 0 { // a stranger's promotion included
			cands = append(cands, g)
		}
	}
	order := c.cfg.addedGroups
	slices.SortFunc(cands, func(a, b config.Group) int {
		return cmp.Or(cmp.Compare(a.JoinedAt, b.JoinedAt), cmp.Compare(order[a.ID], order[b.ID]),
			strings.Compare(a.ID.String(), b.ID.String()))
	})
	dropped, left := 0, len(all)
	for size > groupsBudget && len(cands) > 0 {
		per := max(1, size/max(1, left))
		n := min(len(cands), (size-groupsBudget)/per+1)
		for _, g := range cands[:n] {
			ug.EraseGroup(g.ID)
		}
		dropped += n
		cands, left = cands[n:], left-n
		if size, err = ug.PushSize(); err != nil {
			return dropped, err
		}
	}
	return dropped, nil
}
