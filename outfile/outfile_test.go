package outfile

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCommitRenamesOnlyWhenDone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "disk.raw")
	f, err := Create(path, 0o640)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("data"), 512)
	require.NoError(t, err)
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "the final name must not exist before Commit")

	require.NoError(t, f.Commit())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	require.EqualValues(t, 516, fi.Size())
	f.Abort() // no-op after Commit
	_, err = os.Stat(path)
	require.NoError(t, err)
	require.Error(t, f.Commit(), "a second Commit")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")
}

func TestWriteFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "x.iso")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	boom := errors.New("boom")
	err := Write(path, 0o644, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "old", string(got), "a failed write keeps the previous artifact")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")
}

func TestCreateInMissingDirectory(t *testing.T) {
	t.Parallel()
	_, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir", "f"), 0o644)
	require.ErrorContains(t, err, "create")
}

// TestSHA256Sidecar checks the format against sha256sum -c itself.
func TestSHA256Sidecar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "kairos.raw.gz")
	require.NoError(t, os.WriteFile(path, []byte("abc"), 0o644))
	sum := []byte{0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad} // sha256("abc")
	require.NoError(t, WriteSHA256(path, sum))
	line, err := os.ReadFile(path + ".sha256")
	require.NoError(t, err)
	require.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  kairos.raw.gz\n", string(line))
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "-c", "kairos.raw.gz.sha256")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
}

func TestDirAppearsWhole(t *testing.T) {
	parent := t.TempDir()
	final := filepath.Join(parent, "esp")

	d, err := CreateDir(final, 0o755)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(d.Path, "EFI", "BOOT"), 0o755))
	require.NoDirExists(t, final, "invisible until Commit")
	d.Abort()
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Empty(t, entries, "Abort leaves nothing")

	require.NoError(t, os.Mkdir(final, 0o755)) // an empty directory is replaced
	d, err = CreateDir(final, 0o755)
	require.NoError(t, err)
	defer d.Abort()
	require.NoError(t, os.WriteFile(filepath.Join(d.Path, "loader.conf"), []byte("x"), 0o644))
	require.NoError(t, d.Commit())
	require.FileExists(t, filepath.Join(final, "loader.conf"))
	entries, err = os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}
