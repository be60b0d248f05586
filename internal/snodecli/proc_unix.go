//go:build unix

package snodecli

import (
	"os"
	"syscall"
)

// detachedProcAttr starts a detached devnet in a session of its own, so
// that closing the terminal it was started from does not stop it.
func detachedProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// terminate asks a devnet harness to stop its nodes and exit.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
