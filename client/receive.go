package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onionreq"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// withLongPoll adds session-go's long-poll extension to a retrieve or a
// batch of retrieves: a node that knows "long_poll_ms" holds the request
// until a message arrives or the time is up; any other node ignores the
// field and answers at once.
type withLongPoll struct {
	req    storagerpc.Request
	waitMS int64
}

func (r withLongPoll) MarshalJSON() ([]byte, error) {
	b, err := r.req.MarshalJSON()
	if err != nil || r.waitMS <= 0 {
		return b, err
	}
	b = bytes.TrimSuffix(bytes.TrimSpace(b), []byte("}"))
	if !bytes.HasSuffix(b, []byte("{")) {
		b = append(b, ',')
	}
	return append(b, `"long_poll_ms":`+strconv.FormatInt(r.waitMS, 10)+`}`...), nil
}

// Receive fetches what is new in the account's swarm once, processes it and
// returns the new messages (incoming ones and ones sent from this
// account's other devices), oldest first. Config messages from the
// account's other devices are merged on the way.
func (c *Client) Receive(ctx context.Context) ([]Message, error) {
	return c.receive(ctx, 0)
}

// polledNamespaces are retrieved together in one batch: the config
// namespaces first, so that contacts are known before their messages.
var polledNamespaces = append(slices.Clone(configNamespaces), storagerpc.NamespaceDefault)

// cursorKey names the retrieve cursor (last hash) of one namespace at one
// swarm member. Each member returns messages in its own insertion order, so
// a hash one member gave means nothing to another: carried to a different
// member it would skip whatever that member stored before it. Session's
// clients keep one cursor per (node, namespace) for the same reason.
func cursorKey(node string, ns storagerpc.Namespace) string {
	return node + "/" + strconv.Itoa(int(ns))
}

// receive polls the account's namespaces, waiting up to wait at the node
// for something new. A message that cannot be saved fails the poll: it is
// not marked seen and its namespace's cursor stays, so that the next poll
// fetches it again.
func (c *Client) receive(ctx context.Context, wait time.Duration) ([]Message, error) {
	out, _, err := c.poll(ctx, wait)
	// Then the joined groups' swarms (a group joined in this poll
	// included), each once; Run polls them in groupLoops instead.
	got, gerr := c.pollGroups(ctx, &pollStats{})
	out = append(out, got...)
	slices.SortStableFunc(out, func(a, b Message) int { return a.SentAt.Compare(b.SentAt) })
	return out, errors.Join(err, gerr)
}

// poll is receive, and also counts the entries the node returned in every
// namespace (config messages, controls and duplicates included): a node
// that answered at once with entries held its long poll; one that answered
// at once with none does not have the extension.
func (c *Client) poll(ctx context.Context, wait time.Duration) ([]Message, pollStats, error) {
	var st pollStats
	out, err := c.pollInto(ctx, wait, &st)
	return out, st, err
}

// pollStats says what a poll fetched, and whether its first request could
// be held by the node at all: a batch that also extends the config
// messages is answered at once by design, not for lack of the long-poll
// extension.
type pollStats struct {
	fetched int
	unheld  bool
}

