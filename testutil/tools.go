// Package testutil holds what the integration tests share: tool checks that
// fail instead of skipping under CANVOS_REQUIRE_TOOLS=1, a Debian kernel for
// boot tests, a busybox initramfs builder and a bounded QEMU runner.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// Strict reports whether missing tools must fail tests (set by .ci/run).
func Strict() bool { return os.Getenv("CANVOS_REQUIRE_TOOLS") == "1" }

// RequireTool returns the path of each named program, in order. A missing
// program skips the test locally and fails it under CANVOS_REQUIRE_TOOLS=1.
func RequireTool(t testing.TB, names ...string) []string {
	t.Helper()
	paths := make([]string, len(names))
	for i, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			Missing(t, "tool %s not on PATH", name)
		}
		paths[i] = p
	}
	return paths
}

// RequireFile returns path if it exists; otherwise it skips or fails like
// RequireTool. For data files that come with Debian packages (OVMF, shim, …).
func RequireFile(t testing.TB, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "file %s: %v", path, err)
	}
	return path
}

// Missing skips the test, or fails it under CANVOS_REQUIRE_TOOLS=1.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Strict() {
		t.Fatalf("CANVOS_REQUIRE_TOOLS=1: "+format, args...)
	}
	t.Skipf(format, args...)
}
