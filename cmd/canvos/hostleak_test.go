package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"dagger/canvos/rootfs"
	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/testutil"
)

// markerRE matches the markers planted in tree files (CANVOS-TREE:<path>)
// and in the host files links point at (CANVOS-HOST:<path>).
var markerRE = regexp.MustCompile(`CANVOS-(?:HOST|TREE):[A-Za-z0-9_./+-]+`)

// linkKind is how the host-pointing links are planted: at each read path
// itself, or at the top-level directory holding it; with an absolute
// target, or a relative one that climbs out of the tree with "..".
type linkKind struct {
	name          string
	dir, relative bool
}

var linkKinds = []linkKind{
	{"file-absolute", false, false},
	{"file-relative", false, true},
	{"dir-absolute", true, false},
	{"dir-relative", true, true},
}

// TestNoHostBytesInArtifacts plants, at every path of rootfs.Table (the
// one declaration of what any verb reads from a tree), a link that points
// at a host file outside the tree, runs every verb that reads a tree, and
// unpacks every artifact down to its last byte: no byte of a host file may
// be in one. Each link's target path also exists inside the tree (where the
// booted system finds it), so the builds succeed and take the tree's copy,
// whose marker the search must find: that proves it looked.
// Candidate lists (the places distributions put shim) are walked one
// candidate per round with absolute links, so every path is the one read in
// some round; relative links and linked directories plant the first
// candidates. The epoch comes from the tree's os-release (SOURCE_DATE_EPOCH
// is not set), read through rootfs too.
func TestNoHostBytesInArtifacts(t *testing.T) {
	testutil.RequireTool(t, "mksquashfs", "mke2fs", "mkfs.fat", "mmd", "mcopy", "grub-mkimage", "debugfs", "cp")
	testutil.RequireFile(t, defaultStub)
	testutil.RequireFile(t, defaultSDBoot)
	fx := leakFixture(t)
	keys := sbtest.Dir(t)
	rounds := 0
	for _, g := range rootfs.Table() {
		rounds = max(rounds, len(g.Paths))
	}
	if testing.Short() {
		rounds = 1
	}
	for _, kind := range linkKinds {
		for r := range rounds {
			if r > 0 && kind != linkKinds[0] {
				break
			}
			t.Run(fmt.Sprintf("%s/candidate-%d", kind.name, r), func(t *testing.T) {
				t.Parallel()
				host := t.TempDir()
				root := plantRootfs(t, fx, host, r, kind)
				for _, a := range treeVerbs(t, root, keys, host) {
					found, kinds := map[string]bool{}, map[string]int{}
					markers(t, markerRE, a.file, found, kinds)
					var leaked []string
					for m := range found {
						if strings.HasPrefix(m, "CANVOS-HOST:") {
							leaked = append(leaked, m)
						}
					}
					sort.Strings(leaked)
					// assert, not require: every artifact's leaks are reported
					assert.Empty(t, leaked, "%s: host bytes in %s", a.verb, a.file)
					for _, k := range a.kinds {
						assert.NotZero(t, kinds[k], "%s: the search found no %s in %s (%v)", a.verb, k, a.file, kinds)
					}
					for _, p := range a.tree {
						assert.True(t, found["CANVOS-TREE:"+p], "%s: the tree's /%s is not in %s", a.verb, p, a.file)
					}
				}
			})
		}
	}
}

