package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/overlay"
	"dagger/canvos/testutil"
)

func TestCloudImageCommand(t *testing.T) {
	testutil.RequireTool(t, "mksquashfs", "mke2fs", "mkfs.fat", "mcopy", "debugfs", "sha256sum", "sgdisk")
	rootfs := testutil.KairosRootfs(t)
	for _, f := range overlay.CloudImage() {
		p := filepath.Join(rootfs, f.Path)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, f.Data, f.Mode))
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "content-a"), filepath.Join(dir, "content-b")
	for d, name := range map[string]string{a: "a.zst", b: "b.tar"} {
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, name), []byte(name), 0o644))
	}
	spc := filepath.Join(dir, "profile.tgz")
	require.NoError(t, os.WriteFile(spc, []byte("spc"), 0o644))
	out := filepath.Join(dir, "edge.raw")
	epoch := []string{"SOURCE_DATE_EPOCH=1700000000"}

	code, stderr := runCLI(t, epoch, "cloud-image", "--rootfs", rootfs, "--out", out, "--content", a, "--content", b, "--cluster-config", spc)
	require.Equal(t, 0, code, stderr)
	cmd := exec.Command("sha256sum", "-c", "edge.raw.sha256")
	cmd.Dir = dir
	sum, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", sum)
	gpt, err := exec.Command("sgdisk", "-p", out).CombinedOutput()
	require.NoError(t, err, "%s", gpt)
	require.Regexp(t, `(?m)^\s+4\s+.*8300\s+COS_CONTENT$`, string(gpt))

	code, stderr = runCLI(t, epoch, "cloud-image", "--rootfs", rootfs)
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr, "--rootfs/--out")
	code, stderr = runCLI(t, epoch, "cloud-image", "--rootfs", testutil.KairosRootfs(t), "--out", dir)
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr, "a cloud image rootfs with /etc/kairos/branding/grubmenu.cfg")
}
