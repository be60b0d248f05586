package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the controlling side and the
// terminal a process gets as its stdin.
func openPTY(t *testing.T) (ctl, tty *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ctl.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ctl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctl.Close(); tty.Close() })
	return ctl, tty
}

// TestRestorePromptsOnATerminal types the recovery password into a
// terminal: restore asks for it (without echoing it), reads one line, and
// restores the account.
func TestRestorePromptsOnATerminal(t *testing.T) {
	bin := sessionBinary(t)
	dir := t.TempDir()
	env := userEnv(t, dir)
	netDir := filepath.Join(dir, "net")
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("session %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return out
	}
	// In the foreground, as a child that the kernel stops if this test
	// process dies: a timed-out test leaves no devnet behind.
	dn := exec.Command(bin, "devnet", "--nodes", "4", "--dir", netDir) // onion paths need 4
	dn.Env = env
	dn.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	dnOut, err := dn.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := dn.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dn.Process.Signal(syscall.SIGTERM); _ = dn.Wait() })
	if !waitLine(dnOut, "devnet ready", 2*time.Minute, t) {
		t.Fatal("the devnet never said it was ready")
	}
	network := filepath.Join(netDir, "network.json")
	var acct struct {
		SessionID        string `json:"session_id"`
		RecoveryPassword string `json:"recovery_password"`
	}
	if err := json.Unmarshal(run("--home", filepath.Join(dir, "a1"), "--network", network, "init", "--json"), &acct); err != nil {
		t.Fatal(err)
	}

	ctl, tty := openPTY(t)
	cmd := exec.Command(bin, "--home", filepath.Join(dir, "a2"), "--network", network, "restore")
	cmd.Env = env
	cmd.Stdin = tty
	var stdout strings.Builder
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The prompt ends without a newline: read bytes until it is there.
	prompted, errText := make(chan string, 1), make(chan string, 1)
	go func() {
		var got []byte
		b := make([]byte, 256)
		for {
			n, err := stderr.Read(b)
			got = append(got, b[:n]...)
			if strings.Contains(string(got), "Recovery password") || err != nil {
				prompted <- string(got)
				rest, _ := io.ReadAll(stderr)
				errText <- string(rest)
				return
			}
		}
	}()
	select {
	case p := <-prompted:
		if !strings.Contains(p, "Recovery password") {
			t.Fatalf("restore on a terminal wrote %q, want a prompt", p)
		}
	case <-time.After(time.Minute):
		t.Fatal("restore on a terminal did not ask for the recovery password")
	}
	// A person types after the prompt, by when the terminal no longer
	// echoes; wait for that too, as typing ahead would be echoed.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminal still echoes a minute after the prompt")
		}
	}
	echo := make(chan string, 1)
	go func() {
		b := make([]byte, 4096)
		var all strings.Builder
		for {
			n, err := ctl.Read(b)
			all.Write(b[:n])
			if err != nil || strings.Contains(all.String(), "\n") {
				echo <- all.String()
				return
			}
		}
	}()
	if _, err := ctl.WriteString(acct.RecoveryPassword + "\r"); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("restore on a terminal: %v; stdout %q, stderr %q", err, stdout.String(), <-errText)
	}
	if !strings.Contains(stdout.String(), "Restored "+acct.SessionID) {
		t.Fatalf("restore on a terminal printed %q", stdout.String())
	}
	// With every terminal end closed, the controlling side reads what the
	// terminal echoed, then an error.
	tty.Close()
	select {
	case got := <-echo:
		if strings.Contains(got, strings.Fields(acct.RecoveryPassword)[0]) {
			t.Errorf("the terminal echoed the recovery password: %q", got)
		}
	case <-time.After(time.Minute):
		t.Error("the terminal's output never ended")
	}
}