func (c *Client) pollInto(ctx context.Context, wait time.Duration, st *pollStats) ([]Message, error) {
	net, err := c.network()
	if err != nil {
		return nil, err
	}
	var out []Message
	var errs []error
	node := c.stick.member(c.opts.PollWait) // the member the last attempt went to
	defer func() { c.stick.done(node, st.fetched, len(errs) > 0) }()
	for {
		cursors := make([]string, len(polledNamespaces))
		rctx := ctx
		if wait > 0 {
			rctx = onionreq.WithRequestTimeout(ctx, wait+8*time.Second)
		}
		// A page after the first goes to the same member: its cursor is
		// that member's.
		var bump *storagerpc.Expire
		status, body, err := net.SwarmRPCPrefer(rctx, c.id.SessionID(), node, func(now time.Time, member netview.Node) (string, any, error) {
			node = member.Ed25519
			b := &storagerpc.Batch{}
			for i, ns := range polledNamespaces {
				var err error
				if cursors[i], err = c.db.Cursor(ctx, cursorKey(node, ns)); err != nil {
					return "", nil, err
				}
				r := &storagerpc.Retrieve{Namespace: ns, LastHash: cursors[i], Timestamp: now.UnixMilli()}
				storagerpc.Sign(r, c.id)
				b.Requests = append(b.Requests, r)
			}
			bump = c.configBump(now)
			if bump != nil {
				b.Requests = append(b.Requests, bump) // answered after the retrieves
				st.unheld = true
			}
			return storagerpc.MethodBatch, withLongPoll{b, wait.Milliseconds()}, nil
		})
		if err != nil {
			errs = append(errs, err)
			return out, errors.Join(errs...)
		}
		if status != 200 {
			errs = append(errs, fmt.Errorf("retrieve: node answered %d: %.200s", status, body))
			return out, errors.Join(errs...)
		}
		c.connected()
		var batch storagerpc.BatchResponse
		if err := json.Unmarshal(body, &batch); err != nil || len(batch.Results) < len(polledNamespaces) || len(batch.Results) > len(polledNamespaces)+1 {
			errs = append(errs, fmt.Errorf("retrieve: bad batch reply (%d results)", len(batch.Results)))
			return out, errors.Join(errs...)
		}
		if len(batch.Results) > len(polledNamespaces) {
			if res := batch.Results[len(polledNamespaces)]; res.Code != 200 {
				// The next poll tries again; the messages live 30 days.
				c.log.Debug("extending the config messages failed", "code", res.Code)
			} else if bump != nil {
				c.configBumped(bump)
			}
		}
		more, failed := false, false
		for i, ns := range polledNamespaces {
			res := batch.Results[i]
			if res.Code != 200 {
				errs = append(errs, fmt.Errorf("retrieve namespace %d: node answered %d: %.200s", ns, res.Code, res.Body))
				continue
			}
			var resp storagerpc.RetrieveResponse
			if err := json.Unmarshal(res.Body, &resp); err != nil {
				errs = append(errs, fmt.Errorf("retrieve namespace %d: bad reply: %w", ns, err))
				continue
			}
			st.fetched += len(resp.Messages)
			var saveErr error
			cursorSaved := false
			if ns == storagerpc.NamespaceDefault {
				var got []Message
				got, saveErr = c.processPage(ctx, resp.Messages, cursorKey(node, ns))
				out = append(out, got...)
				cursorSaved = true
			} else {
				saveErr = c.mergeConfigs(ctx, ns, resp.Messages)
			}
			if saveErr != nil {
				// The cursor stays where it was: what could not be saved
				// comes again with the next poll.
				errs = append(errs, fmt.Errorf("saving namespace %d: %w", ns, saveErr))
				failed = true
				continue
			}
			if n := len(resp.Messages); n > 0 && !cursorSaved {
				if err := c.db.SetCursor(ctx, cursorKey(node, ns), resp.Messages[n-1].Hash); err != nil {
					errs = append(errs, err)
					failed = true
					continue
				}
			}
			more = more || resp.More && len(resp.Messages) > 0
		}
		if !more || failed {
			break
		}
		wait = 0
	}
	if len(out) > 0 {
		// Read marks merged before their conversations existed (a restored
		// device polls the config namespaces first) apply now; so do marks
		// that cover messages which only arrived in this poll.
		if err := c.applyConvoMarks(ctx); err != nil {
			errs = append(errs, fmt.Errorf("applying read marks: %w", err))
		}
	}
	c.rememberConfigContacts(ctx)
	if err := c.pushConfigs(ctx); errors.Is(err, ErrContactsFull) {
		c.warn(err.Error())
	} else if err != nil {
		c.log.Warn("config push failed; will retry", "err", err)
	}
	return out, errors.Join(errs...)
}

// pollStick keeps polls on one swarm member. A long poll held where the
// client polled last wakes as soon as a message reaches that member; a
// poll sent to a member picked at random each time was mostly answered at
// once, with the messages since the client's last visit there (already
// seen, fetched and decrypted again), and the new message waited for
// another whole poll.
//
// Reading from several members is what defeats one that withholds messages
// (see docs/security.md, issue 8 point 8), so the client stays on a member
// only while it answers with messages and for at most the poll wait: a
// poll that fails or brings nothing moves to another member picked at
// random, and so does the first poll after the wait. A withholding member
// thus delays a message by at most the poll wait, as a long poll it holds
// always could.
type pollStick struct {
	mu    sync.Mutex
	node  string    // Ed25519 key; "" picks at random
	since time.Time // when polls went to node first
}

