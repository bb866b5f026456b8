package testutil

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// efiShellPath is where efi-shell-x64 installs the UEFI shell.
const efiShellPath = "usr/share/efi-shell-x64/shellx64.efi"

// efiShellSet is Debian's UEFI shell: efi-shell-x64 (edk2) exists from
// trixie on, so apt reads a trixie-only package index kept in the cache.
var efiShellSet = debSet{cache: "canvos-test-efi-shell", arch: hostArch, suite: "trixie",
	pkgs: func(func(args ...string) ([]byte, error)) ([]string, error) { return []string{"efi-shell-x64"}, nil },
	ready: func(root string) error {
		_, err := os.Stat(filepath.Join(root, efiShellPath))
		return err
	},
}

var efiShellOnce = sync.OnceValues(efiShellSet.fetch)

// EFIShell returns the path of Debian's x86-64 UEFI shell (debSet:
// downloaded once per machine).
func EFIShell(t testing.TB) string {
	t.Helper()
	RequireTool(t, "apt-get", "apt-cache", "dpkg-deb")
	root, err := efiShellOnce()
	if err != nil {
		Missing(t, "debian efi-shell-x64: %v", err)
	}
	return filepath.Join(root, efiShellPath)
}