// TestLinkLoopsRefused: a link loop at every read path makes the verbs that
// need the file fail with an input error naming the rootfs (and the loop),
// write nothing, and hang nowhere; the others take the next candidate or
// pack the loop as the symlinks it is.
func TestLinkLoopsRefused(t *testing.T) {
	testutil.RequireTool(t, "mksquashfs", "mke2fs", "mkfs.fat", "mmd", "mcopy", "grub-mkimage", "debugfs", "cp")
	testutil.RequireFile(t, defaultStub)
	testutil.RequireFile(t, defaultSDBoot)
	root := testutil.CopyTree(t, leakFixture(t))
	files := plantFiles(t, root, 0)
	for p := range files {
		require.NoError(t, os.RemoveAll(filepath.Join(root, p)))
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755))
		require.NoError(t, os.Symlink(filepath.Base(p)+".loop", filepath.Join(root, p)))
		require.NoError(t, os.Symlink(filepath.Base(p), filepath.Join(root, p+".loop")))
	}
	out := t.TempDir()
	keys := sbtest.Dir(t)
	for _, c := range []struct {
		args   []string
		out    string
		failed bool // the verb needs a looped file
		loop   bool // and says it is a loop
	}{
		{[]string{"iso", "--rootfs", root, "--scratch", t.TempDir()}, "x.iso", true, true},
		{[]string{"uki-esp", "--rootfs", root, "--keys", keys}, "esp.img", true, false},
		{[]string{"raw", "--rootfs", root}, "x.raw", true, false},
		{[]string{"initrd", "--rootfs", root}, "initrd", false, false},
	} {
		dst := filepath.Join(out, c.out)
		flag := "--out"
		if c.args[0] == "uki-esp" {
			flag = "--out-img"
		}
		code, stderr := canvos(t, append(c.args, flag, dst)...)
		if !c.failed {
			require.Equal(t, 0, code, "%s: %s", c.args[0], stderr)
			continue
		}
		require.Equal(t, exitInput, code, "%s: %s", c.args[0], stderr)
		require.Contains(t, stderr, "--rootfs", c.args[0])
		if c.loop {
			require.Contains(t, stderr, "too many levels of symbolic links", c.args[0])
		}
		require.NoFileExists(t, dst)
	}
}

// TestSourceDateEpochFromTheTree: the epoch is the mtime of the tree's
// os-release, even when a link points it at a host file with its own mtime.
func TestSourceDateEpochFromTheTree(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	hostFile := filepath.Join(t.TempDir(), "os-release")
	require.NoError(t, os.WriteFile(hostFile, []byte("ID=host\n"), 0o644))
	hostTime, treeTime := int64(1_000_000_000), int64(1_600_000_000)
	require.NoError(t, os.Chtimes(hostFile, time.Unix(hostTime, 0), time.Unix(hostTime, 0)))
	for _, target := range []string{hostFile, "../../../../../../../.." + hostFile} {
		root := t.TempDir()
		mirror := filepath.Join(root, hostFile)
		require.NoError(t, os.MkdirAll(filepath.Dir(mirror), 0o755))
		require.NoError(t, os.WriteFile(mirror, []byte("ID=tree\n"), 0o644))
		require.NoError(t, os.Chtimes(mirror, time.Unix(treeTime, 0), time.Unix(treeTime, 0)))
		require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
		require.NoError(t, os.Symlink(target, filepath.Join(root, "etc/os-release")))
		got, err := sourceDateEpoch(root)
		require.NoError(t, err)
		require.Equal(t, treeTime, got, target)
	}
}

// leakFixture is one rootfs every tree-reading verb accepts: the host's
// Debian boot files for amd64 and arm64 (shim, MokManager, signed GRUB, the
// i386-pc directory), Kairos' grub.cfg, a kernel and initrds, os-release
// and an /opt/spectrocloud for the local UI to merge into.
func leakFixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	testutil.BootFilesInto(t, root)
	testutil.BootFilesARM64Into(t, root)
	kairos := testutil.KairosRootfs(t)
	for _, p := range []string{"usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", "etc/cos/grub.cfg"} {
		b, err := os.ReadFile(filepath.Join(kairos, p))
		require.NoError(t, err)
		writeFile(t, filepath.Join(root, p), b)
	}
	for p, c := range map[string]string{
		"boot/vmlinuz":                 strings.Repeat("k", 64<<10),
		"boot/initrd":                  strings.Repeat("i", 16<<10),
		"boot/initrd.img":              strings.Repeat("u", 16<<10),
		"etc/os-release":               "ID=kairos\nNAME=\"Kairos stand-in\"\n",
		"opt/spectrocloud/bin/agent":   "agent\n",
		"usr/lib/os-release":           "ID=kairos\n",
		"etc/systemd/system/.keep.txt": "",
		// Read by no verb, packed by those that pack the tree (squashfs,
		// initrd, the MAAS Ubuntu partition): proves the search reads them.
		"srv/canvos-control": "#CANVOS-TREE:srv/canvos-control\n",
	} {
		writeFile(t, filepath.Join(root, p), []byte(c))
	}
	return root
}

