package maas

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// bootModules are what the stand-in initramfs loads, in dependency order, to
// find and mount ext partitions on a virtio disk.
var bootModules = []string{"virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci",
	"virtio_blk", "crc16", "mbcache", "jbd2", "crc32c_generic", "ext4"}

// bootInit is the stand-in Ubuntu's initramfs: it shows the kernel command
// line GRUB passed and mounts COS_OEM and COS_CONTENT by label.
const bootInit = `mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in ` + "$MODULES" + `; do insmod /lib/modules/$m.ko; done
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/vda ] && break; sleep 1; done
mkdir -p /mnt/oem /mnt/content /mnt/root
echo "CANVOS-MAAS-CMDLINE $(cat /proc/cmdline)"
mount -o ro "$(findfs LABEL=COS_OEM)" /mnt/oem && echo "CANVOS-MAAS-OEM $(ls /mnt/oem | tr '\n' ' ')"
mount -o ro "$(findfs LABEL=COS_CONTENT)" /mnt/content && echo "CANVOS-MAAS-CONTENT $(ls /mnt/content/bundle-content | tr '\n' ' ')"
mount -o ro "$(findfs LABEL=UBUNTU_ROOTFS)" /mnt/root && echo "CANVOS-MAAS-ROOT $(ls -l /mnt/root/curtin/curtin-hooks)"
echo CANVOS-MAAS-DONE
poweroff -f
`

// TestBootMAAS boots the composite disk under OVMF: shim and GRUB from the
// Kairos ESP load Kairos' grub.cfg from COS_RECOVERY, which follows COS_OEM's
// next_entry=ubuntu-firstboot into the grubcustom entry, which boots the
// kernel and initrd from UBUNTU_ROOTFS.
func TestBootMAAS(t *testing.T) {
	t.Parallel()
	content, _, _ := contentInputs(t)
	_, disk := buildMAAS(t, Options{KairosRaw: buildRaw(t, kairosRootfs(t)), UbuntuRootfs: bootableUbuntuRootfs(t), Content: content})
	out := bootMAAS(t, disk)
	require.Regexp(t, `CANVOS-MAAS-OEM .*grubcustom.*grubenv`, out)
	require.Contains(t, out, "CANVOS-MAAS-CONTENT core.zst extra.tar")
}

// bootableUbuntuRootfs is the stand-in Ubuntu rootfs with Debian's kernel and
// the bootInit initramfs.
func bootableUbuntuRootfs(t *testing.T) string {
	t.Helper()
	k := testutil.DebianKernel(t)
	initrd := testutil.Initramfs(t, k, strings.ReplaceAll(bootInit, "$MODULES", strings.Join(bootModules, " ")), bootModules, nil)
	return ubuntuRootfs(t, read(t, k.Vmlinuz), read(t, initrd))
}

// bootMAAS boots a MAAS composite disk under OVMF, requires the grubcustom
// entry to have booted UBUNTU_ROOTFS with the curtin hook in place, and
// returns the console output.
func bootMAAS(t *testing.T, disk string) string {
	t.Helper()
	ovmf, _ := testutil.OVMF(t, false, "")
	res := testutil.QEMU{
		Args:    append(ovmf, "-drive", "file="+disk+",format=raw,if=virtio"),
		Timeout: 240 * time.Second,
		Until:   []string{"CANVOS-MAAS-DONE", "CANVOS-KAIROS-ACTIVE", "CANVOS-KAIROS-RECOVERY", "Kernel panic"},
	}.Run(t)
	require.Equal(t, "CANVOS-MAAS-DONE", res.Matched, "timed out: %v", res.TimedOut)
	require.Contains(t, res.Output, "root=LABEL=UBUNTU_ROOTFS rw console=tty1 console=ttyS0,115200n8")
	require.Regexp(t, `CANVOS-MAAS-ROOT -rwxr-x---\s+1 0\s+0 .*/mnt/root/curtin/curtin-hooks`, res.Output)
	return res.Output
}

// TestBootRaw boots the Kairos raw disk: GRUB follows COS_OEM's
// next_entry=recovery into Kairos' recovery entry.
func TestBootRaw(t *testing.T) {
	t.Parallel()
	disk := buildRaw(t, kairosRootfs(t))
	ovmf, _ := testutil.OVMF(t, false, "")
	res := testutil.QEMU{
		Args:    append(ovmf, "-drive", "file="+disk+",format=raw,if=virtio"),
		Timeout: 180 * time.Second,
		Until:   []string{"CANVOS-KAIROS-RECOVERY", "CANVOS-KAIROS-ACTIVE"},
	}.Run(t)
	require.Equal(t, "CANVOS-KAIROS-RECOVERY", res.Matched, "timed out: %v", res.TimedOut)
}
