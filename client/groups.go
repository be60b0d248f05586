package client

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
	"github.com/session-go/session-go/internal/storagerpc"
)

// Groups (Session's groups v2, 03… IDs). An admin creates a group, whose
// key message and signed Info and Members configs go to the group's own
// swarm, and invites members 1:1; an invitation from an approved contact
// is joined at once, one from anyone else waits as a message request.
// Members read and write the group's swarm through their subaccounts; its
// messages are saved as a conversation keyed by the group ID (see
// grouppoll.go and groupsend.go). Removing a member, or a member leaving,
// rotates the key and revokes the member's token. The group list travels
// to the account's other devices through UserGroups (namespace 5).

// ErrUnknownGroup reports a group this account is not in.
var ErrUnknownGroup = errors.New("unknown group")

// ErrNotGroupAdmin reports an admin operation by a member.
var ErrNotGroupAdmin = errors.New("only a group admin can do that")

// Group is a group this account is in (or is invited to).
type Group struct {
	// ID is the group ID (03…).
	ID string `json:"group_id"`
	// Name is the group name as last read.
	Name string `json:"name"`
	// Admin says this account holds the group key.
	Admin bool `json:"admin"`
	// Invited says the invitation came from someone not approved and
	// waits for [Client.AcceptGroup].
	Invited bool `json:"invited,omitempty"`
	// InvitedBy is who sent the invitation.
	InvitedBy string `json:"invited_by,omitempty"`
	// Removed says an admin removed this account: the group's swarm
	// refuses its token. The history stays; LeaveGroup forgets it.
	Removed bool `json:"removed,omitempty"`
	// Hidden says the user hid the group's conversation (priority below
	// 0 in the synced UserGroups config): it leaves the conversation
	// list until its next message. Set by Groups only.
	Hidden bool `json:"hidden,omitempty"`
}

// GroupMember is one member as the group's Members config lists them.
type GroupMember struct {
	SessionID string `json:"session_id"`
	Name      string `json:"name"`
	Admin     bool   `json:"admin"`
	// Status is libsession's consolidated status, e.g. "invite_sent".
	Status string `json:"status"`
}

// GroupMessage is one message of a group.
type GroupMessage struct {
	From   string    `json:"from"`
	Body   string    `json:"body"`
	SentAt time.Time `json:"sent_at"`
	Hash   string    `json:"hash"`
}

// groupState is what this device keeps of a group (KV "group/<id>").
type groupState struct {
	Group
	Seed    []byte `json:"seed,omitempty"` // admins: the group seed
	Auth    []byte `json:"auth,omitempty"` // members: subaccount auth data
	Keys    []byte `json:"keys,omitempty"` // key ring dump
	Info    []byte `json:"info,omitempty"`
	Members []byte `json:"members,omitempty"`
	// Leavers (admins) are members whose member-left message came and
	// who are still to be removed (removeLeavers).
	Leavers []string `json:"leavers,omitempty"`
	// Accepted (admins) are invited members whose acceptance came and
	// is still to be recorded in Members (settleMembers).
	Accepted []string `json:"accepted,omitempty"`
	// Respond says this account joined and still owes the group its
	// invite response (settleMembers).
	Respond bool `json:"respond,omitempty"`
	// Names are the display names members gave with their messages
	// (Session ID → name), at most maxGroupNames.
	Names map[string]string `json:"names,omitempty"`
	// DeletedBefore and FilesDeletedBefore are the Info config's "delete
	// before" and "delete attachments before" (Unix seconds) applied here
	// (applyDeleteBefore).
	DeletedBefore      int64 `json:"deleted_before,omitempty"`
	FilesDeletedBefore int64 `json:"files_deleted_before,omitempty"`
}

// maxGroupNames bounds groupState.Names: the members, and as many who
// wrote before they left.
const maxGroupNames = 2 * groups.MaxMembers

// groupSession is a loaded group.
type groupSession struct {
	st      groupState
	id      keys.ID
	admin   *groups.Admin
	ring    *groups.KeyRing
	info    *config.GroupInfo
	members *config.GroupMembers
}

const kvGroups = "groups"

func groupKey(id string) string { return "group/" + id }

func (c *Client) groupIDs(ctx context.Context) ([]string, error) {
	b, err := c.db.Get(ctx, kvGroups)
	if errors.Is(err, clientdb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("client: group list: %w", err)
	}
	return ids, nil
}

