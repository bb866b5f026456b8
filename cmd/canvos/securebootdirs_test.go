package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSecureBootDirsVerb(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secure-boot")
	code, _, stderr := runMain(t, "secure-boot-dirs", "--dir", dir)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "secure-boot-dirs: "+dir+"/created private-keys (0700)")
	fi, err := os.Stat(filepath.Join(dir, "private-keys"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	code, _, stderr = runMain(t, "secure-boot-dirs", "--dir", dir)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, dir+" is complete")
}
