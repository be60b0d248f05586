package client

import (
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
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
)

// Account state shared by an account's devices travels as Session's config
// messages (libsession's UserProfile, Contacts, ConvoInfoVolatile and
// UserGroups) in namespaces 2–5 of the account's own swarm. Every local
// change updates the config object and pushes it; every poll merges what
// other devices pushed and applies the result to the local database.

// ConfigTTL is how long a config message lives in the swarm (Session: 30 days).
const ConfigTTL = 30 * 24 * time.Hour

// configObject is the life cycle every config type shares.
type configObject interface {
	Namespace() config.Namespace
	NeedsPush() bool
	NeedsDump() bool
	Push() (*config.Pushed, error)
	ConfirmPushed(seqno int64, hash string)
	Merge(msgs []config.Received) []string
	Dump() []byte
	CurrentHashes() []string
}

// configs holds the account's config objects. They are not safe for
// concurrent use, so every access holds mu.
type configs struct {
	mu       sync.Mutex
	profile  *config.UserProfile
	contacts *config.Contacts
	convos   *config.ConvoInfoVolatile
	groups   *config.UserGroups

	// added numbers the requesters this process added to the contacts,
	// in order, for leaving the oldest out first when there is no room.
	added map[keys.ID]int64
	// addedGroups does the same for the group invitations from strangers
	// listed in the UserGroups config (grouplist_fit.go).
	addedGroups map[keys.ID]int64
}

func (cs *configs) all() []configObject {
	return []configObject{cs.profile, cs.contacts, cs.convos, cs.groups}
}

// configNamespaces are polled before namespace 0, so that a restored device
// knows its contacts before it sees their old messages.
var configNamespaces = []storagerpc.Namespace{
	storagerpc.NamespaceUserProfile, storagerpc.NamespaceContacts,
	storagerpc.NamespaceConvoInfoVolatile, storagerpc.NamespaceUserGroups,
}

func dumpKey(ns config.Namespace) string { return "config_dump/" + strconv.Itoa(int(ns)) }

func loadConfigs(ctx context.Context, db *clientdb.DB, id *keys.Identity) (*configs, error) {
	dump := func(ns config.Namespace) []byte {
		b, err := db.Get(ctx, dumpKey(ns))
		if err != nil {
			return nil
		}
		return b
	}
	cs := &configs{}
	var err error
	if cs.profile, err = config.NewUserProfile(id, dump(config.NamespaceUserProfile)); err != nil {
		return nil, fmt.Errorf("user profile config: %w", err)
	}
	if cs.contacts, err = config.NewContacts(id, dump(config.NamespaceContacts)); err != nil {
		return nil, fmt.Errorf("contacts config: %w", err)
	}
	if cs.convos, err = config.NewConvoInfoVolatile(id, dump(config.NamespaceConvoInfoVolatile)); err != nil {
		return nil, fmt.Errorf("conversation config: %w", err)
	}
	if cs.groups, err = config.NewUserGroups(id, dump(config.NamespaceUserGroups)); err != nil {
		return nil, fmt.Errorf("groups config: %w", err)
	}
	return cs, nil
}

// saveDumps persists the configs that changed. Call with cs.mu held.
func (c *Client) saveDumps(ctx context.Context) error {
	var errs []error
	for _, o := range c.cfg.all() {
		if o.NeedsDump() {
			errs = append(errs, c.db.Put(ctx, dumpKey(o.Namespace()), o.Dump()))
		}
	}
	return errors.Join(errs...)
}

// editConfig applies edit to the configs, saves them and pushes what
// changed. When the push fails the change stays saved (NeedsPush survives
// in the dump, so a later poll pushes it) and the error wraps
// ErrNotSynced: the caller must not report that other devices know.
func (c *Client) editConfig(ctx context.Context, edit func(cs *configs) error) error {
	if err := c.editConfigLocal(ctx, edit); err != nil {
		return err
	}
	return c.pushEdited(ctx)
}

// pushEdited pushes configs edited with editConfigLocal, with editConfig's
// errors.
func (c *Client) pushEdited(ctx context.Context) error {
	if c.NetworkFile() == "" {
		return fmt.Errorf("%w: %w", ErrNotSynced, ErrNoNetwork)
	}
	if perr := c.pushConfigs(ctx); errors.Is(perr, ErrContactsFull) {
		// Saved here, but it cannot reach the other devices: say so.
		return contactsFullError{perr}
	} else if perr != nil {
		c.log.Warn("config push failed; will retry on the next poll", "err", perr)
		return fmt.Errorf("%w: %w", ErrNotSynced, perr)
	}
	return nil
}

