//go:build !unix

package devnet

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