// plantFiles removes every candidate of rootfs.Table from the copy root and
// returns the files round r plants: each group's candidate r (a shorter
// group's last) with the group's fixture content, and every regular file of
// a planted directory. A file no fixture has gets a stand-in.
func plantFiles(t *testing.T, root string, r int) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, g := range rootfs.Table() {
		p := g.Paths[min(r, len(g.Paths)-1)].String()
		content, children := groupContent(t, root, g)
		if !g.Dir {
			if content == nil {
				content = []byte("stand-in for /" + p + "\n")
			}
			if _, ok := files[p]; !ok {
				files[p] = content
			}
			continue
		}
		for name, b := range children {
			files[p+"/"+name] = b
		}
	}
	for _, g := range rootfs.Table() {
		for _, c := range g.Paths {
			require.NoError(t, os.RemoveAll(filepath.Join(root, c.String())))
		}
	}
	return files
}

// groupContent is the fixture's file for a file group, its first candidate
// that root has; the regular files of the first directory for a directory
// group.
func groupContent(t *testing.T, root string, g rootfs.Group) ([]byte, map[string][]byte) {
	t.Helper()
	for _, c := range g.Paths {
		src := filepath.Join(root, c.String())
		fi, err := os.Stat(src)
		switch {
		case err != nil:
		case g.Dir && fi.IsDir():
			return nil, regularChildren(t, src)
		case !g.Dir && fi.Mode().IsRegular():
			b, err := os.ReadFile(src)
			require.NoError(t, err)
			return b, nil
		}
	}
	return nil, nil
}

func regularChildren(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, e := range ents {
		if e.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			out[e.Name()] = b
		}
	}
	return out
}

// plantRootfs is a copy of the fixture fx whose read paths are links of
// kind to files under host (content + CANVOS-HOST marker); the same path
// under the tree's root holds content + CANVOS-TREE marker.
func plantRootfs(t *testing.T, fx, host string, r int, kind linkKind) string {
	t.Helper()
	root := testutil.CopyTree(t, fx)
	files := plantFiles(t, root, r)
	target := func(p string) string {
		if !kind.relative {
			return filepath.Join(host, p)
		}
		return strings.Repeat("../", strings.Count(p, "/")+16) + filepath.Join(host, p)[1:]
	}
	mirror := filepath.Join(root, host)
	if !kind.dir {
		for p, b := range files {
			writeFile(t, filepath.Join(mirror, p), marked(p, b, "TREE"))
			writeFile(t, filepath.Join(host, p), marked(p, b, "HOST"))
			require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755))
			require.NoError(t, os.Symlink(target(p), filepath.Join(root, p)))
		}
		return root
	}
	tops := map[string]bool{}
	for p, b := range files {
		writeFile(t, filepath.Join(root, p), marked(p, b, "TREE"))
		tops[strings.Split(p, "/")[0]] = true
	}
	for top := range tops {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(mirror, top)), 0o755))
		require.NoError(t, os.Rename(filepath.Join(root, top), filepath.Join(mirror, top)))
		cp := exec.Command("cp", "-a", filepath.Join(mirror, top), filepath.Join(host, top))
		out, err := cp.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.NoError(t, os.Symlink(target(top), filepath.Join(root, top)))
	}
	for p, b := range files {
		writeFile(t, filepath.Join(host, p), marked(p, b, "HOST"))
	}
	return root
}

