package iso

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// TestHiddenEntryDetected: Debian's signed GRUB has no hiddenentry command
// (the ISO menu leaves the text-mode entry out); an image that registers the
// command (openSUSE's, Fedora's) gets it.
func TestHiddenEntryDetected(t *testing.T) {
	debian := testutil.RequireFile(t, "/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed")
	got, err := hasHiddenEntry(debian)
	require.NoError(t, err)
	require.False(t, got, "Debian's GRUB")
	patched := filepath.Join(t.TempDir(), "grubx64.efi")
	b, err := os.ReadFile(debian)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(patched, append(b, "menuentry\x00hiddenentry\x00submenu\x00"...), 0o644))
	got, err = hasHiddenEntry(patched)
	require.NoError(t, err)
	require.True(t, got)
	_, err = hasHiddenEntry(filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
}
