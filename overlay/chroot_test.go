package overlay

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// chroot is a temporary root with a static busybox as its userland, in which
// cloud-config steps and scripts run with their absolute paths intact
// (/bin/sh is dash, everything else busybox).
// Programs that touch the machine (mount, cryptsetup, blkid, …) are stubs
// that append their name and arguments to /trace.
type chroot struct {
	t   *testing.T
	dir string
}

// traceStub is a stub's first line: log "name args" to /trace.
const traceStub = "#!/bin/sh\necho \"${0##*/} $*\" >>/trace\n"

// newChroot builds the root; stubs maps a program name (on PATH, in /stub)
// or an absolute path to the shell text run after the trace line.
func newChroot(t *testing.T, stubs map[string]string) *chroot {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.Missing(t, "chroot needs root")
	}
	tools := testutil.RequireTool(t, "chroot", "dash", "ldd", "cp")
	busybox := testutil.RequireFile(t, "/bin/busybox")
	c := &chroot{t: t, dir: t.TempDir()}
	// cp, not os.WriteFile: an executable written by this process can be
	// "text file busy" while a parallel test forks.
	c.copyIn(tools[3], busybox, "/bin/busybox")
	out, err := exec.Command(tools[0], c.dir, "/bin/busybox", "--install", "-s", "/bin").CombinedOutput()
	require.NoError(t, err, "busybox --install (a static busybox is needed: busybox-static): %s", out)
	// busybox sh runs its own applets before PATH, so stubs would not be
	// found: the shell is dash, with its libraries.
	require.NoError(t, os.Remove(c.path("/bin/sh")))
	c.copyIn(tools[3], tools[1], "/bin/sh")
	libs, err := exec.Command(tools[2], tools[1]).Output()
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`(/\S+) \(0x`).FindAllStringSubmatch(string(libs), -1) {
		c.copyIn(tools[3], m[1], m[1])
	}
	require.NoError(t, os.MkdirAll(c.path("/dev"), 0o755))
	require.NoError(t, syscall.Mknod(c.path("/dev/null"), syscall.S_IFCHR|0o666, 1<<8|3)) // char 1:3
	require.NoError(t, os.Mkdir(c.path("/tmp"), 0o755))
	require.NoError(t, os.Chmod(c.path("/tmp"), 0o1777))
	for name, body := range stubs {
		p := name
		if !strings.HasPrefix(name, "/") {
			p = "/stub/" + name
		}
		c.write(p, traceStub+body, 0o755)
	}
	return c
}

func (c *chroot) path(p string) string { return filepath.Join(c.dir, p) }

// copyIn copies the host file src to dst in the root with cp.
func (c *chroot) copyIn(cp, src, dst string) {
	c.t.Helper()
	require.NoError(c.t, os.MkdirAll(filepath.Dir(c.path(dst)), 0o755))
	out, err := exec.Command(cp, "-L", src, c.path(dst)).CombinedOutput()
	require.NoError(c.t, err, "%s", out)
}

func (c *chroot) write(p, content string, mode os.FileMode) {
	c.t.Helper()
	require.NoError(c.t, os.MkdirAll(filepath.Dir(c.path(p)), 0o755))
	require.NoError(c.t, os.WriteFile(c.path(p), []byte(content), mode))
}

func (c *chroot) read(p string) string { return read(c.path(p)) }

func (c *chroot) symlink(target, p string) {
	c.t.Helper()
	require.NoError(c.t, os.MkdirAll(filepath.Dir(c.path(p)), 0o755))
	require.NoError(c.t, os.Symlink(target, c.path(p)))
}

// sh runs script with the root's sh and returns its output and exit code.
func (c *chroot) sh(script string, args ...string) (string, int) {
	c.t.Helper()
	cmd := exec.Command("chroot", append([]string{c.dir, "/bin/sh", "-c", script, "sh"}, args...)...)
	cmd.Env = []string{"PATH=/stub:/bin", "HOME=/"}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		c.t.Fatal(err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// trace returns the stub calls so far, one "name args" per line.
func (c *chroot) trace() []string {
	var calls []string
	for _, l := range strings.Split(c.read("/trace"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			calls = append(calls, l)
		}
	}
	return calls
}

// runStage runs a stage as yip does: each step whose `if` succeeds runs its
// commands one by one, each with sh -c, going on after a failing one. It
// returns the names of the steps that ran.
func (c *chroot) runStage(cfg yipConfig, stage string) []string {
	c.t.Helper()
	var ran []string
	for _, step := range cfg.Stages[stage] {
		if step.If != "" {
			if _, code := c.sh(step.If); code != 0 {
				continue
			}
		}
		ran = append(ran, step.Name)
		for _, cmd := range step.Commands {
			c.sh(cmd)
		}
	}
	return ran
}
