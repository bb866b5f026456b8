package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

func runCLI(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := bytes.Cut([]byte(kv), []byte("="))
		t.Setenv(string(k), string(v))
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, &stdout, &stderr)
	return code, stderr.String()
}

func TestRawAndMAASCommands(t *testing.T) {
	testutil.RequireTool(t, "mksquashfs", "mke2fs", "mkfs.fat", "mcopy", "debugfs", "sha256sum", "gzip")
	dir := t.TempDir()
	raw := filepath.Join(dir, "kairos.raw")
	userData := filepath.Join(dir, "user-data")
	require.NoError(t, os.WriteFile(userData, []byte("#cloud-config\n"), 0o644))
	epoch := []string{"SOURCE_DATE_EPOCH=1700000000"}

	code, stderr := runCLI(t, epoch, "raw", "--rootfs", testutil.KairosRootfs(t), "--out", raw, "--user-data", userData)
	require.Equal(t, 0, code, stderr)
	require.FileExists(t, raw)

	out := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(out, 0o755))
	code, stderr = runCLI(t, epoch, "maas", "--kairos-raw", raw, "--ubuntu-rootfs", testutil.UbuntuRootfs(t, []byte("k"), []byte("i")),
		"--out-dir", out, "--name", "site-a", "--ubuntu-rootfs-size", "256")
	require.Equal(t, 0, code, stderr)
	cmd := exec.Command("sha256sum", "-c", "site-a.raw.gz.sha256")
	cmd.Dir = out
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	require.Contains(t, string(b), "site-a.raw.gz: OK")

	// The Ubuntu partition from a cloud image's root file system (an ext4 image).
	cloud := filepath.Join(dir, "cloudimg.ext4")
	mkfs := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-d", testutil.UbuntuRootfs(t, []byte("k"), []byte("i")), cloud, "64M")
	b, err = mkfs.CombinedOutput()
	require.NoError(t, err, "%s", b)
	code, stderr = runCLI(t, epoch, "maas", "--kairos-raw", raw, "--ubuntu-cloud-image", cloud,
		"--out-dir", out, "--name", "site-b", "--ubuntu-rootfs-size", "256")
	require.Equal(t, 0, code, stderr)
	require.FileExists(t, filepath.Join(out, "site-b.raw.gz.sha256"))
}

func TestRawAndMAASInputErrors(t *testing.T) {
	dir, rootfs := t.TempDir(), t.TempDir()
	for name, tc := range map[string]struct {
		env  []string
		args []string
		want string
	}{
		"raw without flags":  {args: []string{"raw"}, want: "--rootfs/--out"},
		"raw positional":     {args: []string{"raw", "x"}, want: "unexpected"},
		"raw bad user-data":  {args: []string{"raw", "--rootfs", rootfs, "--out", dir + "/x.raw", "--user-data", dir + "/none"}, want: "--user-data"},
		"maas without flags": {args: []string{"maas"}, want: "--kairos-raw/--out-dir"},
		"maas no ubuntu":     {args: []string{"maas", "--kairos-raw", dir + "/k.raw", "--out-dir", dir}, want: "--ubuntu-rootfs/--ubuntu-cloud-image"},
		"maas both ubuntu": {args: []string{"maas", "--kairos-raw", dir + "/k.raw", "--out-dir", dir, "--ubuntu-rootfs", dir,
			"--ubuntu-cloud-image", dir + "/c.img"}, want: "--ubuntu-rootfs/--ubuntu-cloud-image"},
		"maas bad epoch": {env: []string{"SOURCE_DATE_EPOCH=yesterday"},
			args: []string{"maas", "--kairos-raw", dir + "/k.raw", "--ubuntu-rootfs", rootfs, "--out-dir", dir}, want: "SOURCE_DATE_EPOCH"},
		"maas bad size": {args: []string{"maas", "--kairos-raw", dir + "/k.raw", "--ubuntu-rootfs", rootfs, "--out-dir", dir, "--ubuntu-rootfs-size", "10"},
			want: "--ubuntu-rootfs-size"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stderr := runCLI(t, tc.env, tc.args...)
			require.Equal(t, exitInput, code, stderr)
			require.Contains(t, stderr, tc.want)
		})
	}
}
