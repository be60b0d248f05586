package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCommandHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"send", "--help"}, {"send", "Bob", "-h"}, {"help", "read"}, {"inbox", "-help"}, {"devnet", "--help"}, {"account", "--help"}} {
		var out, errOut strings.Builder
		code := Run(t.Context(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
		name := args[0]
		if name == "help" {
			name = args[1]
		}
		if code != 0 || !strings.Contains(out.String(), "usage: session "+name) || errOut.Len() != 0 {
			t.Errorf("session %s: exit %d, stdout %q, stderr %q; want exit 0 and the command's usage", strings.Join(args, " "), code, out.String(), errOut.String())
		}
	}
	// After "--", --help is text.
	fs := newFlags("send")
	if rest, err := parseInterspersed(fs, []string{"Bob", "--", "--help"}); err != nil || !slices.Equal(rest, []string{"Bob", "--help"}) {
		t.Errorf("send Bob -- --help: %q, %v", rest, err)
	}
}

func TestDashTextIsText(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"Bob", "-1"}, []string{"Bob", "-1"}},
		{[]string{"Bob", "-0.5", "degrees"}, []string{"Bob", "-0.5", "degrees"}},
		{[]string{"Bob", "--", "-hello", "--json"}, []string{"Bob", "-hello", "--json"}},
		{[]string{"Bob", "-2", "--json"}, []string{"Bob", "-2"}},
	} {
		fs := newFlags("send")
		var g globals
		addGlobals(fs, &g)
		rest, err := parseInterspersed(fs, tc.in)
		if err != nil || !slices.Equal(rest, tc.want) {
			t.Errorf("%q: %q, %v; want %q", tc.in, rest, err, tc.want)
		}
	}
	fs := newFlags("send")
	if _, err := parseInterspersed(fs, []string{"Bob", "-hello"}); err == nil {
		t.Error("-hello (not a number) parsed as text without --")
	}
}

// TestCLIPolish: empty lists say so, lists have headers, and bad input of
// every kind exits 2 with one line.
func TestCLIPolish(t *testing.T) {
	alice, bob := newUser(t), newUser(t)
	alice.run(0, "", "init", "--name", "Alice")
	bob.run(0, "", "init", "--name", "Bob")
	for cmd, want := range map[string]string{"inbox": "no conversations yet", "requests": "no message requests", "contacts": "no contacts yet"} {
		if out := alice.run(0, "", cmd); strings.TrimSpace(out) != want {
			t.Errorf("%s on a new account: %q, want %q", cmd, out, want)
		}
	}
	var who struct {
		SessionID string `json:"session_id"`
	}
	bob.json(&who, "whoami")
	alice.run(0, "", "send", who.SessionID, "-1")
	got := bob.receiveAll(1)
	if got[0].Body != "-1" {
		t.Fatalf("Bob got %q, want -1", got[0].Body)
	}
	if out := bob.run(0, "", "receive"); strings.TrimSpace(out) != "no new messages" {
		t.Errorf("receive with nothing new: %q", out)
	}
	bob.run(0, "", "accept", got[0].From) // requests are named by Session ID
	for _, cmd := range []string{"inbox", "contacts"} {
		if out := bob.run(0, "", cmd); !strings.HasPrefix(out, "SESSION ID") || strings.Count(out, "\n") != 2 {
			t.Errorf("%s: %q, want a header and one row", cmd, out)
		}
	}

	bob.run(2, "", "decline", "Alice") // a contact, not a request
	var sent jsonMessage
	bob.json(&sent, "send", "Alice", "hi")
	bob.run(2, "", "retry", "1")                // sent, not failed
	bob.run(2, "", "send", "Alice", "bad \xff") // invalid UTF-8
	bob.run(2, "", "send", "Alice", "-x")       // a flag, not text: needs --
	bob.run(2, strings.Repeat("x", 40000), "send", "Alice", "-")
	var errOut strings.Builder
	code := Run(t.Context(), []string{"--home", bob.home, "--network", bob.net, "send", "Alice", "-"}, Env{
		Stdin: strings.NewReader(strings.Repeat("x", 40000)), Stdout: &strings.Builder{}, Stderr: &errOut,
		Getenv: func(string) string { return "" },
	})
	if code != 2 || !strings.Contains(errOut.String(), "32 KiB") || strings.Contains(errOut.String(), "3276") && !strings.Contains(errOut.String(), "32768 bytes") {
		t.Errorf("a 40000-byte message on stdin: exit %d, %q; want exit 2 naming the 32 KiB limit", code, errOut.String())
	}
}

// TestWatchSaysTheNetworkIsUnreachable: watch on a network that does not
// answer says so in one line on stderr, however many retries fail, and
// keeps trying until interrupted.
func TestWatchSaysTheNetworkIsUnreachable(t *testing.T) {
	u := newUser(t)
	u.run(0, "", "init")
	dead := filepath.Join(t.TempDir(), "dead.json")
	os.WriteFile(dead, []byte(`{"seeds":[{"url":"https://127.0.0.1:1","pubkey_ed25519":"`+testNet.Nodes[0].Ed25519+`"}]}`), 0o600)
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Second) // long enough for a few retries
	defer cancel()
	var out, errOut strings.Builder
	code := Run(ctx, []string{"--home", u.home, "--network", dead, "watch"}, Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" },
	})
	if code != 0 || strings.Count(errOut.String(), "network unreachable") != 1 || strings.Count(errOut.String(), "\n") != 1 {
		t.Fatalf("watch on a dead network: exit %d, stderr %q; want one line saying the network is unreachable", code, errOut.String())
	}
}
