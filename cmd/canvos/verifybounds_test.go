package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVerifyTruncatedAndChecksum: verify fails (exit 1, a FAIL line saying
// what lies past the end) for an ISO cut anywhere, from 100 KB to its last
// sector, and for one whose .sha256 does not match; the intact ISO with its
// .sha256 passes and says the checksum matched.
func TestVerifyTruncatedAndChecksum(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	iso := filepath.Join(dir, "installer.iso")
	code, _, stderr := runMain(t, "iso", "--rootfs", isoRootfs(t), "--out", iso, "--scratch", t.TempDir())
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr := runMain(t, "verify", iso)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "sha256: matches installer.iso.sha256")
	require.True(t, strings.HasSuffix(stdout, "OK\n"), stdout)

	whole, err := os.ReadFile(iso)
	require.NoError(t, err)
	sum, err := os.ReadFile(iso + ".sha256")
	require.NoError(t, err)
	size := int64(len(whole))
	for _, c := range []struct {
		name string
		n    int64  // bytes kept
		want string // a FAIL line starts so
	}{
		{"100 KB", 100 << 10, "FAIL  the volume ("},
		{"1 MB", 1 << 20, "FAIL  the volume ("},
		{"all but 1 MB", size - 1<<20, "FAIL  the volume ("},
		{"all but the last sector", size - 2048, "FAIL  the backup GPT header ends at byte"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "cut.iso")
			require.NoError(t, os.WriteFile(p, whole[:c.n], 0o644))
			code, stdout, stderr := runMain(t, "verify", p)
			require.Equal(t, exitFailure, code, stdout)
			require.Contains(t, stdout, c.want)
			require.Contains(t, stderr, "verification failed")
			require.NotContains(t, stdout, "\nOK\n")
		})
	}

	// The whole ISO with someone else's checksum, and with a garbled one.
	for _, c := range []struct{ sidecar, want string }{
		{strings.Repeat("0", 64) + "  installer.iso\n", "FAIL  sha256 is "},
		{"not a checksum\n", "FAIL  installer.iso.sha256 is not a sha256sum line"},
	} {
		require.NoError(t, os.WriteFile(iso+".sha256", []byte(c.sidecar), 0o644))
		code, stdout, _ := runMain(t, "verify", iso)
		require.Equal(t, exitFailure, code, stdout)
		require.Contains(t, stdout, c.want)
	}
	// A cut ISO beside the .sha256 of the whole one fails on both counts.
	require.NoError(t, os.WriteFile(iso+".sha256", sum, 0o644))
	require.NoError(t, os.Truncate(iso, size-1<<20))
	code, stdout, _ = runMain(t, "verify", iso)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stdout, "FAIL  the volume (")
	require.Contains(t, stdout, "FAIL  sha256 is ")
}
