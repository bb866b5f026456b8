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
		out, err := exec.Command(ldd, bin).CombinedOutput()
		if err != nil {
			t.Fatalf("ldd %s: %v: %s", bin, err, out)
		}
		for _, m := range lddPath.FindAllStringSubmatch(string(out), -1) {
			lib := strings.TrimPrefix(m[1], "/")
			if _, done := files[lib]; done {
				continue
			}
			b, err := os.ReadFile(m[1])
			mustNoErr(t, err)
			files[lib] = b
		}
	}
	return files
}
