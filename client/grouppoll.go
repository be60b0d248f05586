package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onionreq"
	"github.com/session-go/session-go/internal/storagerpc"
)

// Receiving groups. Each joined group has its own swarm, polled with the
// same guarantees as the account's: the key messages and configs first
// (the keys open the messages fetched with them), a cursor per swarm
// member and namespace, and each page saved in one transaction (messages,
// the group's new state and the hashes marked seen) before its cursor
// moves. A group's messages are a conversation keyed by the group ID.

// groupPolled are the namespaces of a group's swarm a poll retrieves, in
// order: keys first, then the configs they decrypt, then the messages.
var groupPolled = []storagerpc.Namespace{groups.NamespaceKeys, groups.NamespaceInfo, groups.NamespaceMembers, groups.NamespaceMessages}

// groupCursorKey names the cursor of one namespace of a group at one
// member of the group's swarm.
func groupCursorKey(node string, gid keys.ID, ns storagerpc.Namespace) string {
	return node + "/" + gid.String() + "/" + strconv.Itoa(int(ns))
}

// joinedGroupIDs lists the groups this device polls: joined, not invited.
func (c *Client) joinedGroupIDs(ctx context.Context) ([]keys.ID, error) {
	gs, err := c.groupList(ctx)
	if err != nil {
		return nil, err
	}
	var out []keys.ID
	for _, g := range gs {
		if g.Invited || g.Removed {
			continue
		}
		if id, err := keys.ParseID(g.ID); err == nil && id.Prefix == keys.PrefixGroup {
			out = append(out, id)
		}
	}
	return out, nil
}

// pollGroups polls every joined group once, without waiting at the nodes.
func (c *Client) pollGroups(ctx context.Context, st *pollStats) ([]Message, error) {
	ids, err := c.joinedGroupIDs(ctx)
	if err != nil {
		return nil, err
	}
	var out []Message
	var errs []error
	for _, id := range ids {
		got, n, err := c.pollGroup(ctx, id, 0)
		out = append(out, got...)
		st.fetched += n
		if err != nil && !errors.Is(err, ErrUnknownGroup) {
			errs = append(errs, fmt.Errorf("group %s: %w", ShortID(id.String()), err))
		}
	}
	return out, errors.Join(errs...)
}

