//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package devnet

import (
	"os"
	"strconv"
	"strings"
)

// tryLock claims f for this process: the lock is the process id written in
// the file, valid while that process exists (there is no flock here).
func tryLock(f *os.File) error {
	if heldElsewhere(f) {
		return errLocked
	}
	return nil
}

func unlock(f *os.File) { _ = f.Truncate(0) }

// heldElsewhere reports whether the file names another living process.
func heldElsewhere(f *os.File) bool {
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
