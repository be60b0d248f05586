//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package devnet

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive advisory lock on f without waiting. The
// kernel drops it when the process dies, however it dies, so a crashed
// devnet never leaves a stale lock behind.
func tryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}

func unlock(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// heldElsewhere reports whether another open file description holds f's lock.
func heldElsewhere(f *os.File) bool {
	if err := tryLock(f); err != nil {
		return errors.Is(err, errLocked)
	}
	unlock(f)
	return false
}
