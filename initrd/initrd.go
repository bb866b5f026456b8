// Package initrd packs a root file system directory into a compressed cpio
// (newc) initrd, the way CanvOS/Kairos build a UKI's initrd: the whole rootfs
// except the contents of the API and scratch file systems (/sys /proc /dev
// /run /tmp), which the booted system mounts itself.
//
// The cpio encoding is u-root's pkg/cpio (newc writer, inode numbering and
// hard-link detection); compression is klauspost/compress zstd or pgzip.
// Output is deterministic: a sorted walk, every mtime set to the epoch given,
// device numbers of the build host zeroed, inode numbers assigned in walk
// order.
package initrd

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/u-root/u-root/pkg/cpio"
	"golang.org/x/sys/unix"

	"dagger/canvos/rootfs"
	"dagger/canvos/usererr"
)

// Compression is the initrd's compressor; the kernel must support it
// (Debian and Ubuntu kernels do both).
type Compression string

const (
	Zstd Compression = "zstd"
	Gzip Compression = "gzip"
)

// ParseCompression checks a --compression value.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(s); c {
	case Zstd, Gzip:
		return c, nil
	}
	return "", usererr.New("compression", s, usererr.OneOf(string(Zstd), string(Gzip)))
}

// DefaultExcludes are the top-level directories whose contents are left
// out (the directories themselves stay, as mount points).
var DefaultExcludes = []string{"dev", "proc", "run", "sys", "tmp"}

// Options describe one initrd.
type Options struct {
	Root        string      // root file system directory
	Compression Compression // zstd (default) or gzip
	Epoch       time.Time   // mtime of every entry (SOURCE_DATE_EPOCH)
	Excludes    []string    // top-level directories to empty; nil means DefaultExcludes
	Printf      func(format string, args ...any)
}

// Validate checks o before anything is written.
func (o Options) Validate() error {
	if o.Compression != "" {
		if _, err := ParseCompression(string(o.Compression)); err != nil {
			return err
		}
	}
	if st, err := os.Stat(o.Root); err != nil || !st.IsDir() {
		return usererr.Newf("rootfs", "%s: not a directory", o.Root)
	}
	return nil
}

// Write writes the compressed initrd of o.Root to w.
func Write(w io.Writer, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.Compression == "" {
		o.Compression = Zstd
	}
	if o.Excludes == nil {
		o.Excludes = DefaultExcludes
	}
	var err error
	if o.Root, err = rootfs.Real(o.Root); err != nil { // a linked root: walk the tree, not the link
		return usererr.Newf("rootfs", "%v", err)
	}
	zw, err := compressor(w, o.Compression)
	if err != nil {
		return err
	}
	n, err := archive(zw, o)
	if err != nil {
		zw.Close()
		return fmt.Errorf("initrd: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("initrd: %s: %w", o.Compression, err)
	}
	if o.Printf != nil {
		o.Printf("initrd: %d entries from %s, %s", n, o.Root, o.Compression)
	}
	return nil
}

func compressor(w io.Writer, c Compression) (io.WriteCloser, error) {
	if c == Gzip {
		zw, err := pgzip.NewWriterLevel(w, pgzip.DefaultCompression)
		if err != nil {
			return nil, fmt.Errorf("initrd: gzip: %w", err)
		}
		return zw, nil
	}
	zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
	if err != nil {
		return nil, fmt.Errorf("initrd: zstd: %w", err)
	}
	return zw, nil
}

// archive writes the cpio stream of o.Root and returns the entry count.
func archive(w io.Writer, o Options) (int, error) {
	cw := cpio.Newc.Writer(w)
	rec := cpio.NewRecorder()
	n := 0
	err := filepath.WalkDir(o.Root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(o.Root, path)
		if err != nil || rel == "." {
			return err
		}
		r, err := record(rec, path, filepath.ToSlash(rel), o.Epoch)
		if err != nil {
			return err
		}
		if err := cw.WriteRecord(r); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		n++
		if d.IsDir() && excluded(rel, o.Excludes) {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, cpio.WriteTrailer(cw)
}

// record is u-root's record for path, made reproducible: the archive name,
// a fixed mtime, no host device, and correct device numbers for device nodes
// (u-root splits st_rdev the pre-2.6 way, wrong for minors above 255).
func record(rec *cpio.Recorder, path, name string, epoch time.Time) (cpio.Record, error) {
	r, err := rec.GetRecord(path)
	if err != nil {
		return cpio.Record{}, err
	}
	r.Name = name
	r.MTime = uint64(max(epoch.Unix(), 0))
	r.Dev, r.Major, r.Minor = 0, 0, 0
	if m := r.Mode & cpio.S_IFMT; m == cpio.S_IFCHR || m == cpio.S_IFBLK {
		var st syscall.Stat_t
		if err := syscall.Lstat(path, &st); err != nil {
			return cpio.Record{}, err
		}
		r.Rmajor, r.Rminor = uint64(unix.Major(st.Rdev)), uint64(unix.Minor(st.Rdev))
	}
	return r, nil
}

func excluded(rel string, excludes []string) bool {
	for _, e := range excludes {
		if rel == strings.Trim(e, "/") {
			return true
		}
	}
	return false
}
