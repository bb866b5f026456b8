package main

// Safety tests of the built binary: signals at every stage, memory bounds.
// They run canvos as a child process, because a SIGKILL cannot be tested in
// the process that would receive it.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

var canvosBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "canvos-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "canvos")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
})

// builtCanvos is the canvos binary built from this package.
func builtCanvos(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	bin, err := canvosBin()
	require.NoError(t, err)
	return bin
}

// randomFile writes n incompressible bytes, the same for the same seed, so
// the squashfs, ISO 9660 and gzip stages last long enough to be hit.
func randomFile(t *testing.T, p string, n int, seed uint64) {
	t.Helper()
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := 0; i+8 <= len(b); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, b, 0o644))
}

// run is one canvos child in its own process group.
type child struct {
	cmd    *exec.Cmd
	lines  chan string // stderr, line by line; closed at EOF
	stderr strings.Builder
	mu     sync.Mutex
}

func startCanvos(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(builtCanvos(t), args...), lines: make(chan string, 1000)}
	c.cmd.Env = append(append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000"), env...)
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, err := c.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, c.cmd.Start())
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			c.mu.Lock()
			c.stderr.WriteString(s.Text() + "\n")
			c.mu.Unlock()
			c.lines <- s.Text()
		}
		close(c.lines)
	}()
	return c
}

func (c *child) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

// await returns once a line starting with prefix was printed; false at EOF.
func (c *child) await(prefix string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				return false
			}
			if strings.HasPrefix(l, prefix) {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// wait drains stderr and returns the exit status.
func (c *child) wait(t *testing.T) syscall.WaitStatus {
	t.Helper()
	for range c.lines {
	}
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			require.NoError(t, err)
		}
	case <-time.After(2 * time.Minute):
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("canvos did not exit: %s", c.output())
	}
	return c.cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// groupMembers lists the live processes of process group pgid.
func groupMembers(pgid int) []string {
	var out []string
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", p.Name(), "stat"))
		if err != nil {
			continue
		}
		_, rest, _ := strings.Cut(string(b), ") ")
		f := strings.Fields(rest) // state ppid pgrp …
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			comm, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
			out = append(out, fmt.Sprintf("%d %s", pid, strings.TrimSpace(string(comm))))
		}
	}
	return out
}

// leftovers lists the .canvos-* entries (scratch dirs, temporary outputs) in dirs.
func leftovers(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		require.NoError(t, err)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".canvos-") {
				out = append(out, filepath.Join(d, e.Name()))
			}
		}
	}
	return out
}

// toolDelay is how long slowTools holds each tool before it starts.
const toolDelay = 700 * time.Millisecond

// slowTools puts shims for tools first on PATH: each waits toolDelay, in its
// own process (bash's read on a FIFO, no child), then becomes the real tool.
// A signal at a tool's stage then always finds the tool running, and an
// orphaned tool stays visible in the process group for longer than the test
// waits for the group to empty.
func slowTools(t *testing.T, tools ...string) []string {
	t.Helper()
	bin := t.TempDir()
	fifo := filepath.Join(bin, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, tool := range tools {
		real := testutil.RequireTool(t, tool)[0]
		script := fmt.Sprintf("#!/bin/bash\nread -t %.1f <> %q\nexec %q \"$@\"\n", toolDelay.Seconds(), fifo, real)
		require.NoError(t, os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755))
	}
	return []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
}

// killCase is one verb: its arguments, its outputs and the progress lines
// that start its stages.
type killCase struct {
	args    []string
	outputs []string // must not exist after a stopped run
	dirs    []string // output and scratch directories
	stages  []stage
}

// stage is where a signal lands: when the line starting with prefix is
// printed, or, for a stage that runs tool (slowed by slowTools), once it runs.
type stage struct {
	prefix, tool string
}

