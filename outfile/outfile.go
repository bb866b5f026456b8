// Package outfile writes artifacts so that nothing half-written is ever left
// under the final name: data goes to a temporary file in the destination
// directory, is fsync'd, and is renamed into place only on Commit.
package outfile

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"dagger/canvos/scratch"
)

// File is an artifact being written. It is an *os.File (so it supports
// WriterAt and Seek for disk images) that becomes visible under its final name
// only when Commit succeeds.
type File struct {
	*os.File
	final string
	done  bool
}

// Create starts writing the artifact that will be named path.
func Create(path string, perm os.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, scratch.Pattern(base))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return nil, cmp.Or(fmt.Errorf("create %s: %w", path, err), f.Close(), os.Remove(f.Name()))
	}
	return &File{File: f, final: path}, nil
}

// Commit flushes the data to disk and renames the file to its final name.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: already closed", f.final)
	}
	f.done = true
	err := cmp.Or(f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), f.final)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("commit %s: %w", f.final, err)
	}
	return nil
}

// Abort removes the temporary file. It is a no-op after Commit, so it can be
// deferred right after Create.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// Write writes the artifact path with the bytes fill produces, atomically.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fill(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// WriteSHA256 writes path+".sha256" in sha256sum format ("<hex>  <name>\n"),
// naming the artifact by its base name so `sha256sum -c` works beside it.
func WriteSHA256(path string, sum []byte) error {
	line := hex.EncodeToString(sum) + "  " + filepath.Base(path) + "\n"
	return Write(path+".sha256", 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, line)
		return err
	})
}

// Dir is a directory output being filled: a scratch directory beside the
// final one, renamed onto it by Commit, so a failed or interrupted run leaves
// no partial tree (and a rerun finds no "is not empty" directory).
type Dir struct {
	Path  string // where to write the files now
	final string
	done  bool
}

// CreateDir starts writing the directory path, which must be missing or
// empty, and whose parent must exist.
func CreateDir(path string, perm os.FileMode) (*Dir, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(path)), scratch.Pattern(filepath.Base(path)))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if err := os.Chmod(tmp, perm); err != nil {
		return nil, cmp.Or(fmt.Errorf("create %s: %w", path, err), os.Remove(tmp))
	}
	return &Dir{Path: tmp, final: path}, nil
}

// Commit renames the tree to its final name (replacing an empty directory).
func (d *Dir) Commit() error {
	if d.done {
		return fmt.Errorf("commit %s: already closed", d.final)
	}
	d.done = true
	// rename(2), not os.Rename, which refuses any existing directory.
	if err := syscall.Rename(d.Path, d.final); err != nil {
		os.RemoveAll(d.Path)
		return fmt.Errorf("commit %s: %w", d.final, err)
	}
	return nil
}

// Abort removes the unfinished tree; a no-op after Commit.
func (d *Dir) Abort() {
	if !d.done {
		d.done = true
		os.RemoveAll(d.Path)
	}
}
