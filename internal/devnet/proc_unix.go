//go:build unix

package devnet

import "syscall"

// sysProcAttr puts each node in its own process group, so that a Ctrl-C in
// the devnet's terminal reaches the harness, which then stops nodes in order.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
