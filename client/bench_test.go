package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The figures of the issue "send→receive latency, p50 and p99 over 200
// messages on a 14-node devnet (two swarms), and the client's resident memory while idle
// with 100 conversations" come from these benchmarks, on this package's
// devnet (TestMain). Each iteration is slow (seconds), so run them once:
//
//	go test -run '^$' -bench . -benchtime 1x ./client
//
// With a larger -benchtime the samples of every iteration are pooled.

// latencyMessages is how many messages one latency round sends.
const latencyMessages = 200

// idleConversations is how many conversations the idle client holds.
const idleConversations = 100

// benchNet skips a benchmark when there is no devnet (-short).
func benchNet(b *testing.B) {
	b.Helper()
	if testNet == nil {
		b.Skip("needs a devnet (skipped with -short)")
	}
}

// benchAccount creates an account in home on the test devnet.
func benchAccount(tb testing.TB, home, name string) *Client {
	tb.Helper()
	c, _, err := Create(tb.Context(), Options{Home: home, Network: testNet.NetworkFile}, name)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// arrival is a message seen by OnMessage and when it was seen.
type arrival struct {
	body string
	at   time.Time
}

// BenchmarkSendReceiveLatency measures the time from Alice calling Send to
// Bob's OnMessage callback firing, with Bob long-polling in Run. Messages go
// one at a time, each after the previous one arrived, so the figure is the
// latency of one message (onion-routed store, swarm replication, long-poll
// wake-up, onion-routed reply, decryption and storage on Bob's side), not
// time spent queueing. A warm-up message first builds both clients' onion
// paths and is not counted.
//
// One iteration is a whole round of 200 messages (b.N is 1 with
// -benchtime 1x); it reports p50-ms, p99-ms, mean-ms and max-ms over
// every message of every iteration.
func BenchmarkSendReceiveLatency(b *testing.B) {
	benchNet(b)
	ctx := b.Context()
	alice := benchAccount(b, b.TempDir(), "Alice")
	defer alice.Close()
	bob := benchAccount(b, b.TempDir(), "Bob")
	defer bob.Close()

	arrived := make(chan arrival, 16)
	from := alice.SessionID()
	bob.OnMessage(func(m Message) {
		if m.From != from {
			return
		}
		select {
		case arrived <- arrival{m.Body, time.Now()}:
		default: // only one message is in flight; a full channel means a stray copy
		}
	})
	runCtx, stop := context.WithCancel(ctx)
	var runDone sync.WaitGroup
	runDone.Go(func() { bob.Run(runCtx) })
	defer func() { stop(); runDone.Wait() }()

	// roundTrip sends body and returns how long Bob took to see it.
	roundTrip := func(body string) time.Duration {
		start := time.Now()
		if _, err := alice.Send(ctx, bob.SessionID(), body); err != nil {
			b.Fatalf("send %q: %v", body, err)
		}
		timeout := time.After(30 * time.Second)
		for {
			select {
			case a := <-arrived:
				if a.body == body {
					return a.at.Sub(start)
				}
			case <-timeout:
				b.Fatalf("Bob did not get %q within 30s", body)
			}
		}
	}
	roundTrip("warm up")

	var samples []time.Duration
	round := 0
	for b.Loop() {
		for i := range latencyMessages {
			samples = append(samples, roundTrip(fmt.Sprintf("latency %d/%d", round, i)))
		}
		round++
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	b.ReportMetric(ms(percentile(samples, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(samples, 99)), "p99-ms")
	b.ReportMetric(ms(sum/time.Duration(len(samples))), "mean-ms")
	b.ReportMetric(ms(samples[len(samples)-1]), "max-ms")
}

// percentile returns the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// idleHomeEnv tells a re-executed test binary to be the idle client of
// BenchmarkIdleRSS, with the account in the named home.
const idleHomeEnv = "SESSION_GO_BENCH_IDLE_HOME"

// idleReady is the line the idle client prints, with its conversation
// count, once it has caught up and is about to sit in Run.
const idleReady = "idle client ready, conversations:"

// BenchmarkIdleRSS measures the resident memory of a client that holds 100
// conversations and sits idle in Run (long-polling its swarm). The client
// runs in a child process, this test binary re-executed as
// TestHelperIdleClient, so the figure is the client's alone and not the
// benchmark's or the devnet's. The child runs with -test.short so that its
// TestMain starts no devnet of its own.
//
// The account is prepared first: 100 other accounts each send it a message
// and it receives them, so its database holds 100 conversations (message
// requests). Each iteration then starts the child, waits until it reports
// ready and a few seconds more, and reads VmRSS (rss-MB) and VmHWM, the
// peak (rss-peak-MB), from /proc. Linux only.
func BenchmarkIdleRSS(b *testing.B) {
	benchNet(b)
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc/<pid>/status (Linux only)")
	}
	ctx := b.Context()
	home := b.TempDir()
	idle := benchAccount(b, home, "Idle")
	to := idle.SessionID()

	// Senders run a few at a time: each builds its own onion paths.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 10)
	errs := make([]error, idleConversations)
	for i := range idleConversations {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			s, _, err := Create(ctx, Options{Home: b.TempDir(), Network: testNet.NetworkFile}, fmt.Sprintf("Sender %03d", i))
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			_, errs[i] = s.Send(ctx, to, fmt.Sprintf("hello from sender %03d", i))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := idle.Receive(ctx); err != nil {
			b.Logf("receive: %v", err)
		}
		reqs, err := idle.Requests(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(reqs) == idleConversations {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("idle account has %d conversations after 60s, want %d", len(reqs), idleConversations)
		}
		time.Sleep(100 * time.Millisecond)
	}
	idle.Close() // the child opens the same database

	var rss, peak float64
	for b.Loop() {
		r, p := idleChildRSS(b, home)
		rss += r
		peak += p
	}
	b.ReportMetric(rss/float64(b.N), "rss-MB")
	b.ReportMetric(peak/float64(b.N), "rss-peak-MB")
}

// idleChildRSS starts the idle client on home, lets it idle and returns its
// VmRSS and VmHWM in MB (2^20 bytes).
func idleChildRSS(b *testing.B, home string) (rss, peak float64) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperIdleClient$", "-test.short", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), idleHomeEnv+"="+home)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()

	ready := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), idleReady); ok {
				v, _ := strconv.Atoi(strings.TrimSpace(n))
				ready <- v
			}
		}
		close(ready)
	}()
	select {
	case n, ok := <-ready:
		if !ok {
			b.Fatal("idle client exited before it was ready")
		}
		if n != idleConversations {
			b.Fatalf("idle client has %d conversations, want %d", n, idleConversations)
		}
	case <-time.After(60 * time.Second):
		b.Fatal("idle client not ready after 60s")
	}
	// Let it settle into its long poll; Run's first retrieve is in flight.
	time.Sleep(5 * time.Second)

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	return procStatusMB(b, status, "VmRSS"), procStatusMB(b, status, "VmHWM")
}

// procStatusMB reads a "Name:   1234 kB" field of /proc/<pid>/status, in MB.
func procStatusMB(b *testing.B, status []byte, name string) float64 {
	b.Helper()
	for line := range strings.Lines(string(status)) {
		v, ok := strings.CutPrefix(line, name+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		if err != nil {
			b.Fatalf("/proc status %s: %q: %v", name, line, err)
		}
		return kb / 1024
	}
	b.Fatalf("/proc status has no %s", name)
	return 0
}

// TestHelperIdleClient is the child process of BenchmarkIdleRSS: it opens
// the account in $SESSION_GO_BENCH_IDLE_HOME, catches up, says it is ready
// and sits in Run until it is killed (or two minutes pass, should the
// parent vanish). Without the variable it does nothing.
func TestHelperIdleClient(t *testing.T) {
	home := os.Getenv(idleHomeEnv)
	if home == "" {
		t.Skip("child process of BenchmarkIdleRSS")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := Open(ctx, Options{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// One receive connects (onion paths) and finds nothing new, as after
	// any restart; then count what a UI would list.
	if _, err := c.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	inbox, err := c.Inbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := c.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(idleReady, len(inbox)+len(reqs))
	c.Run(ctx)
}
