package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// MessageTTL is how long a message waits in the recipient's swarm (Session: 14 days).
const MessageTTL = 14 * 24 * time.Hour

// outgoingPayload is what a sending message keeps for delivery and retry:
// the encrypted message for the recipient's swarm and the sync copy for this
// account's own swarm (for its other devices).
type outgoingPayload struct {
	To   string `json:"to"`
	Data []byte `json:"data,omitempty"`
	Sync []byte `json:"sync,omitempty"`
	// Content is the message before its files were uploaded (a marshalled
	// signalpb.Content without attachment pointers); deliver uploads them,
	// then encodes Data and Sync and drops Content.
	Content []byte `json:"content,omitempty"`
}

// Resolve turns a Session ID, or a contact's nickname or display name, into
// a Session ID; or a group's ID or name into the group ID (03…).
func (c *Client) Resolve(ctx context.Context, who string) (string, error) {
	id, err := c.resolveConversation(ctx, who)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func (c *Client) resolve(ctx context.Context, who string) (keys.ID, error) {
	who = strings.TrimSpace(who)
	if id, err := keys.ParseSessionID(who); err == nil {
		return id, nil
	} else if len(who) == 2*keys.IDSize {
		return keys.ID{}, fmt.Errorf("%w: %w", ErrInvalidRecipient, err)
	}
	if strings.EqualFold(who, NoteToSelf) {
		// Before the contacts: a contact named so must not get the notes.
		return c.id.SessionID(), nil
	}
	cts, err := c.db.Contacts(ctx, clientdb.AllContacts)
	if err != nil {
		return keys.ID{}, err
	}
	// Only names the user chose or accepted count: nicknames, and display
	// names of approved contacts. A requester's display name is whatever a
	// stranger typed (one named like a contact must not receive what was
	// meant for the contact); requests are addressed by Session ID.
	var match []clientdb.Contact
	for _, pass := range []func(clientdb.Contact) bool{
		func(ct clientdb.Contact) bool { return ct.Nickname != "" && strings.EqualFold(ct.Nickname, who) },
		func(ct clientdb.Contact) bool {
			return ct.Approved && !ct.Blocked && ct.Nickname == "" && ct.Name != "" && strings.EqualFold(ct.Name, who)
		},
	} {
		for _, ct := range cts {
			if pass(ct) {
				match = append(match, ct)
			}
		}
		if len(match) > 0 {
			break
		}
	}
	switch len(match) {
	case 0:
		return keys.ID{}, fmt.Errorf("%w %q: not a Session ID (05 + 64 hex characters) and no contact has that name or nickname (message requests are named by Session ID)", ErrUnknownContact, who)
	case 1:
		return match[0].ID, nil
	}
	var cands []string
	for _, ct := range match {
		name := ct.Nickname
		if name == "" {
			name = ct.Name
		}
		cands = append(cands, ct.ID.String()+" ("+name+")")
	}
	return keys.ID{}, fmt.Errorf("%w %q: %d contacts have that name: %s; use the Session ID", ErrAmbiguousContact, who, len(match), strings.Join(cands, ", "))
}

// Send sends a text message to a Session ID or a contact's name. The message
// is saved as sending before any network I/O; when delivery fails it is kept
// as failed (the error wraps ErrSendFailed) and can be retried with Retry.
// Replying to a message request accepts it.
func (c *Client) Send(ctx context.Context, to, text string) (Message, error) {
	return c.SendFile(ctx, to, text)
}

// SendFile sends files (paths on this machine), with text as their caption
// (which may be empty when there are files). A file over MaxFileSize is
// refused before anything is stored or sent (ErrFileTooLarge). Each file is
// encrypted into the home (Session's deterministic format) and the message
// saved as sending before any network I/O; the files are then uploaded to
// the network's file server and the message sent. A failed upload keeps
// the message as failed, and Retry resumes it: files already uploaded are
// not uploaded again.
func (c *Client) SendFile(ctx context.Context, to, text string, paths ...string) (Message, error) {
	return c.send(ctx, to, text, clientdb.Quote{}, paths...)
}

// File is a file to send with SendFiles: its path and, for a picture or
// video whose size this library cannot read (a video, a WebP image), the
// size the caller measured (the app asks the browser), which receivers use
// to reserve its place before it is downloaded, as Session's do.
type File struct {
	Path          string
	Width, Height int
	// Legacy sends the file in Session's older format (AES-256-CBC and
	// HMAC-SHA256 with a random key, padding and a digest) instead of
	// libsession's deterministic one: for a recipient on an older Session
	// client that cannot read the newer format.
	Legacy bool
}

// SendFiles is SendFile with the files' picture sizes given (see File).
func (c *Client) SendFiles(ctx context.Context, to, text string, files ...File) (Message, error) {
	return c.sendFiles(ctx, to, text, clientdb.Quote{}, files, clientdb.LinkPreview{}, "")
}

// send sends text and files to to, quoting quote unless it is the zero
// Quote.
func (c *Client) send(ctx context.Context, to, text string, quote clientdb.Quote, paths ...string) (Message, error) {
	files := make([]File, len(paths))
	for i, p := range paths {
		files[i] = File{Path: p}
	}
	return c.sendFiles(ctx, to, text, quote, files, clientdb.LinkPreview{}, "")
}

// sendFiles sends text, files and a link preview (unless it is the zero
// LinkPreview; with the picture at previewImage unless that is "") to to,
// quoting quote unless it is the zero Quote.
func (c *Client) sendFiles(ctx context.Context, to, text string, quote clientdb.Quote, fs []File, preview clientdb.LinkPreview, previewImage string) (Message, error) {
	paths := make([]string, len(fs))
	for i, f := range fs {
		paths[i] = f.Path
	}
	if text == "" && len(paths) == 0 {
		return Message{}, ErrEmptyMessage
	}
	if err := CheckFiles(paths); err != nil {
		return Message{}, err
	}
	if len(text) > MaxMessageBytes {
		return Message{}, fmt.Errorf("%w: %d bytes, the limit is 32 KiB (%d bytes)", ErrMessageTooLong, len(text), MaxMessageBytes)
	}
	if !utf8.ValidString(text) {
		return Message{}, ErrInvalidText
	}
	recipient, err := c.resolveConversation(ctx, to)
	if err != nil {
		return Message{}, err
	}
	group := recipient.Prefix == keys.PrefixGroup
	if group {
		c.groupMu.Lock()
		_, err := c.joinedGroup(ctx, recipient.String())
		c.groupMu.Unlock()
		if err != nil {
			return Message{}, err
		}
	}
	if group {
		c.unhideGroup(ctx, recipient)
	} else if err := c.unhide(ctx, recipient); err != nil {
		return Message{}, err
	}
	if cv, err := c.db.Conversation(ctx, recipient); err == nil && cv.Request && !group {
		// Accepted here even when the network is down: the message itself
		// is then kept as failed and retried, and tells them anyway.
		if err := c.Accept(ctx, recipient.String()); err != nil && !errors.Is(err, ErrNotSynced) {
			return Message{}, err
		}
	}
	net, err := c.network()
	if err != nil {
		return Message{}, err
	}
	sentAt := c.sentTime(net.Now())
	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{Profile: c.profile()}}
	if pic := c.profilePic(); pic.IsSet() {
		content.DataMessage.ProfileKey = pic.Key
	}
	if text != "" {
		content.DataMessage.Body = proto.String(text)
	}
	content.DataMessage.Preview = previewPointer(preview)
	expiry, err := c.expiryFor(ctx, recipient)
	if err != nil {
		return Message{}, err
	}
	setExpiry(content, expiry)
	if !quote.SentAt.IsZero() {
		content.DataMessage.Quote = &signalpb.DataMessage_Quote{
			Id:     proto.Uint64(uint64(quote.SentAt.UnixMilli())),
			Author: proto.String(quote.Author.String()),
		}
	}
	var files []clientdb.Attachment
	for _, p := range fs {
		a, err := c.prepareFile(p)
		if err != nil {
			c.removeBlobs(files)
			return Message{}, err
		}
		files = append(files, a)
	}
	if previewImage != "" {
		a, err := c.prepareFile(File{Path: previewImage})
		if err == nil && !inlineImage(a.ContentType) {
			c.removeBlobs([]clientdb.Attachment{a})
			err = fmt.Errorf("%w: the preview's picture is not a PNG, JPEG, GIF or WebP image", ErrPreviewLink)
		}
		if err != nil {
			c.removeBlobs(files)
			return Message{}, err
		}
		a.FileName = ""
		preview.Image = &a
	}
	var payload outgoingPayload
	if len(files) == 0 && preview.Image == nil && !group {
		if payload, err = c.encode(recipient, content, sentAt); err != nil {
			return Message{}, err
		}
	} else {
		payload.To = recipient.String()
		if payload.Content, err = proto.Marshal(content); err != nil {
			return Message{}, err
		}
	}
	pb, err := json.Marshal(payload)
	if err != nil {
		return Message{}, err
	}
	if recipient != c.id.SessionID() && !group {
		// Writing to someone approves them, and shows their conversation
		// again if it was hidden, on every device.
		if cur, err := c.db.Contact(ctx, recipient); err == nil && cur.Priority < 0 {
			if err := c.db.SetPriority(ctx, recipient, priorityNormal); err != nil {
				return Message{}, err
			}
		}
		if err := c.contactEdit(ctx, recipient, func(ct *config.Contact) {
			ct.Approved = true
			if ct.Priority < 0 {
				ct.Priority = priorityNormal
			}
			if cur, err := c.db.Contact(ctx, recipient); err == nil && ct.Name == "" {
				ct.Name = cur.Name
			}
		}); err != nil && !errors.Is(err, ErrNotSynced) {
			return Message{}, err
		}
	}
	id, err := c.db.InsertOutgoing(ctx, clientdb.Message{
		Conversation: recipient, Sender: c.id.SessionID(), Direction: clientdb.Outgoing,
		Status: clientdb.StatusSending, SentAt: sentAt, Body: text, Payload: pb, Attachments: files, Quote: quote, Expiry: expiry,
		LinkPreview: preview,
	})
	if err != nil {
		c.removeBlobs(files)
		if preview.Image != nil {
			c.removeBlobs([]clientdb.Attachment{*preview.Image})
		}
		return Message{}, err
	}
	return c.deliver(ctx, id)
}

