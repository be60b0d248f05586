package client

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/groups"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/storagerpc"
)

// floodInvitations has n strangers each invite c to a group of their own
// (real groups: the invitations carry the groups' signatures), in batches
// as a poll would take them. It returns the groups, oldest first.
func floodInvitations(t testing.TB, c *Client, n int) []keys.ID {
	t.Helper()
	now := time.Now()
	var msgs []storagerpc.RetrievedMessage
	var gids []keys.ID
	for i := range n {
		seed := make([]byte, 32)
		rand.Read(seed)
		admin, err := groups.NewAdmin(seed)
		if err != nil {
			t.Fatal(err)
		}
		raw := make([]byte, 50)
		rand.Read(raw)
		at := now.Add(time.Duration(i) * time.Millisecond)
		content, err := groups.NewGroupInvite(admin, c.id.SessionID(), hex.EncodeToString(raw), at)
		if err != nil {
			t.Fatal(err)
		}
		content.SigTimestamp = proto.Uint64(uint64(at.UnixMilli()))
		gids = append(gids, admin.ID())
		msgs = append(msgs, wire(t, stranger(t), c.id.SessionID(), content, at, now))
		if len(msgs) == 100 || i == n-1 {
			if _, err := c.processBatch(t.Context(), msgs); err != nil {
				t.Fatal(err)
			}
			msgs = msgs[:0]
		}
	}
	return gids
}

// TestStrangersInvitationsCannotFillTheGroupList: strangers send more
// group invitations than the synced group list (UserGroups, one config
// message of at most 76 800 bytes) can hold. The list is still pushed,
// within the limit: invitations from strangers are left out of it, oldest
// first, while the groups this account joined stay listed; every
// invitation stays a request on this device. Before, the list grew past
// the limit and no change to it reached the account's other devices again.
func TestStrangersInvitationsCannotFillTheGroupList(t *testing.T) {
	if raceEnabled {
		t.Skip("600 invitations are crypto-bound and several times slower under the race detector; the plain test run covers it")
	}
	bob := offline(t, "Bob")
	ctx := t.Context()
	warned := warnings(bob)
	// A group Bob is really in (an approved contact's invitation is joined
	// at once; here the entry is written as the join writes it).
	seed := make([]byte, 32)
	rand.Read(seed)
	own, err := groups.NewAdmin(seed)
	if err != nil {
		t.Fatal(err)
	}
	bob.cfg.mu.Lock()
	err = bob.cfg.groups.SetGroup(config.Group{ID: own.ID(), Name: "Mine", SecretKey: own.SecretKey(), JoinedAt: time.Now().Unix()})
	bob.cfg.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	const n = 600 // about twice what fits
	gids := floodInvitations(t, bob, n)
	err = bob.pushConfigs(ctx) // no network: the stores fail, the encoding must not
	if errors.Is(err, config.ErrTooLarge) {
		t.Fatalf("the group list outgrew a config message: %v", err)
	}
	bob.cfg.mu.Lock()
	size, serr := bob.cfg.groups.PushSize()
	_, mine := bob.cfg.groups.Group(own.ID())
	_, oldest := bob.cfg.groups.Group(gids[0])
	_, newest := bob.cfg.groups.Group(gids[n-1])
	bob.cfg.mu.Unlock()
	if serr != nil || size > config.MaxMessageSize {
		t.Fatalf("group list: %d bytes (limit %d), %v", size, config.MaxMessageSize, serr)
	}
	if !mine {
		t.Fatal("the group Bob is in was left out of his list")
	}
	if oldest || !newest {
		t.Errorf("the oldest invitation is listed (%v), the newest is not (%v)", oldest, !newest)
	}
	gs, err := bob.Groups(ctx)
	if err != nil || len(gs) != n {
		t.Fatalf("every invitation stays on this device: %d groups, %v", len(gs), err)
	}
	found := false
	for _, w := range warned() {
		found = found || w == "the synced group list is full: older group invitations are kept on this device only"
	}
	if !found {
		t.Errorf("no warning that invitations were left out: %q", warned())
	}
}

// TestStrangersPromotionKeepsTheRequest: a stranger who invited this
// account to a group then promotes it to admin (sending the group's key).
// The group stays a request: not joined, not polled, left out of the
// synced list first like any stranger's invitation. Before, the promotion
// joined it at once, past the request, and as an admin's entry it could
// never be left out of the list.
func TestStrangersPromotionKeepsTheRequest(t *testing.T) {
	bob := offline(t, "Bob")
	ctx := t.Context()
	eve := stranger(t)
	seed := make([]byte, 32)
	rand.Read(seed)
	admin, err := groups.NewAdmin(seed)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	inv, err := groups.NewGroupInvite(admin, bob.id.SessionID(), "Eve's", now)
	if err != nil {
		t.Fatal(err)
	}
	inv.SigTimestamp = proto.Uint64(uint64(now.UnixMilli()))
	later := now.Add(time.Second)
	promote := &signalpb.Content{DataMessage: &signalpb.DataMessage{GroupUpdateMessage: &signalpb.GroupUpdateMessage{
		PromoteMessage: &signalpb.GroupUpdatePromoteMessage{GroupIdentitySeed: seed, Name: proto.String("Eve's")}}},
		SigTimestamp: proto.Uint64(uint64(later.UnixMilli()))}
	if _, err := bob.processBatch(ctx, []storagerpc.RetrievedMessage{
		wire(t, eve, bob.id.SessionID(), inv, now, now),
		wire(t, eve, bob.id.SessionID(), promote, later, later),
	}); err != nil {
		t.Fatal(err)
	}
	gs, err := bob.Groups(ctx)
	if err != nil || len(gs) != 1 {
		t.Fatalf("groups: %+v %v", gs, err)
	}
	if !gs[0].Invited {
		t.Fatalf("a stranger's promotion joined the group past the request: %+v", gs[0])
	}
	if ids, _ := bob.joinedGroupIDs(ctx); len(ids) != 0 {
		t.Fatalf("a request is polled: %v", ids)
	}
	bob.cfg.mu.Lock()
	e, listed := bob.cfg.groups.Group(admin.ID())
	bob.cfg.mu.Unlock()
	if listed && !e.Invited {
		t.Fatalf("listed as joined: %+v", e)
	}
	// Accepted, the promotion holds: Bob administers the group.
	if err := bob.AcceptGroup(ctx, admin.ID().String()); err != nil && !errors.Is(err, ErrNotSynced) && !errors.Is(err, ErrNoNetwork) {
		t.Fatal(err)
	}
	if gs, _ := bob.Groups(ctx); len(gs) != 1 || gs[0].Invited || !gs[0].Admin {
		t.Fatalf("after accepting: %+v", gs)
	}
}
