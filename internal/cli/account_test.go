package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/mnemonic"
)

// run runs the CLI in-process with stdin and returns exit status, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" }, Version: "test",
	})
	return code, out.String(), errOut.String()
}

// The phrase and keys below are the upstream vector for seed 000102…0f.
const testPhrase = "amaze buffet cake entrance symptoms tiger lamb maze nestle python dusted faxed faxed"

func TestAccountInspectPrintsKeys(t *testing.T) {
	code, out, errOut := run(t, "  AMAZE buffet\tcake entrance symptoms tiger lamb maze nestle python dusted faxed faxed\n", "account", "inspect")
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %q", out)
	}
	seed, err := mnemonic.Decode(testPhrase)
	if err != nil {
		t.Fatal(err)
	}
	id, err := keys.NewIdentity(seed)
	if err != nil {
		t.Fatal(err)
	}
	if got["session_id"] != id.SessionID().String() || !strings.HasPrefix(got["session_id"], "05") {
		t.Errorf("session_id = %q, want %q", got["session_id"], id.SessionID())
	}
	if len(got) != 3 || len(got["ed25519_public_key"]) != 64 || got["x25519_public_key"] != got["session_id"][2:] {
		t.Errorf("unexpected object %v", got)
	}
}

func TestAccountInspectErrors(t *testing.T) {
	words := strings.Fields(testPhrase)
	bad := append([]string(nil), words...)
	bad[3] = "zzz"
	swapped := append([]string(nil), words...)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	tests := []struct {
		name, stdin, wantErr string
	}{
		{"an unknown word is named with its position", strings.Join(bad, " "), `recovery password: word 4 "zzz" is not in the word list`},
		{"too few words are reported", strings.Join(words[:12], " "), "recovery password:"},
		{"too many words are reported", testPhrase + " abbey", "recovery password:"},
		{"a checksum mismatch is reported", strings.Join(swapped, " "), "recovery password:"},
		{"empty input is reported", "", "recovery password:"},
		{"huge input is refused", strings.Repeat("abbey ", 2000), "recovery password:"},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.stdin, "account", "inspect")
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.HasPrefix(errOut, tc.wantErr) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting with %q", errOut, tc.wantErr)
			}
			if prev, dup := seen[errOut]; dup {
				t.Errorf("same message as %q: errors must say what is wrong", prev)
			}
			seen[errOut] = tc.name
		})
	}
}

func TestAccountNewJSON(t *testing.T) {
	code, out, errOut := run(t, "", "account", "new", "--json")
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got struct {
		SessionID        string `json:"session_id"`
		RecoveryPassword string `json:"recovery_password"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if n := len(strings.Fields(got.RecoveryPassword)); n != 13 {
		t.Fatalf("recovery password has %d words, want 13", n)
	}
	// The printed password must restore the printed Session ID.
	code, out, _ = run(t, got.RecoveryPassword, "account", "inspect")
	if code != ExitOK || !strings.Contains(out, got.SessionID) {
		t.Errorf("inspect of the new password gave %q (exit %d), want session_id %s", out, code, got.SessionID)
	}
	// Two accounts are never the same.
	_, out2, _ := run(t, "", "account", "new", "--json")
	if out2 == out {
		t.Error("two new accounts are identical")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"nope"}, {"account"}, {"account", "nope"}, {"account", "new", "--bogus"}, {"account", "inspect", "extra"}} {
		code, _, errOut := run(t, "", args...)
		if code != ExitUsage || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d stderr %q, want exit 2 and one line", args, code, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if code, out, _ := run(t, "", args...); code != ExitOK || out != "test\n" {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}