// sentTime dates a message sent now (network time): to the millisecond,
// and after the last message this client dated. Network time is the local
// clock plus the median of recent offset samples, which jitters by a few
// milliseconds as samples come in (more so with the recipient and sync
// stores in flight together); messages sent in a row must still be shown
// in the order they were sent.
func (c *Client) sentTime(now time.Time) time.Time {
	t := now.Truncate(time.Millisecond)
	c.sentMu.Lock()
	defer c.sentMu.Unlock()
	if !t.After(c.lastSent) {
		t = c.lastSent.Add(time.Millisecond)
	}
	c.lastSent = t
	return t
}

// removeBlobs deletes the encrypted copies of files that were not stored.
func (c *Client) removeBlobs(files []clientdb.Attachment) {
	for _, a := range files {
		if a.Blob != "" {
			os.Remove(filepath.Join(c.opts.Home, attachmentsDir, a.Blob))
		}
	}
}

func (c *Client) profile() *signalpb.LokiProfile {
	if c.name == "" {
		return nil
	}
	p := &signalpb.LokiProfile{DisplayName: proto.String(c.name)}
	// Session's clients apply a profile only when it is newer than the one
	// they hold: without the time, a name change would not reach them.
	c.cfg.mu.Lock()
	updated := c.cfg.profile.ProfileUpdated()
	c.cfg.mu.Unlock()
	if !updated.IsZero() {
		p.LastProfileUpdateSeconds = proto.Uint64(uint64(updated.Unix()))
	}
	if pic := c.profilePic(); pic.IsSet() {
		p.ProfilePicture = proto.String(pic.URL) // its key goes in DataMessage.profileKey
	}
	return p
}

