package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResolveAsBooted: links resolve as the booted system sees them, and no
// read ever reaches the host file the links point at.
func TestResolveAsBooted(t *testing.T) {
	host := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(host, []byte("HOST"), 0o600))
	root := t.TempDir()
	files := map[string]string{
		"boot/vmlinuz-6.1":   "kernel",
		"usr/lib/os-release": "ID=tree\n",
		"real/dir/file":      "in a real dir",
		"up/file":            "clamped",
		host[1:]:             "tree copy of the host path",
	}
	for p, c := range files {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, p), []byte(c), 0o644))
	}
	links := map[string]string{
		"boot/vmlinuz":         "/boot/vmlinuz-6.1",                   // absolute: re-rooted
		"etc/os-release":       "../usr/lib/os-release",               // relative
		"linkdir":              "/real/dir",                           // a symlinked directory
		"via/parent":           "../linkdir/../dir/file",              // ".." after a link: the link's parent
		"escape/abs":           host,                                  // the host file's path, re-rooted
		"escape/rel":           strings.Repeat("../", 12) + host[1:],  // ".." clamped at the root
		"escape/up":            strings.Repeat("../", 12) + "up/file", // ...
		"loop/a":               "b",                                   // a loop
		"loop/b":               "a",                                   //
		"hostdir":              filepath.Dir(host),                    // a directory link to the host
		"chain/0":              "/chain/1",                            // 41 links: too many
		"notdir/x":             "/boot/vmlinuz-6.1/more",              // through a file
		"dangling/x":           "/nowhere",                            //
		"real/dir/self":        ".",                                   //
		"real/dir/deep":        "self/self/self/file",                 //
		"boot/vmlinuz-current": "vmlinuz",                             // a chain
	}
	for i := 1; i <= 40; i++ {
		links["chain/"+strconv.Itoa(i)] = "/chain/" + strconv.Itoa(i+1)
	}
	for p, target := range links {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755))
		require.NoError(t, os.Symlink(target, filepath.Join(root, p)))
	}
	tr, err := Open(root)
	require.NoError(t, err)
	defer tr.Close()

	read := func(rel string) (string, error) {
		b, err := tr.ReadFile(Path{rel})
		return string(b), err
	}
	for rel, want := range map[string]string{
		"boot/vmlinuz":            "kernel",
		"boot/vmlinuz-current":    "kernel",
		"etc/os-release":          "ID=tree\n",
		"linkdir/file":            "in a real dir",
		"via/parent":              "in a real dir",
		"escape/abs":              "tree copy of the host path",
		"escape/rel":              "tree copy of the host path",
		"escape/up":               "clamped",
		"hostdir/secret":          "tree copy of the host path",
		"real/dir/deep":           "in a real dir",
		"../../real/dir/file":     "in a real dir",
		"boot/../etc/os-release":  "ID=tree\n",
		"linkdir/../dir/file":     "in a real dir",
		"linkdir/../../up/file":   "clamped",
		"real/dir/self/self/file": "in a real dir",
	} {
		got, err := read(rel)
		require.NoError(t, err, rel)
		require.Equal(t, want, got, rel)
	}
	for rel, want := range map[string]error{
		"loop/a":     syscall.ELOOP,
		"chain/0":    syscall.ELOOP,
		"notdir/x":   syscall.ENOTDIR,
		"dangling/x": fs.ErrNotExist,
		"missing":    fs.ErrNotExist,
	} {
		_, err := read(rel)
		require.ErrorIs(t, err, want, rel)
		require.Contains(t, err.Error(), rel, "the error names the path asked for")
	}
	_, err = read("real/dir")
	require.ErrorContains(t, err, "not a regular file")

	r, err := tr.Resolve(Path{"etc/os-release"})
	require.NoError(t, err)
	require.Equal(t, "usr/lib/os-release", r)
	fi, err := tr.Lstat(Path{"linkdir/../../boot/vmlinuz"})
	require.NoError(t, err)
	require.NotZero(t, fi.Mode()&fs.ModeSymlink, "Lstat keeps the last link")
	hp, err := tr.HostPath(Path{"escape/abs"})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(root, host), hp)
	_, err = tr.HostPath(Path{"real/dir"})
	require.Error(t, err)

	got, ok := tr.First([]Path{{"missing"}, {"loop/a"}, {"real/dir"}, {"boot/vmlinuz"}, {"etc/os-release"}})
	require.True(t, ok)
	require.Equal(t, "boot/vmlinuz", got.String())

	dst := filepath.Join(t.TempDir(), "copy")
	require.NoError(t, tr.CopyFile(Path{"hostdir/secret"}, dst))
	b, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.Equal(t, "tree copy of the host path", string(b))

	ents, err := tr.ReadDir(Path{"linkdir"})
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"deep", "file", "self"}, names)
}

// TestOpenedThroughRoot: a resolved path that becomes a link leaving the tree
// (the tree changed under a build) is refused by os.Root, not followed.
func TestOpenedThroughRoot(t *testing.T) {
	host := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(host, "f"), []byte("HOST"), 0o600))
	root := t.TempDir()
	require.NoError(t, os.Symlink(host, filepath.Join(root, "d")))
	tr, err := Open(root)
	require.NoError(t, err)
	defer tr.Close()
	_, err = tr.root.Open("d/f") // what a raced Open would be handed
	require.Error(t, err)
	_, err = tr.ReadFile(Path{"d/f"})
	require.True(t, errors.Is(err, fs.ErrNotExist), "%v", err)
}

func TestDeclare(t *testing.T) {
	n := len(Table())
	ps := Known("a/b", "c")
	require.Equal(t, "a/b", ps[0].String())
	require.Len(t, Table(), n+1)
	require.Equal(t, Group{Paths: ps}, Table()[n])
	require.True(t, KnownDir("d")[0].Child("x/y").String() == "d/x/y")
	require.True(t, Table()[n+1].Dir)
	for _, bad := range []string{"", "/abs", "a/../b", "a/"} {
		require.Panics(t, func() { Known(bad) }, bad)
	}
	require.Contains(t, Table(), Group{Paths: OSRelease})
	_, err := (&Tree{}).resolve(Path{}, true)
	require.ErrorIs(t, err, fs.ErrInvalid, "the zero Path reads nothing")
}

func TestReal(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(dir, link))
	got, err := Real(link)
	require.NoError(t, err)
	want, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	require.Equal(t, want, got)
	file := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = Real(file)
	require.ErrorIs(t, err, syscall.ENOTDIR)
	_, err = Real(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}
