package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
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

var arm64Once = sync.OnceValues(fetchARM64)

// DebianARM64Boot returns a directory holding Debian's arm64 shim, MokManager
// and signed GRUB packages extracted (ARM64BootFiles under it), downloaded
// once per machine. The host has no arm64 dpkg architecture, so apt reads
// an arm64-only package index kept in the cache directory: the host's own
// lists (amd64) are never touched.
func DebianARM64Boot(t testing.TB) string {
	t.Helper()
	RequireTool(t, "apt-get", "dpkg-deb")
	root, err := arm64Once()
	if err != nil {
		Missing(t, "debian arm64 boot files: %v", err)
	}
	return root
}

// BootFilesARM64Into copies the arm64 boot files into a rootfs at their
// Debian paths.
func BootFilesARM64Into(t testing.TB, root string) {
	t.Helper()
	src := DebianARM64Boot(t)
	for _, f := range ARM64BootFiles {
		dst := filepath.Join(root, f)
		mustNoErr(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		copyFile(t, filepath.Join(src, f), dst, 0o644)
	}
}

func fetchARM64() (string, error) {
	cache := filepath.Join(os.TempDir(), "canvos-test-arm64")
	for _, d := range []string{"lists/partial", "apt/archives/partial", "debs"} {
		if err := os.MkdirAll(filepath.Join(cache, d), 0o755); err != nil {
			return "", err
		}
	}
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	root := filepath.Join(cache, "root")
	if haveAll(root) {
		return root, nil
	}
	apt := []string{"-q",
		"-o", "Dir::State::Lists=" + filepath.Join(cache, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(cache, "apt"),
		"-o", "APT::Architecture=arm64", "-o", "APT::Architectures::=arm64",
		"-o", "APT::Sandbox::User=root"}
	for _, args := range [][]string{append(apt, "update"), append(append(apt, "download"), arm64Packages...)} {
		c := exec.Command("apt-get", args...)
		c.Dir = filepath.Join(cache, "debs")
		if out, err := c.CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get %v: %v: %s", args, err, out)
		}
	}
	debs, _ := filepath.Glob(filepath.Join(cache, "debs", "*_arm64.deb"))
	tmp := root + ".tmp"
	os.RemoveAll(tmp)
	for _, d := range debs {
		if out, err := exec.Command("dpkg-deb", "-x", d, tmp).CombinedOutput(); err != nil {
			return "", fmt.Errorf("dpkg-deb -x %s: %v: %s", d, err, out)
		}
	}
	if !haveAll(tmp) {
		return "", fmt.Errorf("%v lack one of %v", debs, ARM64BootFiles)
	}
	os.RemoveAll(root)
	return root, os.Rename(tmp, root)
}

func haveAll(root string) bool {
	for _, f := range ARM64BootFiles {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			return false
		}
	}
	return true
}

// AAVMF returns the pflash arguments for AAVMF (qemu-efi-aarch64, arm64
// UEFI without Secure Boot) with a private copy of its variable store.
func AAVMF(t testing.TB) []string {
	t.Helper()
	code := RequireFile(t, "/usr/share/AAVMF/AAVMF_CODE.fd")
	vars := filepath.Join(t.TempDir(), "AAVMF_VARS.fd")
	copyFile(t, RequireFile(t, "/usr/share/AAVMF/AAVMF_VARS.fd"), vars, 0o644)
	return []string{"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
		"-drive", "if=pflash,format=raw,unit=1,file=" + vars}
}
