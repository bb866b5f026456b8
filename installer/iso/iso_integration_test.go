package iso

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	p := testutil.RequireTool(t, name)[0]
	out, err := exec.Command(p, args...).CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
	return string(out)
}

func TestISOStructure(t *testing.T) {
	rootfs := standInRootfs(t)
	o := baseOptions(t, rootfs)
	o.Payload = testPayload(t)
	res := build(t, o)

	report := tool(t, "xorriso", "-indev", res.Path, "-report_el_torito", "plain", "-report_system_area", "plain")
	t.Log(report)
	for _, want := range []string{
		"El Torito boot img :   1  BIOS  y   none",
		"El Torito boot img :   2  UEFI  y   none",
		"boot-info-table",
		"El Torito img path :   1  /boot/grub2/i386-pc/eltorito.img",
		"El Torito img path :   2  /boot/efiboot.img",
		"grub2-mbr",
		"MBR partition      :   1   0x00  0xee",
		"GPT partition path :   1  /boot/efiboot.img",
	} {
		require.Contains(t, report, want)
	}
	require.Contains(t, tool(t, "sgdisk", "-v", res.Path), "No problems found")
	require.Contains(t, tool(t, "isoinfo", "-d", "-i", res.Path), "Volume id: COS_LIVE")
	sum := tool(t, "sh", "-c", "cd "+filepath.Dir(res.Path)+" && sha256sum -c installer.iso.sha256")
	require.Contains(t, sum, "installer.iso: OK")

	x := requireISOFiles(t, res.Path, []string{"/rootfs.squashfs", "/config.yaml", "/boot/kernel", "/opt", "/.edge_custom_config.yaml", "/extra"}, payloadFiles)

	lls := tool(t, "unsquashfs", "-lls", filepath.Join(x, "rootfs.squashfs"))
	for _, want := range []string{
		"-rw-r----- 1234/5678", // owner kept
		"-rwsr-xr-x root/root", // setuid kept
		"squashfs-root/usr/lib/rel-link -> ../bin/suid",
		"squashfs-root/usr/lib/dangling -> /nowhere",
		"squashfs-root/boot/vmlinuz -> /boot/vmlinuz-",
		"prw-r--r--",           // FIFO
		"drwxr-x--- 2000/2000", // local-ui dir, owner from the tar
		"squashfs-root/opt/spectrocloud/ui/latest -> index.html",
		"squashfs-root/opt/spectrocloud/bin/agent-ui",
		"2023-11-14 22:13", // -all-time = epoch
	} {
		require.True(t, strings.Contains(lls, want), "unsquashfs -lls lacks %q", want)
	}
	// Hardlinks: one inode, link count 2, in the squashfs.
	stat := tool(t, "unsquashfs", "-stat", filepath.Join(x, "rootfs.squashfs"))
	require.Contains(t, stat, "Number of xattr ids 1", "the user.canvos xattr is stored")
	sq := t.TempDir()
	tool(t, "unsquashfs", "-f", "-d", sq, filepath.Join(x, "rootfs.squashfs"))
	a, err := os.Stat(filepath.Join(sq, "etc/canvos-marker"))
	require.NoError(t, err)
	b, err := os.Stat(filepath.Join(sq, "etc/marker-hardlink"))
	require.NoError(t, err)
	require.True(t, os.SameFile(a, b), "hardlink kept")
	ui, err := os.ReadFile(filepath.Join(sq, "opt/spectrocloud/bin/agent-ui"))
	require.NoError(t, err)
	require.Equal(t, "#!/bin/sh\n", string(ui), "the local-ui tar replaces a rootfs file")
	require.Equal(t, "user.canvos=\"kept\"", strings.TrimSpace(lastLine(tool(t, "getfattr", "-n", "user.canvos", filepath.Join(sq, "usr/bin/capped")))))

	r, err := Inspect(res.Path)
	require.NoError(t, err)
	require.Empty(t, r.Problems(Expect{Label: DefaultLabel, BIOS: true, Hybrid: true, UserData: true}))

	// The MBR variant: one active 0xEF partition over the same ESP image.
	o.PartitionTable, o.OutPath = TableMBR, filepath.Join(t.TempDir(), "mbr.iso")
	mbrISO := build(t, o).Path
	report = tool(t, "xorriso", "-indev", mbrISO, "-report_system_area", "plain")
	for _, want := range []string{"System area summary: MBR grub2-mbr", "MBR partition      :   1   0x80  0xef", "MBR partition path :   1  /boot/efiboot.img"} {
		require.Contains(t, report, want)
	}
	r, err = Inspect(mbrISO)
	require.NoError(t, err)
	require.Empty(t, r.Problems(Expect{Label: DefaultLabel, BIOS: true, Hybrid: true, UserData: true}))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestISODeterministic: the same inputs and epoch give the same bytes, from
// different scratch and output directories, a second apart (go-diskfs
// stamps time.Now() and ctimes, which pinTimes must undo), the second time
// from a copy of the rootfs (new ctimes, atimes of the first build's reads).
func TestISODeterministic(t *testing.T) {
	rootfs := standInRootfs(t)
	p := testPayload(t)
	withPayload := func(rootfs string) Options {
		o := baseOptions(t, rootfs)
		o.Payload = p
		return o
	}
	first := build(t, withPayload(rootfs))
	time.Sleep(1100 * time.Millisecond)
	second := build(t, withPayload(testutil.CopyTree(t, rootfs)))
	require.Equal(t, first.SHA256, second.SHA256)
	a, err := os.ReadFile(first.Path)
	require.NoError(t, err)
	b, err := os.ReadFile(second.Path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, b), "ISOs differ")

	o := withPayload(rootfs)
	o.Epoch++
	require.NotEqual(t, first.SHA256, build(t, o).SHA256, "the epoch must reach the bytes")
}

