package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// isoRootfs is a rootfs with the host's Debian boot files and stand-in
// kernel and initrd (the ISO verb only copies them).
func isoRootfs(t *testing.T) string {
	t.Helper()
	testutil.RequireTool(t, "mksquashfs", "mkfs.fat", "mmd", "mcopy", "grub-mkimage")
	root := t.TempDir()
	testutil.BootFilesInto(t, root)
	for p, data := range map[string]string{"boot/vmlinuz": "kernel", "boot/initrd": "initrd", "etc/os-release": "ID=kairos\n"} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, p), []byte(data), 0o644))
	}
	return root
}

func TestISOAndVerifyCommands(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	root := isoRootfs(t)
	out := filepath.Join(t.TempDir(), "installer.iso")
	ud := filepath.Join(t.TempDir(), "user-data")
	require.NoError(t, os.WriteFile(ud, []byte("#cloud-config\nstylus: {}\n"), 0o644))

	code, _, stderr := runMain(t, "iso", "--rootfs", root, "--out", out, "--user-data", ud, "--force-interactive", "--scratch", t.TempDir())
	require.Equal(t, 0, code, stderr)
	require.FileExists(t, out+".sha256")

	code, stdout, stderr := runMain(t, "verify", "--user-data", out)
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{"label:  COS_LIVE", "boot:   BIOS bootable=true", "boot:   UEFI bootable=true",
		"file:   /config.yaml (25 bytes)", "file:   /rootfs.squashfs", "mbr:    boot code=true", "part:   1 type=0xee",
		`gpt:    1 type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B name="ISO_EFI"`, "OK"} {
		require.Contains(t, stdout, want)
	}

	code, stdout, _ = runMain(t, "verify", "--label", "OTHER", out)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stdout, `FAIL  volume label is "COS_LIVE", want "OTHER"`)

	code, _, stderr = runMain(t, "verify", filepath.Join(t.TempDir(), "none.iso"))
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "no such file")
}

func TestISOCommandInputErrors(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	root := isoRootfs(t)
	notCloud := filepath.Join(t.TempDir(), "user-data")
	require.NoError(t, os.WriteFile(notCloud, []byte("stylus: {}\n"), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rootfs", root}, "--rootfs/--out"},
		{[]string{"--rootfs", root, "--user-data", notCloud}, `--user-data: ` + notCloud + `: line 1: first line must be "#cloud-config"`},
		{[]string{"--rootfs", root, "--compression", "brotli"}, `--compression: invalid value "brotli"`},
		{[]string{"--rootfs", root, "--partition-table", "apm"}, `--partition-table: invalid value "apm"; allowed: gpt, mbr`},
		{[]string{"--rootfs", root, "--arch", "riscv64"}, `--arch: invalid value "riscv64"; allowed: amd64, arm64`},
		{[]string{"--rootfs", t.TempDir()}, "--rootfs: "},
		{[]string{"--rootfs", root, "stray"}, "unexpected"},
	} {
		dir := t.TempDir()
		args := append([]string{"iso"}, c.args...)
		if c.want != "--rootfs/--out" {
			args = append(args, "--out", filepath.Join(dir, "x.iso"))
		}
		code, _, stderr := runMain(t, args...)
		require.Equal(t, exitInput, code, stderr)
		require.Contains(t, stderr, c.want)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, entries)
	}
}
