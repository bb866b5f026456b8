package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateUserDataVerb(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		return p
	}
	good := write("good", "#cloud-config\ninstall:\n  nousers: true\nstylus:\n  site:\n    paletteEndpoint: api.spectrocloud.com\n")
	code, stdout, stderr := runMain(t, "validate-user-data", good)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, good+": OK (0 warnings)\n", stdout)

	hint := write("hint", "#cloud-config\nstylus:\n  site:\n    paletteEndpont: x\n")
	code, stdout, stderr = runMain(t, "validate-user-data", hint)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, hint+": warning: line 4: stylus.site.paletteEndpont: unknown key, the installer ignores it; did you mean paletteEndpoint?\n")
	require.Contains(t, stdout, hint+": OK (2 warnings)\n")

	bad := write("bad", "#cloud-config\nstylus:\n  site:\n    edgeHostToken: [tok-123]\n")
	code, stdout, stderr = runMain(t, "validate-user-data", bad)
	require.Equal(t, exitInput, code)
	require.Contains(t, stdout, bad+": error: line 4: stylus.site.edgeHostToken: must be a string, not a list\n")
	require.Contains(t, stderr, "canvos validate-user-data: "+bad+": line 4:")
	require.NotContains(t, stdout+stderr, "tok-123")

	code, _, stderr = runMain(t, "validate-user-data")
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr, "want one user-data file, got 0")
	code, _, _ = runMain(t, "validate-user-data", filepath.Join(dir, "none"))
	require.Equal(t, exitInput, code)
}
