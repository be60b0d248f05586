package client

import (
	"context"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/storagerpc"
)

// execInHome runs SQL on the database of a home from a second connection,
// as another process could: a trigger made here is seen by the client's
// own connections.
func execInHome(t *testing.T, home, query string) {
	t.Helper()
	key, err := clientdb.LoadOrCreateKeyFile(filepath.Join(home, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(home, dbFile)), RawQuery: "vfs=adiantum"}
	db, err := driver.Open(u.String(), func(c *sqlite3.Conn) error {
		if err := c.Exec("PRAGMA hexkey='" + hex.EncodeToString(key) + "'"); err != nil {
			return err
		}
		return c.BusyTimeout(10 * time.Second)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// A message that cannot be saved is not marked seen, fails the poll, and
// is fetched again by the next one: nothing received is lost to a full
// disk or a failing database.
func TestSaveFailureFailsThePollAndRefetches(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice := account(t, "Alice")
	home := t.TempDir()
	bob, _, err := Create(ctx, Options{Home: home, Network: testNet.NetworkFile, PollWait: time.Second}, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()

	execInHome(t, home, `CREATE TRIGGER fail_save BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`)
	sent, err := alice.Send(ctx, bob.SessionID(), "do not lose me")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ms, err := bob.Receive(ctx)
		if len(ms) > 0 {
			t.Fatalf("a message was shown although it could not be saved: %+v", ms)
		}
		if err != nil && strings.Contains(err.Error(), "disk on fire") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the save failure never failed a poll (last error %v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if seen, err := bob.db.Seen(ctx, sent.Hash); err != nil || seen {
		t.Fatalf("a message that was not saved is marked seen (%v, %v)", seen, err)
	}
	execInHome(t, home, `DROP TRIGGER fail_save`)
	got := receiveUntil(t, bob, "the message after the failure", func(ms []Message) bool { return len(ms) > 0 })
	if len(got) != 1 || got[0].Body != "do not lose me" {
		t.Fatalf("after the failure Bob received %+v", got)
	}
	if seen, _ := bob.db.Seen(ctx, sent.Hash); !seen {
		t.Error("the saved message is not marked seen")
	}
	// And only once.
	if more, err := bob.Receive(ctx); err != nil || len(more) != 0 {
		t.Errorf("a later poll gave %+v, %v", more, err)
	}
}

// A retrieve cursor is meaningful only to the node that gave it: each
// swarm member returns messages in its own insertion order. Here every
// member but one holds a cursor past an unseen message (as a cursor
// carried from another member would be); the message still arrives, from
// the member that has no cursor, and no member's cursor is written under
// another's name.
func TestCursorPerNode(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	first, err := alice.Send(ctx, bob.SessionID(), "first")
	if err != nil {
		t.Fatal(err)
	}
	second, err := alice.Send(ctx, bob.SessionID(), "second")
	if err != nil {
		t.Fatal(err)
	}
	net, err := bob.network()
	if err != nil {
		t.Fatal(err)
	}
	members, err := net.Swarm(ctx, bob.id.SessionID())
	if err != nil || len(members) < 2 {
		t.Fatalf("Bob's swarm: %d members, %v", len(members), err)
	}
	// As the old client did, and as a single cursor taken from a member
	// that stored "second" first would be: a cursor past "first".
	if err := bob.db.SetCursor(ctx, "0", second.Hash); err != nil {
		t.Fatal(err)
	}
	for _, m := range members[1:] {
		if err := bob.db.SetCursor(ctx, cursorKey(m.Ed25519, storagerpc.NamespaceDefault), second.Hash); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bob.db.MarkSeen(ctx, second.Hash, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := receiveUntil(t, bob, "the message behind the cursor", func(ms []Message) bool {
		return slices.Contains(bodies(ms), "first")
	})
	if slices.Contains(bodies(got), "second") {
		t.Errorf("a seen message came again: %q", bodies(got))
	}
	c, err := bob.db.Cursor(ctx, cursorKey(members[0].Ed25519, storagerpc.NamespaceDefault))
	if err != nil || c == "" {
		t.Fatalf("no cursor kept for the member that answered (%q, %v)", c, err)
	}
	if c != first.Hash && c != second.Hash {
		t.Errorf("member %s has cursor %q, not one of its own messages", members[0].Ed25519, c)
	}
}

// The home is private to the user even when it existed before.
func TestHomeTightened(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := Open(context.Background(), Options{Home: home, CreateAccount: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fi, err := os.Stat(home)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("home has mode %o, want 700", m)
	}
	for _, f := range []string{dbFile, keyFile} {
		fi, err := os.Stat(filepath.Join(home, f))
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", f, m)
		}
	}
}
