package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// arm64Packages are Debian's arm64 UEFI boot chain: shimaa64 (shim-signed),
// mmaa64 (shim-helpers-arm64-signed) and the signed GRUB, CD variant
// gcdaa64 included (grub-efi-arm64-signed).
var arm64Packages = []string{"shim-signed", "shim-helpers-arm64-signed", "grub-efi-arm64-signed"}

// ARM64BootFiles are the files arm64 installer rootfs carry at these
// Debian paths.
var ARM64BootFiles = []string{
	"usr/lib/shim/shimaa64.efi.signed",
	"usr/lib/shim/mmaa64.efi.signed",
	"usr/lib/grub/arm64-efi-signed/gcdaa64.efi.signed",
}

// arm64Set is everything arm64 tests take from Debian: the boot chain, the
// kernel and a static busybox for its initramfs.
var arm64Set = debSet{cache: "canvos-test-arm64", arch: "arm64",
	pkgs: func(apt func(args ...string) ([]byte, error)) ([]string, error) {
		k, err := kernelPackage("arm64")(apt)
		return append(append(k, "busybox-static"), arm64Packages...), err
	},
	ready: func(root string) error {
		_, err := findKernel(root, filepath.Join(root, "bin/busybox"))
		for _, f := range slices.Concat(ARM64BootFiles, []string{"bin/busybox"}) {
			if _, e := os.Stat(filepath.Join(root, f)); e != nil {
				err = errors.Join(err, e)
			}
		}
		return err
	},
}

var arm64Once = sync.OnceValues(arm64Set.fetch)

// debianARM64 returns the extracted arm64 set (debSet: downloaded once per
// machine; the host has no arm64 dpkg architecture, so apt reads an
// arm64-only package index kept in the cache directory).
func debianARM64(t testing.TB) string {
	t.Helper()
	RequireTool(t, "apt-get", "apt-cache", "dpkg-deb")
	root, err := arm64Once()
	if err != nil {
		Missing(t, "debian arm64 packages: %v", err)
	}
	return root
}

// DebianKernelARM64 returns Debian's arm64 kernel, with an arm64 busybox.
func DebianKernelARM64(t testing.TB) Kernel {
	t.Helper()
	root := debianARM64(t)
	k, err := findKernel(root, filepath.Join(root, "bin/busybox"))
	mustNoErr(t, err)
	return k
}

// BootFilesARM64Into copies the arm64 boot files into a rootfs at their
// Debian paths.
func BootFilesARM64Into(t testing.TB, root string) {
	t.Helper()
	src := debianARM64(t)
	for _, f := range ARM64BootFiles {
		dst := filepath.Join(root, f)
		mustNoErr(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		copyFile(t, filepath.Join(src, f), dst, 0o644)
	}
}

// AAVMF returns the pflash arguments for AAVMF (qemu-efi-aarch64) with a
// private copy of its variable store: without Secure Boot, or with
// secureBoot its ".ms" build, which enforces Secure Boot with Microsoft's
// keys enrolled.
func AAVMF(t testing.TB, secureBoot bool) []string {
	t.Helper()
	variant := ""
	if secureBoot {
		variant = ".ms"
	}
	code := RequireFile(t, "/usr/share/AAVMF/AAVMF_CODE"+variant+".fd")
	vars := filepath.Join(t.TempDir(), "AAVMF_VARS.fd")
	copyFile(t, RequireFile(t, "/usr/share/AAVMF/AAVMF_VARS"+variant+".fd"), vars, 0o644)
	return []string{"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
		"-drive", "if=pflash,format=raw,unit=1,file=" + vars}
}