// contactsFullError is a change saved on this device that cannot be synced
// because the contact list is full: it is ErrNotSynced, with its own
// reason.
type contactsFullError struct{ err error }

func (e contactsFullError) Error() string   { return "saved on this device only: " + e.err.Error() }
func (e contactsFullError) Unwrap() []error { return []error{ErrNotSynced, e.err} }

// editConfigLocal applies edit and saves the configs without pushing: the
// receive loop pushes once at the end of a poll.
func (c *Client) editConfigLocal(ctx context.Context, edit func(cs *configs) error) error {
	c.cfg.mu.Lock()
	err := edit(c.cfg)
	if serr := c.saveDumps(ctx); err == nil {
		err = serr
	}
	c.cfg.mu.Unlock()
	return err
}

// pushConfigs stores every config that needs it in the account's swarm,
// deletes the messages it supersedes and confirms the push.
func (c *Client) pushConfigs(ctx context.Context) error {
	c.pushMu.Lock()
	defer c.pushMu.Unlock()
	var errs []error
	for _, o := range c.cfg.all() {
		c.cfg.mu.Lock()
		if !o.NeedsPush() {
			c.cfg.mu.Unlock()
			continue
		}
		var dropped []keys.ID
		droppedGroups := 0
		if o == configObject(c.cfg.groups) {
			var err error
			if droppedGroups, err = c.fitGroups(); err != nil {
				c.cfg.mu.Unlock()
				errs = append(errs, err)
				continue
			}
		}
		if o == configObject(c.cfg.contacts) {
			var err error
			if dropped, err = c.fitContacts(); err != nil {
				c.cfg.mu.Unlock()
				errs = append(errs, err)
				continue
			}
		}
		p, err := o.Push()
		c.cfg.mu.Unlock()
		if len(dropped) > 0 {
			c.forgetConfigContacts(ctx, dropped)
			c.warn(fmt.Sprintf("the synced contact list is full: %d older message requests are kept on this device only", len(dropped)))
		}
		if droppedGroups > 0 {
			c.warn("the synced group list is full: older group invitations are kept on this device only")
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ns := storagerpc.Namespace(o.Namespace())
		hash, err := c.store(ctx, c.id.SessionID(), ns, p.Data, ConfigTTL)
		if err != nil {
			errs = append(errs, fmt.Errorf("pushing config %d: %w", ns, err))
			continue
		}
		c.cfg.mu.Lock()
		o.ConfirmPushed(p.Seqno, hash)
		err = c.saveDumps(ctx)
		c.cfg.mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		if len(p.Obsolete) > 0 {
			if err := c.deleteOwn(ctx, p.Obsolete); err != nil {
				c.log.Debug("deleting obsolete config messages failed", "err", err)
			}
		}
	}
	return errors.Join(errs...)
}

// configBumpInterval is how often a running client extends config messages
// it has already extended. Session's clients extend them with every poll,
// every few seconds; a poll of ours is a long poll that a batch carrying an
// expire cannot be (the node answers it at once), so ours extend them when
// they change and then hourly, which keeps them 30 days from the last use
// all the same.
const configBumpInterval = time.Hour

// configBump is the expire request that extends the current config
// messages to ConfigTTL from now: account state lives in the swarm as long
// as the account is used, not 30 days from its last change. It is nil when
// no hash is known yet, or when these hashes were extended less than
// configBumpInterval ago.
func (c *Client) configBump(now time.Time) *storagerpc.Expire {
	var hashes []string
	c.cfg.mu.Lock()
	for _, o := range c.cfg.all() {
		hashes = append(hashes, o.CurrentHashes()...)
	}
	c.cfg.mu.Unlock()
	if len(hashes) == 0 {
		return nil
	}
	c.bumpMu.Lock()
	recent := slices.Equal(hashes, c.bumpedHashes) && now.Sub(c.bumpedAt) < configBumpInterval
	c.bumpMu.Unlock()
	if recent {
		return nil
	}
	r := &storagerpc.Expire{Messages: hashes, Expiry: []int64{now.Add(ConfigTTL).UnixMilli()}}
	storagerpc.Sign(r, c.id)
	return r
}

// configBumped records that the node extended the config messages of r.
func (c *Client) configBumped(r *storagerpc.Expire) {
	c.bumpMu.Lock()
	defer c.bumpMu.Unlock()
	c.bumpedHashes, c.bumpedAt = slices.Clone(r.Messages), c.now()
}

// deleteOwn deletes messages from the account's swarm.
func (c *Client) deleteOwn(ctx context.Context, hashes []string) error {
	net, err := c.network()
	if err != nil {
		return err
	}
	status, body, err := net.SwarmRPC(ctx, c.id.SessionID(), func(time.Time) (string, any, error) {
		r := &storagerpc.Delete{Messages: hashes}
		storagerpc.Sign(r, c.id)
		return storagerpc.MethodDelete, r, nil
	})
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("delete: node answered %d: %.200s", status, body)
	}
	return nil
}