func (c *Client) saveGroup(ctx context.Context, g *groupSession) error {
	g.st.Keys = g.ring.Dump()
	g.st.Info = g.info.Dump()
	g.st.Members = g.members.Dump()
	b, err := json.Marshal(g.st)
	if err != nil {
		return err
	}
	if err := c.db.Put(ctx, groupKey(g.st.ID), b); err != nil {
		return err
	}
	ids, err := c.groupIDs(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(ids, g.st.ID) {
		ids = append(ids, g.st.ID)
		b, _ := json.Marshal(ids)
		return c.db.Put(ctx, kvGroups, b)
	}
	return nil
}

func (c *Client) openGroup(st groupState) (*groupSession, error) {
	id, err := keys.ParseID(st.ID)
	if err != nil || id.Prefix != keys.PrefixGroup {
		return nil, fmt.Errorf("%w: %q", ErrUnknownGroup, st.ID)
	}
	g := &groupSession{st: st, id: id}
	var sk []byte
	if st.Seed != nil {
		if g.admin, err = groups.NewAdmin(st.Seed); err != nil {
			return nil, err
		}
		sk = g.admin.SecretKey()
	}
	if g.ring, err = groups.NewKeyRing(c.id.Ed25519PrivateKey(), id.Key[:], g.admin); err != nil {
		return nil, err
	}
	if st.Keys != nil {
		if err := g.ring.LoadDump(st.Keys); err != nil {
			return nil, err
		}
	}
	var infoDump, memDump []byte
	if len(st.Info) > 0 {
		infoDump = st.Info
	}
	if len(st.Members) > 0 {
		memDump = st.Members
	}
	if g.info, err = config.NewGroupInfo(id.Key[:], sk, g.ring.Keys(), infoDump); err != nil {
		return nil, err
	}
	if g.members, err = config.NewGroupMembers(id.Key[:], sk, g.ring.Keys(), memDump); err != nil {
		return nil, err
	}
	return g, nil
}

// loadGroup finds a group by ID or name.
func (c *Client) loadGroup(ctx context.Context, which string) (*groupSession, error) {
	ids, err := c.groupIDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		b, err := c.db.Get(ctx, groupKey(id))
		if err != nil {
			return nil, err
		}
		var st groupState
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("client: group %s: %w", ShortID(id), err)
		}
		if st.ID == which || st.Name == which {
			return c.openGroup(st)
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownGroup, which)
}

// Groups lists the groups this account is in or invited to. It takes the
// config lock (for Hidden): never call it holding groupMu.
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	gs, err := c.groupList(ctx)
	if err != nil {
		return nil, err
	}
	c.lockCfg(ctx)
	defer c.unlockCfg(ctx)
	for i := range gs {
		if id, err := keys.ParseID(gs[i].ID); err == nil {
			e, _ := c.cfg.groups.Group(id)
			gs[i].Hidden = e.Priority < 0
		}
	}
	return gs, nil
}

// groupList is Groups without Hidden, and without the config lock.
func (c *Client) groupList(ctx context.Context) ([]Group, error) {
	ids, err := c.groupIDs(ctx)
	if err != nil {
		return nil, err
	}
	out := []Group{}
	for _, id := range ids {
		b, err := c.db.Get(ctx, groupKey(id))
		if err != nil {
			return nil, err
		}
		var st groupState
		if json.Unmarshal(b, &st) == nil {
			out = append(out, st.Group)
		}
	}
	return out, nil
}

// signGroup signs a storage request for the group: with the group key as
// an admin, through the subaccount as a member.
func (c *Client) signGroup(g *groupSession, req storagerpc.Authenticated) error {
	if g.admin != nil {
		storagerpc.SignAs(req, keys.PrefixGroup, g.admin.SecretKey())
		return nil
	}
	sa, err := groups.SignSubaccount(c.id.Ed25519PrivateKey(), g.st.Auth, req.SignedMessage())
	if err != nil {
		return err
	}
	a := req.Authentication()
	a.Pubkey = g.id
	a.Subaccount = &storagerpc.Subaccount{Token: storagerpc.SubaccountToken(sa.Token), Signature: sa.TokenSig}
	a.Signature = sa.Signature
	return nil
}

func (c *Client) groupStore(ctx context.Context, g *groupSession, ns storagerpc.Namespace, data []byte, ttl time.Duration) (string, error) {
	net, err := c.network()
	if err != nil {
		return "", err
	}
	status, body, err := net.SwarmRPC(ctx, g.id, func(now time.Time) (string, any, error) {
		req := &storagerpc.Store{Namespace: ns, Timestamp: now.UnixMilli(), TTL: ttl.Milliseconds(), Data: data}
		req.SigTimestamp = req.Timestamp
		return storagerpc.MethodStore, req, c.signGroup(g, req)
	})
	if err != nil {
		return "", err
	}
	return storeReply(status, body, storagerpc.MessageHash(g.id, ns, data))
}

func (c *Client) groupRetrieve(ctx context.Context, g *groupSession, ns storagerpc.Namespace) ([]storagerpc.RetrievedMessage, error) {
	net, err := c.network()
	if err != nil {
		return nil, err
	}
	var out []storagerpc.RetrievedMessage
	last := ""
	for range 100 {
		status, body, err := net.SwarmRPC(ctx, g.id, func(now time.Time) (string, any, error) {
			req := &storagerpc.Retrieve{Namespace: ns, LastHash: last, Timestamp: now.UnixMilli()}
			return storagerpc.MethodRetrieve, req, c.signGroup(g, req)
		})
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("group retrieve: node answered %d: %.200q", status, body)
		}
		var resp storagerpc.RetrieveResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			return nil, fmt.Errorf("group retrieve: bad reply: %w", err)
		}
		out = append(out, resp.Messages...)
		if !resp.More || len(resp.Messages) == 0 {
			break
		}
		last = resp.Messages[len(resp.Messages)-1].Hash
	}
	return out, nil
}

