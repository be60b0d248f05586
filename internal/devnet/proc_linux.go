package devnet

import "syscall"

// sysProcAttr puts each node in its own process group, so that a Ctrl-C in
// the devnet's terminal reaches the harness, which then stops nodes in order,
// and asks the kernel to send each node SIGTERM when the harness dies in any
// other way (kill -9, a crash), so that no node outlives it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
