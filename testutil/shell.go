package testutil

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ShellCheck runs shellcheck once over scripts (name → POSIX sh text) and
// fails the test with its findings. Names become file names in the report.
func ShellCheck(t testing.TB, scripts map[string]string) {
	t.Helper()
	shellcheck := RequireTool(t, "shellcheck")[0]
	dir := t.TempDir()
	args := []string{"--shell=sh", "--format=gcc"}
	for _, name := range slices.Sorted(maps.Keys(scripts)) {
		path := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".sh")
		if err := os.WriteFile(path, []byte(scripts[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	if out, err := exec.Command(shellcheck, args...).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck: %v\n%s", err, out)
	}
}
