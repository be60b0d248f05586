package clientdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/session-go/session-go/internal/keys"
)

const contactCols = "id, name, nickname, approved, approved_me, blocked, priority, created"

func scanContact(sc interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	var id string
	var created int64
	if err := sc.Scan(&id, &c.Name, &c.Nickname, &c.Approved, &c.ApprovedMe, &c.Blocked, &c.Priority, &created); err != nil {
		return Contact{}, err
	}
	var err error
	if c.ID, err = parseID(id); err != nil {
		return Contact{}, err
	}
	c.Created = fromMS(created)
	return c, nil
}

// UpsertContact stores c, replacing every field of an existing contact with
// the same ID except Created, which keeps its first value. Approving a
// contact also accepts its pending message request.
func (db *DB) UpsertContact(ctx context.Context, c Contact) error {
	if err := checkID("contact", c.ID, keys.PrefixStandard); err != nil {
		return fmt.Errorf("clientdb: upsert contact: %w", err)
	}
	if err := checkName("name", c.Name); err != nil {
		return fmt.Errorf("clientdb: upsert contact %q: %w", c.ID, err)
	}
	if err := checkName("nickname", c.Nickname); err != nil {
		return fmt.Errorf("clientdb: upsert contact %q: %w", c.ID, err)
	}
	created := ms(c.Created)
	if created <= 0 {
		created = ms(db.now())
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO contacts (`+contactCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, nickname = excluded.nickname,
				approved = excluded.approved, approved_me = excluded.approved_me,
				blocked = excluded.blocked, priority = excluded.priority`,
			c.ID.String(), c.Name, c.Nickname, c.Approved, c.ApprovedMe, c.Blocked, c.Priority, created)
		if err != nil || !c.Approved {
			return err
		}
		return clearRequest(ctx, tx, c.ID)
	})
	if err != nil {
		return fmt.Errorf("clientdb: upsert contact %q: %w", c.ID, err)
	}
	return nil
}

// Contact returns the contact with the given ID, or ErrNotFound.
func (db *DB) Contact(ctx context.Context, id keys.ID) (Contact, error) {
	c, err := scanContact(db.rq(ctx).QueryRowContext(ctx, "SELECT "+contactCols+" FROM contacts WHERE id = ?", id.String()))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Contact{}, fmt.Errorf("clientdb: contact %q: %w", id, err)
	}
	return c, nil
}

// Contacts returns the contacts that filter selects, by display name.
func (db *DB) Contacts(ctx context.Context, filter ContactFilter) ([]Contact, error) {
	var where string
	switch filter {
	case AllContacts:
		where = "1"
	case ApprovedContacts:
		where = "approved AND NOT blocked"
	case BlockedContacts:
		where = "blocked"
	default:
		return nil, fmt.Errorf("clientdb: contacts: %w: filter %d", ErrInvalidArgument, filter)
	}
	rows, err := db.rq(ctx).QueryContext(ctx, "SELECT "+contactCols+" FROM contacts WHERE "+where+`
		ORDER BY CASE WHEN nickname <> '' THEN nickname ELSE name END COLLATE NOCASE, id`)
	if err != nil {
		return nil, fmt.Errorf("clientdb: contacts: %w", err)
	}
	defer rows.Close()
	var cs []Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, fmt.Errorf("clientdb: contacts: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clientdb: contacts: %w", err)
	}
	return cs, nil
}

// SetName sets the display name that contact id gives itself in its
// profile, adding the contact if it is unknown.
func (db *DB) SetName(ctx context.Context, id keys.ID, name string) error {
	if err := checkName("name", name); err != nil {
		return fmt.Errorf("clientdb: set name of %q: %w", id, err)
	}
	return db.setContactField(ctx, "set name", id, "name", name)
}

// SetNickname sets the local nickname of contact id ("" removes it), adding
// the contact if it is unknown.
func (db *DB) SetNickname(ctx context.Context, id keys.ID, nickname string) error {
	if err := checkName("nickname", nickname); err != nil {
		return fmt.Errorf("clientdb: set nickname of %q: %w", id, err)
	}
	return db.setContactField(ctx, "set nickname", id, "nickname", nickname)
}

// SetBlocked blocks or unblocks id, adding the contact if it is unknown.
// Messages from a blocked sender are dropped from then on; those already
// stored stay.
func (db *DB) SetBlocked(ctx context.Context, id keys.ID, blocked bool) error {
	return db.setContactField(ctx, "set blocked", id, "blocked", boolInt(blocked))
}

// SetApproved sets whether this account accepts id, adding the contact if it
// is unknown. Approving accepts a pending message request from id.
func (db *DB) SetApproved(ctx context.Context, id keys.ID, approved bool) error {
	return db.setContactField(ctx, "set approved", id, "approved", boolInt(approved))
}

// SetApprovedMe sets whether id has accepted this account, adding the
// contact if it is unknown.
func (db *DB) SetApprovedMe(ctx context.Context, id keys.ID, approvedMe bool) error {
	return db.setContactField(ctx, "set approved_me", id, "approved_me", boolInt(approvedMe))
}

// SetPriority sets the conversation priority of contact id (see
// Contact.Priority), adding the contact if it is unknown.
func (db *DB) SetPriority(ctx context.Context, id keys.ID, priority int64) error {
	return db.setContactField(ctx, "set priority", id, "priority", priority)
}

// setContactField sets one column of a contact, creating the contact if
// needed. col is one of our own column names, never user input.
func (db *DB) setContactField(ctx context.Context, op string, id keys.ID, col string, v any) error {
	if err := checkID("contact", id, keys.PrefixStandard); err != nil {
		return fmt.Errorf("clientdb: %s: %w", op, err)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO contacts (id, created, "+col+") VALUES (?, ?, ?)"+
			" ON CONFLICT (id) DO UPDATE SET "+col+" = excluded."+col,
			id.String(), ms(db.now()), v)
		if err != nil || col != "approved" || v != int64(1) {
			return err
		}
		return clearRequest(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("clientdb: %s of %q: %w", op, id, err)
	}
	return nil
}

// DeleteContact removes contact id; its conversation stays. Deleting an
// unknown contact is not an error.
func (db *DB) DeleteContact(ctx context.Context, id keys.ID) error {
	if _, err := db.wq(ctx).ExecContext(ctx, "DELETE FROM contacts WHERE id = ?", id.String()); err != nil {
		return fmt.Errorf("clientdb: delete contact %q: %w", id, err)
	}
	return nil
}

// clearRequest turns the conversation with id, if it is a message request,
// into an ordinary conversation.
func clearRequest(ctx context.Context, tx *sql.Tx, id keys.ID) error {
	_, err := tx.ExecContext(ctx, "UPDATE conversations SET request = 0 WHERE id = ? AND request", id.String())
	return err
}
