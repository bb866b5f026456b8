package maas

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"
	"golang.org/x/sys/unix"

	"dagger/canvos/ctxio"
	"dagger/canvos/outfile"
)

// gzipBlock is pgzip's block size: 1 MiB blocks, two per core in flight, gave
// 535 MB/s on a 3.4 GB MAAS disk here, 8× CanvOS' `gzip -6` for +3.8 % size
// (perf-baselines.md §7).
const gzipBlock = 1 << 20

// The MAAS disk is mostly holes (3 GiB of ubuntu_rootfs for ~1 GiB of files),
// and deflating zeros costs ~0.35 s per GiB per core. So the artifact is a
// series of gzip members (RFC 1952 §2.2): data runs are pgzip members, and a
// big hole is copies of zeroMember (one MiB of zeros, compressed once)
// without reading it. curtin writes ddgz images with `wget … | zcat | dd`;
// zcat, gunzip and Python's gzip read concatenated members as one stream.
// Only holes of minHoleRun or more are skipped: closing a pgzip member drains
// its pipeline, so many short members are slower than deflating the zeros.
const minHoleRun = 64 << 20

var zeroMember = func() []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // a valid constant level: no error
	zw.Write(make([]byte, gzipBlock))
	zw.Close()
	return b.Bytes()
}()

// compressTo gzips the disk file src into the artifact dst and writes
// dst.sha256; the checksum is computed from the compressed bytes in the same
// pass. Both files appear only when complete; once ctx is done the next
// write fails and nothing is committed.
func compressTo(ctx context.Context, dst, src string) ([]byte, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	out, err := outfile.Create(dst, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	sum := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(out, sum), gzipBlock)
	if err := compressMembers(ctxio.Writer(ctx, bw), in, minHoleRun); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := out.Commit(); err != nil {
		return nil, err
	}
	digest := sum.Sum(nil)
	return digest, outfile.WriteSHA256(dst, digest)
}

// memberWriter writes pgzip members, starting one on the first write after a
// close.
type memberWriter struct {
	w    io.Writer
	zw   *pgzip.Writer
	open bool
}

func (m *memberWriter) Write(p []byte) (int, error) {
	if !m.open {
		m.zw.Reset(m.w)
		m.open = true
	}
	return m.zw.Write(p)
}

func (m *memberWriter) close() error {
	if !m.open {
		return nil
	}
	m.open = false
	return m.zw.Close()
}

// compressMembers writes f to w as gzip members: holes of at least minHole
// as zeroMember copies, the rest through pgzip.
func compressMembers(w io.Writer, f *os.File, minHole int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	zw, err := pgzip.NewWriterLevel(w, pgzip.DefaultCompression)
	if err != nil {
		return err
	}
	if err := zw.SetConcurrency(gzipBlock, 2*runtime.GOMAXPROCS(0)); err != nil {
		return err
	}
	m := &memberWriter{w: w, zw: zw}
	buf := make([]byte, gzipBlock)
	size := fi.Size()
	for pos := int64(0); pos < size; {
		data, err := unix.Seek(int(f.Fd()), pos, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			data = size
		} else if err != nil {
			return err
		}
		if data > pos { // a hole
			if err := m.zeros(data-pos, minHole); err != nil {
				return err
			}
			pos = data
			continue
		}
		hole, err := unix.Seek(int(f.Fd()), pos, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		if _, err := io.CopyBuffer(m, io.NewSectionReader(f, pos, hole-pos), buf); err != nil {
			return err
		}
		pos = hole
	}
	return m.close()
}

// zeros writes n zero bytes: as zero members when n reaches minHole, the
// remainder (and short holes) deflated with the data around them.
func (m *memberWriter) zeros(n, minHole int64) error {
	if n >= minHole {
		if err := m.close(); err != nil {
			return err
		}
		for ; n >= gzipBlock; n -= gzipBlock {
			if _, err := m.w.Write(zeroMember); err != nil {
				return err
			}
		}
	}
	_, err := io.CopyN(m, zeroReader{}, n)
	return err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
