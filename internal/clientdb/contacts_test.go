package clientdb

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

func TestContacts(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	clk := newClock()
	db.now = clk.Now

	if _, err := db.Contact(ctx, sid(1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Contact of unknown: %v, want ErrNotFound", err)
	}
	bob := Contact{ID: sid(1), Name: "Bob", Approved: true, ApprovedMe: true, Priority: 2, Created: time.UnixMilli(1_600_000_000_000)}
	if err := db.UpsertContact(ctx, bob); err != nil {
		t.Fatal(err)
	}
	got, err := db.Contact(ctx, sid(1))
	if err != nil {
		t.Fatal(err)
	}
	if got != bob {
		t.Fatalf("Contact = %+v, want %+v", got, bob)
	}

	// Upsert replaces fields but keeps the creation time.
	bob2 := Contact{ID: sid(1), Name: "Robert", Nickname: "Bobby", Blocked: true, Priority: PriorityHidden}
	if err := db.UpsertContact(ctx, bob2); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Contact(ctx, sid(1))
	want := bob2
	want.Created = bob.Created
	if got != want {
		t.Fatalf("after second upsert %+v, want %+v", got, want)
	}
	if got.DisplayName() != "Bobby" {
		t.Errorf("DisplayName = %q, want the nickname", got.DisplayName())
	}

	// Setters on an unknown ID create the contact, with the clock's time.
	if err := db.SetName(ctx, sid(2), "carol"); err != nil {
		t.Fatal(err)
	}
	c, _ := db.Contact(ctx, sid(2))
	if c.Name != "carol" || c.Approved || c.Blocked || !c.Created.Equal(clk.Now()) || c.DisplayName() != "carol" {
		t.Fatalf("contact from SetName: %+v", c)
	}
	clk.Advance(time.Minute)
	for _, step := range []struct {
		name  string
		do    func() error
		check func(Contact) bool
	}{
		{"SetNickname", func() error { return db.SetNickname(ctx, sid(2), "Caz") }, func(c Contact) bool { return c.Nickname == "Caz" && c.Name == "carol" }},
		{"SetApproved", func() error { return db.SetApproved(ctx, sid(2), true) }, func(c Contact) bool { return c.Approved && !c.ApprovedMe }},
		{"SetApprovedMe", func() error { return db.SetApprovedMe(ctx, sid(2), true) }, func(c Contact) bool { return c.Approved && c.ApprovedMe }},
		{"SetPriority", func() error { return db.SetPriority(ctx, sid(2), 5) }, func(c Contact) bool { return c.Priority == 5 }},
		{"SetBlocked", func() error { return db.SetBlocked(ctx, sid(2), true) }, func(c Contact) bool { return c.Blocked && c.Approved }},
		{"unblock", func() error { return db.SetBlocked(ctx, sid(2), false) }, func(c Contact) bool { return !c.Blocked }},
		{"unapprove", func() error { return db.SetApproved(ctx, sid(2), false) }, func(c Contact) bool { return !c.Approved && c.ApprovedMe }},
		{"clear nickname", func() error { return db.SetNickname(ctx, sid(2), "") }, func(c Contact) bool { return c.Nickname == "" && c.DisplayName() == "carol" }},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		c, err := db.Contact(ctx, sid(2))
		if err != nil {
			t.Fatal(err)
		}
		if !step.check(c) {
			t.Errorf("after %s: %+v", step.name, c)
		}
		if !c.Created.Equal(clk.Now().Add(-time.Minute)) {
			t.Errorf("after %s the creation time moved: %v", step.name, c.Created)
		}
	}

	// Filters and order (by display name, case-insensitively).
	db.SetBlocked(ctx, sid(3), true)
	db.UpsertContact(ctx, Contact{ID: sid(4), Name: "alice", Approved: true})
	db.UpsertContact(ctx, Contact{ID: sid(5), Name: "Dave", Approved: true})
	ids := func(cs []Contact) []byte {
		var b []byte
		for _, c := range cs {
			b = append(b, c.ID.Key[0])
		}
		return b
	}
	for _, f := range []struct {
		filter ContactFilter
		want   []byte
	}{
		{AllContacts, []byte{3, 4, 1, 2, 5}}, // "", alice, Bobby, carol, Dave
		{ApprovedContacts, []byte{4, 5}},     // Bob is blocked, carol unapproved
		{BlockedContacts, []byte{3, 1}},
	} {
		cs, err := db.Contacts(ctx, f.filter)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(cs); string(got) != string(f.want) {
			t.Errorf("Contacts(%d) = %v, want %v", f.filter, got, f.want)
		}
	}
	if _, err := db.Contacts(ctx, ContactFilter(9)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unknown filter: %v", err)
	}

	// Reopen keeps them; DeleteContact removes one.
	db.Close()
	db = openAt(t, path, testKey(1))
	if c, err := db.Contact(ctx, sid(2)); err != nil || c.Name != "carol" || c.Priority != 5 {
		t.Fatalf("after reopen: %+v, %v", c, err)
	}
	if err := db.DeleteContact(ctx, sid(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Contact(ctx, sid(2)); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted contact: %v", err)
	}
	if err := db.DeleteContact(ctx, sid(2)); err != nil {
		t.Errorf("deleting again: %v", err)
	}
}

func TestContactValidation(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	group := sid(1)
	group.Prefix = keys.PrefixGroup
	bad := sid(1)
	bad.Prefix = 0x99
	for name, err := range map[string]error{
		"zero ID":        db.UpsertContact(ctx, Contact{}),
		"group ID":       db.UpsertContact(ctx, Contact{ID: group}),
		"unknown prefix": db.SetBlocked(ctx, bad, true),
		"group nickname": db.SetNickname(ctx, group, "x"),
		"non-UTF-8 name": db.SetName(ctx, sid(1), "a\xc3"),
		"non-UTF-8 nick": db.UpsertContact(ctx, Contact{ID: sid(1), Nickname: "\xff"}),
	} {
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
	long := strings.Repeat("x", MaxNameBytes+1)
	for name, err := range map[string]error{
		"long name":     db.UpsertContact(ctx, Contact{ID: sid(1), Name: long}),
		"long nickname": db.UpsertContact(ctx, Contact{ID: sid(1), Nickname: long}),
		"SetName":       db.SetName(ctx, sid(1), long),
		"SetNickname":   db.SetNickname(ctx, sid(1), long),
	} {
		if !errors.Is(err, ErrNameTooLong) {
			t.Errorf("%s: %v, want ErrNameTooLong", name, err)
		}
	}
	if cs, _ := db.Contacts(ctx, AllContacts); len(cs) != 0 {
		t.Errorf("refused inputs stored %d contacts", len(cs))
	}
	if err := db.SetNickname(ctx, sid(1), strings.Repeat("x", MaxNameBytes)); err != nil {
		t.Errorf("100-byte nickname: %v", err)
	}
}
