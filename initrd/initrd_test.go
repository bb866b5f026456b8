package initrd_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"dagger/canvos/initrd"
	"dagger/canvos/testutil"
	"dagger/canvos/usererr"
)

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// rootfs builds a small tree with every kind of entry the initrd must carry
// and content under the excluded directories that it must not.
func rootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"etc/os-release":  "ID=test\n",
		"usr/bin/tool":    "#!/bin/sh\n",
		"usr/tmp/kept":    "not top-level tmp\n",
		"proc/cpuinfo":    "excluded\n",
		"tmp/scratch":     "excluded\n",
		"run/lock/x":      "excluded\n",
		"dev/pts/z":       "excluded\n",
		"sys/kernel/y":    "excluded\n",
		"var/lib/a/b/c/d": strings.Repeat("data", 10000),
	}
	for p, c := range files {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(c), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "dev"), 0o755))
	require.NoError(t, os.Symlink("../etc/os-release", filepath.Join(root, "usr/os-release")))
	require.NoError(t, os.Link(filepath.Join(root, "etc/os-release"), filepath.Join(root, "etc/os-release.hard")))
	if os.Geteuid() == 0 {
		require.NoError(t, os.Lchown(filepath.Join(root, "usr/bin/tool"), 1234, 5678))
		require.NoError(t, unix.Mknod(filepath.Join(root, "etc/null"), syscall.S_IFCHR|0o644, int(unix.Mkdev(1, 3))))
		require.NoError(t, unix.Mknod(filepath.Join(root, "etc/bigminor"), syscall.S_IFBLK|0o600, int(unix.Mkdev(259, 300))))
	}
	require.NoError(t, syscall.Chmod(filepath.Join(root, "usr/bin/tool"), 0o4755)) // after chown, which clears setuid
	return root
}

func write(t *testing.T, o initrd.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, initrd.Write(&buf, o))
	return buf.Bytes()
}

// TestArchiveContents decompresses with the zstd and gzip tools and lists
// with GNU cpio: names, modes, owners, links and device numbers survive;
// the excluded directories are empty mount points.
func TestArchiveContents(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "cpio", "zstd", "gzip")
	root := rootfs(t)
	for _, c := range []initrd.Compression{initrd.Zstd, initrd.Gzip} {
		t.Run(string(c), func(t *testing.T) {
			t.Parallel()
			img := filepath.Join(t.TempDir(), "initrd")
			require.NoError(t, os.WriteFile(img, write(t, initrd.Options{Root: root, Compression: c, Epoch: epoch}), 0o644))
			out, err := exec.Command("sh", "-c", string(c)+" -dc "+img+" | cpio -itv --quiet --numeric-uid-gid").CombinedOutput()
			require.NoError(t, err, "%s", out)
			list := string(out)
			for _, want := range []string{
				"etc/os-release", "usr/tmp/kept", "var/lib/a/b/c/d", "usr/os-release -> ../etc/os-release",
				"proc\n", "tmp\n", "run\n", "sys\n", "dev\n",
			} {
				require.Contains(t, list, want)
			}
			for _, gone := range []string{"cpuinfo", "scratch", "run/lock", "sys/kernel", "dev/pts"} {
				require.NotContains(t, list, gone)
			}
			require.Regexp(t, `-rwsr-xr-x +1 (1234 +5678|0 +0) .* Jan  1  2025 usr/bin/tool`, list)
			if os.Geteuid() == 0 {
				require.Regexp(t, `crw-r--r-- .* 1, +3 .* etc/null`, list)
				require.Regexp(t, `brw------- .* 259, +300 .* etc/bigminor`, list)
			}

			dst := t.TempDir()
			cmd := exec.Command("sh", "-c", string(c)+" -dc "+img+" | cpio -idm --quiet --no-absolute-filenames")
			cmd.Dir = dst
			out, err = cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			got, err := os.ReadFile(filepath.Join(dst, "var/lib/a/b/c/d"))
			require.NoError(t, err)
			require.Equal(t, strings.Repeat("data", 10000), string(got))
			var a, b syscall.Stat_t
			require.NoError(t, syscall.Stat(filepath.Join(dst, "etc/os-release"), &a))
			require.NoError(t, syscall.Stat(filepath.Join(dst, "etc/os-release.hard"), &b))
			require.Equal(t, a.Ino, b.Ino, "hard link kept")
			hard, err := os.ReadFile(filepath.Join(dst, "etc/os-release.hard"))
			require.NoError(t, err)
			require.Equal(t, "ID=test\n", string(hard))
		})
	}
}

// TestDeterministic: the same tree gives the same bytes whatever the files'
// mtimes, and a content change changes them.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	root := rootfs(t)
	for _, c := range []initrd.Compression{initrd.Zstd, initrd.Gzip} {
		a := write(t, initrd.Options{Root: root, Compression: c, Epoch: epoch})
		require.NoError(t, os.Chtimes(filepath.Join(root, "etc/os-release"), time.Now(), time.Now()))
		require.Equal(t, a, write(t, initrd.Options{Root: root, Compression: c, Epoch: epoch}), c)
	}
	a := write(t, initrd.Options{Root: root, Epoch: epoch})
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/os-release"), []byte("ID=changed\n"), 0o644))
	require.NotEqual(t, a, write(t, initrd.Options{Root: root, Epoch: epoch}))
}

func TestInputErrors(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]initrd.Options{
		"missing rootfs":  {Root: filepath.Join(t.TempDir(), "nope")},
		"rootfs is file":  {Root: "/etc/hostname"},
		"bad compression": {Root: t.TempDir(), Compression: "xz"},
	} {
		t.Run(name, func(t *testing.T) {
			err := initrd.Write(&bytes.Buffer{}, o)
			require.ErrorIs(t, err, usererr.ErrInvalid)
		})
	}
}

// TestKernelBootsInitrd: Debian's kernel unpacks our zstd initrd and runs
// its /init.
func TestKernelBootsInitrd(t *testing.T) {
	k := testutil.DebianKernel(t)
	bb := testutil.RequireFile(t, "/bin/busybox")
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bin"), 0o755))
	for _, d := range initrd.DefaultExcludes {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	b, err := os.ReadFile(bb)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "bin/busybox"), b, 0o755))
	require.NoError(t, os.Symlink("busybox", filepath.Join(root, "bin/sh")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "init"), []byte("#!/bin/sh\n/bin/busybox echo CANVOS-INITRD-$(/bin/busybox cat /etc/marker)\n/bin/busybox poweroff -f\n"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/marker"), []byte("OK"), 0o644))
	img := filepath.Join(t.TempDir(), "initrd.zst")
	require.NoError(t, os.WriteFile(img, write(t, initrd.Options{Root: root, Epoch: epoch}), 0o644))
	res := testutil.QEMU{
		Args:    []string{"-kernel", k.Vmlinuz, "-initrd", img, "-append", "console=ttyS0 quiet panic=-1 no_timer_check"},
		Timeout: 180 * time.Second,
		Until:   []string{"CANVOS-INITRD-OK", "Kernel panic"},
	}.Run(t)
	require.Equal(t, "CANVOS-INITRD-OK", res.Matched)
}
