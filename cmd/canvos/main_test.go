package main

import (
	"bytes"
	"context"
	"os/exec"
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
