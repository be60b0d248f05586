package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashChildEnv tells a re-executed test binary to act as the child of
// TestCrashDurability; its value is the database path and the round,
// separated by "|".
const crashChildEnv = "SESSION_GO_STORE_CRASH_CHILD"

// TestCrashChild is the child process of TestCrashDurability: it stores
// messages from several goroutines as fast as it can and prints "ack <owner>
// <hash>" after each Store returns, until it is killed.
func TestCrashChild(t *testing.T) {
	v := os.Getenv(crashChildEnv)
	if v == "" {
		t.Skip("helper process for TestCrashDurability")
	}
	path, round, _ := strings.Cut(v, "|")
	s, err := Open(context.Background(), path, nil)
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	for w := range 4 {
		go func() {
			for i := 0; ; i++ {
				o := owner(byte(w))
				body := fmt.Sprintf("round %s writer %d message %d %s", round, w, i, strings.Repeat("p", i%500))
				m := newMsg(o, int16(i%3), body, time.Now(), time.Hour)
				if _, err := s.Store(context.Background(), m); err != nil {
					fmt.Println("store failed:", err)
					os.Exit(2)
				}
				// Acknowledged only after Store returned: this line is the
				// promise the parent checks.
				mu.Lock()
				fmt.Fprintf(out, "ack %d %s\n", w, m.Hash)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	// Never outlive a parent that failed to kill us.
	time.Sleep(time.Minute)
	os.Exit(3)
}

// TestCrashDurability kills a process that is storing messages with SIGKILL,
// at a random moment, several times over the same database, and checks after
// each kill that every acknowledged message is there and the database passes
// SQLite's integrity check.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	acked := map[string]int{} // hash -> owner number
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", crashChildEnv, path, round))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 200 + rand.IntN(800)
		sc := bufio.NewScanner(stdout)
		n, killed := 0, false
		for sc.Scan() {
			line := sc.Text()
			f := strings.Fields(line)
			if len(f) != 3 || f[0] != "ack" {
				if strings.HasPrefix(line, "open failed") || strings.HasPrefix(line, "store failed") {
					t.Errorf("child: %s", line)
				}
				continue
			}
			w, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("bad child line %q", line)
			}
			acked[f[2]] = w
			if n++; n == killAfter && !killed {
				// SIGKILL: no deferred function, no Close, no checkpoint.
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		// Lines already written before the kill are acknowledgements too,
		// and the scanner read them all before EOF.
		err = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child exited by itself (%v) after %d acks", round, err, n)
		}
		t.Logf("round %d: killed after %d acks (asked for %d)", round, n, killAfter)

		s, err := Open(context.Background(), path, nil)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		if err := s.Check(t.Context()); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		byOwner := map[int][]string{}
		for h, w := range acked {
			byOwner[w] = append(byOwner[w], h)
		}
		missing := 0
		for w, hs := range byOwner {
			got, err := s.GetExpiries(t.Context(), owner(byte(w)), hs)
			if err != nil {
				t.Fatal(err)
			}
			missing += len(hs) - len(got)
		}
		if missing > 0 {
			t.Errorf("round %d: %d of %d acknowledged messages lost", round, missing, len(acked))
		}
		s.Close()
	}
}