// pollGroup retrieves what is new in group gid's swarm, waiting up to wait
// at the node, and saves it. It returns the new messages and how many
// entries the node returned.
func (c *Client) pollGroup(ctx context.Context, gid keys.ID, wait time.Duration) ([]Message, int, error) {
	net, err := c.network()
	if err != nil {
		return nil, 0, err
	}
	c.groupMu.Lock()
	g, err := c.joinedGroup(ctx, gid.String())
	c.groupMu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	var out []Message
	fetched := 0
	node := ""
	for range 100 { // pages; a long backlog continues with the next poll
		cursors := make([]string, len(groupPolled))
		rctx := ctx
		if wait > 0 {
			rctx = onionreq.WithRequestTimeout(ctx, wait+8*time.Second)
		}
		status, body, err := net.SwarmRPCPrefer(rctx, gid, node, func(now time.Time, member netview.Node) (string, any, error) {
			node = member.Ed25519
			b := &storagerpc.Batch{}
			for i, ns := range groupPolled {
				var err error
				if cursors[i], err = c.db.Cursor(ctx, groupCursorKey(node, gid, ns)); err != nil {
					return "", nil, err
				}
				r := &storagerpc.Retrieve{Namespace: ns, LastHash: cursors[i], Timestamp: now.UnixMilli()}
				if err := c.signGroup(g, r); err != nil {
					return "", nil, err
				}
				b.Requests = append(b.Requests, r)
			}
			return storagerpc.MethodBatch, withLongPoll{b, wait.Milliseconds()}, nil
		})
		if err != nil {
			return out, fetched, err
		}
		if status != 200 {
			return out, fetched, fmt.Errorf("group retrieve: node answered %d: %.200s", status, body)
		}
		var batch storagerpc.BatchResponse
		if err := json.Unmarshal(body, &batch); err != nil || len(batch.Results) != len(groupPolled) {
			return out, fetched, fmt.Errorf("group retrieve: bad batch reply (%d results)", len(batch.Results))
		}
		pages := make([][]storagerpc.RetrievedMessage, len(groupPolled))
		more := false
		var errs []error
		refused := 0
		for i, ns := range groupPolled {
			res := batch.Results[i]
			if res.Code == http.StatusUnauthorized {
				refused++
			}
			if res.Code != 200 {
				errs = append(errs, fmt.Errorf("group retrieve namespace %d: node answered %d: %.200s", ns, res.Code, res.Body))
				continue
			}
			var resp storagerpc.RetrieveResponse
			if err := json.Unmarshal(res.Body, &resp); err != nil {
				errs = append(errs, fmt.Errorf("group retrieve namespace %d: bad reply: %w", ns, err))
				continue
			}
			pages[i] = resp.Messages
			fetched += len(resp.Messages)
			more = more || resp.More && len(resp.Messages) > 0
		}
		if refused == len(groupPolled) && g.admin == nil {
			// Every namespace refuses a token that signs correctly: it
			// was revoked, which is how an admin removes a member, once
			// another swarm member confirms it (groupremoved.go).
			// A removal notice from an admin (namespace -11, which the
			// swarm still serves) settles it at once.
			if c.kickedCheck(ctx, g) {
				return out, fetched, c.markRemoved(ctx, gid)
			}
			return out, fetched, c.removalCheck(ctx, gid, g, node)
		}
		if len(errs) > 0 {
			// A refused namespace (a revoked token is refused for all of
			// them) saves nothing: what came with it comes again.
			return out, fetched, errors.Join(errs...)
		}
		got, err := c.saveGroupPage(ctx, gid, pages)
		out = append(out, got...)
		if err != nil {
			return out, fetched, err
		}
		for i, ns := range groupPolled {
			if n := len(pages[i]); n > 0 {
				if err := c.db.SetCursor(ctx, groupCursorKey(node, gid, ns), pages[i][n-1].Hash); err != nil {
					return out, fetched, err
				}
			}
		}
		if !more {
			// The backlog is read: a member-left message is acted on
			// only now, once the notices after it are known (a removal
			// already made drops it from the leavers).
			c.removeLeavers(ctx, gid)
			c.settleMembers(ctx, gid) // groupstatus.go
			break
		}
		wait = 0
	}
	return out, fetched, nil
}

// saveGroupPage applies one page of a group's swarm: the key messages and
// configs to the group's state, then the messages, all in one transaction
// with the hashes marked seen. Events are published once it is committed.
func (c *Client) saveGroupPage(ctx context.Context, gid keys.ID, pages [][]storagerpc.RetrievedMessage) ([]Message, error) {
	pg := &page{}
	out, err := c.saveGroupPageLocked(ctx, gid, pages, pg)
	if err != nil {
		return nil, err
	}
	// Handlers run synchronously and may act on the group: the lock is
	// released first.
	for _, ev := range pg.events {
		c.events.publish(ev)
	}
	c.removeBlobs(pg.blobs) // files of messages deleted for everyone
	if len(out) > 0 {
		c.kickDownloads()
		c.applyGroupReadMark(ctx, gid)
		c.unhideGroup(ctx, gid)
	}
	return out, nil
}

