package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// TestParseMatchesBash checks the parser against the shell CanvOS' earthly.sh
// sources .arg with: every accepted form assigns what bash assigns. Only
// inputs Parse accepts are run, and those hold nothing but assignments.
func TestParseMatchesBash(t *testing.T) {
	t.Parallel()
	bash := testutil.RequireTool(t, "bash")[0]
	inputs := map[string]string{"template": templateArg}
	for _, c := range syntaxCases {
		// bash keeps the \r of CRLF lines in values; accepting Windows
		// line endings is a deliberate difference.
		if !strings.Contains(c.in, "\r") {
			inputs[c.name] = c.in
		}
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, errs := Parse(".arg", []byte(in), nil)
			require.Empty(t, errs)
			want := map[string]string{}
			var keys []string
			for _, a := range got {
				want[a.Key] = a.Value
				keys = append(keys, a.Key)
			}
			path := filepath.Join(t.TempDir(), ".arg")
			require.NoError(t, os.WriteFile(path, []byte(in), 0o600))
			// Print each key's final value NUL-terminated, from a clean environment.
			script := `source "$1" && shift && for k in "$@"; do printf '%s=%s\0' "$k" "${!k}"; done`
			out, err := exec.Command("env", append([]string{"-i", bash, "--norc", "--noprofile", "-c", script, "bash", path}, keys...)...).Output()
			require.NoError(t, err)
			fromBash := map[string]string{}
			for _, kv := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					fromBash[k] = v
				}
			}
			require.Equal(t, want, fromBash)
		})
	}
}