// syncGroup loads the group's key messages and configs from its swarm.
func (c *Client) syncGroup(ctx context.Context, g *groupSession) error {
	km, err := c.groupRetrieve(ctx, g, groups.NamespaceKeys)
	if err != nil {
		return err
	}
	for _, m := range km {
		if _, err := g.ring.Load(m.Hash, m.Data, m.Timestamp); err != nil {
			c.log.Warn("ignored a group key message", "group", ShortID(g.st.ID), "err", err)
		}
	}
	g.info.SetKeys(g.ring.Keys(), false)
	g.members.SetKeys(g.ring.Keys(), false)
	for _, x := range []struct {
		ns  storagerpc.Namespace
		cfg *config.Config
	}{{groups.NamespaceInfo, g.info.Config}, {groups.NamespaceMembers, g.members.Config}} {
		msgs, err := c.groupRetrieve(ctx, g, x.ns)
		if err != nil {
			return err
		}
		var rs []config.Received
		for _, m := range msgs {
			rs = append(rs, config.Received{Hash: m.Hash, Data: m.Data})
		}
		x.cfg.Merge(rs)
	}
	if n := g.info.Name(); n != "" {
		g.st.Name = n
	}
	return c.saveGroup(ctx, g)
}

// pushGroup stores a new key message (if any) and the dirty configs.
func (c *Client) pushGroup(ctx context.Context, g *groupSession, keyMsg []byte) error {
	if keyMsg != nil {
		h, err := c.groupStore(ctx, g, groups.NamespaceKeys, keyMsg, ConfigTTL)
		if err != nil {
			return err
		}
		if _, err := g.ring.Load(h, keyMsg, c.now().UnixMilli()); err != nil {
			return err
		}
	}
	for _, x := range []struct {
		ns  storagerpc.Namespace
		cfg *config.Config
	}{{groups.NamespaceInfo, g.info.Config}, {groups.NamespaceMembers, g.members.Config}} {
		x.cfg.SetKeys(g.ring.Keys(), keyMsg != nil)
		if !x.cfg.NeedsPush() {
			continue
		}
		p, err := x.cfg.Push()
		if err != nil {
			return err
		}
		h, err := c.groupStore(ctx, g, x.ns, p.Data, ConfigTTL)
		if err != nil {
			return err
		}
		x.cfg.ConfirmPushed(p.Seqno, h)
	}
	return c.saveGroup(ctx, g)
}

