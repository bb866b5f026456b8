package scratch

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSweepRemovesOnlyLeftoversOfDeadProcesses(t *testing.T) {
	parent := t.TempDir()
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	deadPid := dead.Process.Pid
	live := os.Getppid() // the go test driver, running

	mk := func(name string, dir bool) string {
		p := filepath.Join(parent, name)
		if dir {
			require.NoError(t, os.MkdirAll(filepath.Join(p, "cOS"), 0o755))
		} else {
			require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
		}
		return p
	}
	leftDir := mk(fmt.Sprintf(".canvos-%d-raw-123", deadPid), true)
	leftFile := mk(fmt.Sprintf(".canvos-%d-k.raw-456", deadPid), false)
	sameID := mk(fmt.Sprintf(".canvos-%d-raw-789", os.Getpid()), true)
	running := mk(fmt.Sprintf(".canvos-%d-raw-1", live), true)
	user := mk(".canvos-notes", false)
	visible := mk(fmt.Sprintf("canvos-%d-raw-1", deadPid), true)

	removed, err := Sweep(parent)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{leftDir, leftFile, sameID}, removed)
	for _, p := range []string{running, user, visible} {
		_, err := os.Lstat(p)
		require.NoError(t, err, "%s was removed", p)
	}
}

func TestDirIsNamedForSweep(t *testing.T) {
	d, err := Dir(t.TempDir(), "maas")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(filepath.Base(d), fmt.Sprintf(".canvos-%d-maas-", os.Getpid())), d)
	pid, ok := owner(filepath.Base(d))
	require.True(t, ok)
	require.Equal(t, os.Getpid(), pid)
}
