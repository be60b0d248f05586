package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// testNet is a devnet of real snode processes for the messaging commands.
var testNet *devnet.Net

func TestMain(m *testing.M) { os.Exit(devnettest.Main(m, 14, &testNet)) }

// user runs CLI commands for one home.
type user struct {
	t    *testing.T
	home string
	net  string
}

func newUser(t *testing.T) *user {
	devnettest.Need(t, testNet)
	return &user{t: t, home: t.TempDir(), net: testNet.NetworkFile}
}

// namedUser makes a user with a new account named name and returns it
// with its Session ID: the start of every conversation test.
func namedUser(t *testing.T, name string) (u *user, sessionID string) {
	t.Helper()
	u = newUser(t)
	u.run(0, "", "init", "--name", name)
	var who struct {
		SessionID string `json:"session_id"`
	}
	u.json(&who, "whoami")
	return u, who.SessionID
}

// run runs one command and fails the test unless it exits with want.
func (u *user) run(want int, stdin string, args ...string) string {
	u.t.Helper()
	var out, errOut strings.Builder
	code := Run(u.t.Context(), append([]string{"--home", u.home}, args...), Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Version: "test",
		Getenv: func(k string) string {
			if k == "SESSION_NETWORK" {
				return u.net
			}
			if k == "TMPDIR" { // no default devnet
				return u.home
			}
			return ""
		},
	})
	if code != want {
		u.t.Fatalf("session %s: exit %d (want %d), stderr %q, stdout %q", strings.Join(args, " "), code, want, errOut.String(), out.String())
	}
	if code != 0 && strings.Count(errOut.String(), "\n") != 1 {
		u.t.Fatalf("session %s: stderr %q is not one line", strings.Join(args, " "), errOut.String())
	}
	return out.String()
}

func (u *user) json(v any, args ...string) {
	u.t.Helper()
	out := u.run(0, "", append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		u.t.Fatalf("session %s --json: %q: %v", strings.Join(args, " "), out, err)
	}
}

type jsonMessage struct {
	ID       int64  `json:"id"`
	From     string `json:"from"`
	Body     string `json:"body"`
	Outgoing bool   `json:"outgoing"`
	Status   string `json:"status"`
}

type jsonConversation struct {
	SessionID string `json:"session_id"`
	Name      string `json:"name"`
	Unread    int    `json:"unread"`
	Request   bool   `json:"request"`
}

type jsonContact struct {
	SessionID string `json:"session_id"`
	Name      string `json:"name"`
	Nickname  string `json:"nickname"`
	Approved  bool   `json:"approved"`
	Blocked   bool   `json:"blocked"`
}

// receiveAll runs `receive --json` until it returns n messages in total.
func (u *user) receiveAll(n int) []jsonMessage {
	u.t.Helper()
	var all []jsonMessage
	for range 100 {
		var ms []jsonMessage
		u.json(&ms, "receive")
		all = append(all, ms...)
		if len(all) >= n {
			return all
		}
	}
	u.t.Fatalf("received %d messages, want %d", len(all), n)
	return nil
}

