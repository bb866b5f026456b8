package iso

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/run"
)

func TestSquashfsCmd(t *testing.T) {
	t.Parallel()
	o := Options{Rootfs: "/r", Epoch: 42, Compression: CompZstd}
	require.Equal(t, run.Cmd{Name: "mksquashfs", Args: []string{"/r", "/w/rootfs.squashfs", "-noappend", "-no-progress", "-quiet",
		"-comp", "zstd", "-Xcompression-level", "3", "-pf", "/w/p", "-ef", "/w/e"}, Env: []string{"SOURCE_DATE_EPOCH=42"}},
		squashfsCmd(o, "/w/rootfs.squashfs", "/w/p", "/w/e"))
	for _, c := range []struct {
		comp  Compression
		level int
		want  []string
	}{
		{CompZstd, 15, []string{"-comp", "zstd", "-Xcompression-level", "15"}},
		{CompGzip, 0, []string{"-comp", "gzip"}},
		{CompGzip, 6, []string{"-comp", "gzip", "-Xcompression-level", "6"}},
		{CompXz, 0, []string{"-comp", "xz"}},
		{CompNone, 0, []string{"-noI", "-noD", "-noF", "-noX"}},
	} {
		require.Equal(t, c.want, compressionArgs(c.comp, c.level), "%s/%d", c.comp, c.level)
	}
}

func TestESPCmds(t *testing.T) {
	t.Parallel()
	files := espFiles(bootSet{arch: archBoots[ArchAMD64], shim: "/s", grubEFI: "/g"}, "/cfg")
	cmds := espCmds("/w/efiboot.img", files, 8192, "0A0B0C0D", 42)
	env := []string{"SOURCE_DATE_EPOCH=42", "MTOOLS_SKIP_CHECK=1"}
	require.Equal(t, run.Cmd{Name: "mkfs.fat", Args: []string{"--invariant", "-C", "-i", "0A0B0C0D", "-n", "ISO_EFI", "/w/efiboot.img", "8192"}, Env: env}, cmds[0])
	require.Equal(t, run.Cmd{Name: "mmd", Args: []string{"-i", "/w/efiboot.img", "::/EFI", "::/EFI/BOOT", "::/EFI/debian", "::/EFI/ubuntu"}, Env: env}, cmds[1])
	require.Equal(t, run.Cmd{Name: "mcopy", Args: []string{"-i", "/w/efiboot.img", "/s", "::/EFI/BOOT/BOOTX64.EFI"}, Env: env}, cmds[2])
	require.Equal(t, run.Cmd{Name: "mcopy", Args: []string{"-i", "/w/efiboot.img", "/g", "::/EFI/BOOT/grubx64.efi"}, Env: env}, cmds[3])
	require.Len(t, cmds, 2+2+3, "no MokManager given: shim, grub and three grub.cfg stubs")
}

func TestLocalUIPseudo(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		e    uiEntry
		want string
	}{
		{uiEntry{name: "opt/spectrocloud/ui", typ: tar.TypeDir, mode: 0o750, uid: 1, gid: 2}, `"opt/spectrocloud/ui" d 750 1 2`},
		{uiEntry{name: "opt/spectrocloud", typ: tar.TypeDir, mode: 0o755, merge: true}, `"opt/spectrocloud" m 755 0 0`},
		{uiEntry{name: `opt/spectrocloud/a "b"`, typ: tar.TypeReg, mode: 0o644, index: 7}, `"opt/spectrocloud/a \"b\"" f 644 0 0 cat '/stage/7'`},
		{uiEntry{name: "opt/spectrocloud/l", typ: tar.TypeSymlink, mode: 0o777, target: "x"}, `"opt/spectrocloud/l" s 777 0 0 x`},
		{uiEntry{name: "opt/spectrocloud/h", typ: tar.TypeLink, target: "opt/spectrocloud/f"}, `"opt/spectrocloud/h" L "opt/spectrocloud/f"`},
	} {
		require.Equal(t, c.want, c.e.pseudo("/stage"))
	}
	for name, want := range map[string]string{"./ui/x": "opt/spectrocloud/ui/x", "./": "opt/spectrocloud", "/abs": "opt/spectrocloud/abs"} {
		got, err := uiPath(name)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := uiPath("../../etc/passwd")
	require.ErrorContains(t, err, "leaves the archive")
}

func TestSplitContent(t *testing.T) {
	t.Parallel()
	bundle := write(t, filepath.Join(t.TempDir(), "core.zst"), "0123456789")
	ws := t.TempDir()
	require.NoError(t, stager{ws: ws}.split(bundle, 4))
	for name, want := range map[string]string{"core.zst_part00": "0123", "core.zst_part01": "4567", "core.zst_part02": "89"} {
		got, err := os.ReadFile(filepath.Join(ws, isoContentDir, name))
		require.NoError(t, err)
		require.Equal(t, want, string(got), name)
	}
	entries, err := os.ReadDir(filepath.Join(ws, isoContentDir))
	require.NoError(t, err)
	require.Len(t, entries, 3)

	ws = t.TempDir()
	require.NoError(t, stager{ws: ws}.split(bundle, 10))
	require.FileExists(t, filepath.Join(ws, isoContentDir, "core.zst_part00"), "a bundle that fits is one _part00, as CanvOS ships it")
}
