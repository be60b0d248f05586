//go:build unix && !linux

package devnet

import "syscall"

// sysProcAttr puts each node in its own process group, so that a Ctrl-C in
// the devnet's terminal reaches the harness, which then stops nodes in order.
// Nodes outlive a harness that dies abruptly only until they see their
// stdin close (see Node.Start).
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
