package testutil

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Chroot is a temporary root with a static busybox as its userland, in which
// cloud-config steps and scripts run with their absolute paths intact
// (/bin/sh is dash, everything else busybox).
// Programs that touch the machine (mount, cryptsetup, blkid, …) are stubs
// that append their name and arguments to /trace.
type Chroot struct {
	t   testing.TB
	dir string
}

// traceStub is a stub's first line: log "name args" to /trace.
const traceStub = "#!/bin/sh\necho \"${0##*/} $*\" >>/trace\n"

// NewChroot builds the root; stubs maps a program name (on PATH, in /stub)
// or an absolute path to the shell text run after the trace line.
func NewChroot(t testing.TB, stubs map[string]string) *Chroot {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "chroot needs root")
	}
	tools := RequireTool(t, "chroot", "dash", "ldd", "cp")
	busybox := RequireFile(t, "/bin/busybox")
	c := &Chroot{t: t, dir: t.TempDir()}
	// cp, not os.WriteFile: an executable written by this process can be
	// "text file busy" while a parallel test forks.
	c.copyIn(tools[3], busybox, "/bin/busybox")
	out, err := exec.Command(tools[0], c.dir, "/bin/busybox", "--install", "-s", "/bin").CombinedOutput()
	require.NoError(t, err, "busybox --install (a static busybox is needed: busybox-static): %s", out)
	// busybox sh runs its own applets before PATH, so stubs would not be
	// found: the shell is dash, with its libraries.
	require.NoError(t, os.Remove(c.Path("/bin/sh")))
	c.copyIn(tools[3], tools[1], "/bin/sh")
	for _, lib := range sharedLibs(t, tools[2], tools[1]) {
		c.copyIn(tools[3], lib, lib)
	}
	require.NoError(t, os.MkdirAll(c.Path("/dev"), 0o755))
	require.NoError(t, syscall.Mknod(c.Path("/dev/null"), syscall.S_IFCHR|0o666, 1<<8|3)) // char 1:3
	require.NoError(t, os.Mkdir(c.Path("/tmp"), 0o755))
	require.NoError(t, os.Chmod(c.Path("/tmp"), 0o1777))
	for name, body := range stubs {
		p := name
		if !strings.HasPrefix(name, "/") {
			p = "/stub/" + name
		}
		c.Write(p, traceStub+body, 0o755)
	}
	return c
}

// Path is p inside the root, as a host path.
func (c *Chroot) Path(p string) string { return filepath.Join(c.dir, p) }

// copyIn copies the host file src to dst in the root with cp.
func (c *Chroot) copyIn(cp, src, dst string) {
	c.t.Helper()
	require.NoError(c.t, os.MkdirAll(filepath.Dir(c.Path(dst)), 0o755))
	out, err := exec.Command(cp, "-L", src, c.Path(dst)).CombinedOutput()
	require.NoError(c.t, err, "%s", out)
}

// Write creates the root's file p (and its directories).
func (c *Chroot) Write(p, content string, mode os.FileMode) {
	c.t.Helper()
	require.NoError(c.t, os.MkdirAll(filepath.Dir(c.Path(p)), 0o755))
	require.NoError(c.t, os.WriteFile(c.Path(p), []byte(content), mode))
}

// Read returns the root's file p ("" if it does not exist).
func (c *Chroot) Read(p string) string {
	b, _ := os.ReadFile(c.Path(p))
	return string(b)
}

// Symlink creates the root's symlink p → target.
func (c *Chroot) Symlink(target, p string) {
	c.t.Helper()
	require.NoError(c.t, os.MkdirAll(filepath.Dir(c.Path(p)), 0o755))
	require.NoError(c.t, os.Symlink(target, c.Path(p)))
}

// Sh runs script with the root's sh and returns its output and exit code.
func (c *Chroot) Sh(script string, args ...string) (string, int) {
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

// Trace returns the stub calls so far, one "name args" per line.
func (c *Chroot) Trace() []string {
	var calls []string
	for _, l := range strings.Split(c.Read("/trace"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			calls = append(calls, l)
		}
	}
	return calls
}
