package run

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunStdout(t *testing.T) {
	t.Parallel()
	out, err := Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", "printf %s-%s \"$X\" \"$PWD\""}, Env: []string{"X=42"}, Dir: "/"})
	require.NoError(t, err)
	require.Equal(t, "42-/", string(out))
}

func TestRunFailureCarriesStderrTail(t *testing.T) {
	t.Parallel()
	// 3000 bytes of noise, then the line that says what went wrong.
	script := `head -c 3000 /dev/zero | tr '\0' x >&2; echo >&2; echo "mkfs: disk full" >&2; exit 3`
	_, err := Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", script}})
	require.ErrorContains(t, err, "exit status 3")
	require.ErrorContains(t, err, "mkfs: disk full")
	require.Less(t, len(err.Error()), stderrTail+100, "only the tail of stderr")
}

func TestRunMissingTool(t *testing.T) {
	t.Parallel()
	_, err := Run(context.Background(), Cmd{Name: "canvos-no-such-tool"})
	require.ErrorIs(t, err, ErrToolMissing)
	require.ErrorContains(t, err, "canvos-no-such-tool")
}

func TestCmdString(t *testing.T) {
	t.Parallel()
	c := Cmd{Name: "mksquashfs", Args: []string{"root", "out.sqfs", "-comp", "zstd"}}
	require.Equal(t, "mksquashfs root out.sqfs -comp zstd", c.String())
}