func TestChatThroughTheCLI(t *testing.T) {
	alice, bob, carol := newUser(t), newUser(t), newUser(t)
	var acct struct {
		SessionID        string `json:"session_id"`
		RecoveryPassword string `json:"recovery_password"`
	}
	alice.json(&acct, "init", "--name", "Alice")
	aliceID, aliceWords := acct.SessionID, acct.RecoveryPassword
	if !strings.HasPrefix(aliceID, "05") || len(strings.Fields(aliceWords)) != 13 {
		t.Fatalf("init --json: %+v", acct)
	}
	bob.run(0, "", "init", "--name", "Bob")
	carol.run(0, "", "init", "--name", "Carol")
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")
	bobID := who.SessionID
	carol.json(&who, "whoami")
	carolID := who.SessionID
	alice.run(2, "", "init") // a home holds one account

	var sent jsonMessage
	alice.json(&sent, "send", bobID, "hello", "Bob")
	if sent.Status != "sent" || sent.Body != "hello Bob" {
		t.Fatalf("send --json: %+v", sent)
	}
	got := bob.receiveAll(1)
	if got[0].From != aliceID || got[0].Body != "hello Bob" {
		t.Fatalf("Bob received %+v", got)
	}
	var reqs []jsonConversation
	bob.json(&reqs, "requests")
	if len(reqs) != 1 || reqs[0].SessionID != aliceID || reqs[0].Name != "Alice" {
		t.Fatalf("requests: %+v", reqs)
	}
	bob.run(0, "", "accept", aliceID)
	bob.run(0, "", "send", "Alice", "hi Alice")
	alice.receiveAll(1)
	var inbox []jsonConversation
	alice.json(&inbox, "inbox")
	if len(inbox) != 1 || inbox[0].SessionID != bobID || inbox[0].Unread != 1 {
		t.Fatalf("Alice's inbox: %+v", inbox)
	}
	var conv []jsonMessage
	alice.json(&conv, "read", "Bob")
	if len(conv) != 2 || conv[0].Body != "hello Bob" || !conv[0].Outgoing || conv[1].Body != "hi Alice" {
		t.Fatalf("read: %+v", conv)
	}
	alice.json(&inbox, "inbox")
	if inbox[0].Unread != 0 {
		t.Errorf("unread after read: %d", inbox[0].Unread)
	}

	// Nicknames, and sending by nickname.
	alice.run(0, "", "name", bobID, "Bobby")
	var cts []jsonContact
	alice.json(&cts, "contacts")
	if len(cts) != 1 || cts[0].Nickname != "Bobby" || cts[0].Name != "Bob" || !cts[0].Approved || cts[0].Blocked {
		t.Fatalf("contacts: %+v", cts)
	}
	alice.run(0, "", "send", "bobby", "by nickname")
	bob.receiveAll(1)

	// Decline: Carol's request disappears; block: her later messages are dropped.
	carol.run(0, "", "send", bobID, "buy my stuff")
	bob.receiveAll(1)
	bob.run(0, "", "decline", carolID)
	bob.json(&reqs, "requests")
	if len(reqs) != 0 {
		t.Fatalf("requests after decline: %+v", reqs)
	}
	bob.run(0, "", "block", carolID)
	carol.run(0, "", "send", bobID, "again")
	alice.run(0, "", "send", bobID, "marker")
	for _, m := range bob.receiveAll(1) {
		if m.From == carolID {
			t.Fatalf("a blocked sender's message came through: %+v", m)
		}
	}
	bob.json(&cts, "contacts")
	for _, c := range cts {
		if c.SessionID == carolID && !c.Blocked {
			t.Errorf("Carol not shown as blocked: %+v", c)
		}
	}

	// The recovery password restores the same account elsewhere.
	var rp struct {
		RecoveryPassword string `json:"recovery_password"`
	}
	alice.json(&rp, "account", "recovery-password")
	if rp.RecoveryPassword != aliceWords {
		t.Fatalf("recovery-password gave %q, init gave %q", rp.RecoveryPassword, aliceWords)
	}
	alice2 := newUser(t)
	out := alice2.run(0, rp.RecoveryPassword, "restore", "--json")
	if !strings.Contains(out, aliceID) {
		t.Fatalf("restore: %q", out)
	}
}

func TestCLIErrors(t *testing.T) {
	u := newUser(t)
	u.run(2, "", "send", "05abc", "x") // no account yet
	u.run(0, "", "init")
	u.run(2, "", "send", "05"+strings.Repeat("zz", 32), "x")
	u.run(2, "", "send", "nobody", "x")
	u.run(2, "", "send", "05"+strings.Repeat("ab", 32))
	u.run(2, "", "accept", "nobody")
	u.run(2, "", "read", "nobody")
	u.run(2, "", "retry", "x")
	u.run(2, "zzz zzz", "restore")
	u.run(2, "", "--socks5", "no-port", "inbox")

	// Unreachable network: one line, exit 1, and the message is kept.
	dead := filepath.Join(t.TempDir(), "dead.json")
	os.WriteFile(dead, []byte(`{"seeds":[{"url":"https://127.0.0.1:1","pubkey_ed25519":"`+testNet.Nodes[0].Ed25519+`"}]}`), 0o600)
	off := &user{t: t, home: t.TempDir(), net: dead}
	off.run(1, "", "init") // a network that does not answer: nothing is created
	if entries, _ := os.ReadDir(off.home); len(entries) != 0 {
		t.Fatalf("init on a dead network left %d files in the home", len(entries))
	}
	off.net = ""
	off.run(0, "", "init") // no network at all: the account is made offline
	off.net = dead
	var bob struct {
		SessionID string `json:"session_id"`
	}
	u.json(&bob, "whoami")
	off.run(1, "", "send", bob.SessionID, "kept for later")
	off.run(1, "", "retry") // still unreachable: not reported as retried
	off.net = ""
	off.run(0, "", "--network", testNet.NetworkFile, "retry")
	got := u.receiveAll(1)
	if got[0].Body != "kept for later" {
		t.Fatalf("retried message: %+v", got)
	}
}

