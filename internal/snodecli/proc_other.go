//go:build !unix

package snodecli

import (
	"os"
	"syscall"
)

func detachedProcAttr() *syscall.SysProcAttr { return nil }

// terminate ends a devnet harness; its nodes see their stdin close and
// shut down by themselves.
func terminate(p *os.Process) error { return p.Kill() }