// applyGroupReadMark applies the group's read mark from the
// ConvoInfoVolatile config once its messages are here: a restored device
// merges the mark before the group's conversation exists. Call without
// cfg.mu or groupMu.
func (c *Client) applyGroupReadMark(ctx context.Context, gid keys.ID) {
	// Under the config lock until the marks are written: MarkRead and
	// MarkUnread change the config and the database under it too, so a
	// mark read here is never written over the database's newer one.
	c.cfg.mu.Lock()
	defer c.cfg.mu.Unlock()
	cv, ok := c.cfg.convos.Get1to1(gid)
	if !ok {
		return
	}
	if cv.LastRead > 0 {
		if err := c.db.MarkRead(ctx, gid, time.UnixMilli(cv.LastRead)); err != nil && !errors.Is(err, clientdb.ErrNotFound) {
			c.log.Warn("applying a group's read mark failed", "group", ShortID(gid.String()), "err", err)
		}
	}
	if cv.Unread {
		if err := c.db.SetMarkedUnread(ctx, gid, true); err != nil && !errors.Is(err, clientdb.ErrNotFound) {
			c.log.Warn("applying a group's unread mark failed", "group", ShortID(gid.String()), "err", err)
		}
	}
}

func (c *Client) saveGroupPageLocked(ctx context.Context, gid keys.ID, pages [][]storagerpc.RetrievedMessage, pg *page) ([]Message, error) {
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	// The state is read again under the lock: an admin operation may have
	// changed it while the poll waited at the node.
	g, err := c.joinedGroup(ctx, gid.String())
	if err != nil {
		return nil, err
	}
	for _, m := range pages[0] {
		if _, err := g.ring.Load(m.Hash, m.Data, m.Timestamp); err != nil {
			c.log.Warn("ignored a group key message", "group", ShortID(g.st.ID), "hash", m.Hash, "err", err)
		}
	}
	g.info.SetKeys(g.ring.Keys(), false)
	g.members.SetKeys(g.ring.Keys(), false)
	timer := g.info.ExpiryTimer()
	for i, cfg := range []*config.Config{g.info.Config, g.members.Config} {
		var rs []config.Received
		for _, m := range pages[1+i] {
			rs = append(rs, config.Received{Hash: m.Hash, Data: m.Data})
		}
		if len(rs) > 0 {
			cfg.Merge(rs)
		}
	}
	if n := g.info.Name(); n != "" {
		g.st.Name = n
	}
	if t := g.info.ExpiryTimer(); t != timer {
		// An admin changed the group's disappearing timer (after send).
		ev := DisappearingChanged{Conversation: g.id.String(), Mode: modeName(clientdb.DisappearingAfterSend), Timer: t}
		if t == 0 {
			ev.Mode = modeName(clientdb.DisappearingOff)
		}
		pg.events = append(pg.events, ev)
	}
	var out []Message
	err = c.db.Batch(ctx, func(ctx context.Context) error {
		// Events and files wait for the commit (publishSaved). This page
		// holds the group lock, not the config lock: nothing below may
		// call lockCfg.
		ctx = context.WithValue(ctx, pageKey{}, pg)
		for _, rm := range pages[3] {
			m, ok, err := c.processGroupMessage(ctx, g, rm, pg)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, m)
			}
		}
		if err := c.applyDeleteBefore(ctx, g, pg); err != nil { // see groupconvo.go
			return err
		}
		return c.saveGroup(ctx, g)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// processGroupMessage handles one message of a group's message namespace,
// as process does for the account's: dedupe by hash, decrypt, check and
// store, then mark the hash seen. A message that does not open with the
// group's keys (written before this account joined), or that is damaged,
// is marked seen and skipped.
func (c *Client) processGroupMessage(ctx context.Context, g *groupSession, rm storagerpc.RetrievedMessage, pg *page) (Message, bool, error) {
	seen, err := c.db.Seen(ctx, rm.Hash)
	if err != nil || seen {
		return Message{}, false, err
	}
	var also []string
	m, ok, err := c.handleGroupMessage(ctx, g, rm, pg, &also)
	if poison(err) {
		text := fmt.Sprintf("skipped a group message that cannot be stored: %v", err)
		c.log.Warn(text)
		pg.events = append(pg.events, Warning{Text: text})
		m, ok, err = Message{}, false, nil
	}
	if err != nil {
		return Message{}, false, err
	}
	if _, err := c.db.MarkSeenAll(ctx, time.UnixMilli(rm.Expiration), append([]string{rm.Hash}, also...)...); err != nil {
		if !errors.Is(err, clientdb.ErrInvalidArgument) {
			return Message{}, false, err
		}
		if len(also) > 0 {
			if _, err := c.db.MarkSeenAll(ctx, time.UnixMilli(rm.Expiration), also...); err != nil {
				return Message{}, false, err
			}
		}
	}
	return m, ok, nil
}

func (c *Client) handleGroupMessage(ctx context.Context, g *groupSession, rm storagerpc.RetrievedMessage, pg *page, alsoSeen *[]string) (Message, bool, error) {
	gm, err := groups.DecodeGroupMessage(g.ring.Keys(), g.id, rm.Data)
	if err != nil {
		c.log.Debug("dropping a group message that does not open", "group", ShortID(g.st.ID), "hash", rm.Hash, "err", err)
		return Message{}, false, nil
	}
	content := gm.Content
	if !signedTimeMatches(content, gm.SentAt.UnixMilli()) {
		c.log.Warn("ignored a group message whose envelope time differs from its signed time (a replay)",
			"group", ShortID(g.st.ID), "from", ShortID(gm.Sender.String()))
		return Message{}, false, nil
	}
	dm := content.GetDataMessage()
	if up := dm.GetGroupUpdateMessage(); up != nil {
		return Message{}, false, c.handleGroupControl(ctx, g, gm, rm.Hash, up, pg)
	}
	if u := content.GetUnsendRequest(); u != nil {
		return Message{}, false, c.handleGroupUnsend(ctx, g, gm, u, pg) // see groupconvo.go
	}
	if r := dm.GetReaction(); r != nil && dm.GetBody() == "" {
		return Message{}, false, c.handleGroupReaction(ctx, g, gm, r, pg)
	}
	if dm.GetBody() == "" && len(dm.GetAttachments()) == 0 {
		return Message{}, false, nil // typing, receipts and the like: nothing kept
	}
	c.noteAccepted(g, gm.Sender) // a member listed as invited wrote: joined (groupstatus.go)
	if d := g.info.DeleteBefore(); d > 0 && gm.SentAt.Before(time.Unix(d, 0)) {
		return Message{}, false, nil // the admins deleted everything before
	}
	if key := contentKey(gm.Sender, content); key != "" {
		if replay, err := c.db.Seen(ctx, key); err != nil || replay {
			return Message{}, false, err
		}
		*alsoSeen = append(*alsoSeen, key)
	}
	own := gm.Sender == c.id.SessionID()
	dir, status := clientdb.Incoming, clientdb.StatusReceived
	sentAt, unverified := c.messageTime(gm.SentAt, rm.Timestamp)
	state := clientdb.AttachmentRemote
	if own {
		// This account's own message, sent from another device: its time
		// is this account's, and it is how the sending device knows it.
		dir, status, sentAt, unverified = clientdb.Outgoing, clientdb.StatusSent, gm.SentAt, false
		state = clientdb.AttachmentPending
	} else if ct, err := c.db.Contact(ctx, gm.Sender); err == nil && ct.Approved {
		state = clientdb.AttachmentPending // an approved contact's files are fetched at once
	}
	if name, _ := cleanName(dm.GetProfile().GetDisplayName()); name != "" && !own {
		if g.st.Names == nil {
			g.st.Names = map[string]string{}
		}
		if _, known := g.st.Names[gm.Sender.String()]; known || len(g.st.Names) < maxGroupNames {
			g.st.Names[gm.Sender.String()] = name // saved with the page
		}
	}
	body, note := cleanBody(dm.GetBody())
	if note != "" {
		c.log.Warn("a group message was repaired", "group", ShortID(g.st.ID), "from", ShortID(gm.Sender.String()), "how", note)
	}
	if gone, err := c.unsent(ctx, g.id, gm.Sender, gm.SentAt); err != nil || gone {
		return Message{}, false, err // deleted for everyone before it came
	}
	if done, err := c.groupEdit(ctx, g, gm, rm.Hash, body); done || err != nil {
		return Message{}, false, err // an edit of a message shown already (edit.go)
	}
	files, _ := incomingAttachments(dm.GetAttachments(), state, c.now())
	lp := c.previewOf(dm, body, state)
	id, inserted, err := c.db.InsertIncoming(ctx, clientdb.Message{
		Conversation: g.id, Sender: gm.Sender, Direction: dir, Status: status,
		SentAt: sentAt, ReceivedAt: c.now(), Body: body, Hash: rm.Hash, TimeUnverified: unverified, Attachments: files,
		Quote: quoteOf(dm), Expiry: groupExpiry(g, content), LinkPreview: lp,
	})
	if err != nil || !inserted {
		return Message{}, false, err
	}
	stored, err := c.db.Message(ctx, id)
	if err != nil {
		return Message{}, false, err
	}
	out := messageFrom(stored)
	for _, a := range files {
		out.Attachments = append(out.Attachments, attachmentFrom(a))
	}
	out.LinkPreview = shownPreview(lp, lp.Image)
	pg.events = append(pg.events, MessageReceived{out}) // published once committed
	return out, true, nil
}

// handleGroupControl takes a control message posted in the group. The
// group's state itself (members, name, keys) comes only from the configs
// and key messages, which the group key signs; a control message is a
// notice, and one that claims an admin's authority must carry the group's
// signature. A member leaving is acted on by admins (removeLeavers).
func (c *Client) handleGroupControl(ctx context.Context, g *groupSession, gm *groups.GroupMessage, hash string, up *signalpb.GroupUpdateMessage, pg *page) error {
	from := ShortID(gm.Sender.String())
	if err := groups.CheckGroupUpdate(g.id, up, gm.SentAt.UnixMilli()); err != nil {
		kind := "a control message"
		switch {
		case up.GetMemberChangeMessage() != nil:
			kind = "a member change"
		case up.GetInfoChangeMessage() != nil:
			kind = "an info change"
		case up.GetDeleteMemberContent() != nil:
			kind = "a delete of content"
		}
		c.log.Warn("ignored a forged group control message: "+kind+" without the group's signature",
			"group", ShortID(g.st.ID), "from", from, "err", err)
		return nil
	}
	if d := up.GetDeleteMemberContent(); d != nil {
		return c.handleGroupDelete(ctx, g, gm, d, pg) // see groupconvo.go
	}
	if err := c.groupNotice(ctx, g, gm, hash, up, pg); err != nil { // groupnotice.go
		return err
	}
	if r := up.GetInviteResponse(); r != nil {
		c.handleInviteResponse(g, gm, r, gm.Content.GetDataMessage()) // see groupstatus.go
		return nil
	}
	if mc := up.GetMemberChangeMessage(); mc != nil && mc.GetType() == signalpb.GroupUpdateMemberChangeMessage_REMOVED {
		// An admin (another device of this account included) removed
		// them after they left: their leave is dealt with. Without this
		// a device reading the history afresh would remove a member who
		// left once and was invited again since.
		g.st.Leavers = slices.DeleteFunc(g.st.Leavers, func(s string) bool { return slices.Contains(mc.GetMemberSessionIds(), s) })
		// So is an acceptance read before the removal (groupstatus.go).
		g.st.Accepted = slices.DeleteFunc(g.st.Accepted, func(s string) bool { return slices.Contains(mc.GetMemberSessionIds(), s) })
	}
	if up.GetMemberLeftMessage() == nil || gm.Sender == c.id.SessionID() {
		// A notice; the state it describes comes from the configs.
		c.log.Debug("group control message", "group", ShortID(g.st.ID), "from", from)
		return nil
	}
	if _, ok := g.members.Get(gm.Sender); !ok {
		c.log.Info("ignored a member-left message from someone not a member", "group", ShortID(g.st.ID), "from", from)
		return nil
	}
	if g.admin != nil && !slices.Contains(g.st.Leavers, gm.Sender.String()) {
		g.st.Leavers = append(g.st.Leavers, gm.Sender.String()) // saved with the page, acted on after
	}
	return nil
}

// markRemoved records that an admin removed this account from group gid
// (its swarm refuses the account's token): the group is no longer polled,
// its history stays, and a new invitation joins it again.
func (c *Client) markRemoved(ctx context.Context, gid keys.ID) error {
	c.groupMu.Lock()
	g, err := c.loadGroup(ctx, gid.String())
	newly := err == nil && !g.st.Removed
	if newly {
		g.st.Removed = true
		err = c.saveGroup(ctx, g)
	}
	c.groupMu.Unlock()
	if err != nil {
		return err
	}
	if newly {
		c.warn(fmt.Sprintf("you were removed from the group %s: its swarm refuses your token", ShortID(g.st.ID)))
		c.removedNotice(ctx, g) // groupremoved.go
	}
	return fmt.Errorf("%w: %s: an admin removed you from it", ErrUnknownGroup, ShortID(g.st.ID))
}

// removeLeavers, for an admin, removes the members who said they left and
// rotates the key without them, as Session's admins do. The leavers are
// kept in the group's state until that is done, so that a failure (or a
// crash) is retried by the next poll.
func (c *Client) removeLeavers(ctx context.Context, gid keys.ID) {
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	g, err := c.joinedGroup(ctx, gid.String())
	if err != nil || g.admin == nil || len(g.st.Leavers) == 0 {
		return
	}
	if err := c.syncGroup(ctx, g); err != nil {
		c.log.Warn("a member left; removing them waits for the next poll", "group", ShortID(g.st.ID), "err", err)
		return
	}
	var ids []keys.ID
	for _, s := range g.st.Leavers {
		if id, err := keys.ParseSessionID(s); err == nil {
			ids = append(ids, id)
		}
	}
	if err := c.removeMembers(ctx, g, ids); err != nil {
		c.log.Warn("a member left; removing them waits for the next poll", "group", ShortID(g.st.ID), "err", err)
		return
	}
	g.st.Leavers = nil
	if err := c.saveGroup(ctx, g); err != nil {
		c.log.Warn("saving a group failed", "group", ShortID(g.st.ID), "err", err)
	}
	c.log.Info("removed members who left the group", "group", ShortID(g.st.ID), "count", len(ids))
}

// groupLoops long-polls each joined group in its own goroutine until ctx
// ends (Run). A group's swarm is not the account's: one slow or quiet
// group must not delay the messages of another. Groups joined later are
// picked up within a few seconds; a goroutine ends when its group is left.
func (c *Client) groupLoops(ctx context.Context) {
	var mu sync.Mutex
	running := map[keys.ID]bool{}
	for {
		ids, err := c.joinedGroupIDs(ctx)
		if err == nil {
			for _, id := range ids {
				mu.Lock()
				if !running[id] {
					running[id] = true
					go func() {
						c.groupLoop(ctx, id)
						mu.Lock()
						delete(running, id)
						mu.Unlock()
					}()
				}
				mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-c.groupKick:
		case <-time.After(3 * time.Second):
		}
	}
}

// groupLoop polls one group until ctx ends or the group is left.
func (c *Client) groupLoop(ctx context.Context, gid keys.ID) {
	pace := newPollPace()
	for ctx.Err() == nil {
		start := time.Now()
		_, n, err := c.pollGroup(ctx, gid, c.opts.PollWait)
		switch {
		case errors.Is(err, ErrUnknownGroup):
			return
		case err == nil:
			// A node without the long-poll extension answers at once.
			pace.answered(ctx, start, n == 0)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		wait := pace.failed()
		c.log.Warn("receiving a group failed; will retry", "group", ShortID(gid.String()), "err", err, "in", wait)
		sleepCtx(ctx, wait)
	}
}

// kickGroups wakes groupLoops after a group was joined.
func (c *Client) kickGroups() {
	select {
	case c.groupKick <- struct{}{}:
	default:
	}
}
