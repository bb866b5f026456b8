package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// vmSlot waits for one of runtime.NumCPU() machine-wide slots, so that no
// more single-vCPU TCG guests run at once than there are cores. go test runs
// packages as separate processes, so the slots are flock(2)ed files shared by
// all of them; a slot is freed when its holder closes it or dies. Without
// them, go test on 2 cores runs up to four guests (two packages, two parallel
// tests each), and each boot's timeout has to allow for that. The returned
// func frees the slot.
func vmSlot(t testing.TB) func() {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "canvos-vm-slots")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("vm slots: %v", err)
	}
	start := time.Now()
	for {
		for i := range runtime.NumCPU() {
			f, err := os.OpenFile(filepath.Join(dir, fmt.Sprint(i)), os.O_CREATE|os.O_RDWR, 0o666)
			if err != nil {
				t.Fatalf("vm slots: %v", err)
			}
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
				if waited := time.Since(start); waited > time.Second {
					t.Logf("waited %s for a VM slot", waited.Round(time.Second))
				}
				return func() { f.Close() }
			}
			f.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
}