func TestDevicesPrintTheSameState(t *testing.T) {
	a1, bob := newUser(t), newUser(t)
	var acct struct {
		SessionID        string `json:"session_id"`
		RecoveryPassword string `json:"recovery_password"`
	}
	a1.json(&acct, "init", "--name", "Alice")
	bob.run(0, "", "init", "--name", "Bob")
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")
	a1.run(0, "", "send", who.SessionID, "hi Bob")
	bob.receiveAll(1)
	bob.run(0, "", "send", acct.SessionID, "hi Alice")
	a1.run(0, "", "name", who.SessionID, "B")

	a2 := newUser(t)
	a2.run(0, acct.RecoveryPassword, "restore")
	a1.run(0, "", "receive")
	a2.run(0, "", "receive")
	for _, cmd := range []string{"contacts", "inbox"} {
		x, y := a1.run(0, "", cmd, "--json"), a2.run(0, "", cmd, "--json")
		if x != y {
			t.Errorf("%s --json differs between devices:\n%s\n%s", cmd, x, y)
		}
	}
}

// lineWriter collects output and signals each write.
type lineWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	wrote chan struct{}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestWatchStreamsEvents(t *testing.T) {
	alice, bob := newUser(t), newUser(t)
	alice.run(0, "", "init", "--name", "Alice")
	bob.run(0, "", "init", "--name", "Bob")
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")

	ctx, cancel := context.WithCancel(t.Context())
	out := &lineWriter{wrote: make(chan struct{}, 1)}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"--home", bob.home, "watch", "--json"}, Env{
			Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard, Getenv: func(string) string { return "" },
		})
	}()
	var sent jsonMessage
	alice.json(&sent, "send", who.SessionID, "are you watching?")
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), "are you watching?") {
		select {
		case <-out.wrote:
		case <-deadline:
			t.Fatalf("watch printed %q", out.String())
		}
	}
	alice.run(0, "", "edit", strconv.FormatInt(sent.ID, 10), "still watching?")
	for !strings.Contains(out.String(), "still watching?") {
		select {
		case <-out.wrote:
		case <-deadline:
			t.Fatalf("watch printed %q", out.String())
		}
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("watch exited %d after interrupt", code)
	}
	types := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var ev struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("watch --json line %q is not JSON", line)
		}
		types[ev.Type] = true
	}
	if !types["message"] || !types["request"] || !types["edited"] {
		t.Errorf("watch events %v, want a message, a request and an edit", types)
	}
}

func TestProfileNameReachesOtherDevicesAndContacts(t *testing.T) {
	a1, bob := newUser(t), newUser(t)
	var acct struct {
		SessionID        string `json:"session_id"`
		RecoveryPassword string `json:"recovery_password"`
	}
	a1.json(&acct, "init", "--name", "Alice")
	a2 := newUser(t)
	a2.run(0, acct.RecoveryPassword, "restore")
	a1.run(0, "", "profile", "--name", "Alicia")
	a2.run(0, "", "receive")
	if got := strings.TrimSpace(a2.run(0, "", "profile")); got != "Alicia" {
		t.Errorf("device 2's display name is %q, want Alicia", got)
	}
	bob.run(0, "", "init")
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")
	a2.run(0, "", "send", who.SessionID, "hi")
	bob.receiveAll(1)
	var reqs []jsonConversation
	bob.json(&reqs, "requests")
	if len(reqs) != 1 || reqs[0].Name != "Alicia" {
		t.Errorf("Bob sees %+v, want a request from Alicia", reqs)
	}
	long := strings.Repeat("x", 101)
	a1.run(2, "", "profile", "--name", long)
}