// encode encrypts content for recipient and, unless the recipient is this
// account, a sync copy (syncTarget = recipient) for this account's other devices.
func (c *Client) encode(recipient keys.ID, content *signalpb.Content, sentAt time.Time) (outgoingPayload, error) {
	// The signed copy of the sent time, which receivers check the
	// envelope's (unsigned) time against, as Session's clients do.
	content = proto.Clone(content).(*signalpb.Content)
	content.SigTimestamp = proto.Uint64(uint64(sentAt.UnixMilli()))
	data, err := protocol.EncodeMessage(c.id, recipient, content, sentAt)
	if err != nil {
		return outgoingPayload{}, err
	}
	p := outgoingPayload{To: recipient.String(), Data: data}
	if recipient != c.id.SessionID() && content.DataMessage != nil {
		sync := proto.Clone(content).(*signalpb.Content)
		sync.DataMessage.SyncTarget = proto.String(recipient.String())
		if p.Sync, err = protocol.EncodeMessage(c.id, c.id.SessionID(), sync, sentAt); err != nil {
			return outgoingPayload{}, err
		}
	}
	return p, nil
}

// Retry sends a failed (or stuck) message again.
func (c *Client) Retry(ctx context.Context, id int64) (Message, error) {
	m, err := c.db.Message(ctx, id)
	if errors.Is(err, clientdb.ErrNotFound) {
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Message{}, err
	}
	switch m.Status {
	case clientdb.StatusFailed:
		// Files uploaded by an earlier attempt may have expired since.
		if err := c.putBack(ctx, m, false); err != nil {
			c.log.Debug("checking a failed message's files", "message", id, "err", err)
		}
		if err := c.db.RetryOutgoing(ctx, id); err != nil {
			return Message{}, err
		}
	case clientdb.StatusSending:
	default:
		return messageFrom(m), fmt.Errorf("%w: message %d is %s", ErrNotFailed, id, m.Status)
	}
	return c.deliver(ctx, id)
}

