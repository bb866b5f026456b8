// Package rootfs reads files of a user's directory tree (an installer or
// Ubuntu rootfs) the way the system booted from it would see them: every
// symlink, in any component, resolves inside the tree — an absolute target
// against the tree's root, ".." stopping at the root — and a loop or a chain
// of more than 40 links is refused, as the kernel does (ELOOP). Nothing
// outside the tree is ever opened, so a link such as etc/cos/grub.cfg ->
// /etc/shadow reads the tree's /etc/shadow, never the build host's.
//
// os.Root alone does not do this: it refuses absolute and escaping links,
// which Kairos and Ubuntu images are full of (/boot/vmlinuz ->
// /boot/vmlinuz-6.1…). filepath-securejoin's SecureJoin walks like this but
// follows up to 255 links where the booted kernel stops at 40, and its
// race-safe pathrs-lite hands out O_PATH handles only (no lstat of a link,
// no path for the tools that take one). So the links are resolved here,
// component by component as the kernel's lookup does, and the resolved path
// (which has none left) is opened through an os.Root, which refuses to
// leave the tree should it change meanwhile.
//
// Every path canvos reads from a tree is declared with Known or KnownDir and
// is a Path: a Tree reads nothing else, and Table lists them all, which is
// what the host-leak test plants links at.
package rootfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// maxLinks bounds a chain of symlinks, as the kernel's MAXSYMLINKS.
const maxLinks = 40

// Path is a path canvos reads from a tree, relative to its root. Only Known
// and KnownDir make one (Child and Dir derive from those), so every read is
// in Table.
type Path struct{ rel string }

func (p Path) String() string { return p.rel }

// Child is the entry name (slash-separated, relative) under a directory
// declared with KnownDir.
func (p Path) Child(name string) Path { return Path{path.Join(p.rel, name)} }

// Dir is the directory holding p ("." for a top-level path): resolving p
// looks it up anyway.
func (p Path) Dir() Path { return Path{path.Dir(p.rel)} }

// Group is one declaration: the candidates of one file, tried in order (the
// places distributions put shim), or of one directory whose entries are read.
type Group struct {
	Paths []Path
	Dir   bool
}

var table []Group

// Known declares the candidate paths of one file and returns them.
func Known(rels ...string) []Path { return declare(false, rels) }

// KnownDir declares the candidate paths of a directory whose entries are
// read (Child names them) and returns them.
func KnownDir(rels ...string) []Path { return declare(true, rels) }

func declare(dir bool, rels []string) []Path {
	ps := make([]Path, len(rels))
	for i, r := range rels {
		if r == "" || path.IsAbs(r) || path.Clean(r) != r {
			panic("rootfs: not a clean relative path: " + r)
		}
		ps[i] = Path{r}
	}
	table = append(table, Group{Paths: ps, Dir: dir})
	return ps
}

// Table is every declaration made so far (all of them once the program's
// packages are initialised).
func Table() []Group { return table }

// Paths more than one package reads: os-release where systemd looks for
// it, and the kernel where Kairos and Ubuntu link it.
var (
	OSRelease = Known("etc/os-release", "usr/lib/os-release")
	Kernel    = Known("boot/vmlinuz")
)

// Real returns the directory dir names with the links of that path itself
// followed (on the host, as for any path the user gives), or an error when
// it is no directory. Tools handed the tree and walks of it then see the
// directory, not a link to it: mksquashfs packs a linked source as one
// symlink, filepath.WalkDir does not descend into it.
func Real(dir string) (string, error) {
	r, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(r); err != nil || !fi.IsDir() {
		return "", &fs.PathError{Op: "open", Path: dir, Err: syscall.ENOTDIR}
	}
	return r, nil
}

// Tree is an open directory tree.
type Tree struct {
	dir  string
	root *os.Root
}

// Open opens the tree at dir.
func Open(dir string) (*Tree, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Tree{dir: dir, root: r}, nil
}

// Close releases the tree.
func (t *Tree) Close() error { return t.root.Close() }

