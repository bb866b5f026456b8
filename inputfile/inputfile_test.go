package inputfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/usererr"
)

func TestReadBounded(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	require.NoError(t, os.WriteFile(small, []byte("secret-token-1234\n"), 0o600))
	b, err := Read("--user-data", small, 18)
	require.NoError(t, err)
	require.Equal(t, "secret-token-1234\n", string(b))

	for name, c := range map[string]struct {
		path  string
		limit int64
		want  string
	}{
		"over the limit": {small, 17, "larger than 17 bytes"},
		"endless":        {"/dev/zero", 1 << 20, "/dev/zero is larger than 1 MiB"},
		"missing":        {filepath.Join(dir, "none"), 10, "no such file"},
		"directory":      {dir, 10, "not a directory"},
		"empty name":     {"", 10, "a file"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Read("--user-data", c.path, c.limit)
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.ErrorContains(t, err, "--user-data")
			require.ErrorContains(t, err, c.want)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestSize(t *testing.T) {
	require.Equal(t, "8 MiB", Size(UserDataLimit))
	require.Equal(t, "4 KiB", Size(4096))
	require.Equal(t, "1000 bytes", Size(1000))
}
