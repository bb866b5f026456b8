package efiimage

import (
	"crypto/rand"
	"debug/pe"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

func write(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "boot.efi")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func TestCheck(t *testing.T) {
	random := make([]byte, 4096)
	rand.Read(random)
	require.NoError(t, CheckFile(write(t, Minimal(AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION)), AMD64))
	require.NoError(t, CheckFile(write(t, Minimal(ARM64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION)), ARM64))
	for name, c := range map[string]struct {
		b    []byte
		m    Machine
		want string
	}{
		"random bytes":   {random, AMD64, "not a PE/COFF image"},
		"wrong machine":  {Minimal(ARM64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION), AMD64, "a PE image for AArch64, not x86-64"},
		"windows binary": {Minimal(AMD64, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI), AMD64, "not an EFI application"},
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorContains(t, CheckFile(write(t, c.b), c.m), c.want)
		})
	}
}

// TestCheckRealBinaries: Debian's signed shim and GRUB pass.
func TestCheckRealBinaries(t *testing.T) {
	for _, p := range []string{"/usr/lib/shim/shimx64.efi.signed", "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"} {
		require.NoError(t, CheckFile(testutil.RequireFile(t, p), AMD64), p)
	}
}
