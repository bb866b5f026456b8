package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// TestARM64ISOAndVerify: canvos iso --arch arm64 makes a UEFI-only ISO with
// the arm64 boot chain; verify --arch arm64 passes it, while verify without
// --arch (BIOS expected) and with --arch amd64 (BOOTX64.EFI expected) fail.
func TestARM64ISOAndVerify(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	testutil.RequireTool(t, "mksquashfs", "mkfs.fat", "mmd", "mcopy", "mdir")
	root := t.TempDir()
	testutil.BootFilesARM64Into(t, root)
	for p, data := range map[string]string{"boot/vmlinuz": "kernel", "boot/initrd": "initrd", "etc/os-release": "ID=kairos\n"} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, p), []byte(data), 0o644))
	}
	out := filepath.Join(t.TempDir(), "installer.iso")
	code, _, stderr := runMain(t, "iso", "--arch", "arm64", "--rootfs", root, "--out", out, "--scratch", t.TempDir())
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "arm64 has no BIOS: UEFI-only ISO")

	code, stdout, stderr := runMain(t, "verify", "--arch", "arm64", out)
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{"boot:   UEFI bootable=true", "mbr:    boot code=false", "part:   1 type=0xee",
		"esp:    /EFI/BOOT/BOOTAA64.EFI", "esp:    /EFI/BOOT/grubaa64.efi", "OK"} {
		require.Contains(t, stdout, want)
	}
	require.NotContains(t, stdout, "boot:   BIOS")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", out}, "FAIL  no BIOS El Torito entry"},
		{[]string{"verify", "--arch", "arm64", "--bios", out}, "FAIL  no BIOS El Torito entry"},
		{[]string{"verify", "--arch", "amd64", "--bios=false", out}, "FAIL  ESP: missing /EFI/BOOT/BOOTX64.EFI (amd64)"},
	} {
		code, stdout, _ := runMain(t, c.args...)
		require.Equal(t, exitFailure, code, c.args)
		require.Contains(t, stdout, c.want, c.args)
	}
	code, _, stderr = runMain(t, "verify", "--arch", "sparc", out)
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr, `--arch: invalid value "sparc"; allowed: amd64, arm64`)
}
