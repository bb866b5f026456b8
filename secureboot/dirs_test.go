package secureboot_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
)

func TestEnsureDirsCreates(t *testing.T) {
	old := syscall.Umask(0o077) // a strict umask must not change the modes
	defer syscall.Umask(old)
	root := filepath.Join(t.TempDir(), "secure-boot")
	changed, err := secureboot.EnsureDirs(root)
	require.NoError(t, err)
	require.Len(t, changed, 4)
	for name, mode := range map[string]os.FileMode{"enrollment": 0o755, "exported-keys": 0o700, "private-keys": 0o700, "public-keys": 0o755} {
		fi, err := os.Stat(filepath.Join(root, name))
		require.NoError(t, err)
		require.True(t, fi.IsDir())
		require.Equal(t, mode, fi.Mode().Perm(), name)
	}
	again, err := secureboot.EnsureDirs(root)
	require.NoError(t, err)
	require.Empty(t, again, "a complete tree is left as it is")
}

// TestEnsureDirsCompletes: a CanvOS tree (private-keys 0600, no
// exported-keys) keeps its files, gets the missing directory and usable modes.
func TestEnsureDirsCompletes(t *testing.T) {
	root := t.TempDir()
	priv := filepath.Join(root, "private-keys")
	require.NoError(t, os.Mkdir(priv, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(priv, "db.key"), []byte("key"), 0o600))
	require.NoError(t, os.Chmod(priv, 0o600)) // CanvOS' mode
	require.NoError(t, os.Mkdir(filepath.Join(root, "public-keys"), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(root, "enrollment"), 0o755))

	changed, err := secureboot.EnsureDirs(root)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"created exported-keys (0700)", "private-keys: mode 0600 → 0700"}, changed)
	b, err := os.ReadFile(filepath.Join(priv, "db.key"))
	require.NoError(t, err)
	require.Equal(t, "key", string(b))
	fi, err := os.Stat(filepath.Join(priv, "db.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "files keep their modes")
}

func TestEnsureDirsRefusesAFile(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "public-keys"), nil, 0o644))
	_, err := secureboot.EnsureDirs(root)
	require.ErrorContains(t, err, "not a directory")
}
