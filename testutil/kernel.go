package testutil

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Kernel is an unpacked Debian kernel package.
type Kernel struct {
	Root    string // where the .deb was extracted
	Vmlinuz string // the kernel image
	Release string // e.g. 6.1.0-28-amd64
	Busybox string // a static busybox of the kernel's architecture, for Initramfs
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

// Loadable drops from names the modules this kernel has built in
// (modules.builtin): arm64 builds virtio in, amd64 makes it modules.
func (k Kernel) Loadable(t testing.TB, names []string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(k.ModulesDir(), "modules.builtin"))
	mustNoErr(t, err)
	defer f.Close()
	builtin := map[string]bool{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		builtin[strings.TrimSuffix(filepath.Base(sc.Text()), ".ko")] = true
	}
	var out []string
	for _, n := range names {
		if !builtin[n] {
			out = append(out, n)
		}
	}
	return out
}

var kernelOnce = sync.OnceValues(func() (Kernel, error) {
	if dir := os.Getenv("CANVOS_TEST_KERNEL_DIR"); dir != "" {
		return findKernel(dir, hostBusybox)
	}
	set := debSet{cache: "canvos-test-kernel", arch: "amd64", pkgs: kernelPackage("amd64"),
		ready: func(root string) error { _, err := findKernel(root, hostBusybox); return err }}
	root, err := set.fetch()
	if err != nil {
		return Kernel{}, err
	}
	return findKernel(root, hostBusybox)
})

// hostBusybox is busybox-static as .ci/run installs it.
const hostBusybox = "/bin/busybox"

// DebianKernel returns Debian's amd64 kernel (debSet: downloaded once per
// machine). CANVOS_TEST_KERNEL_DIR points at an already extracted package
// instead.
func DebianKernel(t testing.TB) Kernel {
	t.Helper()
	RequireTool(t, "apt-get", "apt-cache", "dpkg-deb")
	k, err := kernelOnce()
	if err != nil {
		Missing(t, "debian kernel: %v", err)
	}
	RequireFile(t, k.Busybox)
	return k
}

// kernelPackage resolves Debian's linux-image-<arch> meta package to the
// kernel package it depends on (the signed image on amd64 and arm64).
func kernelPackage(arch string) func(apt func(args ...string) ([]byte, error)) ([]string, error) {
	dep := regexp.MustCompile(`Depends: (linux-image-[0-9]\S*-` + arch + `)\b`)
	return func(apt func(args ...string) ([]byte, error)) ([]string, error) {
		out, err := apt("depends", "linux-image-"+arch)
		if err != nil {
			return nil, err
		}
		m := dep.FindSubmatch(out)
		if m == nil {
			return nil, fmt.Errorf("no kernel package in: %s", out)
		}
		return []string{string(m[1])}, nil
	}
}

// findKernel finds the kernel extracted under root; busybox is the path of
// the busybox to build its initramfs with.
func findKernel(root, busybox string) (Kernel, error) {
	images, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	if len(images) == 0 {
		return Kernel{}, errors.New("no boot/vmlinuz-* under " + root)
	}
	rel := strings.TrimPrefix(filepath.Base(images[0]), "vmlinuz-")
	return Kernel{Root: root, Vmlinuz: images[0], Release: rel, Busybox: busybox}, nil
}
