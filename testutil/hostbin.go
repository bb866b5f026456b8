package testutil

import (
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"testing"
)

// lddPath matches the absolute paths of ldd's output lines
// ("libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", "/lib64/ld-… (0x…)").
var lddPath = regexp.MustCompile(`(?m)(/\S+) \(0x[0-9a-f]+\)$`)

// HostBinaries returns the host's programs named (found on PATH) at
// /usr/sbin/<name>, with every shared library ldd lists for them at the path
// ldd prints, as Initramfs extra files. A busybox initramfs booting Debian's
// kernel can then run the host's (Debian's) util-linux, gdisk and e2fsprogs
// tools, which busybox lacks or implements only in part.
func HostBinaries(t testing.TB, names ...string) map[string][]byte {
	t.Helper()
	ldd := RequireTool(t, "ldd")[0]
	files := map[string][]byte{}
	for i, bin := range RequireTool(t, names...) {
		b, err := os.ReadFile(bin)
		mustNoErr(t, err)
		files[path.Join("usr/sbin", names[i])] = b
		for _, p := range sharedLibs(t, ldd, bin) {
			lib := strings.TrimPrefix(p, "/")
			if _, done := files[lib]; done {
				continue
			}
			b, err := os.ReadFile(p)
			mustNoErr(t, err)
			files[lib] = b
		}
	}
	return files
}

// sharedLibs lists the absolute paths of the libraries (and the loader)
// ldd prints for bin.
func sharedLibs(t testing.TB, ldd, bin string) []string {
	t.Helper()
	out, err := exec.Command(ldd, bin).CombinedOutput()
	if err != nil {
		t.Fatalf("ldd %s: %v: %s", bin, err, out)
	}
	var libs []string
	for _, m := range lddPath.FindAllStringSubmatch(string(out), -1) {
		libs = append(libs, m[1])
	}
	return libs
}