// mergeConfigs merges config messages retrieved from namespace ns and
// applies the merged state to the database.
func (c *Client) mergeConfigs(ctx context.Context, ns storagerpc.Namespace, msgs []storagerpc.RetrievedMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	recv := make([]config.Received, len(msgs))
	for i, m := range msgs {
		recv[i] = config.Received{Hash: m.Hash, Data: m.Data}
	}
	c.cfg.mu.Lock()
	var obj configObject
	for _, o := range c.cfg.all() {
		if storagerpc.Namespace(o.Namespace()) == ns {
			obj = o
		}
	}
	if obj == nil {
		c.cfg.mu.Unlock()
		return nil
	}
	accepted := obj.Merge(recv)
	err := c.saveDumps(ctx)
	var apply func() error
	if len(accepted) > 0 {
		apply = c.applyConfig(ctx, ns)
	}
	c.cfg.mu.Unlock()
	if err != nil {
		return err
	}
	if apply != nil {
		return apply()
	}
	return nil
}

// applyConfig snapshots the merged state of namespace ns (cs.mu held) and
// returns a function that writes it to the database (run without the lock).
func (c *Client) applyConfig(ctx context.Context, ns storagerpc.Namespace) func() error {
	switch ns {
	case storagerpc.NamespaceUserProfile:
		name := c.cfg.profile.Name()
		return func() error {
			if name == "" || name == c.name {
				return nil
			}
			if err := c.db.SetDisplayName(ctx, name); err != nil {
				return err
			}
			c.name = name
			return nil
		}
	case storagerpc.NamespaceContacts:
		cts := c.cfg.contacts.All()
		size, _ := c.cfg.contacts.PushSize()
		return func() error { return c.applyContacts(ctx, cts, size > nearlyFull) }
	case storagerpc.NamespaceUserGroups:
		// No snapshot: applyUserGroups reads the config under its locks
		// (a leave between this merge and the apply must not be undone).
		return func() error { return c.applyUserGroups(ctx) } // see groups.go
	case storagerpc.NamespaceConvoInfoVolatile:
		// No snapshot: applyConvoMarks reads the config under its lock (a
		// mark made here between this merge and the apply must not be
		// undone by the older merged one).
		return func() error { return c.applyConvoMarks(ctx) }
	}
	return nil
}

