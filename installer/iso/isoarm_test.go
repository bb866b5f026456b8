package iso

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// arm64Rootfs is an installer rootfs for arm64: Debian's arm64 shim,
// MokManager and signed GRUB at their Debian paths, stand-in kernel and
// initrd (the ISO only copies them) and, to show they are ignored, the
// host's GRUB i386-pc files.
func arm64Rootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	testutil.BootFilesARM64Into(t, root)
	testutil.BootFilesInto(t, root)
	for p, data := range map[string]string{"boot/vmlinuz": "arm64 kernel", "boot/initrd": "initrd", "etc/os-release": "ID=kairos\n"} {
		write(t, filepath.Join(root, p), data)
	}
	return root
}

func TestFindBootARM64Paths(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name            string
		files           []string
		shim, grub, mok string
	}{
		{"debian: CD GRUB first", []string{"usr/lib/shim/shimaa64.efi.signed", "usr/lib/shim/mmaa64.efi.signed",
			"usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed", "usr/lib/grub/arm64-efi-signed/gcdaa64.efi.signed"},
			"usr/lib/shim/shimaa64.efi.signed", "usr/lib/grub/arm64-efi-signed/gcdaa64.efi.signed", "usr/lib/shim/mmaa64.efi.signed"},
		{"ubuntu: shim .latest, GRUB without CD variant", []string{"usr/lib/shim/shimaa64.efi.signed.latest", "usr/lib/shim/shimaa64.efi.signed",
			"usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed"},
			"usr/lib/shim/shimaa64.efi.signed.latest", "usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed", ""},
		{"opensuse", []string{"usr/share/efi/aarch64/shim.efi", "usr/share/efi/aarch64/grub.efi", "usr/share/efi/aarch64/MokManager.efi"},
			"usr/share/efi/aarch64/shim.efi", "usr/share/efi/aarch64/grub.efi", "usr/share/efi/aarch64/MokManager.efi"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			for _, f := range append(c.files, "usr/lib/grub/i386-pc/kernel.img") {
				write(t, filepath.Join(root, f), "x")
			}
			b, err := findBoot(openTree(t, root), Options{Rootfs: root, Arch: ArchARM64, BIOSFallback: "/usr/lib/grub/i386-pc"})
			require.NoError(t, err)
			in := func(p string) string {
				if p == "" {
					return ""
				}
				return filepath.Join(root, p)
			}
			require.Equal(t, in(c.shim), b.shim)
			require.Equal(t, in(c.grub), b.grubEFI)
			require.Equal(t, in(c.mok), b.mok)
			require.Empty(t, b.biosDir, "arm64 has no BIOS, whatever the rootfs or the fallback hold")
			files := espFiles(b, "/cfg")
			require.Equal(t, espFile{dst: "::/EFI/BOOT/BOOTAA64.EFI", src: in(c.shim)}, files[0])
			require.Equal(t, espFile{dst: "::/EFI/BOOT/grubaa64.efi", src: in(c.grub)}, files[1])
		})
	}
}

