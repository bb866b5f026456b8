package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ISOBootMarker is what the LiveInitramfs prints once it has read the marker
// file from inside rootfs.squashfs on the boot medium.
const ISOBootMarker = "CANVOS-LIVE-MARKER"

// Strings ending a live boot: after the marker line, or on a failure.
const (
	ISOBootDone   = "CANVOS-LIVE-DONE"
	ISOBootFailed = "CANVOS-LIVE-FAILED"
)

// liveModules are the Debian kernel modules a live boot needs, in load order:
// AHCI CD-ROM (q35's -cdrom), virtio disks and SCSI CD-ROMs (arm64 virt has
// no AHCI), ISO 9660, squashfs on loop. Those a kernel has built in are
// skipped (Kernel.Loadable).
var liveModules = []string{
	"scsi_common", "scsi_mod", "cdrom", "sr_mod", "libata", "libahci", "ahci",
	"virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_blk", "virtio_scsi",
	"isofs", "squashfs", "loop",
}

// liveInit stands in for the Kairos dracut live boot: find the medium by its
// label (busybox findfs), mount it, loop-mount /rootfs.squashfs and print the
// marker file from inside it, the firmware kind and the kernel command line.
const liveInit = `mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in %MODULES%; do insmod /lib/modules/$m.ko; done
say() { echo "$@"; for c in /dev/ttyS0 /dev/ttyAMA0; do echo "$@" > $c; done 2>/dev/null; }
fw=BIOS; [ -d /sys/firmware/efi ] && fw=UEFI
dev=
for i in $(seq 1 60); do dev=$(findfs LABEL=%LABEL% 2>/dev/null) && break; sleep 0.5; done
[ -n "$dev" ] || { say "%FAILED% no LABEL=%LABEL%"; say $(ls /dev); poweroff -f; }
mkdir -p /live /sq
mount -t iso9660 -o ro "$dev" /live || say "%FAILED% mount $dev"
mount -t squashfs -o ro,loop /live/rootfs.squashfs /sq || say "%FAILED% squashfs"
say "cmdline: $(cat /proc/cmdline)"
say "kernel: $(dmesg | grep -i 'secure boot' | head -n 1)"
say "%MARKER% $(cat /sq/etc/canvos-marker) fw=$fw dev=$dev"
say "%DONE%"
poweroff -f
`

// LiveInitramfs builds the stand-in live initramfs for an ISO labelled label.
func LiveInitramfs(t testing.TB, k Kernel, label string) string {
	t.Helper()
	modules := k.Loadable(t, liveModules)
	script := strings.NewReplacer("%MODULES%", strings.Join(modules, " "), "%LABEL%", label,
		"%MARKER%", ISOBootMarker, "%DONE%", ISOBootDone, "%FAILED%", ISOBootFailed).Replace(liveInit)
	return Initramfs(t, k, script, modules, nil)
}

// BootFilesInto copies the host's Debian boot files into a rootfs at their
// Debian paths: shim-signed, grub-efi-amd64-signed (CD variant) and
// grub-pc-bin's i386-pc directory.
func BootFilesInto(t testing.TB, root string) {
	t.Helper()
	for _, f := range []string{
		"/usr/lib/shim/shimx64.efi.signed",
		"/usr/lib/shim/mmx64.efi.signed",
		"/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed",
	} {
		RequireFile(t, f)
		dst := filepath.Join(root, f)
		mustNoErr(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		copyFile(t, f, dst, 0o644)
	}
	RequireFile(t, "/usr/lib/grub/i386-pc/boot_hybrid.img")
	dst := filepath.Join(root, "usr/lib/grub")
	mustNoErr(t, os.MkdirAll(dst, 0o755))
	if out, err := exec.Command("cp", "-a", "/usr/lib/grub/i386-pc", dst).CombinedOutput(); err != nil {
		t.Fatalf("copy grub i386-pc: %v: %s", err, out)
	}
}
