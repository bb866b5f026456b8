package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoDaggerDependency guards the worker build: the CLI is compiled in the
// Go toolchain container without the engine's generated code (whose init
// panics outside a session), so nothing it links may import the Dagger API.
func TestNoDaggerDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		require.False(t, dep == "dagger/canvos/internal/dagger" || strings.HasPrefix(dep, "dagger.io/dagger"),
			"cmd/canvos links %s; keep Dagger wiring out of packages the CLI imports", dep)
	}
}

func TestMainUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitInput, Main(context.Background(), nil, &stdout, &stderr))
	require.Contains(t, stderr.String(), "usage: canvos <command>")
	require.Empty(t, stdout.String())

	stderr.Reset()
	require.Equal(t, exitInput, Main(context.Background(), []string{"no-such-verb"}, &stdout, &stderr))
	require.Contains(t, stderr.String(), `unknown command "no-such-verb"`)
}

// TestBuildsFromWorkerSource builds the CLI from the copy of the module that
// worker.go hands the Go toolchain container (everything but the excluded
// paths listed there), so a go:embed of a file outside it fails here, not in
// the engine.
func TestBuildsFromWorkerSource(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the CLI")
	}
	excluded := []string{".git", "tests", "testdata", "bench", "docs", "build"} // worker.go's Exclude
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	dst := t.TempDir()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && slices.Contains(excluded, d.Name()) {
			return filepath.SkipDir
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	require.NoError(t, err)
	// Same flags as this test's own build, so the build cache serves the deps.
	cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "canvos"), "./cmd/canvos")
	cmd.Dir = dst
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}