// CreateGroup creates a group named name with this account as admin and
// invites members (IDs or contact names). It returns the group ID; an
// invitation that could not be sent is reported as an error wrapping
// [ErrSendFailed] after the group was created.
func (c *Client) CreateGroup(ctx context.Context, name string, members ...string) (string, error) {
	if name == "" || len(name) > config.MaxGroupNameLength {
		return "", fmt.Errorf("%w: a group name is 1 to %d bytes", ErrInvalidRecipient, config.MaxGroupNameLength)
	}
	ids := []keys.ID{c.id.SessionID()}
	for _, m := range members {
		id, err := c.resolve(ctx, m)
		if err != nil {
			return "", err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > groups.MaxMembers {
		return "", fmt.Errorf("%w: %d members, Session's limit is %d", ErrInvalidRecipient, len(ids), groups.MaxMembers)
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return "", err
	}
	g, err := c.createGroup(ctx, seed, name, ids)
	if err != nil {
		return "", err
	}
	c.listGroup(ctx, g)
	c.kickGroups()
	var failed []error
	for _, id := range ids[1:] {
		if err := c.sendGroupInvite(ctx, g, id); err != nil {
			failed = append(failed, fmt.Errorf("inviting %s: %w", ShortID(id.String()), err))
		}
	}
	if len(failed) > 0 {
		return g.st.ID, fmt.Errorf("%w: %w", ErrSendFailed, errors.Join(failed...))
	}
	return g.st.ID, nil
}

// createGroup makes the group and stores its first key message and
// configs in its swarm.
func (c *Client) createGroup(ctx context.Context, seed []byte, name string, ids []keys.ID) (*groupSession, error) {
	myName := c.DisplayName()
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	admin, _ := groups.NewAdmin(seed)
	g, err := c.openGroup(groupState{Group: Group{ID: admin.ID().String(), Name: name, Admin: true}, Seed: seed})
	if err != nil {
		return nil, err
	}
	g.info.SetName(name)
	g.info.SetCreated(c.now().Unix())
	for i, id := range ids {
		m := config.GroupMember{ID: id, Invite: config.GroupStatusSent}
		if i == 0 {
			m = config.GroupMember{ID: id, Name: myName, Admin: true}
		}
		if err := g.members.Set(m); err != nil {
			return nil, err
		}
	}
	msg, err := g.ring.Rekey(ids)
	if err != nil {
		return nil, err
	}
	if err := c.pushGroup(ctx, g, msg); err != nil {
		return nil, err
	}
	if _, err := c.db.OpenConversation(ctx, g.id, false, time.Time{}); err != nil {
		return nil, err
	}
	return g, nil
}

func (c *Client) sendGroupInvite(ctx context.Context, g *groupSession, to keys.ID) error {
	sentAt := c.sentTime(c.now())
	content, err := groups.NewGroupInvite(g.admin, to, g.info.Name(), sentAt)
	if err != nil {
		return err
	}
	content.SigTimestamp = proto.Uint64(uint64(sentAt.UnixMilli()))
	data, err := protocol.EncodeMessage(c.id, to, content, sentAt)
	if err != nil {
		return err
	}
	_, err = c.store(ctx, to, storagerpc.NamespaceDefault, data, MessageTTL)
	return err
}

// handleGroupInvite takes an invitation received 1:1: checked against the
// group's signature, joined at once from an approved contact, kept as a
// request from anyone else.
func (c *Client) handleGroupInvite(ctx context.Context, dm *protocol.Message, inv *signalpb.GroupUpdateInviteMessage) error {
	gid, auth, err := groups.CheckGroupInvite(inv, c.id, dm.SentAt.UnixMilli())
	if err != nil {
		c.warnSaved(ctx, fmt.Sprintf("ignored a group invitation from %s: %v", ShortID(dm.Sender.String()), err))
		return nil
	}
	ct, err := c.db.Contact(ctx, dm.Sender)
	approved := err == nil && ct.Approved
	c.lockCfg(ctx)
	if lc, ok := c.cfg.contacts.Get(dm.Sender); ok && lc.Approved {
		approved = true
	}
	c.unlockCfg(ctx)
	if g, err := c.loadGroup(ctx, gid.String()); err == nil && g.st.Auth != nil && !g.st.Removed {
		if !g.st.Invited || !approved {
			return nil // already in it, or already a request
		}
		// A request, now invited again by an approved contact: joined.
		g.st.Invited, g.st.Respond = false, true
		if err := c.saveGroup(ctx, g); err != nil {
			return err
		}
		if err := c.db.AcceptRequest(ctx, gid); err != nil && !errors.Is(err, clientdb.ErrNotRequest) && !errors.Is(err, clientdb.ErrNotFound) {
			return err
		}
		c.kickGroups()
		return c.listGroupInPoll(ctx, g)
	}
	if !approved && c.refuse.Load() {
		return nil // requests refused: a stranger's invitation leaves no trace
	}
	// Invited again after leaving or declining: a new invitation (each is
	// handled once), so the group's tombstone goes.
	if err := c.unmarkGroupLeft(ctx, gid); err != nil {
		return err
	}
	name, _ := cleanName(inv.GetName())
	g, err := c.openGroup(groupState{Group: Group{ID: gid.String(), Name: name, Invited: !approved,
		InvitedBy: dm.Sender.String()}, Auth: auth, Respond: approved})
	if err != nil {
		return err
	}
	if err := c.saveGroup(ctx, g); err != nil {
		return err
	}
	// The group's conversation: a message request until accepted when the
	// invitation came from someone not approved.
	created, err := c.db.OpenConversation(ctx, gid, !approved, dm.SentAt)
	if err != nil {
		return err
	}
	if created && !approved {
		c.publishSaved(ctx, RequestReceived{Conversation{SessionID: gid.String(), Kind: "group", Name: name,
			Request: true, LastActivity: dm.SentAt}})
	}
	c.kickGroups()
	// The poll saves and pushes the configs at its end.
	return c.listGroupInPoll(ctx, g)
}

// listGroupInPoll is listGroup for a change made while a poll processes
// its messages: the entry goes into the UserGroups config held in memory,
// and the poll saves and pushes the configs at its end.
func (c *Client) listGroupInPoll(ctx context.Context, g *groupSession) error {
	c.lockCfg(ctx)
	defer c.unlockCfg(ctx)
	if g.st.Invited {
		c.noteInvitation(g.id) // grouplist_fit.go
	}
	return c.cfg.groups.SetGroup(g.listEntryIn(c.cfg.groups, c.now()))
}

// AcceptGroup joins a group whose invitation came from someone not
// approved.
func (c *Client) AcceptGroup(ctx context.Context, group string) error {
	c.groupMu.Lock()
	g, err := c.loadGroup(ctx, group)
	if err == nil {
		g.st.Respond = g.st.Respond || g.st.Invited
		g.st.Invited = false
		err = c.saveGroup(ctx, g)
	}
	if err == nil {
		if _, err = c.db.OpenConversation(ctx, g.id, false, time.Time{}); err == nil {
			err = c.db.AcceptRequest(ctx, g.id)
			if errors.Is(err, clientdb.ErrNotRequest) {
				err = nil
			}
		}
	}
	c.groupMu.Unlock()
	if err != nil {
		return err
	}
	c.listGroup(ctx, g)
	c.kickGroups()
	return nil
}

func (c *Client) joinedGroup(ctx context.Context, group string) (*groupSession, error) {
	g, err := c.loadGroup(ctx, group)
	if err != nil {
		return nil, err
	}
	if g.st.Invited {
		return nil, fmt.Errorf("%w: %q is an invitation (accept it first)", ErrUnknownGroup, group)
	}
	if g.st.Removed {
		return nil, fmt.Errorf("%w: %q: an admin removed you from it", ErrUnknownGroup, group)
	}
	return g, nil
}

// adminGroup is joinedGroup for the calls only an admin may make: it
// refuses a group this account holds no admin key for. Call with groupMu
// held.
func (c *Client) adminGroup(ctx context.Context, group string) (*groupSession, error) {
	g, err := c.joinedGroup(ctx, group)
	if err != nil {
		return nil, err
	}
	if g.admin == nil {
		return nil, ErrNotGroupAdmin
	}
	return g, nil
}

// SendGroup sends text to a group (by ID or name). It is Send: the
// message is saved as sending before any network I/O, and kept as failed
// (retried later) if it cannot be stored in the group's swarm.
func (c *Client) SendGroup(ctx context.Context, group, text string) (GroupMessage, error) {
	if !c.IsGroup(ctx, group) {
		return GroupMessage{}, fmt.Errorf("%w: %q", ErrUnknownGroup, group)
	}
	m, err := c.Send(ctx, group, text)
	if m.ID == 0 {
		return GroupMessage{}, err
	}
	return GroupMessage{From: m.From, Body: m.Body, SentAt: m.SentAt, Hash: m.Hash}, err
}

// GroupMessages polls a group's swarm once and returns its messages as
// this device holds them, oldest first. Messages that do not decrypt with
// the keys this account holds (written before it joined, or after it was
// removed) are not among them.
func (c *Client) GroupMessages(ctx context.Context, group string) ([]GroupMessage, error) {
	c.groupMu.Lock()
	g, err := c.joinedGroup(ctx, group)
	c.groupMu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, _, err := c.pollGroup(ctx, g.id, 0); err != nil {
		return nil, err
	}
	ms, err := c.db.Messages(ctx, g.id, 10000, clientdb.MessagePos{})
	if err != nil {
		return nil, err
	}
	out := []GroupMessage{}
	for _, m := range ms {
		if m.Deleted || m.Body == "" {
			continue
		}
		out = append(out, GroupMessage{From: m.Sender.String(), Body: m.Body, SentAt: m.SentAt, Hash: m.Hash})
	}
	return out, nil
}

// GroupMembers lists a group's members as its Members config says.
func (c *Client) GroupMembers(ctx context.Context, group string) ([]GroupMember, error) {
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	g, err := c.joinedGroup(ctx, group)
	if err != nil {
		return nil, err
	}
	if err := c.syncGroup(ctx, g); err != nil {
		return nil, err
	}
	out := []GroupMember{}
	for _, m := range g.members.All() {
		st := groups.Member{Admin: m.Admin, InviteStatus: m.Invite, PromotionStatus: m.Promotion, RemovedStatus: m.Removed}
		name := m.Name
		if name == "" {
			name = g.st.Names[m.ID.String()]
		}
		out = append(out, GroupMember{SessionID: m.ID.String(), Name: name, Admin: m.Admin, Status: st.StatusName()})
	}
	return out, nil
}

// GroupNames returns the names of a group's members as this device knows
// them, without asking the network: Session ID → the name the member gave
// with their latest message, else the name the Members config holds. An
// app shows them beside the messages of members who are not contacts.
func (c *Client) GroupNames(ctx context.Context, group string) (map[string]string, error) {
	g, err := c.loadGroup(ctx, group)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range g.members.All() {
		if m.Name != "" {
			out[m.ID.String()] = m.Name
		}
	}
	for id, name := range g.st.Names {
		out[id] = name
	}
	return out, nil
}

// RemoveGroupMember removes a member (admins only): the group key is
// rotated without them and their subaccount revoked, so they can read
// nothing written after.
func (c *Client) RemoveGroupMember(ctx context.Context, group, member string) error {
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	g, err := c.adminGroup(ctx, group)
	if err != nil {
		return err
	}
	id, err := c.resolve(ctx, member)
	if err != nil {
		return err
	}
	if err := c.syncGroup(ctx, g); err != nil {
		return err
	}
	if _, ok := g.members.Get(id); !ok {
		return fmt.Errorf("%w: %s is not a member", ErrUnknownContact, ShortID(id.String()))
	}
	return c.removeMembers(ctx, g, []keys.ID{id})
}

// removeMembers takes ids out of the Members config, rotates the key
// without them and revokes their subaccount tokens (admins; groupMu held,
// the group synced).
func (c *Client) removeMembers(ctx context.Context, g *groupSession, ids []keys.ID) error {
	for _, id := range ids {
		g.members.Erase(id)
	}
	var rest []keys.ID
	for _, m := range g.members.All() {
		rest = append(rest, m.ID)
	}
	msg, err := g.ring.Rekey(rest)
	if err != nil {
		return err
	}
	if err := c.pushGroup(ctx, g, msg); err != nil {
		return err
	}
	c.postMemberChange(ctx, g, signalpb.GroupUpdateMemberChangeMessage_REMOVED, ids)
	var toks []storagerpc.SubaccountToken
	for _, id := range ids {
		tok, err := g.admin.SubaccountToken(id, true, false)
		if err != nil {
			return err
		}
		toks = append(toks, storagerpc.SubaccountToken(tok))
	}
	net, err := c.network()
	if err != nil {
		return err
	}
	status, body, err := net.SwarmRPC(ctx, g.id, func(now time.Time) (string, any, error) {
		req := &storagerpc.RevokeSubaccount{Tokens: toks, Timestamp: now.UnixMilli()}
		storagerpc.SignAs(req, keys.PrefixGroup, g.admin.SecretKey())
		return storagerpc.MethodRevokeSubaccount, req, nil
	})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("revoke: node answered %d: %.200q", status, body)
	}
	c.postKicked(ctx, g, ids) // groupremoved.go
	return nil
}

// listEntry is the group as the UserGroups config (namespace 5) carries it
// to the account's other devices.
func (g *groupSession) listEntry(now time.Time) config.Group {
	e := config.Group{ID: g.id, Name: g.st.Name, AuthData: g.st.Auth, Invited: g.st.Invited, JoinedAt: now.Unix()}
	if g.admin != nil {
		e.SecretKey = g.admin.SecretKey()
	}
	return e
}

// listEntryIn is listEntry keeping what the user set on the entry that
// u holds (pinned, hidden, muted) and when the group was joined.
func (g *groupSession) listEntryIn(u *config.UserGroups, now time.Time) config.Group {
	e := g.listEntry(now)
	if old, ok := u.Group(g.id); ok {
		e.Priority, e.Notifications, e.MuteUntil = old.Priority, old.Notifications, old.MuteUntil
		if old.JoinedAt > 0 {
			e.JoinedAt = old.JoinedAt
		}
	}
	return e
}

// editGroupEntry changes this account's UserGroups entry of group gid
// (pinned, hidden, muted), on every device.
func (c *Client) editGroupEntry(ctx context.Context, gid keys.ID, edit func(*config.Group)) error {
	g, err := c.loadGroup(ctx, gid.String())
	if err != nil {
		return err
	}
	return c.editConfig(ctx, func(cs *configs) error {
		e := g.listEntryIn(cs.groups, c.now())
		edit(&e)
		return cs.groups.SetGroup(e)
	})
}

// unhideGroup shows a hidden group again (a message came or was sent),
// on every device, as unhide does for a contact. Call without groupMu.
func (c *Client) unhideGroup(ctx context.Context, gid keys.ID) {
	if c.groupPriority(ctx, gid) >= 0 {
		return
	}
	err := c.editGroupEntry(ctx, gid, func(e *config.Group) { e.Priority = priorityNormal })
	if err != nil && !errors.Is(err, ErrNotSynced) {
		c.log.Warn("showing a hidden group again failed", "group", ShortID(gid.String()), "err", err)
	}
}

// groupPriority is group gid's priority in the UserGroups config: 0
// normal, above 0 pinned, below 0 hidden.
func (c *Client) groupPriority(ctx context.Context, gid keys.ID) int64 {
	c.lockCfg(ctx)
	defer c.unlockCfg(ctx)
	e, _ := c.cfg.groups.Group(gid)
	return e.Priority
}

// listGroup records the group in the UserGroups config and pushes it; a
// failed push is retried by the next poll.
func (c *Client) listGroup(ctx context.Context, g *groupSession) {
	err := c.editConfig(ctx, func(cs *configs) error { return cs.groups.SetGroup(g.listEntryIn(cs.groups, c.now())) })
	if err != nil {
		c.log.Warn("group list not synced to other devices yet", "err", err)
	}
}

// applyUserGroups adds the groups another device of this account joined or
// created to this device, and drops those another device left or declined
// (dropUnlistedGroups). It reads the merged UserGroups config itself,
// under the config lock and then the group lock, so that a leave on this
// device (which takes the group lock) is either all before it or all
// after; a group left here keeps a tombstone (groupleft.go), is not added
// back, and is erased from the config again if a merge listed it anew.
func (c *Client) applyUserGroups(ctx context.Context) error {
	c.cfg.mu.Lock()
	defer c.cfg.mu.Unlock()
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	defer c.kickGroups()
	left, err := c.leftGroups(ctx)
	if err != nil {
		return err
	}
	list := c.cfg.groups.Groups()
	erased := false
	for id, at := range left {
		gid, err := keys.ParseID(id)
		if err != nil {
			delete(left, id)
			continue
		}
		if e, ok := c.cfg.groups.Group(gid); ok && e.JoinedAt*1000 > at {
			// Joined again (on another device) after it was left here.
			delete(left, id)
			continue
		}
		if c.cfg.groups.EraseGroup(gid) {
			erased = true // pushed at the end of the poll
		} else if !c.cfg.groups.NeedsPush() {
			// The config as the swarm holds it no longer lists the
			// group: the leave has reached the other devices.
			delete(left, id)
		}
	}
	if erased {
		if err := c.saveDumps(ctx); err != nil {
			return err
		}
	}
	if err := c.saveLeftGroups(ctx, left); err != nil {
		return err
	}
	errs := c.dropUnlistedGroups(ctx, list)
	for _, e := range list {
		if _, gone := left[e.ID.String()]; gone || e.RemovedStatus != 0 {
			continue
		}
		st := groupState{Group: Group{ID: e.ID.String(), Name: e.Name, Invited: e.Invited}, Auth: e.AuthData}
		if e.SecretKey != nil {
			st.Seed, st.Admin = e.SecretKey.Seed(), true
		}
		if have, err := c.loadGroup(ctx, st.ID); err == nil {
			if have.admin != nil || st.Seed == nil {
				continue
			}
			st.Keys, st.Info, st.Members = have.st.Keys, have.st.Info, have.st.Members
		} else if st.Seed == nil && st.Auth == nil {
			continue
		}
		g, err := c.openGroup(st)
		if err == nil {
			err = c.saveGroup(ctx, g)
		}
		if err == nil {
			_, err = c.db.OpenConversation(ctx, g.id, st.Invited, time.Time{})
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// IsGroup reports whether which (an ID or name) is a group of this
// account.
func (c *Client) IsGroup(ctx context.Context, which string) bool {
	_, err := c.loadGroup(ctx, which)
	return err == nil
}

// RenameGroup renames a group (admins only), for every member.
func (c *Client) RenameGroup(ctx context.Context, group, name string) error {
	if name == "" || len(name) > config.MaxGroupNameLength {
		return fmt.Errorf("%w: a group name is 1 to %d bytes", ErrInvalidRecipient, config.MaxGroupNameLength)
	}
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	g, err := c.adminGroup(ctx, group)
	if err != nil {
		return err
	}
	if err := c.syncGroup(ctx, g); err != nil {
		return err
	}
	g.info.SetName(name)
	g.st.Name = name
	if err := c.pushGroup(ctx, g, nil); err != nil {
		return err
	}
	c.postGroupControl(ctx, g, func(ms int64) *signalpb.GroupUpdateMessage {
		t := signalpb.GroupUpdateInfoChangeMessage_NAME
		return &signalpb.GroupUpdateMessage{InfoChangeMessage: &signalpb.GroupUpdateInfoChangeMessage{
			Type: t.Enum(), UpdatedName: proto.String(name),
			AdminSignature: g.admin.Sign(groups.InfoChangeSigned(int(t), ms))}}
	})
	return nil
}

// AddGroupMembers adds members (admins only): the key is rotated to
// include them and each gets an invitation.
func (c *Client) AddGroupMembers(ctx context.Context, group string, members ...string) error {
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	g, err := c.adminGroup(ctx, group)
	if err != nil {
		return err
	}
	var add []keys.ID
	for _, m := range members {
		id, err := c.resolve(ctx, m)
		if err != nil {
			return err
		}
		add = append(add, id)
	}
	if err := c.syncGroup(ctx, g); err != nil {
		return err
	}
	for _, id := range add {
		if _, ok := g.members.Get(id); !ok {
			if err := g.members.Set(config.GroupMember{ID: id, Invite: config.GroupStatusSent}); err != nil {
				return err
			}
		}
	}
	var all []keys.ID
	for _, m := range g.members.All() {
		all = append(all, m.ID)
	}
	if len(all) > groups.MaxMembers {
		return fmt.Errorf("%w: %d members, Session's limit is %d", ErrInvalidRecipient, len(all), groups.MaxMembers)
	}
	msg, err := g.ring.Rekey(all)
	if err != nil {
		return err
	}
	if err := c.pushGroup(ctx, g, msg); err != nil {
		return err
	}
	c.postMemberChange(ctx, g, signalpb.GroupUpdateMemberChangeMessage_ADDED, add)
	var failed []error
	for _, id := range add {
		if err := c.sendGroupInvite(ctx, g, id); err != nil {
			failed = append(failed, fmt.Errorf("inviting %s: %w", ShortID(id.String()), err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %w", ErrSendFailed, errors.Join(failed...))
	}
	return nil
}

// PromoteGroupMember makes a member an admin (admins only): the Members
// config marks them, and they are sent the group's secret seed 1:1.
func (c *Client) PromoteGroupMember(ctx context.Context, group, member string) error {
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	g, err := c.adminGroup(ctx, group)
	if err != nil {
		return err
	}
	id, err := c.resolve(ctx, member)
	if err != nil {
		return err
	}
	if err := c.syncGroup(ctx, g); err != nil {
		return err
	}
	m, ok := g.members.Get(id)
	if !ok {
		return fmt.Errorf("%w: %s is not a member", ErrUnknownContact, ShortID(id.String()))
	}
	m.Admin, m.Promotion, m.Invite = true, config.GroupStatusSent, 0
	if err := g.members.Set(m); err != nil {
		return err
	}
	if err := c.pushGroup(ctx, g, nil); err != nil {
		return err
	}
	c.postMemberChange(ctx, g, signalpb.GroupUpdateMemberChangeMessage_PROMOTED, []keys.ID{id})
	sentAt := c.sentTime(c.now())
	content := &signalpb.Content{DataMessage: &signalpb.DataMessage{GroupUpdateMessage: &signalpb.GroupUpdateMessage{
		PromoteMessage: &signalpb.GroupUpdatePromoteMessage{GroupIdentitySeed: g.st.Seed, Name: proto.String(g.info.Name())}}},
		SigTimestamp: proto.Uint64(uint64(sentAt.UnixMilli()))}
	data, err := protocol.EncodeMessage(c.id, id, content, sentAt)
	if err != nil {
		return err
	}
	if _, err := c.store(ctx, id, storagerpc.NamespaceDefault, data, MessageTTL); err != nil {
		return fmt.Errorf("%w: %w", ErrSendFailed, err)
	}
	return nil
}

// handleGroupPromote takes a promotion received 1:1: the seed itself
// proves it (only admins hold it), and must be the seed of a group this
// account is in.
func (c *Client) handleGroupPromote(ctx context.Context, dm *protocol.Message, pr *signalpb.GroupUpdatePromoteMessage) error {
	admin, err := groups.NewAdmin(pr.GetGroupIdentitySeed())
	if err != nil {
		c.warnSaved(ctx, fmt.Sprintf("ignored a malformed group promotion from %s", ShortID(dm.Sender.String())))
		return nil
	}
	g, err := c.loadGroup(ctx, admin.ID().String())
	if err != nil {
		c.warnSaved(ctx, fmt.Sprintf("ignored a promotion from %s to a group this account is not in", ShortID(dm.Sender.String())))
		return nil
	}
	if g.admin != nil {
		return nil
	}
	g.st.Seed = slices.Clone(pr.GetGroupIdentitySeed()[:32])
	// A promotion joins a group still waiting as a request only when an
	// approved contact sends it: from a stranger (who can invite and
	// promote at will) the group stays a request, with its key, until
	// the user accepts it.
	g.st.Admin = true
	if g.st.Invited && c.approvedSender(ctx, dm.Sender) {
		g.st.Invited = false
	}
	g2, err := c.openGroup(g.st)
	if err != nil {
		return err
	}
	if err := c.saveGroup(ctx, g2); err != nil {
		return err
	}
	return c.listGroupInPoll(ctx, g2)
}

// approvedSender reports whether id is an approved contact, in the
// database or in the contacts config (a poll may have merged it there
// first).
func (c *Client) approvedSender(ctx context.Context, id keys.ID) bool {
	if ct, err := c.db.Contact(ctx, id); err == nil && ct.Approved {
		return true
	}
	c.lockCfg(ctx)
	defer c.unlockCfg(ctx)
	lc, ok := c.cfg.contacts.Get(id)
	return ok && lc.Approved
}

// LeaveGroup leaves a group: the other members are told (a member-left
// message in the group) and this device forgets the group.
func (c *Client) LeaveGroup(ctx context.Context, group string) error {
	g, err := c.leaveGroup(ctx, group)
	if err != nil {
		return err
	}
	if err := c.editConfig(ctx, func(cs *configs) error { cs.groups.EraseGroup(g.id); return nil }); err != nil {
		c.log.Warn("group list not synced to other devices yet", "err", err)
	}
	return nil
}

// leaveGroup tells the group and forgets it on this device.
func (c *Client) leaveGroup(ctx context.Context, group string) (*groupSession, error) {
	c.groupMu.Lock()
	defer c.groupMu.Unlock()
	g, err := c.loadGroup(ctx, group)
	if err != nil {
		return nil, err
	}
	if !g.st.Invited {
		if err := c.syncGroup(ctx, g); err == nil {
			if key, ok := g.ring.EncryptionKey(); ok {
				sentAt := c.sentTime(c.now())
				content := &signalpb.Content{DataMessage: &signalpb.DataMessage{GroupUpdateMessage: &signalpb.GroupUpdateMessage{
					MemberLeftMessage: &signalpb.GroupUpdateMemberLeftMessage{}}},
					SigTimestamp: proto.Uint64(uint64(sentAt.UnixMilli()))}
				data, err := groups.EncodeGroupMessage(rand.Reader, key, c.id, g.id, content, sentAt)
				if err == nil {
					_, err = c.groupStore(ctx, g, groups.NamespaceMessages, data, MessageTTL)
				}
				if err != nil {
					return nil, fmt.Errorf("%w: telling the group: %w", ErrSendFailed, err)
				}
			}
		}
	}
	// The tombstone first: from here on no config merge adds the group
	// back (groupleft.go), even one that read the list before the erase.
	if err := c.markGroupLeft(ctx, g.id, c.now()); err != nil {
		return nil, err
	}
	if err := c.forgetGroup(ctx, g.id); err != nil {
		return nil, err
	}
	return g, nil
}

// forgetGroup removes group gid from this device: from the group list
// (its poll stops), its state and its conversation with the history, as a
// leave does. Call with groupMu held.
func (c *Client) forgetGroup(ctx context.Context, gid keys.ID) error {
	ids, err := c.groupIDs(ctx)
	if err != nil {
		return err
	}
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == gid.String() })
	b, _ := json.Marshal(ids)
	if err := c.db.Put(ctx, kvGroups, b); err != nil {
		return err
	}
	if err := c.db.Delete(ctx, groupKey(gid.String())); err != nil && !errors.Is(err, clientdb.ErrNotFound) {
		return err
	}
	if err := c.db.DeleteConversation(ctx, gid); err != nil && !errors.Is(err, clientdb.ErrNotFound) {
		return err
	}
	return nil
}

// groupNames maps the ID of each group of this account to its name.
func (c *Client) groupNames(ctx context.Context) map[string]string {
	out := map[string]string{}
	if gs, err := c.groupList(ctx); err == nil {
		for _, g := range gs {
			out[g.ID] = g.Name
		}
	}
	return out
}