// TestInspectXorrisoISO: verify reads ISOs it did not write. The tree of our
// ISO is re-mastered by xorriso the way AuroraBoot does (grub2 MBR, ESP
// appended after the volume as a GPT partition) and must pass too.
func TestInspectXorrisoISO(t *testing.T) {
	rootfs := standInRootfs(t)
	res := build(t, baseOptions(t, rootfs))
	tree := filepath.Join(t.TempDir(), "tree")
	tool(t, "xorriso", "-osirrox", "on", "-indev", res.Path, "-extract", "/", tree)
	require.NoError(t, os.Remove(filepath.Join(tree, isoBootCatalog)))
	out := filepath.Join(t.TempDir(), "auroraboot-like.iso")
	tool(t, "xorriso", "-as", "mkisofs", "-R", "-V", DefaultLabel, "-o", out,
		"-b", isoBIOSImage, "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", "--grub2-boot-info",
		"--grub2-mbr", filepath.Join(rootfs, "usr/lib/grub/i386-pc/boot_hybrid.img"),
		"-eltorito-alt-boot", "-e", isoESP, "-no-emul-boot",
		"-append_partition", "2", "0xef", filepath.Join(tree, isoESP), "-appended_part_as_gpt", tree)
	r, err := Inspect(out)
	require.NoError(t, err)
	require.Empty(t, r.Problems(Expect{Label: DefaultLabel, BIOS: true, Hybrid: true}))
	require.NotEmpty(t, r.GPT)

	// And it fails an ISO without what a live boot needs.
	require.NoError(t, os.Remove(filepath.Join(tree, isoSquashfs)))
	bare := filepath.Join(t.TempDir(), "bare.iso")
	tool(t, "xorriso", "-as", "mkisofs", "-R", "-V", "OTHER", "-o", bare, tree)
	r, err = Inspect(bare)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{`volume label is "OTHER", want "COS_LIVE"`, "missing /rootfs.squashfs", "no UEFI El Torito entry",
		"no BIOS El Torito entry", "no BIOS boot code in the MBR (USB BIOS boot)", "no EFI system partition in the MBR (0xef) or GPT for USB UEFI boot"},
		r.Problems(Expect{Label: DefaultLabel, BIOS: true, Hybrid: true}))
}
