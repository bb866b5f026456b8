package maas

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyRange copies n bytes of src at srcOff to dst at dstOff, skipping the
// holes of src (SEEK_DATA / SEEK_HOLE) so a sparse partition stays sparse in
// the sparse disk. dst must already be zero (a hole) over the range. Data runs
// go through copy_file_range, which the kernel may turn into a reflink.
func copyRange(dst, src *os.File, dstOff, srcOff, n int64) error {
	end := srcOff + n
	for off := srcOff; off < end; {
		data, err := unix.Seek(int(src.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) || data >= end {
			return nil // only holes left
		}
		if err != nil {
			return fmt.Errorf("copy: seek data: %w", err)
		}
		hole, err := unix.Seek(int(src.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			return fmt.Errorf("copy: seek hole: %w", err)
		}
		hole = min(hole, end)
		if err := copyData(dst, src, dstOff+data-srcOff, data, hole-data); err != nil {
			return err
		}
		off = hole
	}
	return nil
}

func copyData(dst, src *os.File, dstOff, srcOff, n int64) error {
	for n > 0 {
		in, out := srcOff, dstOff
		c, err := unix.CopyFileRange(int(src.Fd()), &in, int(dst.Fd()), &out, int(min(n, 1<<30)), 0)
		if err != nil || c == 0 {
			// Not supported across these files (EXDEV, ENOSYS, …): copy through user space.
			return copyBuffered(dst, src, dstOff, srcOff, n)
		}
		srcOff, dstOff, n = srcOff+int64(c), dstOff+int64(c), n-int64(c)
	}
	return nil
}

func copyBuffered(dst, src *os.File, dstOff, srcOff, n int64) error {
	w := io.NewOffsetWriter(dst, dstOff)
	if _, err := io.CopyBuffer(w, io.NewSectionReader(src, srcOff, n), make([]byte, mib)); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	return nil
}