// member returns the member to poll, or "" for one picked at random.
func (p *pollStick) member(max time.Duration) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.node != "" && time.Since(p.since) >= max {
		p.node = ""
	}
	return p.node
}

// done records how a poll of node went: polls stay there only after one
// that brought something and failed nowhere.
func (p *pollStick) done(node string, fetched int, failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case failed || fetched == 0 || node == "":
		p.node = ""
	case node != p.node:
		p.node, p.since = node, time.Now()
	}
}

// connected notes that the swarm answered: after an outage that Run
// reported, the recovery is reported, before the messages it brings.
func (c *Client) connected() {
	c.connMu.Lock()
	report := c.offline
	c.offline = false
	c.connMu.Unlock()
	if report {
		c.log.Info("the network answers again")
		c.events.publish(ConnectionChanged{Connected: true})
	}
}

// processBatch processes the messages of one retrieve of namespace 0 and
// saves the config changes they made, once for the whole batch.
//
// The whole batch is one database transaction: one fsync per page instead
// of two or three per message, and a page is saved (and its hashes marked
// seen) entirely or not at all, in which case the cursor stays and the page
// comes again. Events wait for the commit, so that nobody is told of a
// message that is not saved yet, and no event handler runs while this
// goroutine holds the database writer. The config lock is taken before
// the transaction and held for the batch: elsewhere it is held while
// writing (saveDumps), so taking it inside the transaction could deadlock.
func (c *Client) processBatch(ctx context.Context, msgs []storagerpc.RetrievedMessage) ([]Message, error) {
	return c.processPage(ctx, msgs, "")
}

// processPage is processBatch that also moves the retrieve cursor named
// cursor (if not "") to the page's last message, in the page's transaction:
// the cursor moves exactly when the page is saved, and the poll costs one
// commit (one fsync) rather than two before the next poll can go.
func (c *Client) processPage(ctx context.Context, msgs []storagerpc.RetrievedMessage, cursor string) ([]Message, error) {
	var out []Message
	pg := &page{}
	c.cfg.mu.Lock()
	c.groupMu.Lock() // invitations and promotions change a group's state
	err := c.db.Batch(ctx, func(ctx context.Context) error {
		ctx = context.WithValue(ctx, pageKey{}, pg)
		for _, rm := range msgs {
			m, ok, err := c.process(ctx, rm)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, m)
			}
		}
		if err := c.saveDumps(ctx); err != nil {
			return err
		}
		if n := len(msgs); n > 0 && cursor != "" {
			return c.db.SetCursor(ctx, cursor, msgs[n-1].Hash)
		}
		return nil
	})
	c.groupMu.Unlock()
	c.cfg.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, ev := range pg.events {
		c.events.publish(ev)
	}
	c.shortenSwarm(ctx, pg.expiries)
	c.removeBlobs(pg.blobs)
	if len(out) > 0 {
		c.kickDownloads() // files that came with the page, now committed
	}
	return out, nil
}

// pageKey is the context key of the [page] being saved.
type pageKey struct{}

// page is what processBatch keeps while its transaction is open: the
// events to publish once it commits. A context that carries a page also
// holds the config lock.
type page struct {
	events []Event
	// expiries are swarm expiries to shorten once committed (swarmexpiry.go).
	expiries []clientdb.SwarmExpiry
	// blobs are files of deleted messages, removed once committed (a
	// rolled-back page must not lose a file its rows still name).
	blobs []clientdb.Attachment
}

// removeBlobsSaved is removeBlobs for the receive path: inside a page the
// files go once it is committed.
func (c *Client) removeBlobsSaved(ctx context.Context, files []clientdb.Attachment) {
	if pg, ok := ctx.Value(pageKey{}).(*page); ok {
		pg.blobs = append(pg.blobs, files...)
		return
	}
	c.removeBlobs(files)
}

// publishSaved publishes ev, or, while a page is being saved, once the page
// is committed.
func (c *Client) publishSaved(ctx context.Context, ev Event) {
	if pg, ok := ctx.Value(pageKey{}).(*page); ok {
		pg.events = append(pg.events, ev)
		return
	}
	c.events.publish(ev)
}

// lockCfg takes the config lock unless ctx is saving a page, which holds
// it already; unlockCfg undoes it.
func (c *Client) lockCfg(ctx context.Context) {
	if _, ok := ctx.Value(pageKey{}).(*page); !ok {
		c.cfg.mu.Lock()
	}
}

