package iso

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// TestISOBoot boots the ISO, built from the stand-in rootfs, in QEMU (TCG)
// the four ways an installer ISO is used: as a CD and as a disk (a `dd`'d USB
// stick: GRUB's hybrid MBR code, the GPT ESP), under SeaBIOS and under OVMF;
// the MBR-table variant as a disk under OVMF (its 0xEF partition); and once more as
// a CD under OVMF with Secure Boot enforced and Microsoft's keys enrolled,
// which the distro-signed shim → GRUB → kernel chain must pass. Each boot
// must reach the stand-in live initramfs, which finds the medium by its label,
// loop-mounts rootfs.squashfs from it and prints a marker read from inside.
func TestISOBoot(t *testing.T) {
	rootfs := standInRootfs(t)
	o := baseOptions(t, rootfs)
	o.UserData = filepath.Join(t.TempDir(), "user-data")
	require.NoError(t, os.WriteFile(o.UserData, []byte("#cloud-config\n{}\n"), 0o644))
	iso := build(t, o).Path
	o.PartitionTable, o.OutPath = TableMBR, filepath.Join(t.TempDir(), "mbr.iso")
	mbrISO := build(t, o).Path

	cd := []string{"-drive", "file=" + iso + ",media=cdrom,readonly=on,if=none,id=cd", "-device", "ide-cd,drive=cd,bootindex=0"}
	disk := func(p string) []string {
		return []string{"-drive", "file=" + p + ",format=raw,if=none,id=usb,snapshot=on", "-device", "virtio-blk-pci,drive=usb,bootindex=0"}
	}
	cases := []struct {
		name, fw string
		media    []string
		uefi     func(t *testing.T) []string
	}{
		{name: "cd-seabios", fw: "BIOS", media: cd},
		{name: "cd-ovmf", fw: "UEFI", media: cd, uefi: ovmf(false, "")},
		{name: "disk-gpt-ovmf", fw: "UEFI", media: disk(iso), uefi: ovmf(false, "")},
		{name: "disk-gpt-seabios", fw: "BIOS", media: disk(iso)},
		{name: "disk-mbr-ovmf", fw: "UEFI", media: disk(mbrISO), uefi: ovmf(false, "")},
		{name: "cd-ovmf-secureboot", fw: "UEFI", media: cd, uefi: ovmf(true, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"-machine", "q35"}
			if c.uefi != nil {
				args = c.uefi(t)
			}
			res := testutil.QEMU{
				Args:    append(args, c.media...),
				Timeout: 240 * time.Second,
				Until:   []string{testutil.ISOBootDone, testutil.ISOBootFailed},
			}.Run(t)
			require.Equal(t, testutil.ISOBootDone, res.Matched, "boot did not finish (timed out: %v)", res.TimedOut)
			require.Contains(t, res.Output, testutil.ISOBootMarker+" squashfs-ok fw="+c.fw)
			// The default entry of our grub.cfg ran, with CanvOS' live arguments.
			require.Contains(t, res.Output, "root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs")
			require.Contains(t, res.Output, "nodepair.enable")
			if c.name == "cd-ovmf-secureboot" {
				require.Contains(t, res.Output, "Secure boot enabled")
			}
		})
	}
}

func ovmf(secure bool, vars string) func(t *testing.T) []string {
	return func(t *testing.T) []string {
		if vars != "" {
			testutil.RequireFile(t, vars)
		}
		args, _ := testutil.OVMF(t, secure, vars)
		return args
	}
}