// killAtEveryStage sends SIGKILL, SIGINT and SIGTERM when each stage's
// progress line appears and checks the run stopped there cleanly: exit code
// 128+signal (or killed), no process left in its group, no output, and no
// scratch left, except after SIGKILL, which runs no cleanup: then the next run
// must report and remove what it left.
func killAtEveryStage(t *testing.T, kc killCase) {
	var left []string // from the previous SIGKILL
	for _, st := range kc.stages {
		for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT, syscall.SIGTERM} {
			var env []string
			if st.tool != "" {
				env = slowTools(t, st.tool)
			}
			name := fmt.Sprintf("%v at %q", sig, st.prefix)
			c, ws := signalAt(t, kc, st, sig, env)
			pid := c.cmd.Process.Pid
			if sig == syscall.SIGKILL {
				require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "%s: %v", name, ws)
			} else {
				require.Equal(t, 128+int(sig), ws.ExitStatus(), "%s: %s", name, c.output())
				require.Contains(t, c.output(), "interrupted by signal", name)
			}
			require.Eventually(t, func() bool { return len(groupMembers(pid)) == 0 }, toolDelay/3, 10*time.Millisecond,
				"%s: processes left in the group: %v", name, groupMembers(pid))
			for _, p := range kc.outputs {
				_, err := os.Lstat(p)
				require.ErrorIs(t, err, os.ErrNotExist, "%s: %s exists", name, p)
			}
			for _, p := range left {
				require.Contains(t, c.output(), "removed "+p+", left by a killed run", name)
			}
			left = leftovers(t, kc.dirs...)
			if sig != syscall.SIGKILL {
				require.Empty(t, left, "%s: scratch left", name)
			}
		}
	}
	// The last SIGKILL's leftovers: a run that fails its checks does not
	// sweep, a run that starts does.
	c := startCanvos(t, nil, kc.args...)
	require.True(t, c.await(kc.stages[0].prefix, time.Minute), c.output())
	syscall.Kill(c.cmd.Process.Pid, syscall.SIGINT)
	c.wait(t)
	for _, p := range left {
		require.Contains(t, c.output(), "removed "+p+", left by a killed run")
	}
	require.Empty(t, leftovers(t, kc.dirs...))
}

// signalAt runs canvos and sends sig when stage st starts. A stage without
// a slowed tool (in-process work, such as hashing the finished file) can be
// over before the signal lands; such a run must have completed its outputs
// whole, and is tried again, up to five times, until one is stopped.
func signalAt(t *testing.T, kc killCase, st stage, sig syscall.Signal, env []string) (*child, syscall.WaitStatus) {
	t.Helper()
	for try := 1; ; try++ {
		c := startCanvos(t, env, kc.args...)
		require.True(t, c.await(st.prefix, time.Minute), "no %q line: %s", st.prefix, c.output())
		if st.tool != "" {
			time.Sleep(toolDelay / 3)
		}
		require.NoError(t, syscall.Kill(c.cmd.Process.Pid, sig))
		ws := c.wait(t)
		if st.tool != "" || !ws.Exited() || ws.ExitStatus() != 0 || try == 5 {
			return c, ws
		}
		for _, p := range kc.outputs {
			fi, err := os.Stat(p)
			require.NoError(t, err, "a run that finished before %v must have written %s", sig, p)
			require.NotZero(t, fi.Size(), p)
			require.NoError(t, os.Remove(p))
		}
		t.Logf("%v at %q: the run finished before the signal landed (try %d); again", sig, st.prefix, try)
	}
}

func TestKillISO(t *testing.T) {
	root := isoRootfs(t)
	randomFile(t, filepath.Join(root, "opt/blob"), 24<<20, 1)
	outDir, scratchDir := t.TempDir(), t.TempDir()
	out := filepath.Join(outDir, "installer.iso")
	killAtEveryStage(t, killCase{
		args:    []string{"iso", "--rootfs", root, "--out", out, "--scratch", scratchDir},
		outputs: []string{out, out + ".sha256"},
		dirs:    []string{outDir, scratchDir},
		stages: []stage{{"squashfs:", "mksquashfs"}, {"boot:", ""}, {"esp:", "mkfs.fat"}, {"bios:", "grub-mkimage"},
			{"iso9660:", ""}, {"fixups:", ""}, {"sha256:", ""}},
	})
}

func TestKillRaw(t *testing.T) {
	testutil.RequireTool(t, "mksquashfs", "mke2fs", "mkfs.fat", "mcopy", "debugfs")
	root := testutil.KairosRootfs(t)
	randomFile(t, filepath.Join(root, "opt/blob"), 24<<20, 2)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "kairos.raw")
	killAtEveryStage(t, killCase{
		args:    []string{"raw", "--rootfs", root, "--out", out},
		outputs: []string{out},
		dirs:    []string{outDir},
		stages: []stage{{"raw: squashfs", "mksquashfs"}, {"raw: mkfs.fat", "mkfs.fat"}, {"raw: mcopy", "mcopy"},
			{"raw: mke2fs COS_OEM", "mke2fs"}, {"raw: mke2fs COS_RECOVERY", "mke2fs"}},
	})
}

func TestKillMAAS(t *testing.T) {
	testutil.RequireTool(t, "mksquashfs", "mke2fs", "mkfs.fat", "mcopy", "debugfs")
	dir := t.TempDir()
	raw := filepath.Join(dir, "kairos.raw")
	code, stderr := runCLI(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "raw", "--rootfs", testutil.KairosRootfs(t), "--out", raw)
	require.Equal(t, 0, code, stderr)
	ubuntu := testutil.UbuntuRootfs(t, []byte("k"), []byte("i"))
	randomFile(t, filepath.Join(ubuntu, "opt/blob"), 48<<20, 3)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "site.raw.gz")
	killAtEveryStage(t, killCase{
		args:    []string{"maas", "--kairos-raw", raw, "--ubuntu-rootfs", ubuntu, "--out-dir", outDir, "--name", "site", "--ubuntu-rootfs-size", "256"},
		outputs: []string{out, out + ".sha256"},
		dirs:    []string{outDir},
		stages:  []stage{{"maas: copy", ""}, {"maas: ubuntu_rootfs", "mke2fs"}, {"maas: compressing", ""}},
	})
}