func (c *Client) unlockCfg(ctx context.Context) {
	if _, ok := ctx.Value(pageKey{}).(*page); !ok {
		c.cfg.mu.Unlock()
	}
}

// process handles one retrieved message: dedupe by hash, decrypt, verify,
// and store. It reports the stored message, if there is one to show. The
// hash is marked seen only once whatever the message carried is saved; an
// error means it was not, and the message must be fetched again. A message
// that is damaged, not for us or refused (a poison entry) is no error: it
// is marked seen and skipped, so that it cannot fail every later poll.
func (c *Client) process(ctx context.Context, rm storagerpc.RetrievedMessage) (Message, bool, error) {
	seen, err := c.db.Seen(ctx, rm.Hash)
	if err != nil {
		return Message{}, false, err
	}
	if seen {
		return Message{}, false, nil
	}
	var also []string
	m, ok, err := c.handle(ctx, rm, &also)
	if poison(err) {
		c.warn(fmt.Sprintf("skipped a message that cannot be stored: %v", err))
		m, ok, err = Message{}, false, nil
	}
	if err != nil {
		return Message{}, false, err
	}
	if _, err := c.db.MarkSeenAll(ctx, time.UnixMilli(rm.Expiration), append([]string{rm.Hash}, also...)...); err != nil {
		if errors.Is(err, clientdb.ErrInvalidArgument) {
			// A hash no database can hold: remember the rest.
			if len(also) > 0 {
				if _, err := c.db.MarkSeenAll(ctx, time.UnixMilli(rm.Expiration), also...); err != nil {
					return Message{}, false, err
				}
			}
			return m, ok, nil
		}
		return Message{}, false, err
	}
	return m, ok, nil
}

