package testutil

import (
	"strings"
	"testing"
	"time"
)

// TestBootMarker proves the harness itself: a Debian kernel boots a busybox
// initramfs under TCG and the marker it prints ends the run.
func TestBootMarker(t *testing.T) {
	k := DebianKernel(t)
	initrd := Initramfs(t, k, "mount -t proc proc /proc\necho CANVOS-MARKER-$(cat /proc/sys/kernel/ostype)\npoweroff -f\n", nil, nil)
	res := QEMU{
		Args:    []string{"-kernel", k.Vmlinuz, "-initrd", initrd, "-append", "console=ttyS0 quiet panic=-1 no_timer_check"},
		Timeout: 90 * time.Second,
		Until:   []string{"CANVOS-MARKER-Linux"},
	}.Run(t)
	if res.Matched == "" {
		t.Fatalf("marker not seen (timed out: %v)", res.TimedOut)
	}
	if !strings.Contains(res.Output, "CANVOS-MARKER-Linux") {
		t.Fatalf("output lacks marker")
	}
}

func TestAAVMFStalled(t *testing.T) {
	banner := "UEFI firmware (version  built at 13:10:49 on Nov  5 2024)\r\n\x1b[2J\x1b[01;01H"
	for _, c := range []struct {
		r    Result
		want bool
	}{
		{Result{Output: banner, TimedOut: true}, true},
		{Result{Output: banner + "BdsDxe: loading Boot0001 \"UEFI Misc Device\"", TimedOut: true}, false}, // the boot itself hung
		{Result{Output: "", TimedOut: true}, false},                                                       // not AAVMF
		{Result{Output: banner, Matched: "x"}, false},
	} {
		if got := aavmfStalled(c.r); got != c.want {
			t.Errorf("aavmfStalled(%q, timedOut=%v) = %v, want %v", c.r.Output, c.r.TimedOut, got, c.want)
		}
	}
}