// RetryPending delivers every message still sending (after a crash, say) and
// retries failed ones that have been tried fewer than maxAttempts times.
// If any of them still could not be sent, the error wraps ErrSendFailed.
func (c *Client) RetryPending(ctx context.Context, maxAttempts int) error {
	pending, err := c.db.PendingOutgoing(ctx)
	if err != nil {
		return err
	}
	var errs []error
	if err := c.flushSyncQueue(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := c.flushExpiries(ctx); err != nil {
		errs = append(errs, err)
	}
	tried, failed := 0, 0
	for _, m := range pending {
		if m.Status == clientdb.StatusFailed && m.Attempts >= maxAttempts {
			continue
		}
		tried++
		if _, err := c.Retry(ctx, m.ID); errors.Is(err, ErrSendFailed) {
			failed++
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	if failed > 0 {
		// Never report success for what did not go out.
		errs = append(errs, fmt.Errorf("%w: %d of %d messages", ErrSendFailed, failed, tried))
	}
	return errors.Join(errs...)
}

// deliver stores a sending message's payload in the recipient's swarm and
// its sync copy in this account's swarm, then marks it sent, or failed.
func (c *Client) deliver(ctx context.Context, id int64) (Message, error) {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	m, err := c.db.Message(ctx, id)
	if err != nil {
		return Message{}, err
	}
	if m.Status != clientdb.StatusSending {
		return messageFrom(m), nil
	}
	var p outgoingPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.To == "" {
		return c.fail(ctx, m, errors.New("message has no stored payload"))
	}
	to, err := keys.ParseID(p.To)
	if err != nil {
		return c.fail(ctx, m, err)
	}
	if to.Prefix == keys.PrefixGroup {
		return c.deliverGroup(ctx, m, to, p) // see groupsend.go
	}
	if to.Prefix != keys.PrefixStandard {
		return c.fail(ctx, m, fmt.Errorf("cannot send to %s", ShortID(p.To)))
	}
	if len(p.Data) == 0 {
		// Files first: upload what is not yet uploaded, then encode the
		// message with their pointers and keep that for retries.
		if len(p.Content) == 0 {
			return c.fail(ctx, m, errors.New("message has no stored payload"))
		}
		as, err := c.uploadAttachments(ctx, id, to.String())
		if err != nil {
			return c.fail(ctx, m, err)
		}
		content := &signalpb.Content{}
		if err := proto.Unmarshal(p.Content, content); err != nil || content.DataMessage == nil {
			return c.fail(ctx, m, errors.New("message has a damaged stored payload"))
		}
		setPointers(content.DataMessage, as)
		if p, err = c.encode(to, content, m.SentAt); err != nil {
			return c.fail(ctx, m, err)
		}
		pb, err := json.Marshal(p)
		if err != nil {
			return c.fail(ctx, m, err)
		}
		if err := c.db.SetPayload(ctx, id, pb); err != nil {
			return Message{}, err
		}
	}
	// The recipient copy and the sync copy go to different swarms and do not
	// depend on each other: store them concurrently so a send costs one
	// round trip, not two. A sync copy stored for a message whose recipient
	// copy then failed is harmless: the retry stores the same bytes, which
	// the node deduplicates by hash.
	syncErr := make(chan error, 1)
	if len(p.Sync) > 0 {
		go func() {
			_, err := c.store(ctx, c.id.SessionID(), 0, p.Sync, ownTTL(m.Expiry))
			syncErr <- err
		}()
	}
	hash, err := c.store(ctx, to, 0, p.Data, ttlFor(m.Expiry))
	if len(p.Sync) > 0 {
		serr := <-syncErr
		if err != nil {
			return c.fail(ctx, m, err)
		}
		if err := serr; err != nil {
			// The recipient has it; only the copy for our other devices is
			// missing. Queue the copy, retried by RetryPending, and report the
			// message as sent.
			c.log.Warn("sync copy not stored; queued for retry", "message", id, "err", err)
			if qerr := c.queueSync(ctx, p.Sync); qerr != nil {
				return c.fail(ctx, m, err)
			}
		}
	} else if err != nil {
		return c.fail(ctx, m, err)
	}
	if err := c.db.MarkSent(ctx, id, hash); err != nil {
		return Message{}, err
	}
	if len(p.Sync) > 0 {
		// The sync copy's hash, which deleting for everyone deletes from
		// this account's swarm.
		if err := c.db.SetOwnHash(ctx, id, storagerpc.MessageHash(c.id.SessionID(), 0, p.Sync)); err != nil {
			return Message{}, err
		}
	}
	m, err = c.db.Message(ctx, id)
	if err != nil {
		return Message{}, err
	}
	out := c.messageWithFiles(ctx, messageFrom(m))
	c.events.publish(MessageStatusChanged{out})
	return out, nil
}

func (c *Client) fail(ctx context.Context, m clientdb.Message, cause error) (Message, error) {
	if err := c.db.MarkFailed(ctx, m.ID, cause.Error()); err != nil {
		return Message{}, err
	}
	if fresh, err := c.db.Message(ctx, m.ID); err == nil {
		m = fresh
	}
	out := c.messageWithFiles(ctx, messageFrom(m))
	c.events.publish(MessageStatusChanged{out})
	return out, fmt.Errorf("%w: %v", ErrSendFailed, cause)
}

// store stores data in account's swarm and returns the message hash.
func (c *Client) store(ctx context.Context, account keys.ID, ns storagerpc.Namespace, data []byte, ttl time.Duration) (string, error) {
	net, err := c.network()
	if err != nil {
		return "", err
	}
	status, body, err := net.SwarmRPC(ctx, account, func(now time.Time) (string, any, error) {
		req := &storagerpc.Store{Auth: storagerpc.Auth{Pubkey: account}, Namespace: ns,
			Timestamp: now.UnixMilli(), TTL: ttl.Milliseconds(), Data: data}
		if ns.StoreNeedsAuth() {
			storagerpc.Sign(req, c.id)
		}
		return storagerpc.MethodStore, req, nil
	})
	if err != nil {
		return "", err
	}
	return storeReply(status, body, storagerpc.MessageHash(account, ns, data))
}

// storeReply reads a node's answer to store of a message whose hash is
// want. It reads only what it needs (the hash) and tolerates the rest, as a
// real storage server writes it: peers' flags as 1 and their error codes as
// strings. The store counts as done when the node answered 200 (Session's
// storage server does so when at least one swarm member stored it).
func storeReply(status int, body []byte, want string) (string, error) {
	if status != 200 {
		return "", fmt.Errorf("store: node answered %d: %.200q", status, body)
	}
	var resp struct {
		Hash  string                            `json:"hash"`
		Swarm map[string]storagerpc.StoreResult `json:"swarm"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		// The node said 200: a member holds the message. A field we
		// cannot read must not turn a delivered message into a failed one,
		// so only the hash is read again, alone.
		var h struct {
			Hash string `json:"hash"`
		}
		if json.Unmarshal(body, &h) != nil {
			return "", fmt.Errorf("store: bad reply: %w", err)
		}
		resp.Hash, resp.Swarm = h.Hash, nil
	}
	if resp.Hash != "" && resp.Hash != want {
		return "", fmt.Errorf("store: node reported hash %q, want %q", resp.Hash, want)
	}
	for _, r := range resp.Swarm {
		if r.Hash != "" && r.Hash != want {
			return "", fmt.Errorf("store: a swarm member reported hash %q, want %q", r.Hash, want)
		}
	}
	return want, nil
}

// kvSyncQueue holds sync copies whose store failed after the recipient's
// copy was delivered.
const kvSyncQueue = "pending_sync_copies"

func (c *Client) queueSync(ctx context.Context, data []byte) error {
	var q [][]byte
	if b, err := c.db.Get(ctx, kvSyncQueue); err == nil {
		_ = json.Unmarshal(b, &q)
	}
	q = append(q, data)
	b, err := json.Marshal(q)
	if err != nil {
		return err
	}
	return c.db.Put(ctx, kvSyncQueue, b)
}

func (c *Client) flushSyncQueue(ctx context.Context) error {
	b, err := c.db.Get(ctx, kvSyncQueue)
	if err != nil {
		return nil
	}
	var q, left [][]byte
	if json.Unmarshal(b, &q) != nil || len(q) == 0 {
		return nil
	}
	var last error
	for _, data := range q {
		if _, err := c.store(ctx, c.id.SessionID(), 0, data, MessageTTL); err != nil {
			left = append(left, data)
			last = err
		}
	}
	nb, _ := json.Marshal(left)
	if err := c.db.Put(ctx, kvSyncQueue, nb); err != nil {
		return err
	}
	return last
}