// handle decodes and stores one retrieved message that was not seen before.
// Everything in it comes from whoever stored it, a stranger as likely as a
// contact: see strangers.go for the rules. Keys to mark seen together with
// the message's hash go to alsoSeen.
func (c *Client) handle(ctx context.Context, rm storagerpc.RetrievedMessage, alsoSeen *[]string) (Message, bool, error) {
	dm, err := protocol.DecodeMessage(c.id, rm.Data)
	if err != nil {
		// Not for us, or damaged: nothing to show. The content is never logged.
		c.log.Debug("dropping an undecryptable message", "hash", rm.Hash, "err", err)
		return Message{}, false, nil
	}
	content := dm.Content
	if !signedTimeMatches(content, dm.SentAt.UnixMilli()) {
		c.warn(fmt.Sprintf("dropped a message from %s whose envelope time differs from its signed time (a replay)", ShortID(dm.Sender.String())))
		return Message{}, false, nil
	}
	if dm.Sender == c.id.SessionID() {
		return c.processSyncCopy(ctx, rm, dm)
	}
	ct, err := c.db.Contact(ctx, dm.Sender)
	known := err == nil
	if err != nil && !errors.Is(err, clientdb.ErrNotFound) {
		return Message{}, false, err
	}
	if known && ct.Blocked {
		return Message{}, false, nil // blocked: nothing of theirs is kept
	}
	if inv := content.GetDataMessage().GetGroupUpdateMessage().GetInviteMessage(); inv != nil {
		return Message{}, false, c.handleGroupInvite(ctx, dm, inv) // see groups.go
	}
	if pr := content.GetDataMessage().GetGroupUpdateMessage().GetPromoteMessage(); pr != nil {
		return Message{}, false, c.handleGroupPromote(ctx, dm, pr) // see groups.go
	}
	body := content.GetDataMessage().GetBody()
	// A message with files and no text is a message too.
	hasContent := body != "" || len(content.GetDataMessage().GetAttachments()) > 0
	before, cvErr := c.db.ConversationState(ctx, dm.Sender)
	if cvErr != nil && !errors.Is(cvErr, clientdb.ErrNotFound) {
		return Message{}, false, cvErr
	}
	c.lockCfg(ctx)
	listedCt, listed := c.cfg.contacts.Get(dm.Sender)
	c.unlockCfg(ctx)
	approved := known && ct.Approved || listed && listedCt.Approved
	if done, err := c.handleKinds(ctx, dm, known || listed || cvErr == nil); done || err != nil {
		return Message{}, false, err
	}
	// A stranger leaves a trace only with something to read: a typing
	// indicator, a receipt or a request response from someone this account
	// has no conversation with creates no contact and no request. With
	// requests refused, nothing from anyone but an approved contact does.
	if !known && cvErr != nil && !hasContent || c.refuse.Load() && !approved {
		return Message{}, false, nil
	}
	rawName := content.GetDataMessage().GetProfile().GetDisplayName()
	if rawName == "" {
		rawName = content.GetMessageRequestResponse().GetProfile().GetDisplayName()
	}
	if approved {
		// An approved contact's picture is fetched; a stranger's never is.
		dmsg := content.GetDataMessage()
		if err := c.noteAvatar(ctx, dm.Sender.String(), dmsg.GetProfile().GetProfilePicture(), dmsg.GetProfileKey()); err != nil {
			return Message{}, false, err
		}
	}
	senderName, repaired := cleanName(rawName)
	if repaired {
		c.warn(fmt.Sprintf("repaired the display name of %s (invalid UTF-8 or too long)", ShortID(dm.Sender.String())))
	}
	if senderName != "" {
		// Session applies a profile only when it is newer than the one held.
		t := content.GetDataMessage().GetProfile().GetLastProfileUpdateSeconds()
		if t == 0 {
			t = content.GetMessageRequestResponse().GetProfile().GetLastProfileUpdateSeconds()
		}
		if newer, err := c.profileIsNewer(ctx, dm.Sender, t); err != nil {
			return Message{}, false, err
		} else if !newer {
			senderName = ""
		}
	}
	// Writing to us, or accepting our request, means they approved us (the
	// sender side of a conversation is implicitly approved, as in Session).
	approvedMe := content.GetMessageRequestResponse().GetIsApproved() || hasContent
	if senderName != "" && ct.Name != senderName {
		if err := c.db.SetName(ctx, dm.Sender, senderName); err != nil {
			return Message{}, false, err
		}
	}
	if content.GetMessageRequestResponse().GetIsApproved() {
		if err := c.db.SetApprovedMe(ctx, dm.Sender, true); err != nil {
			return Message{}, false, err
		}
	}
	// Keep the contacts config current: a new requester, a new name, or an
	// acceptance. Only the config in memory changes here; the poll saves it
	// once per batch and pushes it once at its end, so that N new requests
	// cost O(N), not a rewrite of the whole list each.
	c.lockCfg(ctx)
	cur, listed := c.cfg.contacts.Get(dm.Sender)
	if !listed || senderName != "" && cur.Name != senderName || approvedMe && !cur.ApprovedMe {
		if !listed {
			cur = config.Contact{SessionID: dm.Sender, Created: time.Now().Unix()}
			if c.cfg.added == nil {
				c.cfg.added = map[keys.ID]int64{}
			}
			c.cfg.added[dm.Sender] = int64(len(c.cfg.added)) + 1
		}
		if senderName != "" {
			cur.Name = senderName
		}
		if approvedMe {
			cur.ApprovedMe = true
		}
		err = c.cfg.contacts.Set(cur)
	}
	c.unlockCfg(ctx)
	if err != nil {
		return Message{}, false, err
	}
	if !hasContent {
		return Message{}, false, nil
	}
	key := contentKey(dm.Sender, content)
	if key != "" {
		if replay, err := c.db.Seen(ctx, key); err != nil || replay {
			return Message{}, false, err // the same signed message under another hash
		}
	}
	body, note := cleanBody(body)
	if note != "" {
		c.warn(fmt.Sprintf("a message from %s was %s", ShortID(dm.Sender.String()), note))
	}
	if gone, err := c.unsent(ctx, dm.Sender, dm.Sender, dm.SentAt); err != nil || gone {
		return Message{}, false, err // deleted for everyone before it came
	}
	if done, err := c.applyEdit(ctx, dm.Sender, dm.Sender, dm, rm.Hash, body); done || err != nil {
		if done && key != "" {
			*alsoSeen = append(*alsoSeen, key)
		}
		return Message{}, false, err // an edit of a message shown already (edit.go)
	}
	sentAt, unverified := c.messageTime(dm.SentAt, rm.Timestamp)
	// Files from an approved contact are fetched at once; a stranger's
	// wait until the user asks (fetching them would tell the stranger's
	// file server when this account reads its requests).
	state := clientdb.AttachmentRemote
	if approved {
		state = clientdb.AttachmentPending
	}
	files, dropped := incomingAttachments(content.GetDataMessage().GetAttachments(), state, c.now())
	lp := c.previewOf(content.GetDataMessage(), body, state)
	if dropped > 0 {
		c.warn(fmt.Sprintf("%d attachment(s) of a message from %s could not be used (bad URL, key or size)", dropped, ShortID(dm.Sender.String())))
	}
	id, inserted, err := c.db.InsertIncoming(ctx, clientdb.Message{
		Conversation: dm.Sender, Sender: dm.Sender, Direction: clientdb.Incoming, Status: clientdb.StatusReceived,
		SentAt: sentAt, ReceivedAt: c.now(), Body: body, Hash: rm.Hash, TimeUnverified: unverified, Attachments: files,
		Quote: quoteOf(content.GetDataMessage()), Expiry: expiryOf(content), LinkPreview: lp,
	})
	if err != nil {
		return Message{}, false, err
	}
	if key != "" {
		*alsoSeen = append(*alsoSeen, key) // marked with the hash, in one transaction
	}
	if !inserted {
		return Message{}, false, nil
	}
	if err := c.unhide(ctx, dm.Sender); err != nil {
		return Message{}, false, err
	}
	// A message from someone not approved, dated before what the user has
	// read, would count as read and go unseen: the conversation is marked
	// unread instead. (A contact's message can legitimately arrive after a
	// read mark that covers it, read on another device; the config may
	// bring the mark in the same poll, before the message.)
	if !approved && cvErr == nil && !before.LastRead.IsZero() && !sentAt.After(before.LastRead) {
		if err := c.db.SetMarkedUnread(ctx, dm.Sender, true); err != nil {
			return Message{}, false, err
		}
	}
	m, err := c.db.Message(ctx, id)
	if err != nil {
		return Message{}, false, err
	}
	c.shortenSwarm(ctx, overdueInSwarm(m, rm))
	// Inside the poll's transaction: the files are described from what was
	// just inserted (a read would not see it before the commit), and the
	// downloader is woken once the batch is committed.
	out := messageFrom(m)
	for _, a := range files {
		out.Attachments = append(out.Attachments, attachmentFrom(a))
	}
	out.LinkPreview = shownPreview(lp, lp.Image)
	// The full conversation (with its unread count, whose cost grows with
	// the backlog) only for the event of a new request.
	if st, err := c.db.ConversationState(ctx, dm.Sender); err == nil && st.Request && (cvErr != nil || !before.Request) {
		cv, err := c.db.Conversation(ctx, dm.Sender)
		if err != nil {
			return Message{}, false, err
		}
		v := conversationFrom(cv)
		v.NameNote = namer{}.note(cv.ID, cv.Name, "")
		c.publishSaved(ctx, RequestReceived{v})
	}
	c.publishSaved(ctx, MessageReceived{out})
	return out, true, nil
}

