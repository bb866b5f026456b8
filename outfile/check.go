package outfile

import (
	"os"
	"path/filepath"
	"strings"

	"dagger/canvos/usererr"
)

// Input is a file or directory a verb reads, named by its flag.
type Input struct {
	Flag, Path string
}

// Check refuses, before any work, an output path (given by flag) that the
// build could only fail on at the end or that would destroy an input: a
// missing parent directory, a directory, an input file itself, or a path
// inside an input directory (a raw disk of a rootfs would pack itself).
func Check(flag, path string, inputs ...Input) error {
	if path == "" {
		return usererr.New(flag, "", "a file to write")
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return usererr.New(flag, path, "a file in an existing directory")
	}
	fi, err := os.Stat(path)
	if err == nil && fi.IsDir() {
		return usererr.New(flag, path, "a file name, not a directory")
	}
	out := resolved(path)
	for _, in := range inputs {
		if in.Path == "" {
			continue
		}
		ifi, ierr := os.Stat(in.Path)
		switch {
		case ierr != nil:
			continue // the verb's own check names a missing input
		case err == nil && os.SameFile(fi, ifi):
			return usererr.Newf(flag, "%s is also the %s input: writing it would destroy the input", path, in.Flag)
		case ifi.IsDir() && within(out, in.Path):
			return usererr.Newf(flag, "%s is inside the %s directory %s: the output would be packed into itself", path, in.Flag, in.Path)
		}
	}
	return nil
}

// resolved is p absolute with the symlinks of its existing parent resolved.
func resolved(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	dir, base := filepath.Split(abs)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return filepath.Join(dir, base)
}

// within reports whether the resolved path p lies under the directory dir.
func within(p, dir string) bool {
	return strings.HasPrefix(p, resolvedDir(dir)+string(filepath.Separator))
}

// resolvedDir is the directory d absolute with every symlink resolved.
func resolvedDir(d string) string {
	abs, err := filepath.Abs(d)
	if err != nil {
		return d
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// CheckDir is Check for a verb that writes files into dir.
func CheckDir(flag, dir string, inputs ...Input) error {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usererr.New(flag, dir, "an existing directory")
	}
	for _, in := range inputs {
		ifi, err := os.Stat(in.Path)
		if in.Path == "" || err != nil || !ifi.IsDir() {
			continue
		}
		if d := resolvedDir(dir); d == resolvedDir(in.Path) || within(d, in.Path) {
			return usererr.Newf(flag, "%s is inside the %s directory %s: the output would be packed into itself", dir, in.Flag, in.Path)
		}
	}
	return nil
}
