package devnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LockFile is the name of the file in a devnet directory that the running
// harness holds, so that a second devnet on the same directory is refused
// instead of overwriting the first one's files under its nodes. It holds
// the harness's process id.
const LockFile = "devnet.lock"

// ErrInUse means another devnet is running on the directory.
var ErrInUse = errors.New("devnet: directory in use")

// dirLock is a held devnet lock.
type dirLock struct {
	f *os.File
}

// lockDir takes dir's lock file or fails with ErrInUse, naming the process
// that holds it.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			pid, _ := LockHolder(dir)
			return nil, fmt.Errorf("%w: another devnet (process %d) runs in %s; stop it first (Ctrl-C in its terminal, or `kill %d`), or give another --dir", ErrInUse, pid, dir, pid)
		}
		return nil, fmt.Errorf("devnet: locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

func (l *dirLock) release() {
	if l == nil || l.f == nil {
		return
	}
	unlock(l.f)
	l.f.Close()
	l.f = nil
}

// errLocked is what tryLock returns when another process holds the lock.
var errLocked = errors.New("locked")

// LockHolder returns the id of the process that runs a devnet in dir, or
// 0 and false when none does.
func LockHolder(dir string) (int, bool) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	if !heldElsewhere(f) {
		return 0, false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, true
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, true
}

// Running reports whether a devnet harness runs on dir now.
func Running(dir string) bool {
	_, ok := LockHolder(dir)
	return ok
}

// Ready reports whether the devnet on dir runs and every node answered:
// its harness writes network.json only then.
func Ready(dir string) bool {
	if !Running(dir) {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "network.json"))
	return err == nil
}

// AwaitReady waits until the devnet that runs on dir is ready. It returns
// false at once when no devnet runs there, and when the devnet stops
// before it is ready or ctx ends first.
func AwaitReady(ctx context.Context, dir string) bool {
	for {
		if !Running(dir) {
			return false
		}
		if Ready(dir) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
}
