package maas

// Ubuntu 24.04 cloud disks keep /boot on its own partition (p16, GPT type
// Linux extended boot, label BOOT, mounted by fstab), so their root has an
// empty /boot. The composite has one Ubuntu partition and GRUB boots
// /boot/vmlinuz from it, so that partition's files are merged into the root's
// /boot: dumped with debugfs rdump, written with debugfs, without mounting.

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"dagger/canvos/run"
)

// mergeBoot copies every entry of the ext file system at bootOff in image
// (but lost+found) under /boot of the root file system img, owned and
// moded as in the source, every time set to epoch; then it comments out the
// fstab line that mounts /boot.
func mergeBoot(ctx context.Context, r func(context.Context, run.Cmd) ([]byte, error), scratch, image string, bootOff int64, img string, epoch int64) error {
	src := placed{part: part{name: "cloud image boot"}, offset: bootOff}
	dst := placed{part: part{name: nameUbuntu}}
	tree := filepath.Join(scratch, "boot")
	if err := os.MkdirAll(tree, 0o700); err != nil {
		return err
	}
	if _, err := r(ctx, debugfsRequest(image, src, fmt.Sprintf("rdump / %q", tree))); err != nil {
		return fmt.Errorf("boot partition: %w", err)
	}
	if err := os.RemoveAll(filepath.Join(tree, "lost+found")); err != nil {
		return err
	}
	// Owners and modes come from the source (debugfs ls -p): rdump can only
	// chown when run as root.
	meta := map[string]dirEntry{}
	var paths []string
	err := filepath.WalkDir(tree, func(host string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, host)
		name := path.Join("/", filepath.ToSlash(rel))
		if host != tree {
			paths = append(paths, path.Join("/boot", name))
		}
		if !d.IsDir() {
			return nil
		}
		ents, err := dirEntries(ctx, r, image, src, name)
		for n, e := range ents {
			meta[path.Join("/boot", n)] = e
		}
		return err
	})
	if err != nil {
		return err
	}
	exists, err := extExists(ctx, r, img, dst, paths)
	if err != nil {
		return err
	}
	req, err := bootRequests(tree, exists, meta, epoch)
	if err != nil {
		return err
	}
	script := filepath.Join(scratch, "debugfs-boot")
	if err := os.WriteFile(script, []byte(req), 0o600); err != nil {
		return err
	}
	if _, err := r(ctx, debugfs(img, dst, script, true, epoch)); err != nil {
		return err
	}
	return dropBootMount(ctx, r, scratch, img, dst, epoch)
}

// bootRequests are the debugfs requests that recreate tree under /boot:
// directories (unless there), files and symlinks, with the mode and owner in
// meta and every time at epoch.
func bootRequests(tree string, exists func(string) bool, meta map[string]dirEntry, epoch int64) (string, error) {
	var req strings.Builder
	err := filepath.WalkDir(tree, func(host string, _ fs.DirEntry, err error) error {
		if err != nil || host == tree {
			return err
		}
		info, err := os.Lstat(host)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tree, host)
		name := path.Join("/boot", filepath.ToSlash(rel))
		if strings.ContainsAny(name, "\"\n") {
			return fmt.Errorf("boot partition: unsupported name %q", name)
		}
		dir, base := path.Split(name)
		fmt.Fprintf(&req, "cd %s\n", dir)
		m, ok := meta[name]
		if !ok {
			return fmt.Errorf("boot partition: %s not listed", name)
		}
		if !info.IsDir() && exists(name) {
			fmt.Fprintf(&req, "rm \"%s\"\n", base)
		}
		switch {
		case info.IsDir():
			if exists(name) {
				return nil
			}
			fmt.Fprintf(&req, "mkdir \"%s\"\n", base)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(host)
			if err != nil {
				return err
			}
			fmt.Fprintf(&req, "symlink \"%s\" \"%s\"\n", base, target)
		case info.Mode().IsRegular():
			fmt.Fprintf(&req, "write \"%s\" \"%s\"\n", host, base)
		default:
			return nil // no device nodes or FIFOs in /boot
		}
		fmt.Fprintf(&req, "sif \"%s\" mode 0%o\nsif \"%s\" uid %d\nsif \"%s\" gid %d\n", base, m.mode, base, m.uid, base, m.gid)
		for _, field := range []string{"atime", "mtime", "ctime", "crtime"} {
			fmt.Fprintf(&req, "sif \"%s\" %s @%d\n", base, field, epoch)
		}
		return nil
	})
	return req.String(), err
}

// dropBootMount comments out /etc/fstab lines that mount /boot: the merged
// partition is gone, and a mount of a missing LABEL=BOOT holds the boot.
func dropBootMount(ctx context.Context, r func(context.Context, run.Cmd) ([]byte, error), scratch, img string, p placed, epoch int64) error {
	exists, err := extExists(ctx, r, img, p, []string{"/etc/fstab"})
	if err != nil || !exists("/etc/fstab") {
		return err
	}
	old, err := r(ctx, debugfsRequest(img, p, "cat /etc/fstab"))
	if err != nil {
		return err
	}
	fstab := commentBootMount(string(old))
	if fstab == string(old) {
		return nil
	}
	files := []addFile{{"/etc/fstab", []byte(fstab), 0o644}}
	return edit(ctx, r, scratch, img, p, epoch, exists, files, nil)
}

// commentBootMount comments out the lines of fstab whose mount point is /boot.
func commentBootMount(fstab string) string {
	lines := strings.SplitAfter(fstab, "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) >= 2 && !strings.HasPrefix(f[0], "#") && f[1] == "/boot" {
			lines[i] = "# canvos maas: /boot is on the root file system: " + l
		}
	}
	return strings.Join(lines, "")
}