// TestARM64ISO: an arm64 ISO is UEFI-only (one El Torito entry, no BIOS
// boot code), keeps the GPT hybrid table, carries the arm64 boot chain on
// its ESP under the names shim and the firmware look for, and passes verify.
func TestARM64ISO(t *testing.T) {
	t.Parallel()
	o := baseOptions(t, arm64Rootfs(t))
	o.Arch, o.BIOSFallback = ArchARM64, "/usr/lib/grub/i386-pc"
	res := build(t, o)
	require.False(t, res.BIOS)
	again := o
	again.OutPath = filepath.Join(t.TempDir(), "again.iso")
	require.Equal(t, res.SHA256, build(t, again).SHA256, "same inputs, same bytes")

	report := tool(t, "xorriso", "-indev", res.Path, "-report_el_torito", "plain", "-report_system_area", "plain")
	t.Log(report)
	entries := regexp.MustCompile(`(?m)^El Torito boot img :\s+\d+\s+(\S+)`).FindAllStringSubmatch(report, -1)
	require.Len(t, entries, 1, "exactly one El Torito entry")
	require.Equal(t, "UEFI", entries[0][1])
	require.Contains(t, report, "El Torito img path :   1  /boot/efiboot.img")
	require.Contains(t, report, "MBR partition      :   1   0x00  0xee")
	require.Contains(t, report, "GPT partition path :   1  /boot/efiboot.img")
	require.NotContains(t, report, "grub2-mbr")
	require.NotContains(t, report, "BIOS")
	require.Contains(t, tool(t, "sgdisk", "-v", res.Path), "No problems found")

	r, err := Inspect(res.Path)
	require.NoError(t, err)
	require.False(t, r.MBR.BootCode, "no BIOS boot code in the MBR")
	require.Empty(t, r.Problems(Expect{Label: DefaultLabel, Hybrid: true}))
	require.Contains(t, r.Problems(Expect{Label: DefaultLabel, BIOS: true}), "no BIOS El Torito entry")
	_, hasBIOSImage := r.Files[isoBIOSImage]
	require.False(t, hasBIOSImage)
	require.Contains(t, r.Files, isoGrubCfg, "same GRUB menu as amd64")

	testutil.RequireTool(t, "mdir", "mtype")
	files, err := ESPFiles(context.Background(), res.Path, r)
	require.NoError(t, err)
	t.Log(files)
	for _, want := range []string{"EFI/BOOT/BOOTAA64.EFI", "EFI/BOOT/grubaa64.efi", "EFI/BOOT/mmaa64.efi", "EFI/BOOT/grub.cfg", "EFI/debian/grub.cfg"} {
		require.Contains(t, files, want)
	}
	require.NotContains(t, files, "EFI/BOOT/BOOTX64.EFI")
	require.Empty(t, ArchESPProblems(files, ArchARM64))
	require.Equal(t, []string{"ESP: missing /EFI/BOOT/BOOTX64.EFI (amd64)", "ESP: missing /EFI/BOOT/grubx64.efi (amd64)"},
		ArchESPProblems(files, ArchAMD64))

	// The ESP's boot loader is the rootfs' arm64 shim, byte for byte.
	esp := filepath.Join(t.TempDir(), "BOOTAA64.EFI")
	tool(t, "sh", "-c", "MTOOLS_SKIP_CHECK=1 mcopy -i '"+res.Path+"@@"+strconv.FormatInt(int64(r.entry("UEFI").LBA)*sector, 10)+"' ::/EFI/BOOT/BOOTAA64.EFI '"+esp+"'")
	got, err := os.ReadFile(esp)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(o.Rootfs, "usr/lib/shim/shimaa64.efi.signed"))
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// TestARM64ISOBoot boots the arm64 ISO on qemu-system-aarch64 (virt,
// Cortex-A57, AAVMF) as a CD and as a disk (a dd'd USB stick: the GPT ESP):
// AAVMF → BOOTAA64.EFI (shim) → grubaa64.efi → the stub config →
// /boot/grub2/grub.cfg found by label → CanvOS' menu → Debian's arm64 kernel
// → the stand-in live initramfs, which finds the medium by its label,
// loop-mounts rootfs.squashfs and prints the marker from inside it. Once more
// as a CD with Secure Boot enforced and Microsoft's keys enrolled, which
// Debian's signed arm64 shim, GRUB and kernel must pass.
func TestARM64ISOBoot(t *testing.T) {
	root := arm64Rootfs(t)
	putLiveBoot(t, root, testutil.DebianKernelARM64(t))
	o := baseOptions(t, root)
	o.Arch = ArchARM64
	iso := build(t, o).Path
	cd := []string{"-device", "virtio-scsi-pci", "-drive", "if=none,id=cd,media=cdrom,readonly=on,format=raw,file=" + iso, "-device", "scsi-cd,drive=cd"}
	for _, c := range []struct {
		name, device string // device: the boot option AAVMF starts
		media        []string
		secureBoot   bool
	}{
		{"cd", "UEFI QEMU QEMU CD-ROM", cd, false},
		{"disk-gpt", "UEFI Misc Device", []string{"-drive", "if=none,id=usb,format=raw,snapshot=on,file=" + iso, "-device", "virtio-blk-pci,drive=usb"}, false},
		{"cd-secureboot", "UEFI QEMU QEMU CD-ROM", cd, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res := testutil.QEMU{
				Arch:    "arm64",
				Args:    append(testutil.AAVMF(t, c.secureBoot), c.media...),
				Timeout: 150 * time.Second,
				Until:   []string{testutil.ISOBootDone, testutil.ISOBootFailed},
			}.Run(t)
			require.Equal(t, testutil.ISOBootDone, res.Matched, "boot did not finish (timed out: %v)", res.TimedOut)
			require.Contains(t, res.Output, `BdsDxe: starting Boot0001 "`+c.device)
			require.Contains(t, res.Output, "Palette eXtended Kubernetes Edge Installer")
			require.Contains(t, res.Output, testutil.ISOBootMarker+" squashfs-ok fw=UEFI")
			require.Contains(t, res.Output, "root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs")
			if c.secureBoot {
				require.Contains(t, res.Output, "Secure boot enabled", "shim → GRUB → kernel passed Secure Boot")
				require.Contains(t, res.Output, "Kernel is locked down from EFI Secure Boot")
			} else {
				require.Contains(t, res.Output, "Secure boot disabled")
			}
		})
	}
}
