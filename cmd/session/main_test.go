//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/netview"
)

// These tests run the session binary as a user does: built from this
// package into the test's temporary directory, with temporary homes and a
// temporary TMPDIR (so the default devnet never meets a user's own).

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// sessionBinary builds the session command once per test binary.
func sessionBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the session binary and starts devnets (skipped with -short)")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "session-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "session"), ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "session")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// userEnv is a clean environment for the binary: nothing of the user's
// SESSION_* settings, and a HOME and TMPDIR of the test's own.
func userEnv(t *testing.T, dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SESSION_") || k == "TMPDIR" || k == "HOME" || k == "XDG_DATA_HOME" {
			continue
		}
		env = append(env, kv)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	return append(env, "TMPDIR="+tmp, "HOME="+filepath.Join(dir, "home"))
}

// readmeBlocks returns the README's shell blocks that use the built
// binary (./session): the quick start a newcomer pastes.
func readmeBlocks(t *testing.T) [][]string {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]string
	var cur []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case !in && strings.HasPrefix(line, "```sh"):
			in, cur = true, nil
		case in && strings.HasPrefix(line, "```"):
			in = false
			if strings.Contains(strings.Join(cur, "\n"), "./session ") {
				blocks = append(blocks, cur)
			}
		case in:
			cur = append(cur, line)
		}
	}
	if len(blocks) == 0 {
		t.Fatal("README: no shell block uses ./session")
	}
	return blocks
}

// readmeExpect is what each README block that uses ./session must print,
// in order: the quick start ends with Bob watching for Alice's message,
// the next block with Alice reading Bob's answer.
var readmeExpect = []string{"Hi Bob!", "Hi Alice!"}

// TestReadmeQuickStart pastes the README's blocks that use ./session, in
// order, each into one bash, as a newcomer does, in one directory with
// temporary homes (/tmp/ stands for a temporary directory) and a TMPDIR of
// its own. The first block's build line is done by the test, into that
// directory; every other line runs as written. A block that ends watching
// runs until it prints what it must, then is interrupted; every other
// block must exit 0.
func TestReadmeQuickStart(t *testing.T) {
	bin := sessionBinary(t)
	blocks := readmeBlocks(t)
	if len(blocks) != len(readmeExpect) {
		t.Fatalf("README has %d blocks that use ./session, the test knows %d: update readmeExpect", len(blocks), len(readmeExpect))
	}
	dir := t.TempDir()
	env := userEnv(t, dir)
	t.Cleanup(func() {
		stop := exec.Command("./session", "devnet", "--stop")
		stop.Dir, stop.Env = dir, env
		if out, err := stop.CombinedOutput(); err != nil {
			t.Errorf("session devnet --stop: %v: %s", err, out)
		}
	})
	const build = "go build -o session ./cmd/session"
	first, _, _ := strings.Cut(blocks[0][0], "#")
	if strings.TrimSpace(first) != build {
		t.Fatalf("the README's first block starts with %q, want %q", blocks[0][0], build)
	}
	blocks[0] = blocks[0][1:]
	if err := os.Link(bin, filepath.Join(dir, "session")); err != nil {
		copyFile(t, bin, filepath.Join(dir, "session"))
	}
	for i, block := range blocks {
		script := strings.ReplaceAll(strings.Join(block, "\n"), "/tmp/", dir+"/")
		last, _, _ := strings.Cut(block[len(block)-1], "#")
		watching := strings.HasSuffix(strings.TrimSpace(last), " watch")
		cmd := exec.Command("bash", "-c", "set -e\n"+script)
		cmd.Dir, cmd.Env = dir, env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		found := waitLine(out, readmeExpect[i], 3*time.Minute, t)
		if watching {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		}
		err = cmd.Wait()
		if !found {
			t.Fatalf("README block %d never printed %q; stderr:\n%s", i, readmeExpect[i], stderr.String())
		}
		if !watching && err != nil {
			t.Fatalf("README block %d: %v; stderr:\n%s", i, err, stderr.String())
		}
	}
}

