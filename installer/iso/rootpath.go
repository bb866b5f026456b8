package iso

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxLinks bounds symlink chains inside the rootfs, like the kernel's ELOOP.
const maxLinks = 40

// inRoot returns the host path of p inside root, following symlinks as the
// rootfs would see them: an absolute target (/boot/vmlinuz -> /boot/vmlinuz-6.1)
// resolves against root, not against the host. It returns fs.ErrNotExist when
// p does not exist in the rootfs.
func inRoot(root, p string) (string, error) {
	rel := path.Clean("/" + p)
	for hops := 0; ; hops++ {
		if hops > maxLinks {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		resolved, link, err := firstLink(root, rel)
		if err != nil {
			return "", err
		}
		if link == "" {
			return filepath.Join(root, resolved), nil
		}
		rel = link
	}
}

// firstLink walks rel component by component and, at the first symlink,
// returns the rewritten rootfs path (target + the rest); link is "" when rel
// has none.
func firstLink(root, rel string) (resolved, link string, err error) {
	parts := strings.Split(strings.TrimPrefix(rel, "/"), "/")
	cur := "/"
	for i, part := range parts {
		next := path.Join(cur, part)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			return "", "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", "", err
		}
		if !path.IsAbs(target) {
			target = path.Join(cur, target)
		}
		return "", path.Join(append([]string{target}, parts[i+1:]...)...), nil
	}
	return cur, "", nil
}

// regularInRoot is inRoot for a file that must be a regular file.
func regularInRoot(root, p string) (string, error) {
	host, err := inRoot(root, p)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(host)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", p)
	}
	return host, nil
}

// firstInRoot returns the first of candidates that is a regular file in root.
func firstInRoot(root string, candidates []string) (string, bool) {
	for _, c := range candidates {
		if host, err := regularInRoot(root, c); err == nil {
			return host, true
		}
	}
	return "", false
}
