//go:build !linux

package run

import "syscall"

// dieWithParent has no portable equivalent of Linux' parent-death signal;
// cancellation still kills the tool.
func dieWithParent() *syscall.SysProcAttr { return nil }