// marked is b with the marker CANVOS-<side>:p: appended as a comment line,
// or, in a fixed-size boot image (.img), written over bytes 256 on (inside
// the 440 bytes of boot code an MBR takes). GRUB's .lst indexes stay as
// they are: grub-mkimage parses them.
func marked(p string, b []byte, side string) []byte {
	m := "CANVOS-" + side + ":" + p
	switch {
	case strings.HasSuffix(p, ".lst"):
		return b
	case strings.HasSuffix(p, ".img") && len(b) >= 512:
		out := slices.Clone(b)
		copy(out[256:], m+"\n")
		return out
	}
	return append(slices.Clone(b), []byte("\n#"+m+"\n")...)
}

// artifact is one output and what the search must find in it.
type artifact struct {
	verb, file string
	kinds      []string // formats met on the way down
	tree       []string // tree paths whose CANVOS-TREE marker it holds
}

// treeVerbs runs every verb that reads a tree on root (the ISOs with an
// overlay and local UI whose links also point at host) and lists the
// artifacts.
func treeVerbs(t *testing.T, root, keys, host string) []artifact {
	t.Helper()
	out := t.TempDir()
	overlay := t.TempDir()
	secret := filepath.Join(host, "overlay-secret")
	writeFile(t, secret, []byte("#CANVOS-HOST:overlay\n"))
	writeFile(t, filepath.Join(overlay, "etc/keep"), []byte("kept\n"))
	require.NoError(t, os.Symlink(secret, filepath.Join(overlay, "etc/abs-link")))
	require.NoError(t, os.Symlink("../../../../../../../.."+secret, filepath.Join(overlay, "etc/rel-link")))
	ui := localUITar(t)
	iso := func(name string, extra ...string) []string {
		return append([]string{"iso", "--rootfs", root, "--out", filepath.Join(out, name), "--scratch", t.TempDir(),
			"--overlay", overlay, "--local-ui", ui}, extra...)
	}
	raw := filepath.Join(out, "kairos.raw")
	maasDir := filepath.Join(out, "maas")
	require.NoError(t, os.Mkdir(maasDir, 0o755))
	for _, args := range [][]string{
		iso("installer.iso"),
		iso("arm64.iso", "--arch", "arm64"),
		{"uki-iso", "--rootfs", root, "--keys", keys, "--cmdline", "console=ttyS0", "--out", filepath.Join(out, "uki.iso"),
			"--scratch", t.TempDir(), "--overlay", overlay},
		{"uki-esp", "--rootfs", root, "--keys", keys, "--out-img", filepath.Join(out, "esp.img")},
		{"initrd", "--rootfs", root, "--out", filepath.Join(out, "initrd")},
		{"raw", "--rootfs", root, "--out", raw},
		{"maas", "--kairos-raw", raw, "--ubuntu-rootfs", root, "--out-dir", maasDir, "--name", "site", "--ubuntu-rootfs-size", "256"},
		{"cloud-image", "--rootfs", root, "--out", filepath.Join(out, "cloud.raw")},
	} {
		code, stderr := canvos(t, args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
	}
	isoKinds := []string{"iso9660", "squashfs", "fat"}
	ukiKinds := []string{"fat", "pe", "zstd"}
	// boot/vmlinuz, boot/initrd and etc/cos/grub.cfg are copied from where
	// the links resolve in the tree; srv/canvos-control is in what packs the tree.
	const control = "srv/canvos-control"
	return []artifact{
		{"iso", filepath.Join(out, "installer.iso"), isoKinds, []string{"boot/vmlinuz", "boot/initrd", control}},
		{"iso --arch arm64", filepath.Join(out, "arm64.iso"), isoKinds, []string{"boot/vmlinuz", "boot/initrd", control}},
		{"uki-iso", filepath.Join(out, "uki.iso"), append([]string{"iso9660"}, ukiKinds...), []string{"boot/vmlinuz", control}},
		{"uki-esp", filepath.Join(out, "esp.img"), ukiKinds, []string{"boot/vmlinuz", control}},
		{"initrd", filepath.Join(out, "initrd"), []string{"zstd"}, []string{control}},
		{"raw", raw, []string{"gpt", "fat", "ext", "squashfs"}, []string{"etc/cos/grub.cfg", control}},
		{"maas", filepath.Join(maasDir, "site.raw.gz"), []string{"gzip", "gpt", "ext", "fat", "squashfs"}, []string{"etc/cos/grub.cfg", control}},
		{"cloud-image", filepath.Join(out, "cloud.raw"), []string{"gpt", "fat", "ext", "squashfs"}, []string{"etc/cos/grub.cfg", control}},
	}
}

// localUITar is a local UI bundle with a file, so the ISO merges it into
// the rootfs' /opt/spectrocloud (looked up through rootfs).
func localUITar(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	body := []byte("<html>local ui</html>\n")
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "ui/", Typeflag: tar.TypeDir, Mode: 0o755}))
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "ui/index.html", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}))
	_, err := tw.Write(body)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	p := filepath.Join(t.TempDir(), "local-ui.tar")
	require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
	return p
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, b, 0o644))
}