// applyConvoMarks writes the merged ConvoInfoVolatile config's read and
// unread marks to the database. The config is read and the marks written
// under cfg.mu, as MarkRead and MarkUnread write theirs: a mark made on
// this device is then either all before the apply (and in the config it
// reads) or all after it, and the newest mark wins. Call without cfg.mu.
func (c *Client) applyConvoMarks(ctx context.Context) error {
	var errs []error
	var started []clientdb.SwarmExpiry
	c.cfg.mu.Lock()
	convos := append(c.cfg.convos.All1to1(), c.cfg.convos.AllGroups()...)
	if c.onConvoApply != nil {
		c.onConvoApply(convos)
	}
	for _, cv := range convos {
		if cv.LastRead > 0 {
			err := c.db.MarkRead(ctx, cv.SessionID, time.UnixMilli(cv.LastRead))
			if err != nil && !errors.Is(err, clientdb.ErrNotFound) {
				errs = append(errs, err)
			}
			// Read on another device: the after-read timers run here too.
			s, err := c.db.StartReadTimers(ctx, cv.SessionID, time.UnixMilli(cv.LastRead), time.Now())
			if err != nil {
				errs = append(errs, err)
			}
			started = append(started, s...)
		}
		err := c.db.SetMarkedUnread(ctx, cv.SessionID, cv.Unread)
		if err != nil && !errors.Is(err, clientdb.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	c.cfg.mu.Unlock()
	c.shortenSwarm(ctx, started) // network I/O: not under the lock
	return errors.Join(errs...)
}

// applyContacts makes the database's contacts match the merged contacts
// config: every contact there is upserted with its flags and names, and a
// pending request that another device declined (gone from the config) is
// removed here too, unless the config is nearly full (then requests may
// have been left out of it for room, and their absence means nothing). An
// entry that cannot be stored is skipped with a warning: one bad entry
// must not stop the others, nor fail every poll.
func (c *Client) applyContacts(ctx context.Context, cts []config.Contact, full bool) error {
	var errs []error
	inConfig := map[keys.ID]bool{}
	for _, ct := range cts {
		if ct.SessionID == c.id.SessionID() {
			continue
		}
		inConfig[ct.SessionID] = true
		cur, err := c.db.Contact(ctx, ct.SessionID)
		if err != nil && !errors.Is(err, clientdb.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		name, fixed := cleanName(ct.Name)
		nick, fixedNick := cleanName(ct.Nickname)
		if fixed || fixedNick {
			c.warn(fmt.Sprintf("repaired a name in the synced contact list (%s)", ShortID(ct.SessionID.String())))
		}
		next := clientdb.Contact{
			ID: ct.SessionID, Name: name, Nickname: nick,
			Approved: ct.Approved, ApprovedMe: ct.ApprovedMe, Blocked: ct.Blocked, Priority: ct.Priority, Created: cur.Created,
		}
		if next.Name == "" {
			next.Name = cur.Name
		}
		if err == nil && next == cur {
			continue // unchanged: no write
		}
		if err := c.db.UpsertContact(ctx, next); poison(err) {
			c.warn(fmt.Sprintf("skipped an entry of the synced contact list that cannot be stored (%s): %v", ShortID(ct.SessionID.String()), err))
			continue
		} else if err != nil {
			errs = append(errs, err)
			continue
		}
		if ct.Approved {
			if err := c.db.AcceptRequest(ctx, ct.SessionID); err != nil &&
				!errors.Is(err, clientdb.ErrNotFound) && !errors.Is(err, clientdb.ErrNotRequest) {
				errs = append(errs, err)
			}
		}
	}
	if full {
		return errors.Join(errs...)
	}
	// Only contacts this device saw in the config can have been declined
	// elsewhere; one this device has not pushed yet was never listed, and
	// stays.
	for id := range c.seenConfigContacts(ctx) {
		cid, err := keys.ParseSessionID(id)
		if err != nil || inConfig[cid] {
			continue
		}
		ct, err := c.db.Contact(ctx, cid)
		if err != nil || ct.Approved || ct.Blocked {
			continue
		}
		if cv, err := c.db.Conversation(ctx, cid); err == nil && cv.Request {
			errs = append(errs, c.db.DeclineRequest(ctx, cid))
		}
	}
	return errors.Join(errs...)
}

// kvSeenContacts lists every contact this device has seen in the contacts
// config, so that a disappearance means a decline elsewhere.
const kvSeenContacts = "config_seen_contacts"

func (c *Client) seenConfigContacts(ctx context.Context) map[string]bool {
	seen := map[string]bool{}
	if b, err := c.db.Get(ctx, kvSeenContacts); err == nil {
		var ids []string
		_ = json.Unmarshal(b, &ids)
		for _, id := range ids {
			seen[id] = true
		}
	}
	return seen
}

// forgetConfigContacts removes ids from the seen set: they were left out
// of the config for room, not declined.
func (c *Client) forgetConfigContacts(ctx context.Context, ids []keys.ID) {
	seen := c.seenConfigContacts(ctx)
	for _, id := range ids {
		delete(seen, id.String())
	}
	c.saveSeenContacts(ctx, seen)
}

// rememberConfigContacts adds the config's contacts to the seen set,
// writing only when it grew.
func (c *Client) rememberConfigContacts(ctx context.Context) {
	seen := c.seenConfigContacts(ctx)
	grew := false
	c.cfg.mu.Lock()
	for _, ct := range c.cfg.contacts.All() {
		if id := ct.SessionID.String(); !seen[id] {
			seen[id], grew = true, true
		}
	}
	c.cfg.mu.Unlock()
	if grew {
		c.saveSeenContacts(ctx, seen)
	}
}

func (c *Client) saveSeenContacts(ctx context.Context, seen map[string]bool) {
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if b, err := json.Marshal(ids); err == nil {
		_ = c.db.Put(ctx, kvSeenContacts, b)
	}
}

// contactEdit changes one contact in the contacts config.
func (c *Client) contactEdit(ctx context.Context, id keys.ID, edit func(ct *config.Contact)) error {
	return c.contactEditWith(ctx, c.editConfig, id, edit)
}

func (c *Client) contactEditWith(ctx context.Context, apply func(context.Context, func(*configs) error) error, id keys.ID, edit func(ct *config.Contact)) error {
	if id == c.id.SessionID() {
		return nil
	}
	return apply(ctx, func(cs *configs) error {
		ct := cs.contacts.GetOrConstruct(id)
		edit(&ct)
		if ct.Created == 0 {
			ct.Created = time.Now().Unix()
		}
		return cs.contacts.Set(ct)
	})
}