// Dir is the tree's directory on the host.
func (t *Tree) Dir() string { return t.dir }

// Resolve returns p inside the tree with every symlink followed, the last
// one too ("." is the root).
func (t *Tree) Resolve(p Path) (string, error) { return t.resolve(p, true) }

// Stat is os.Stat of p inside the tree.
func (t *Tree) Stat(p Path) (fs.FileInfo, error) {
	r, err := t.resolve(p, true)
	if err != nil {
		return nil, err
	}
	return t.root.Stat(r)
}

// Lstat is os.Lstat of p inside the tree: links of its directories are
// followed, a link at p itself is not.
func (t *Tree) Lstat(p Path) (fs.FileInfo, error) {
	r, err := t.resolve(p, false)
	if err != nil {
		return nil, err
	}
	return t.root.Lstat(r)
}

// Open opens p inside the tree for reading.
func (t *Tree) Open(p Path) (*os.File, error) {
	r, err := t.resolve(p, true)
	if err != nil {
		return nil, err
	}
	return t.root.Open(r)
}

// ReadFile reads the regular file p.
func (t *Tree) ReadFile(p Path) ([]byte, error) {
	f, err := t.regular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// ReadDir lists the directory p, sorted by name.
func (t *Tree) ReadDir(p Path) ([]fs.DirEntry, error) {
	f, err := t.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, nil
}

// First returns the first of candidates that is a regular file.
func (t *Tree) First(candidates []Path) (Path, bool) {
	for _, c := range candidates {
		if fi, err := t.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c, true
		}
	}
	return Path{}, false
}

// HostPath is the host path of the regular file p, for a tool or a hard
// link that needs a path: it has no symlink left, so the tool reads the
// tree's file. (A tree changed while canvos runs is not defended against:
// it is the caller's own input.)
func (t *Tree) HostPath(p Path) (string, error) {
	r, err := t.resolve(p, true)
	if err != nil {
		return "", err
	}
	fi, err := t.root.Lstat(r)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", p)
	}
	return filepath.Join(t.dir, filepath.FromSlash(r)), nil
}

// CopyFile copies the regular file p to the new file dst (0644).
func (t *Tree) CopyFile(p Path, dst string) error {
	in, err := t.regular(p)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

func (t *Tree) regular(p Path) (*os.File, error) {
	f, err := t.Open(p)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "read", Path: p.rel, Err: errors.New("not a regular file")}
	}
	return f, nil
}

// resolve walks p component by component as the kernel's path lookup does:
// a symlink's target replaces it (an absolute one from the root), ".."
// goes up one resolved directory and stops at the root.
func (t *Tree) resolve(p Path, followLast bool) (string, error) {
	if p.rel == "" {
		return "", &fs.PathError{Op: "resolve", Path: "", Err: fs.ErrInvalid}
	}
	todo := strings.Split(p.rel, "/")
	var cur []string // resolved components: real directories, the last maybe not
	links := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		next := path.Join(path.Join(cur...), name)
		fi, err := t.root.Lstat(next)
		if err != nil {
			return "", &fs.PathError{Op: "resolve", Path: p.rel, Err: unwrapPath(err)}
		}
		if fi.Mode()&fs.ModeSymlink == 0 || (!followLast && len(todo) == 0) {
			if len(todo) > 0 && !fi.IsDir() {
				return "", &fs.PathError{Op: "resolve", Path: p.rel, Err: syscall.ENOTDIR}
			}
			cur = append(cur, name)
			continue
		}
		if links++; links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: p.rel, Err: syscall.ELOOP}
		}
		target, err := t.root.Readlink(next)
		if err != nil {
			return "", &fs.PathError{Op: "resolve", Path: p.rel, Err: unwrapPath(err)}
		}
		if path.IsAbs(target) {
			cur = cur[:0]
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	if len(cur) == 0 {
		return ".", nil
	}
	return path.Join(cur...), nil
}

// unwrapPath drops os.Root's *PathError (its path is the resolved one), so
// the error names the path asked for.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
