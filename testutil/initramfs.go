package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Initramfs builds a gzip'd cpio newc initramfs around k's busybox: init
// is the /init shell script (run by busybox sh), modules are copied to
// /lib/modules/<name>.ko for the script to insmod in the order it needs, and
// extra maps archive paths to file contents. It returns the archive's path.
func Initramfs(t testing.TB, k Kernel, init string, modules []string, extra map[string][]byte) string {
	t.Helper()
	bb := RequireFile(t, k.Busybox)
	RequireTool(t, "cpio", "gzip")
	dir := t.TempDir()
	for _, d := range []string{"bin", "sbin", "dev", "proc", "sys", "mnt", "tmp", "lib/modules"} {
		mustNoErr(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	copyFile(t, bb, filepath.Join(dir, "bin", "busybox"), 0o755)
	mustNoErr(t, os.Symlink("busybox", filepath.Join(dir, "bin", "sh")))
	script := "#!/bin/sh\n/bin/busybox --install -s /bin\nexport PATH=/bin\n" + init
	mustNoErr(t, os.WriteFile(filepath.Join(dir, "init"), []byte(script), 0o755))
	for _, m := range modules {
		copyFile(t, k.Module(t, m), filepath.Join(dir, "lib", "modules", m+".ko"), 0o644)
	}
	for name, data := range extra {
		p := filepath.Join(dir, name)
		mustNoErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
		mustNoErr(t, os.WriteFile(p, data, 0o755))
	}
	out := filepath.Join(t.TempDir(), "initramfs.cpio.gz")
	cmd := exec.Command("sh", "-c", "find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1 > "+out)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build initramfs: %v: %s", err, b)
	}
	return out
}

func copyFile(t testing.TB, src, dst string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	mustNoErr(t, err)
	mustNoErr(t, os.WriteFile(dst, b, perm))
}

func mustNoErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
