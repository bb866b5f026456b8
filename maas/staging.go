package maas

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// writeFiles writes name → content under dir (0644, parents 0755).
func writeFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// linkOrCopy places src at dst without copying when both are on one file
// system (a hardlink), copying otherwise. Content bundles are gigabytes.
func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in) // copy_file_range between files
	return errors.Join(err, out.Close())
}

// tree is what scanTree learns about a directory tree.
type tree struct {
	size   int64    // bytes of regular files (hardlinks once) + 4 KiB per entry
	digest [32]byte // hash of every entry's path, type, mode, owner, size, mtime, link target
}

// scanTree walks dir in lexical order. The digest stands for the tree's
// content in the seed: a changed file changes its size or mtime, and hashing
// the metadata costs milliseconds where hashing a rootfs costs seconds.
func scanTree(dir string) (tree, error) {
	var t tree
	h := sha256.New()
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		uid, gid, ino := owner(info)
		var target string
		if info.Mode()&fs.ModeSymlink != 0 {
			if target, err = os.Readlink(p); err != nil {
				return err
			}
		}
		fmt.Fprintf(h, "%q %o %d:%d %d %d %q\n", rel, uint32(info.Mode()), uid, gid, info.Size(), info.ModTime().UnixNano(), target)
		t.size += 4096
		if info.Mode().IsRegular() && !seen[ino] {
			seen[ino] = true
			t.size += info.Size()
		}
		return nil
	})
	if err != nil {
		return tree{}, fmt.Errorf("scan %s: %w", dir, err)
	}
	h.Sum(t.digest[:0])
	return t, nil
}
