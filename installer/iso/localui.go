package iso

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"dagger/canvos/rootfs"
	"dagger/canvos/usererr"
)

// uiEntry is one member of the local-ui tar, bound for /opt/spectrocloud in
// the squashfs. It reaches the squashfs as a mksquashfs pseudo definition, so
// the (possibly read-only, possibly huge) rootfs is never copied or changed.
type uiEntry struct {
	name     string // rootfs path, relative (opt/spectrocloud/…)
	typ      byte   // tar.TypeDir, TypeReg, TypeSymlink, TypeLink
	mode     int64
	uid, gid int
	target   string // symlink target, or hardlink target (rootfs path)
	index    int    // position in the tar, names the staged copy of a file
	merge    bool   // a directory that already exists in the rootfs: only modify
	replace  bool   // a non-directory in the rootfs that the tar replaces
}

// readLocalUI reads the tar's headers (no data is staged yet) and checks
// each name: relative, inside /opt/spectrocloud, of a kind squashfs pseudo
// files can express.
func readLocalUI(p string, t *rootfs.Tree) ([]uiEntry, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, usererr.Newf("--local-ui", "%v", err)
	}
	defer f.Close()
	var out []uiEntry
	files := map[string]bool{} // regular files so far: what a hard link may name
	tr := tar.NewReader(f)
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, usererr.Newf("--local-ui", "%s: not a readable tar: %v", p, err)
		}
		e, err := uiFromHeader(h, i)
		if err != nil {
			return nil, usererr.Newf("--local-ui", "%s: %v", p, err)
		}
		if e.name == localUIDest {
			continue // the destination itself
		}
		switch {
		case e.typ == tar.TypeReg:
			files[e.name] = true
		case e.typ == tar.TypeLink && !files[e.target]:
			return nil, usererr.Newf("--local-ui", "%s: %q is a hard link to %q, which is no earlier file of the archive", p, h.Name, h.Linkname)
		}
		e.merge, e.replace = rootfsClash(t, e)
		out = append(out, e)
	}
	return out, nil
}

func uiFromHeader(h *tar.Header, i int) (uiEntry, error) {
	name, err := uiPath(h.Name)
	if err != nil {
		return uiEntry{}, err
	}
	e := uiEntry{name: name, typ: h.Typeflag, mode: h.Mode & 0o7777, uid: h.Uid, gid: h.Gid, index: i}
	switch h.Typeflag {
	case tar.TypeDir, tar.TypeReg:
	case tar.TypeSymlink:
		e.target = h.Linkname
	case tar.TypeLink:
		if e.target, err = uiPath(h.Linkname); err != nil {
			return e, err
		}
	default:
		return e, fmt.Errorf("%s: tar entry type %q not supported (files, directories, symlinks, hard links)", h.Name, h.Typeflag)
	}
	if strings.ContainsAny(h.Name+h.Linkname, "\n\x00") {
		return e, fmt.Errorf("%q: newline in a name", h.Name)
	}
	return e, nil
}

// uiPath maps a tar member name onto the rootfs: the tar's root is
// /opt/spectrocloud (CanvOS: tar -xf local-ui.tar -C /opt/spectrocloud).
func uiPath(name string) (string, error) {
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("%q: path leaves the archive", name)
		}
	}
	clean := path.Clean("/" + name)
	if clean == "/" {
		return localUIDest, nil
	}
	return path.Join(localUIDest, clean), nil
}

// optDir holds localUIDest: the local UI's entries and their parents are
// looked up in the rootfs under it.
var optDir = rootfs.KnownDir("opt")[0]

// uiInRootfs is the rootfs path of name, a local UI entry or one of its
// parents (opt/…).
func uiInRootfs(name string) rootfs.Path {
	return optDir.Child(strings.TrimPrefix(strings.TrimPrefix(name, optDir.String()), "/"))
}

// rootfsClash tells how an entry meets the rootfs: a directory on a directory
// merges, anything else on an existing path replaces it.
func rootfsClash(t *rootfs.Tree, e uiEntry) (merge, replace bool) {
	if t == nil { // the UKI ISO: extracted into the ISO tree, no rootfs
		return false, false
	}
	fi, err := t.Lstat(uiInRootfs(e.name))
	if err != nil {
		return false, false
	}
	if e.typ == tar.TypeDir && fi.IsDir() {
		return true, false
	}
	return false, true
}

// stageLocalUI extracts the tar's regular files into dir (named by index, so
// no member name touches the host file system) and returns the pseudo-file
// definitions and the rootfs paths to exclude.
func stageLocalUI(p string, t *rootfs.Tree, dir string, entries []uiEntry) (pseudo, exclude []string, err error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	pseudo = implicitDirs(t, entries)
	byIndex := map[int]uiEntry{}
	for _, e := range entries {
		byIndex[e.index] = e
	}
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		e, ok := byIndex[i]
		if !ok {
			continue
		}
		if e.replace {
			exclude = append(exclude, e.name)
		}
		if h.Typeflag == tar.TypeReg {
			if err := stageFile(tr, filepath.Join(dir, fmt.Sprint(i))); err != nil {
				return nil, nil, err
			}
		}
		pseudo = append(pseudo, e.pseudo(dir))
	}
	return pseudo, exclude, nil
}

func stageFile(r io.Reader, dst string) error {
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	return errors.Join(err, out.Close())
}

// pseudo renders the entry as a mksquashfs 4.5 pseudo definition
// ("name type mode uid gid …", see mksquashfs(1) PSEUDO FILE DEFINITION FORMAT).
func (e uiEntry) pseudo(stageDir string) string {
	n := pseudoQuote(e.name)
	attrs := fmt.Sprintf("%o %d %d", e.mode, e.uid, e.gid)
	switch {
	case e.typ == tar.TypeDir && e.merge:
		return n + " m " + attrs
	case e.typ == tar.TypeDir:
		return n + " d " + attrs
	case e.typ == tar.TypeSymlink:
		return n + " s " + attrs + " " + e.target
	case e.typ == tar.TypeLink:
		return n + " L " + pseudoQuote(e.target)
	}
	return n + " f " + attrs + " cat " + shellQuote(filepath.Join(stageDir, fmt.Sprint(e.index)))
}

func pseudoQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// implicitDirs returns pseudo definitions for the parents of entries that
// neither the rootfs nor the tar has (a tar may list a file without its
// directory, and the rootfs may lack /opt/spectrocloud).
func implicitDirs(t *rootfs.Tree, entries []uiEntry) []string {
	have := map[string]bool{}
	for _, e := range entries {
		have[e.name] = true
	}
	var out []string
	var add func(p string)
	add = func(p string) {
		if p == "." || have[p] {
			return
		}
		have[p] = true
		add(path.Dir(p))
		if fi, err := t.Lstat(uiInRootfs(p)); err == nil && fi.IsDir() {
			return
		}
		out = append(out, pseudoQuote(p)+" d 755 0 0")
	}
	for _, e := range entries {
		add(path.Dir(e.name))
	}
	return out
}
