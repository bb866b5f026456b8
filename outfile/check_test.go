package outfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/usererr"
)

func TestCheckRefusesOutputsThatFailLateOrDestroyInputs(t *testing.T) {
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	require.NoError(t, os.MkdirAll(filepath.Join(rootfs, "boot"), 0o755))
	ud := filepath.Join(dir, "u.yaml")
	require.NoError(t, os.WriteFile(ud, []byte("#cloud-config\n"), 0o644))
	link := filepath.Join(dir, "rootfs-link")
	require.NoError(t, os.Symlink(rootfs, link))
	inputs := []Input{{"--rootfs", rootfs}, {"--user-data", ud}}

	for _, c := range []struct{ out, want string }{
		{"", "--out"},
		{filepath.Join(dir, "none", "k.raw"), "a file in an existing directory"},
		{dir, "not a directory"},
		{ud, "is also the --user-data input"},
		{filepath.Join(rootfs, "k.raw"), "inside the --rootfs directory"},
		{filepath.Join(rootfs, "boot", "k.raw"), "inside the --rootfs directory"},
		{filepath.Join(link, "k.raw"), "inside the --rootfs directory"},
	} {
		err := Check("--out", c.out, inputs...)
		require.ErrorIs(t, err, usererr.ErrInvalid, c.out)
		require.ErrorContains(t, err, c.want, c.out)
		require.ErrorContains(t, err, "--out")
	}
	require.NoError(t, Check("--out", filepath.Join(dir, "k.raw"), inputs...))
	require.NoError(t, Check("--out", filepath.Join(dir, "rootfs.raw"), inputs...), "a sibling named like the input")

	require.ErrorContains(t, CheckDir("--out-dir", filepath.Join(rootfs, "boot"), Input{"--ubuntu-rootfs", rootfs}), "inside the --ubuntu-rootfs directory")
	require.ErrorContains(t, CheckDir("--out-dir", link, Input{"--ubuntu-rootfs", rootfs}), "inside the --ubuntu-rootfs directory")
	require.ErrorContains(t, CheckDir("--out-dir", filepath.Join(dir, "none")), "an existing directory")
	require.NoError(t, CheckDir("--out-dir", dir, Input{"--ubuntu-rootfs", rootfs}))
}
