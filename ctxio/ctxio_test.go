package ctxio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWritesStopWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	var buf bytes.Buffer
	w := Writer(ctx, &buf)
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	require.NoError(t, err)
	defer f.Close()
	cf := File{File: f, Ctx: ctx}
	var wa io.WriterAt = cf // what go-diskfs asserts

	_, err = w.Write([]byte("a"))
	require.NoError(t, err)
	_, err = wa.WriteAt([]byte("b"), 10)
	require.NoError(t, err)

	stop := errors.New("SIGTERM")
	cancel(stop)
	_, err = w.Write([]byte("c"))
	require.ErrorIs(t, err, stop)
	_, err = wa.WriteAt([]byte("d"), 0)
	require.ErrorIs(t, err, stop)
	_, err = cf.Write([]byte("e"))
	require.ErrorIs(t, err, stop)
	require.Equal(t, "a", buf.String())
	st, err := f.Stat()
	require.NoError(t, err)
	require.EqualValues(t, 11, st.Size())
}
