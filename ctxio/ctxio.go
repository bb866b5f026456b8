// Package ctxio makes long pure-Go writes stop when their context is done:
// the ISO 9660 writer and the MAAS gzip pass run for minutes with no external
// tool to kill, so a SIGINT must reach them through every write.
package ctxio

import (
	"context"
	"io"
	"os"
)

// Writer returns w whose writes fail with ctx's cause once ctx is done.
func Writer(ctx context.Context, w io.Writer) io.Writer { return writer{ctx, w} }

type writer struct {
	ctx context.Context
	w   io.Writer
}

func (w writer) Write(p []byte) (int, error) {
	if err := context.Cause(w.ctx); err != nil {
		return 0, err
	}
	return w.w.Write(p)
}

// File is an *os.File whose Write and WriteAt fail with Ctx's cause once Ctx
// is done; the other methods are the file's. Libraries that write through
// io.WriterAt (go-diskfs) stop at their next write.
type File struct {
	*os.File
	Ctx context.Context
}

func (f File) Write(p []byte) (int, error) {
	if err := context.Cause(f.Ctx); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f File) WriteAt(p []byte, off int64) (int, error) {
	if err := context.Cause(f.Ctx); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}
