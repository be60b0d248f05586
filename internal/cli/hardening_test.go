package cli

import (
	"encoding/hex"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/clientdb"
)

// execInHome runs SQL on the database of a home from a second connection,
// as another process could.
func execInHome(t *testing.T, home, query string) {
	t.Helper()
	key, err := clientdb.LoadOrCreateKeyFile(filepath.Join(home, "db.key"))
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(home, "session.db")), RawQuery: "vfs=adiantum"}
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

// A message that cannot be saved makes `receive` exit 1, and the next
// `receive` shows it.
func TestReceiveSaveFailureExitsNonZero(t *testing.T) {
	alice, bob := newUser(t), newUser(t)
	alice.run(0, "", "init", "--name", "Alice")
	bob.run(0, "", "init", "--name", "Bob")
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")
	execInHome(t, bob.home, `CREATE TRIGGER fail_save BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`)
	alice.run(0, "", "send", who.SessionID, "keep me")
	failed := false
	for range 100 {
		var out, errOut strings.Builder
		code := Run(t.Context(), []string{"--home", bob.home, "--network", bob.net, "receive"}, Env{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		})
		if strings.Contains(out.String(), "keep me") {
			t.Fatalf("a message that was not saved was shown: %q", out.String())
		}
		if code != 0 {
			if code != ExitFailure || !strings.Contains(errOut.String(), "disk on fire") {
				t.Fatalf("receive: exit %d, stderr %q", code, errOut.String())
			}
			failed = true
			break
		}
	}
	if !failed {
		t.Fatal("receive never reported the save failure")
	}
	execInHome(t, bob.home, `DROP TRIGGER fail_save`)
	got := bob.receiveAll(1)
	if len(got) != 1 || got[0].Body != "keep me" {
		t.Fatalf("after the failure: %+v", got)
	}
}

// Names and bodies from a stranger cannot drive the terminal: escape
// sequences, C1 controls, bidi overrides and forged lines are shown as
// visible escapes in every text output.
func TestEscapeSequencesNeutralised(t *testing.T) {
	eve, bob := newUser(t), newUser(t)
	evilName := "\x1b]0;owned\x07Eve\u202e\x1b[2J"
	eve.run(0, "", "init", "--name", evilName)
	bob.run(0, "", "init", "--name", "Bob")
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")
	evilBody := "hi\x1b[31m red\u009b2J\n2026-01-01 00:00:00 Alice (05aaaaaaaa…): send the seed to Eve\rover"
	eve.run(0, evilBody, "send", who.SessionID, "-")
	out := ""
	for range 100 {
		out += bob.run(0, "", "receive")
		if strings.Contains(out, "hi") {
			break
		}
	}
	outputs := map[string]string{
		"receive":  out,
		"requests": bob.run(0, "", "requests"),
		"contacts": bob.run(0, "", "contacts"),
		"read":     bob.run(0, "", "read", eveID(t, bob)),
	}
	for cmd, text := range outputs {
		if strings.ContainsAny(text, "\x1b\x07\r\u009b\u202e") {
			t.Errorf("%s printed a raw control: %q", cmd, text)
		}
		if !strings.Contains(text, `\x1b`) {
			t.Errorf("%s does not show the escape visibly: %q", cmd, text)
		}
		for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if strings.HasPrefix(line, "2026-01-01") {
				t.Errorf("%s: a body forged a line: %q", cmd, line)
			}
		}
	}
}

// eveID is the Session ID of the only requester.
func eveID(t *testing.T, u *user) string {
	var reqs []jsonConversation
	u.json(&reqs, "requests")
	if len(reqs) != 1 {
		t.Fatalf("requests: %+v", reqs)
	}
	return reqs[0].SessionID
}

// Pending requests are declined or blocked all at once, and a setting
// refuses them from strangers.
func TestBulkRequestsAndRefuse(t *testing.T) {
	bob := newUser(t)
	bob.run(0, "", "init", "--name", "Bob")
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")
	strangers := func(n int) {
		for i := range n {
			s := newUser(t)
			s.run(0, "", "init", "--name", "Stranger")
			s.run(0, "", "send", who.SessionID, "request", string(rune('a'+i)))
		}
	}
	waitRequests := func(n int) {
		for range 100 {
			bob.run(0, "", "receive")
			var reqs []jsonConversation
			bob.json(&reqs, "requests")
			if len(reqs) == n {
				return
			}
		}
		t.Fatalf("never saw %d requests", n)
	}
	bob.run(2, "", "decline")               // neither an ID nor --all
	bob.run(2, "", "decline", "--all", "x") // both
	strangers(3)
	waitRequests(3)
	if out := bob.run(0, "", "decline", "--all"); !strings.Contains(out, "declined 3 message requests") {
		t.Errorf("decline --all: %q", out)
	}
	var reqs []jsonConversation
	bob.json(&reqs, "requests")
	if len(reqs) != 0 {
		t.Fatalf("requests after decline --all: %+v", reqs)
	}
	strangers(2)
	waitRequests(2)
	var res struct {
		Result string `json:"result"`
		Count  int    `json:"count"`
	}
	bob.json(&res, "block", "--all-requests")
	if res.Result != "blocked" || res.Count != 2 {
		t.Errorf("block --all-requests --json: %+v", res)
	}
	var cts []jsonContact
	bob.json(&cts, "contacts")
	blocked := 0
	for _, c := range cts {
		if c.Blocked {
			blocked++
		}
	}
	if blocked != 2 {
		t.Errorf("%d blocked contacts, want 2: %+v", blocked, cts)
	}

	bob.run(2, "", "requests", "--refuse", "maybe")
	bob.run(0, "", "requests", "--refuse", "on")
	strangers(1)
	for range 5 {
		bob.run(0, "", "receive")
	}
	bob.json(&reqs, "requests")
	if len(reqs) != 0 {
		t.Errorf("a request came through while refused: %+v", reqs)
	}
}

func TestWarningsCountedOnce(t *testing.T) {
	var b strings.Builder
	p := newWarningPrinter(&b)
	for range 5 {
		p.print(client.Warning{Text: "repaired \x1b[31m"})
	}
	want := "warning: repaired \\x1b[31m\nwarning: repaired \\x1b[31m (2 times)\nwarning: repaired \\x1b[31m (4 times)\n"
	if b.String() != want {
		t.Errorf("printed %q, want %q", b.String(), want)
	}
}
