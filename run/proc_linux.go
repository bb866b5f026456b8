package run

import "syscall"

// dieWithParent asks the kernel to SIGKILL the tool when the thread that
// started it exits, which for a Go program means when the process dies (the
// runtime does not retire threads of unlocked goroutines): a SIGKILLed
// canvos leaves no mksquashfs or mke2fs behind.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
