package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

func TestEFISizeCheckVerb(t *testing.T) {
	testutil.RequireTool(t, "mkfs.fat", "mcopy", "mmd")
	out := filepath.Join(t.TempDir(), "efi-size-check.iso")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"iso-efi-size-check", "--shell", testutil.EFIShell(t),
		"--max-size", "8", "--img-size", "40", "--out", out, "--scratch", t.TempDir()}, &stdout, &stderr)
	require.Equal(t, 0, code, "%s", stderr.String())
	fi, err := os.Stat(out)
	require.NoError(t, err)
	require.Greater(t, fi.Size(), int64(40<<20), "the ISO carries the 40 MiB ESP")
	require.FileExists(t, out+".sha256")

	stderr.Reset()
	code = Main(context.Background(), []string{"iso-efi-size-check", "--shell", testutil.EFIShell(t),
		"--max-size", "64", "--img-size", "64", "--out", out}, &stdout, &stderr)
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr.String(), `EFI_IMG_SIZE: invalid value "64"`)
}
