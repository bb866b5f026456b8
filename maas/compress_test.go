package maas

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// sparseFile writes data at the given offsets of a file of size bytes; the
// rest are holes.
func sparseFile(t *testing.T, size int64, at map[int64][]byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.raw")
	f, err := os.Create(p)
	require.NoError(t, err)
	for off, b := range at {
		_, err := f.WriteAt(b, off)
		require.NoError(t, err)
	}
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Close())
	return p
}

func TestCompressMembers(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("canvos maas "), 100000)
	for name, tc := range map[string]struct {
		size    int64
		at      map[int64][]byte
		minHole int64
	}{
		"empty":                {0, nil, gzipBlock},
		"holes only":           {3*gzipBlock + 5, nil, gzipBlock},
		"data, hole, data":     {9*gzipBlock + 17, map[int64][]byte{0: data, 5*gzipBlock + 3: data[:100]}, gzipBlock},
		"hole below the limit": {9 * gzipBlock, map[int64][]byte{0: data, 7 * gzipBlock: data}, 64 * gzipBlock},
		"data only":            {int64(len(data)), map[int64][]byte{0: data}, gzipBlock},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := sparseFile(t, tc.size, tc.at)
			want, err := os.ReadFile(p)
			require.NoError(t, err)
			f, err := os.Open(p)
			require.NoError(t, err)
			defer f.Close()
			var gz bytes.Buffer
			require.NoError(t, compressMembers(&gz, f, tc.minHole))
			if tc.size == 0 {
				require.Zero(t, gz.Len())
				return
			}
			zr, err := gzip.NewReader(&gz) // multistream by default, as zcat
			require.NoError(t, err)
			got, err := io.ReadAll(zr)
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

// TestCompressToZcat decompresses a disk with a skipped hole the way curtin
// does (zcat) and checks the .sha256 with sha256sum.
func TestCompressToZcat(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "zcat", "gzip", "sha256sum", "cmp")
	src := sparseFile(t, 2*minHoleRun+17, map[int64][]byte{0: []byte("partition table"), minHoleRun + 3*gzipBlock + 1: []byte("fs")})
	dst := src + ".gz"
	_, err := compressTo(context.Background(), dst, src)
	require.NoError(t, err)
	sh(t, "gzip", "-t", dst)
	out, err := exec.Command("sh", "-c", `zcat "$1" | cmp - "$2"`, "sh", dst, src).CombinedOutput()
	require.NoError(t, err, "zcat output differs: %s", out)
	cmd := exec.Command("sha256sum", "-c", filepath.Base(dst)+".sha256")
	cmd.Dir = filepath.Dir(dst)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// TestCompressToCancelled: a context cancelled (by a signal) stops the gzip
// pass; neither the artifact nor its .sha256 exists afterwards.
func TestCompressToCancelled(t *testing.T) {
	t.Parallel()
	src := sparseFile(t, 8*gzipBlock, map[int64][]byte{0: bytes.Repeat([]byte("data"), 2*gzipBlock)})
	dst := src + ".gz"
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("SIGINT")
	cancel(stop)
	_, err := compressTo(ctx, dst, src)
	require.ErrorIs(t, err, stop)
	entries, err := os.ReadDir(filepath.Dir(dst))
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the source is left")
}
