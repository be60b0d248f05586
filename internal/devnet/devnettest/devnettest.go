// Package devnettest is a test helper: it gives a package's tests one devnet
// of real snode processes, built from this module and started once per test
// binary. It is meant for TestMain and test files only.
//
// Both ways of using it honour -short by starting nothing, so that the
// tests needing a network skip themselves, and both keep the devnet's
// directory (node logs and databases) when a test failed, printing where
// it is, and remove it otherwise.
//
// [Main] starts the devnet before the tests run:
//
//	var testNet *devnet.Net
//
//	func TestMain(m *testing.M) { os.Exit(devnettest.Main(m, 12, &testNet)) }
//
//	func TestX(t *testing.T) {
//		devnettest.Need(t, testNet) // skips under -short
//		…
//	}
//
// A [Lazy] starts it when the first test asks for it, for packages where
// most tests do not need a network and should not wait for one.
package devnettest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
)

// startTimeout bounds building snode and starting the devnet.
const startTimeout = 5 * time.Minute

// Main parses the test flags, starts a devnet of nodes snodes into *net,
// runs the tests, stops the devnet and returns the exit code for os.Exit.
// With -short it starts nothing and leaves *net nil. If the devnet does not
// start, Main prints why and returns 1 without running any test.
func Main(m *testing.M, nodes int, net **devnet.Net) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	n, dir, err := start(nodes, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*net = n
	code := m.Run()
	finish(n, dir, code)
	return code
}

// Need skips t when net is nil, as [Main] leaves it under -short.
func Need(t testing.TB, net *devnet.Net) {
	t.Helper()
	if net == nil {
		t.Skip("needs a devnet (skipped with -short)")
	}
}

// Lazy is a devnet that the first test to call [Lazy.Net] starts, and that
// [Lazy.Main] stops after the last test. Its zero value, with Nodes set, is
// ready to use; it must not be copied after first use.
type Lazy struct {
	// Nodes is the number of snodes to start.
	Nodes int
	// Env is added to every node's environment, e.g. SNODE_* settings
	// (the twins of the snode run flags) that a test needs tighter than
	// the defaults.
	Env []string

	once sync.Once
	net  *devnet.Net // set by once
	dir  string      // set by once
	err  error       // set by once
}

// Main parses the test flags, runs the tests, and then stops the devnet if
// a test started it. It returns the exit code for os.Exit.
func (l *Lazy) Main(m *testing.M) int {
	flag.Parse()
	code := m.Run()
	// No test can call Net any more; once.Do makes the fields visible here
	// and keeps a devnet from starting now.
	l.once.Do(func() {})
	if l.net != nil {
		finish(l.net, l.dir, code)
	}
	return code
}

// Net returns the devnet, starting it on the first call. It skips t under
// -short, and fails t if the devnet could not start (every later call fails
// the same way, without trying again).
func (l *Lazy) Net(t testing.TB) *devnet.Net {
	t.Helper()
	if testing.Short() {
		t.Skipf("starts a %d-node devnet (skipped with -short)", l.Nodes)
	}
	l.once.Do(func() { l.net, l.dir, l.err = start(l.Nodes, l.Env) })
	if l.err != nil {
		t.Fatal(l.err)
	}
	return l.net
}

// start builds snode into a new temporary directory and starts a devnet of
// nodes snodes, with env added to their environment, in its "net" folder. If the build fails it removes the
// directory; if the devnet fails it keeps it and names it in the error.
func start(nodes int, env []string) (*devnet.Net, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	dir, err := os.MkdirTemp("", prefix())
	if err != nil {
		return nil, "", err
	}
	bin, err := devnet.BuildSnode(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	net, err := devnet.Start(ctx, devnet.Config{Nodes: nodes, Dir: filepath.Join(dir, "net"), Binary: bin, Env: env})
	if err != nil {
		// The nodes' logs say why they did not start.
		return nil, "", fmt.Errorf("%w (devnet kept for inspection: %s)", err, dir)
	}
	return net, dir, nil
}

// finish stops net and removes dir if the tests passed (code 0); otherwise
// it keeps dir, whose node logs are what one looks at next, and says where.
func finish(net *devnet.Net, dir string, code int) {
	net.Stop()
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "devnet kept for inspection:", dir)
	}
}

// prefix names the temporary directory after the test binary, such as
// "client-devnet-…" for client.test, so that a kept one is easy to place.
func prefix() string {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	name = strings.TrimSuffix(name, ".test")
	return name + "-devnet-"
}