// processSyncCopy stores a message this account sent from another device.
func (c *Client) processSyncCopy(ctx context.Context, rm storagerpc.RetrievedMessage, dm *protocol.Message) (Message, bool, error) {
	if u := dm.Content.GetUnsendRequest(); u != nil {
		return Message{}, false, c.unsendOwn(ctx, u)
	}
	data := dm.Content.GetDataMessage()
	if data.GetBody() == "" && len(data.GetAttachments()) == 0 && data.GetReaction() == nil &&
		data.GetFlags()&uint32(signalpb.DataMessage_EXPIRATION_TIMER_UPDATE) == 0 {
		return Message{}, false, nil
	}
	// A sync copy names its conversation; a message without one was sent
	// to this account itself (note to self).
	target := c.id.SessionID()
	if st := data.GetSyncTarget(); st != "" {
		var err error
		if target, err = keys.ParseSessionID(st); err != nil {
			return Message{}, false, nil
		}
	}
	if r := data.GetReaction(); r != nil && data.GetBody() == "" {
		return Message{}, false, c.reactOwn(ctx, target, r, dm.SentAt)
	}
	if data.GetFlags()&uint32(signalpb.DataMessage_EXPIRATION_TIMER_UPDATE) != 0 && data.GetBody() == "" {
		return Message{}, false, c.timerOwn(ctx, target, dm.Content, dm.SentAt)
	}
	if gone, err := c.unsent(ctx, target, c.id.SessionID(), dm.SentAt); err != nil || gone {
		return Message{}, false, err // deleted for everyone before this copy came
	}
	// A sync copy is signed by this account: its time is as good as this
	// account's own, and must stay the sent time, which is how the device
	// that sent it recognises it (a copy stored late by a retry included).
	body, _ := cleanBody(data.GetBody())
	if done, err := c.applyEdit(ctx, target, c.id.SessionID(), dm, rm.Hash, body); done || err != nil {
		return Message{}, false, err // an edit made on another device (edit.go)
	}
	// This account's own files, sent from another device: fetched at once.
	files, _ := incomingAttachments(data.GetAttachments(), clientdb.AttachmentPending, c.now())
	lp := c.previewOf(data, body, clientdb.AttachmentPending)
	id, inserted, err := c.db.InsertIncoming(ctx, clientdb.Message{
		Conversation: target, Sender: c.id.SessionID(), Direction: clientdb.Outgoing, Status: clientdb.StatusSent,
		SentAt: dm.SentAt, ReceivedAt: c.now(), Body: body, Hash: rm.Hash, Attachments: files, Quote: quoteOf(data),
		Expiry: expiryOf(dm.Content), LinkPreview: lp,
	})
	if err != nil || !inserted {
		return Message{}, false, err
	}
	if target == c.id.SessionID() {
		// A new note shows a hidden Note to Self again, as in Session.
		if err := c.unhide(ctx, target); err != nil {
			return Message{}, false, err
		}
	}
	m, err := c.db.Message(ctx, id)
	if err != nil {
		return Message{}, false, err
	}
	c.shortenSwarm(ctx, overdueInSwarm(m, rm))
	out := messageFrom(m)
	for _, a := range files {
		out.Attachments = append(out.Attachments, attachmentFrom(a))
	}
	out.LinkPreview = shownPreview(lp, lp.Image)
	c.publishSaved(ctx, MessageReceived{out})
	return out, true, nil
}