// waitLine reads r until a line contains want (true), r ends or the time
// is up (false). Every line is logged.
func waitLine(r io.Reader, want string, d time.Duration, t *testing.T) bool {
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			t.Log(sc.Text())
			if strings.Contains(sc.Text(), want) {
				found <- true
				io.Copy(io.Discard, r)
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		return ok
	case <-time.After(d):
		return false
	}
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestDevnetDiesWithItsParent starts `session devnet` in the foreground,
// checks that a second devnet on its directory is refused, then ends the
// harness as a closed terminal (SIGHUP) or kill -9 would, and checks that
// every node stops.
func TestDevnetDiesWithItsParent(t *testing.T) {
	bin := sessionBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			env := userEnv(t, dir)
			netDir := filepath.Join(dir, "net")
			cmd := exec.Command(bin, "devnet", "--nodes", "2", "--dir", netDir)
			cmd.Env = env
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			defer func() { _ = cmd.Process.Kill(); <-done }()
			if !waitLine(out, "devnet ready", 2*time.Minute, t) {
				t.Fatal("the devnet never said it was ready")
			}
			addrs := nodeAddrs(t, netDir)
			for _, a := range addrs {
				if !answers(a) {
					t.Fatalf("node %s does not answer although the devnet is ready", a)
				}
			}

			second := exec.Command(bin, "devnet", "--nodes", "1", "--dir", netDir)
			second.Env = env
			msg, err := second.CombinedOutput()
			if code := second.ProcessState.ExitCode(); err == nil || code != 1 || !strings.Contains(string(msg), "in use") {
				t.Fatalf("a second devnet on the same directory: exit %d, %q; want exit 1 naming the directory in use", code, msg)
			}
			for _, a := range addrs {
				if !answers(a) {
					t.Fatalf("the refused second devnet disturbed node %s", a)
				}
			}

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			<-done
			deadline := time.Now().Add(time.Minute)
			for _, a := range addrs {
				for answers(a) {
					if time.Now().After(deadline) {
						t.Fatalf("node %s still answers a minute after its devnet got %v", a, sig)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
}

func nodeAddrs(t *testing.T, dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "nodes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d netview.DirectoryFile
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, n := range d.Nodes {
		addrs = append(addrs, net.JoinHostPort(n.IP, strconv.Itoa(n.StoragePort)))
	}
	return addrs
}

// answers reports whether something accepts connections on addr.
func answers(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// TestDevnetDetach checks that --detach returns a ready network, that a
// second --detach reuses it, and that --stop stops every node.
func TestDevnetDetach(t *testing.T) {
	bin := sessionBinary(t)
	dir := t.TempDir()
	env := userEnv(t, dir)
	netDir := filepath.Join(dir, "net")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("session %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := run("devnet", "--detach", "--nodes", "2", "--dir", netDir)
	t.Cleanup(func() { run("devnet", "--stop", "--dir", netDir) })
	if !strings.Contains(out, "devnet ready") {
		t.Fatalf("devnet --detach said %q", out)
	}
	addrs := nodeAddrs(t, netDir)
	for _, a := range addrs {
		if !answers(a) {
			t.Fatalf("node %s does not answer after devnet --detach returned", a)
		}
	}
	if out := run("devnet", "--detach", "--nodes", "2", "--dir", netDir); !strings.Contains(out, "already running") {
		t.Fatalf("a second devnet --detach said %q, want it to reuse the running one", out)
	}
	if out := run("devnet", "--stop", "--dir", netDir); !strings.Contains(out, "stopped") {
		t.Fatalf("devnet --stop said %q", out)
	}
	for _, a := range addrs {
		deadline := time.Now().Add(time.Minute)
		for answers(a) {
			if time.Now().After(deadline) {
				t.Fatalf("node %s still answers a minute after devnet --stop", a)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestInitWaitsForAStartingDevnet starts the default devnet in the
// background, as `./session devnet &` does, and runs init as soon as the
// devnet holds its directory (before its nodes are up, mostly): init waits
// for it, and the new home remembers its network.
func TestInitWaitsForAStartingDevnet(t *testing.T) {
	bin := sessionBinary(t)
	dir := t.TempDir()
	env := userEnv(t, dir)
	netDir := filepath.Join(dir, "tmp", "session-devnet")
	dn := exec.Command(bin, "devnet", "--nodes", "3")
	dn.Env = env
	if err := dn.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = dn.Process.Signal(syscall.SIGTERM); _ = dn.Wait() }()
	deadline := time.Now().Add(time.Minute)
	for !devnet.Running(netDir) {
		if time.Now().After(deadline) {
			t.Fatal("the devnet never took its directory")
		}
		time.Sleep(time.Millisecond)
	}
	home := filepath.Join(dir, "alice")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--home", home}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("session %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run("init", "--name", "Alice"); strings.Contains(out, "No network") {
		t.Fatalf("init did not wait for the starting devnet: %s", out)
	}
	if got, want := strings.TrimSpace(run("network")), filepath.Join(netDir, "network.json"); got != want {
		t.Fatalf("the new home remembers %q, want the devnet's %q", got, want)
	}
}

// TestNodeWatchesItsParent checks the mechanism that stops nodes where
// there is no parent-death signal (and backs it up on Linux): a node
// started with SNODE_WATCH_PARENT=1 shuts down when its stdin, whose only
// writer is its harness, closes.
func TestNodeWatchesItsParent(t *testing.T) {
	bin := sessionBinary(t)
	dir := t.TempDir()
	env := userEnv(t, dir)
	netDir := filepath.Join(dir, "net")
	// A one-node devnet leaves a node directory and a nodes.json behind.
	for _, args := range [][]string{{"devnet", "--detach", "--nodes", "1", "--dir", netDir}, {"devnet", "--stop", "--dir", netDir}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("session %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	addr := nodeAddrs(t, netDir)[0]
	node := exec.Command(bin, "node", "run", "--data-dir", filepath.Join(netDir, "node-00"), "--listen", addr, "--network", filepath.Join(netDir, "nodes.json"))
	node.Env = append(env, "SNODE_WATCH_PARENT=1")
	stdin, err := node.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { node.Wait(); close(exited) }()
	defer func() { node.Process.Kill(); <-exited }()
	for deadline := time.Now().Add(time.Minute); !answers(addr); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the node never answered")
		}
	}
	select {
	case <-exited:
		t.Fatal("the node exited while its stdin was open")
	case <-time.After(time.Second):
	}
	stdin.Close() // as when the harness dies
	select {
	case <-exited:
	case <-time.After(time.Minute):
		t.Fatal("the node still runs a minute after its stdin closed")
	}
}