// TestMemoryBound: an endless .arg file and a 300 MB user-data are refused
// after reading one byte over their limit; the process stays small and the
// message short.
func TestMemoryBound(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "user-data")
	f, err := os.Create(big)
	require.NoError(t, err)
	_, err = f.WriteString("#cloud-config\n")
	require.NoError(t, err)
	require.NoError(t, f.Truncate(300_000_000))
	require.NoError(t, f.Close())
	rootfs := t.TempDir()
	timeBin := testutil.RequireTool(t, "time")[0]
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--arg-file", "/dev/zero"}, "--arg-file: /dev/zero is larger than 1 MiB"},
		{[]string{"raw", "--rootfs", rootfs, "--out", filepath.Join(dir, "k.raw"), "--user-data", big}, "--user-data: " + big + " is larger than 8 MiB"},
		{[]string{"iso", "--rootfs", isoRootfs(t), "--out", filepath.Join(dir, "i.iso"), "--user-data", big}, "--user-data: " + big + " is larger than 8 MiB"},
	} {
		// /usr/bin/time measures: the rusage a Go parent gets back is no
		// good, as its vfork-style exec counts the parent's own peak. A
		// 2 GiB address-space cap makes a regression fail here instead of
		// growing until the OOM killer picks something.
		report := filepath.Join(t.TempDir(), "time")
		cmd := exec.Command("sh", append([]string{"-c", `ulimit -v 2097152 && exec /usr/bin/time -v -o "$0" "$@"`, report, timeBin, builtCanvos(t)}, c.args...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		cmd.Stdout = io.Discard
		err := cmd.Run()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, stderr.String())
		require.Equal(t, exitInput, ee.ExitCode(), stderr.String())
		require.Contains(t, stderr.String(), c.want)
		require.Less(t, stderr.Len(), 300, "a short message: %s", stderr.String())
		maxRSS := maxRSSFromTime(t, report)
		t.Logf("%s: max RSS %d KiB", c.args[0], maxRSS>>10)
		require.Less(t, maxRSS, int64(100<<20), "%v: max RSS %d bytes", c.args, maxRSS)
	}
}

// maxRSSFromTime reads "Maximum resident set size (kbytes)" from a
// /usr/bin/time -v report, in bytes.
func maxRSSFromTime(t *testing.T, report string) int64 {
	t.Helper()
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Maximum resident set size (kbytes): "); ok {
			kib, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err)
			return kib << 10
		}
	}
	t.Fatalf("no maximum RSS in %s", b)
	return 0
}

// TestDirectoryOutputsAllOrNothing: a signal (a context cancelled with the
// cause main gives it) stops uki-esp and genkey before their directory
// outputs appear; exit 143, no tree, no empty directories, nothing staged
// left. The same run without the signal writes the tree.
func TestDirectoryOutputsAllOrNothing(t *testing.T) {
	testutil.RequireTool(t, "mkfs.fat", "mcopy", "mmd")
	testutil.RequireFile(t, defaultStub)
	testutil.RequireFile(t, defaultSDBoot)
	keys, kernel, initrd := ukiInputs(t)
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	for name, args := range map[string]func(out string) []string{
		"uki-esp": func(out string) []string {
			return []string{"uki-esp", "--kernel", kernel, "--initrd", initrd, "--keys", keys, "--out-dir", out}
		},
		"genkey": func(out string) []string { return []string{"genkey", "--org", "o", "--key-size", "2048", "--out", out} },
	} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "tree")
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(interrupted{syscall.SIGTERM})
			var stdout, stderr bytes.Buffer
			require.Equal(t, 128+int(syscall.SIGTERM), Main(ctx, args(out), &stdout, &stderr), stderr.String())
			require.Contains(t, stderr.String(), "interrupted by signal 15")
			entries, err := os.ReadDir(parent)
			require.NoError(t, err)
			require.Empty(t, entries, "a stopped run left something")

			code, stderr2 := canvos(t, args(out)...)
			require.Equal(t, 0, code, stderr2)
			entries, err = os.ReadDir(out)
			require.NoError(t, err)
			require.NotEmpty(t, entries)
			entries, err = os.ReadDir(parent)
			require.NoError(t, err)
			require.Len(t, entries, 1, "only the tree: no staging left")
		})
	}
}