func (c *Client) now() time.Time {
	c.netMu.Lock()
	n := c.net
	c.netMu.Unlock()
	if n != nil {
		return n.Now()
	}
	return time.Now()
}

// minPollInterval spaces polls of nodes that do not hold a retrieve open.
const minPollInterval = 2 * time.Second

// Run receives messages (long-polling the account's swarm) and retries
// unsent messages until ctx ends. Events are published as things happen;
// see Subscribe, OnEvent and OnMessage.
func (c *Client) Run(ctx context.Context) error {
	if _, err := c.network(); err != nil {
		return err
	}
	go c.retryLoop(ctx)
	go c.downloadLoop(ctx)
	go c.expiryLoop(ctx)
	go c.groupLoops(ctx)
	pace := newPollPace()
	for ctx.Err() == nil {
		start := time.Now()
		_, st, err := c.poll(ctx, c.opts.PollWait)
		if err == nil {
			// A node without the long-poll extension answers at once with
			// nothing: poll such a node at an interval instead of in a tight
			// loop. (An answer with only config messages, such as this
			// account's own read marks, is the long poll working, and a
			// poll that extended the config messages was never held:
			// pausing then would delay the next message by the interval.)
			pace.answered(ctx, start, st.fetched == 0 && !st.unheld)
			continue
		}
		if ctx.Err() != nil {
			break
		}
		wait := pace.failed()
		c.log.Warn("receiving failed; will retry", "err", err, "in", wait)
		c.connMu.Lock()
		report := !c.offline
		c.offline = true
		c.connMu.Unlock()
		if report {
			// Once per outage: silence would look like an empty inbox.
			c.events.publish(ConnectionChanged{Connected: false, Err: err, RetryIn: wait})
		}
		sleepCtx(ctx, wait)
	}
	return nil
}

// retryLoop delivers messages left sending (after a crash) at once, then
// retries failed ones a few times, with a pause between rounds.
func (c *Client) retryLoop(ctx context.Context) {
	for {
		if err := c.RetryPending(ctx, 5); err != nil && ctx.Err() == nil {
			c.log.Warn("retrying unsent messages failed", "err", err)
		}
		// Seen hashes are kept until their message expires from the swarm;
		// after that no retrieve can return it again.
		if _, err := c.db.PruneSeen(ctx, c.now()); err != nil && ctx.Err() == nil {
			c.log.Warn("pruning seen message hashes failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(30 * time.Second):
		}
	}
}
