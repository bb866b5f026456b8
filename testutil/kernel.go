package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Kernel is an unpacked Debian kernel package.
type Kernel struct {
	Root    string // where the .deb was extracted
	Vmlinuz string // the kernel image
	Release string // e.g. 6.1.0-28-amd64
}

// ModulesDir is lib/modules/<release> inside the extracted package.
func (k Kernel) ModulesDir() string { return filepath.Join(k.Root, "lib", "modules", k.Release) }

// Module returns the path of the module named name (without .ko), searched
// under the kernel's module tree.
func (k Kernel) Module(t testing.TB, name string) string {
	t.Helper()
	var found string
	filepath.WalkDir(k.ModulesDir(), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name+".ko" {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	if found == "" {
		t.Fatalf("kernel module %s not found under %s", name, k.ModulesDir())
	}
	return found
}

var kernelOnce = sync.OnceValues(fetchKernel)

// DebianKernel returns Debian's amd64 kernel, downloaded once per machine
// with `apt-get download` + `dpkg-deb -x` into a cache directory (seconds,
// instead of minutes for installing it). CANVOS_TEST_KERNEL_DIR points at an
// already extracted package instead.
func DebianKernel(t testing.TB) Kernel {
	t.Helper()
	RequireTool(t, "apt-get", "apt-cache", "dpkg-deb")
	k, err := kernelOnce()
	if err != nil {
		Missing(t, "debian kernel: %v", err)
	}
	return k
}

var kernelDepRE = regexp.MustCompile(`Depends: (linux-image-[0-9][^\s]*-amd64)\b`)

func fetchKernel() (Kernel, error) {
	if dir := os.Getenv("CANVOS_TEST_KERNEL_DIR"); dir != "" {
		return findKernel(dir)
	}
	cache := filepath.Join(os.TempDir(), "canvos-test-kernel")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return Kernel{}, err
	}
	// Test binaries of several packages run at once: serialize the download.
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return Kernel{}, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return Kernel{}, err
	}
	root := filepath.Join(cache, "root")
	if k, err := findKernel(root); err == nil {
		return k, nil
	}
	out, err := exec.Command("apt-cache", "depends", "linux-image-amd64").CombinedOutput()
	if err != nil {
		return Kernel{}, fmt.Errorf("apt-cache depends linux-image-amd64: %v: %s", err, out)
	}
	m := kernelDepRE.FindSubmatch(out)
	if m == nil {
		return Kernel{}, fmt.Errorf("no kernel package in: %s", out)
	}
	dl := exec.Command("apt-get", "download", string(m[1]))
	dl.Dir = cache
	if out, err := dl.CombinedOutput(); err != nil {
		return Kernel{}, fmt.Errorf("apt-get download %s: %v: %s", m[1], err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(cache, string(m[1])+"_*.deb"))
	if len(debs) == 0 {
		return Kernel{}, fmt.Errorf("apt-get download %s left no .deb in %s", m[1], cache)
	}
	tmp := root + ".tmp"
	os.RemoveAll(tmp)
	if out, err := exec.Command("dpkg-deb", "-x", debs[0], tmp).CombinedOutput(); err != nil {
		return Kernel{}, fmt.Errorf("dpkg-deb -x %s: %v: %s", debs[0], err, out)
	}
	if err := os.Rename(tmp, root); err != nil {
		return Kernel{}, err
	}
	return findKernel(root)
}

func findKernel(root string) (Kernel, error) {
	images, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	if len(images) == 0 {
		return Kernel{}, fmt.Errorf("no boot/vmlinuz-* under %s", root)
	}
	rel := strings.TrimPrefix(filepath.Base(images[0]), "vmlinuz-")
	return Kernel{Root: root, Vmlinuz: images[0], Release: rel}, nil
}
