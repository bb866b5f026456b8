package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden plans and docs/parameters.md")

// Golden plans: one per CanvOS example, testdata/<case>.arg → <case>.plan.golden
// (the text of `canvos plan`, then the warnings). Review a diff like code.
func TestGoldenPlans(t *testing.T) {
	t.Parallel()
	args, err := filepath.Glob("testdata/*.arg")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(args), 8)
	for _, arg := range args {
		name := strings.TrimSuffix(filepath.Base(arg), ".arg")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(arg)
			require.NoError(t, err)
			c, warnings, err := Load(filepath.Base(arg), data, nil)
			require.NoError(t, err)
			got := c.Plan().Text()
			if len(warnings) > 0 {
				got += "\n--- warnings\n" + strings.Join(warnings, "\n") + "\n"
			}
			golden(t, strings.TrimSuffix(arg, ".arg")+".plan.golden", got)
		})
	}
}

// docs/parameters.md is generated from the table; it must not drift.
func TestParameterReference(t *testing.T) {
	t.Parallel()
	golden(t, "../docs/parameters.md", Reference())
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run: go test ./config -update")
	require.Equal(t, string(want), got, "%s is stale; run: go test ./config -update", path)
}
