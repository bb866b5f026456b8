package maas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"dagger/canvos/run"
)

// addFile is a file to put into an existing ext file system, owned by root.
type addFile struct {
	path string // absolute, inside the file system
	data []byte
	mode os.FileMode
}

// addLink is a symlink to put into an existing ext file system.
type addLink struct {
	path, target string
}

// edit adds files and links to the ext file system on partition p of disk
// with one `debugfs -w` run, without copying the file system anywhere.
// exists tells which paths the file system already has (a previous file is
// replaced, a missing parent directory is created 0755). debugfs does not fail
// on a bad request, so every file is read back and compared.
func edit(ctx context.Context, r func(context.Context, run.Cmd) ([]byte, error), scratch, disk string, p placed, epoch int64,
	exists func(string) bool, files []addFile, links []addLink) error {
	var req strings.Builder
	made := map[string]bool{}
	mkdirs := func(dir string) {
		var parts []string
		for d := dir; d != "/"; d = path.Dir(d) {
			parts = append([]string{d}, parts...)
		}
		for _, d := range parts {
			if !made[d] && !exists(d) {
				// debugfs resolves a mkdir's parent from the current directory.
				fmt.Fprintf(&req, "cd /\nmkdir %s\nsif %s mode 040755\nsif %s uid 0\nsif %s gid 0\n", d, d, d, d)
				made[d] = true
			}
		}
	}
	for i, f := range files {
		host := filepath.Join(scratch, fmt.Sprintf("add-%d", i))
		if err := os.WriteFile(host, f.data, 0o600); err != nil {
			return err
		}
		dir, name := path.Split(f.path)
		mkdirs(path.Clean(dir))
		fmt.Fprintf(&req, "cd %s\n", dir)
		if exists(f.path) {
			fmt.Fprintf(&req, "rm %s\n", name)
		}
		fmt.Fprintf(&req, "write \"%s\" %s\nsif %s mode 0%o\nsif %s uid 0\nsif %s gid 0\n",
			host, name, name, 0o100000|uint32(f.mode.Perm()), name, name)
	}
	for _, l := range links {
		mkdirs(path.Dir(l.path))
		if exists(l.path) {
			fmt.Fprintf(&req, "rm %s\n", l.path)
		}
		fmt.Fprintf(&req, "cd /\nsymlink %s %s\n", l.path, l.target)
	}
	script := filepath.Join(scratch, "debugfs-requests")
	if err := os.WriteFile(script, []byte(req.String()), 0o600); err != nil {
		return err
	}
	if _, err := r(ctx, debugfs(disk, p, script, true, epoch)); err != nil {
		return err
	}
	for _, f := range files {
		got, err := r(ctx, debugfsRequest(disk, p, "cat "+f.path))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, f.data) {
			return fmt.Errorf("debugfs: %s on %s reads back %d bytes, wrote %d", f.path, p.name, len(got), len(f.data))
		}
	}
	return nil
}

// dirEntry is one entry of an ext directory as `debugfs ls -p` prints it.
type dirEntry struct {
	mode     uint32 // st_mode: type and permissions
	uid, gid uint32
}

// dirEntries lists the entries of directory dir of the ext file system on p
// by absolute path (`ls -p` prints /inode/mode/uid/gid/name/size/ per entry,
// mode in octal); a missing directory lists nothing.
func dirEntries(ctx context.Context, r func(context.Context, run.Cmd) ([]byte, error), disk string, p placed, dir string) (map[string]dirEntry, error) {
	out, err := r(ctx, debugfsRequest(disk, p, "ls -p "+dir))
	if err != nil {
		return nil, err
	}
	ents := map[string]dirEntry{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "/")
		if len(f) < 7 || f[5] == "." || f[5] == ".." {
			continue
		}
		mode, err1 := strconv.ParseUint(f[2], 8, 32)
		uid, err2 := strconv.ParseUint(f[3], 10, 32)
		gid, err3 := strconv.ParseUint(f[4], 10, 32)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("debugfs ls -p %s: %q: %w", dir, line, err)
		}
		ents[path.Join(dir, f[5])] = dirEntry{mode: uint32(mode), uid: uint32(uid), gid: uint32(gid)}
	}
	return ents, nil
}

// dirNames is the set of paths dirEntries lists.
func dirNames(ctx context.Context, r func(context.Context, run.Cmd) ([]byte, error), disk string, p placed, dir string) (map[string]bool, error) {
	ents, err := dirEntries(ctx, r, disk, p, dir)
	names := map[string]bool{}
	for n := range ents {
		names[n] = true
	}
	return names, err
}

// stampTimes makes the times of "/" and every entry of the file system made
// from stage (mke2fs -d) depend on the input only: atime, ctime and crtime
// become epoch and mtime is clamped to it, as mksquashfs does with
// SOURCE_DATE_EPOCH. mke2fs copies the host's times, and a host's atime and
// ctime record when the tree was read or unpacked, not what it holds.
func stampTimes(ctx context.Context, r func(context.Context, run.Cmd) ([]byte, error), scratch, stage, disk string, p placed, epoch int64) error {
	var req strings.Builder
	err := filepath.WalkDir(stage, func(host string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(stage, host)
		name, err := debugfsQuote(path.Join("/", filepath.ToSlash(rel)))
		if err != nil {
			return err
		}
		mtime := min(info.ModTime().Unix(), epoch)
		fmt.Fprintf(&req, "sif %s mtime @%d\n", name, mtime)
		for _, field := range []string{"atime", "ctime", "crtime"} {
			fmt.Fprintf(&req, "sif %s %s @%d\n", name, field, epoch)
		}
		return nil
	})
	if err != nil {
		return err
	}
	script := filepath.Join(scratch, "debugfs-times-"+p.name)
	if err := os.WriteFile(script, []byte(req.String()), 0o600); err != nil {
		return err
	}
	_, err = r(ctx, debugfs(disk, p, script, true, epoch))
	return err
}

// debugfsQuote quotes name for a debugfs request file: inside double quotes
// the request parser (libss) reads "" as one quote. A request is one line, so
// a name with a line break cannot be written.
func debugfsQuote(name string) (string, error) {
	if strings.ContainsAny(name, "\n\r") {
		return "", fmt.Errorf("%q: a file name with a line break cannot be given to debugfs", name)
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`, nil
}