// TestNetworkIsRememberedOnlyWhenItAnswered: init remembers the network
// that answered; a --network on another command is for that command only;
// `network set` refuses one that does not answer; and commands whose
// change could not reach the network say so and exit 1.
func TestNetworkIsRememberedOnlyWhenItAnswered(t *testing.T) {
	u, bob := newUser(t), newUser(t)
	u.run(0, "", "init", "--name", "Alice")
	bob.run(0, "", "init", "--name", "Bob")
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")
	u.net = "" // from now on only what the home remembers
	if got := strings.TrimSpace(u.run(0, "", "network")); got != testNet.NetworkFile {
		t.Fatalf("network: %q, want %q", got, testNet.NetworkFile)
	}
	dead := filepath.Join(t.TempDir(), "dead.json")
	os.WriteFile(dead, []byte(`{"seeds":[{"url":"https://127.0.0.1:1","pubkey_ed25519":"`+testNet.Nodes[0].Ed25519+`"}]}`), 0o600)

	u.run(1, "", "network", "set", dead)
	u.run(1, "", "--network", dead, "block", who.SessionID)
	u.run(1, "", "--network", dead, "name", who.SessionID, "Bobby")
	u.run(1, "", "--network", dead, "profile", "--name", "Alicia")
	if got := strings.TrimSpace(u.run(0, "", "network")); got != testNet.NetworkFile {
		t.Fatalf("after failed commands, network: %q, want still %q", got, testNet.NetworkFile)
	}
	// The edits were kept here and reach the network with the next poll.
	u.run(0, "", "receive")
	var cts []jsonContact
	u.json(&cts, "contacts")
	if len(cts) != 1 || !cts[0].Blocked || cts[0].Nickname != "Bobby" {
		t.Fatalf("contacts after the failed commands: %+v", cts)
	}
	u.run(0, "", "network", "set", testNet.NetworkFile)
}

// TestMistypedHomeCreatesNothing: only init and restore create a home.
func TestMistypedHomeCreatesNothing(t *testing.T) {
	u := newUser(t)
	u.home = filepath.Join(u.home, "typo")
	for _, args := range [][]string{{"inbox"}, {"whoami"}, {"send", "05" + strings.Repeat("ab", 32), "x"}, {"account", "recovery-password"}, {"network"}} {
		u.run(2, "", args...)
		if _, err := os.Stat(u.home); err == nil {
			t.Fatalf("session %s created the mistyped home", strings.Join(args, " "))
		}
	}
}

// TestRestoreFetchesAtOnceAndKeepsTheName: restore shows the account's
// conversations without a separate receive, and its --name does not rename
// an account that already has a name (on any device).
func TestRestoreFetchesAtOnceAndKeepsTheName(t *testing.T) {
	a1, bob := newUser(t), newUser(t)
	var acct struct {
		SessionID        string `json:"session_id"`
		RecoveryPassword string `json:"recovery_password"`
	}
	a1.json(&acct, "init", "--name", "Alice")
	bob.run(0, "", "init", "--name", "Bob")
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")
	a1.run(0, "", "send", who.SessionID, "hi Bob")

	a2 := newUser(t)
	out := a2.run(0, acct.RecoveryPassword, "restore", "--name", "Mallory")
	if !strings.Contains(out, "Alice") || !strings.Contains(out, "profile --name") {
		t.Errorf("restore --name on a named account: %q; want it to keep Alice and say how to rename", out)
	}
	var inbox []jsonConversation
	a2.json(&inbox, "inbox") // no receive in between
	if len(inbox) != 1 || inbox[0].SessionID != who.SessionID {
		t.Fatalf("inbox right after restore: %+v, want the conversation with Bob", inbox)
	}
	a1.run(0, "", "receive")
	for i, d := range []*user{a1, a2} {
		if got := strings.TrimSpace(d.run(0, "", "profile")); got != "Alice" {
			t.Errorf("device %d is named %q after restore --name Mallory, want Alice", i+1, got)
		}
	}
}
