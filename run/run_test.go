package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

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

func TestRunCancelKillsTool(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stopped by test")
	time.AfterFunc(100*time.Millisecond, func() { cancel(stop) })
	start := time.Now()
	_, err := Run(ctx, Cmd{Name: "sleep", Args: []string{"30"}})
	require.ErrorIs(t, err, stop)
	require.Less(t, time.Since(start), 10*time.Second)

	_, err = Run(ctx, Cmd{Name: "sleep", Args: []string{"30"}})
	require.ErrorContains(t, err, "not started")
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	t.Parallel()
	b := &tailBuffer{max: 4}
	for _, s := range []string{"ab", "cdef", "g", "0123456789"} {
		n, err := b.Write([]byte(s))
		require.NoError(t, err)
		require.Equal(t, len(s), n)
	}
	require.Equal(t, "6789", string(b.b))
	b = &tailBuffer{max: 4}
	b.Write([]byte("abc"))
	b.Write([]byte("de"))
	require.Equal(t, "bcde", string(b.b))
}

// TestToolDiesWithCanvos SIGKILLs a process that is running a tool through
// Run (this test binary, re-run as the helper below) and checks that the
// tool dies with it instead of running on as an orphan.
func TestToolDiesWithCanvos(t *testing.T) {
	if os.Getenv("RUN_TEST_HELPER") == "1" {
		_, err := Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", "echo $$; exec sleep 60"}})
		fmt.Println(err)
		os.Exit(1)
	}
	t.Parallel()
	helper := exec.Command(os.Args[0], "-test.run=^TestToolDiesWithCanvos$")
	helper.Env = append(os.Environ(), "RUN_TEST_HELPER=1")
	r, w, err := os.Pipe()
	require.NoError(t, err)
	helper.Stdout = w
	require.NoError(t, helper.Start())
	w.Close()
	// The tool's stdout is Run's buffer, not ours: find it as the helper's child.
	var tool int
	require.Eventually(t, func() bool { tool = childOf(helper.Process.Pid); return tool != 0 }, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, helper.Process.Kill())
	helper.Wait()
	r.Close()
	require.Eventually(t, func() bool { return !alive(tool) }, 5*time.Second, 20*time.Millisecond,
		"tool pid %d outlived its killed parent", tool)
}

// childOf returns a child pid of parent (started by any of its threads), or 0.
func childOf(parent int) int {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", parent))
	for _, task := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", parent, task.Name()))
		if f := strings.Fields(string(b)); len(f) > 0 {
			pid, _ := strconv.Atoi(f[0])
			return pid
		}
	}
	return 0
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}
