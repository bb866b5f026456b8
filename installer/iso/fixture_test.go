package iso

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

const testEpoch = 1700000000

// standInRootfs builds an installer rootfs the way the Kairos image lays it
// out: /boot/vmlinuz + /boot/initrd (Debian kernel, a live initramfs that
// finds the ISO by label), the Debian boot files, a marker file, and entries
// whose metadata the squashfs must keep: owners, setuid, symlinks (also
// absolute and dangling), hardlinks, xattrs, a FIFO.
func standInRootfs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.Missing(t, "stand-in rootfs needs root (chown, mknod)")
	}
	root := t.TempDir()
	putLiveBoot(t, root, testutil.DebianKernel(t))
	mk := func(p string, data string, mode os.FileMode) string {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(data), mode))
		require.NoError(t, os.Chmod(full, mode))
		return full
	}
	testutil.BootFilesInto(t, root)
	mk("etc/os-release", "ID=kairos\n", 0o644)
	mk("opt/spectrocloud/bin/agent-ui", "old", 0o700) // replaced by the local-ui tar
	owned := mk("home/kairos/owned", "x", 0o640)
	require.NoError(t, os.Lchown(owned, 1234, 5678))
	mk("usr/bin/suid", "#!/bin/sh\n", os.ModeSetuid|0o755)
	require.NoError(t, os.Symlink("../bin/suid", filepath.Join(root, "usr/lib/rel-link")))
	require.NoError(t, os.Symlink("/nowhere", filepath.Join(root, "usr/lib/dangling")))
	require.NoError(t, os.Link(filepath.Join(root, "etc/canvos-marker"), filepath.Join(root, "etc/marker-hardlink")))
	capFile := mk("usr/bin/capped", "bin", 0o755)
	out, err := exec.Command("setfattr", "-n", "user.canvos", "-v", "kept", capFile).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, exec.Command("mkfifo", filepath.Join(root, "run-fifo")).Run())
	return root
}

// putLiveBoot puts k (as boot/vmlinuz-<release> with a boot/vmlinuz link,
// as Kairos images have it), the stand-in live initramfs as boot/initrd and
// the marker it prints from inside rootfs.squashfs into root, in place of
// any stand-in kernel and initrd.
func putLiveBoot(t *testing.T, root string, k testutil.Kernel) {
	t.Helper()
	for _, f := range []string{"boot/vmlinuz", "boot/initrd"} {
		require.NoError(t, os.RemoveAll(filepath.Join(root, f)))
	}
	copyTo := func(src, rel string) {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		write(t, filepath.Join(root, rel), string(b))
	}
	copyTo(k.Vmlinuz, "boot/vmlinuz-"+k.Release)
	require.NoError(t, os.Symlink("/boot/vmlinuz-"+k.Release, filepath.Join(root, "boot/vmlinuz")))
	copyTo(testutil.LiveInitramfs(t, k, DefaultLabel), "boot/initrd")
	write(t, filepath.Join(root, "etc/canvos-marker"), "squashfs-ok")
}

// localUITar writes a tar like CanvOS' local-ui.tar (extracted into
// /opt/spectrocloud).
func localUITar(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	add := func(h *tar.Header, data string) {
		h.Size = int64(len(data))
		require.NoError(t, tw.WriteHeader(h))
		_, err := tw.Write([]byte(data))
		require.NoError(t, err)
	}
	add(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}, "")
	add(&tar.Header{Name: "./ui/", Typeflag: tar.TypeDir, Mode: 0o750, Uid: 2000, Gid: 2000}, "")
	add(&tar.Header{Name: "./ui/index.html", Typeflag: tar.TypeReg, Mode: 0o644, Uid: 2000, Gid: 2000}, "<html>local-ui</html>")
	add(&tar.Header{Name: "./ui/latest", Typeflag: tar.TypeSymlink, Linkname: "index.html", Mode: 0o777}, "")
	add(&tar.Header{Name: "./bin/agent-ui", Typeflag: tar.TypeReg, Mode: 0o755}, "#!/bin/sh\n")
	require.NoError(t, tw.Close())
	p := filepath.Join(t.TempDir(), "local-ui.tar")
	require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
	return p
}

// payloadFiles are the files testPayload puts on either ISO kind, by ISO path.
var payloadFiles = map[string]string{
	"config.yaml": "#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.com\n",
	"opt/spectrocloud/content/core-images.zst_part00": "bundle-bytes",
	"opt/spectrocloud/clusterconfig/spc.tgz":          "spc",
	".edge_custom_config.yaml":                        "content:\n  signing: {}\n",
	"extra/README":                                    "from overlay",
}

// testPayload is a full set of optional inputs.
func testPayload(t *testing.T) Payload {
	t.Helper()
	dir := t.TempDir()
	w := func(p, data string) string {
		full := filepath.Join(dir, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(data), 0o644))
		return full
	}
	w("content/core-images.zst", payloadFiles["opt/spectrocloud/content/core-images.zst_part00"])
	w("overlay/extra/README", payloadFiles["extra/README"])
	return Payload{
		UserData:      w("user-data", payloadFiles["config.yaml"]),
		ContentDir:    filepath.Join(dir, "content"),
		ClusterConfig: w("spc.tgz", payloadFiles["opt/spectrocloud/clusterconfig/spc.tgz"]),
		EdgeConfig:    w("edge.yaml", payloadFiles[".edge_custom_config.yaml"]),
		LocalUI:       localUITar(t),
		Overlay:       filepath.Join(dir, "overlay"),
	}
}

// requireISOFiles extracts paths from the ISO into a new directory, checks
// that every file of want there has its content, and returns the directory.
func requireISOFiles(t *testing.T, iso string, paths []string, want ...map[string]string) string {
	t.Helper()
	x := t.TempDir()
	for _, p := range paths {
		tool(t, "xorriso", "-osirrox", "on", "-indev", iso, "-extract", p, filepath.Join(x, p))
	}
	for _, files := range want {
		for p, content := range files {
			got, err := os.ReadFile(filepath.Join(x, p))
			require.NoError(t, err)
			require.Equal(t, content, string(got), p)
		}
	}
	return x
}

func baseOptions(t *testing.T, rootfs string) Options {
	return Options{
		Rootfs:     rootfs,
		OutPath:    filepath.Join(t.TempDir(), "installer.iso"),
		ScratchDir: t.TempDir(),
		Epoch:      testEpoch,
		Printf:     t.Logf,
	}
}

func build(t *testing.T, o Options) Result {
	t.Helper()
	testutil.RequireTool(t, "mksquashfs", "mkfs.fat", "mmd", "mcopy", "grub-mkimage")
	res, err := BuildISO(context.Background(), o)
	require.NoError(t, err)
	return res
}