// TestLinkedTreeArguments: a --rootfs, --overlay or --ubuntu-rootfs that
// is itself a symlink to the tree builds the same bytes as the tree's own
// path (mksquashfs would pack a linked source as one symlink, a walk would
// not enter it).
func TestLinkedTreeArguments(t *testing.T) {
	testutil.RequireTool(t, "mksquashfs", "mke2fs", "mkfs.fat", "mcopy", "debugfs")
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	link := func(dir string) string {
		l := filepath.Join(t.TempDir(), "link")
		require.NoError(t, os.Symlink(dir, l))
		return l
	}
	isoRoot, kairos, ubuntu := isoRootfs(t), testutil.KairosRootfs(t), testutil.UbuntuRootfs(t, []byte("k"), []byte("i"))
	overlay := t.TempDir()
	writeFile(t, filepath.Join(overlay, "extra/file"), []byte("overlay\n"))
	raw := filepath.Join(t.TempDir(), "kairos.raw")
	code, stderr := canvos(t, "raw", "--rootfs", kairos, "--out", raw)
	require.Equal(t, 0, code, stderr)
	for _, c := range []struct {
		name  string
		build func(rootfs, overlay, out string) []string
		root  string
		file  string // the artifact under out
	}{
		{"iso", func(r, ov, out string) []string {
			return []string{"iso", "--rootfs", r, "--overlay", ov, "--out", filepath.Join(out, "x.iso"), "--scratch", t.TempDir()}
		}, isoRoot, "x.iso"},
		{"initrd", func(r, _, out string) []string {
			return []string{"initrd", "--rootfs", r, "--out", filepath.Join(out, "initrd")}
		}, isoRoot, "initrd"},
		{"raw", func(r, _, out string) []string {
			return []string{"raw", "--rootfs", r, "--out", filepath.Join(out, "x.raw")}
		}, kairos, "x.raw"},
		{"maas", func(r, _, out string) []string {
			return []string{"maas", "--kairos-raw", raw, "--ubuntu-rootfs", r, "--out-dir", out, "--name", "m", "--ubuntu-rootfs-size", "256"}
		}, ubuntu, "m.raw.gz"},
	} {
		var got [2][]byte
		for i, trees := range [][2]string{{c.root, overlay}, {link(c.root), link(overlay)}} {
			out := t.TempDir()
			code, stderr := canvos(t, c.build(trees[0], trees[1], out)...)
			require.Equal(t, 0, code, "%s: %s", c.name, stderr)
			b, err := os.ReadFile(filepath.Join(out, c.file))
			require.NoError(t, err)
			got[i] = b
		}
		require.True(t, bytes.Equal(got[0], got[1]), "%s: a linked tree argument builds other bytes", c.name)
	}
}
