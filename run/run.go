// Package run executes the external file-level tools (mksquashfs, mkfs.ext4,
// mkfs.fat, mcopy, …) that pure cores describe as Cmd values. Builders return
// commands so their argv can be asserted in unit tests; this package is the one
// place that runs them.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ErrToolMissing is returned when a command's program is not on PATH.
var ErrToolMissing = errors.New("tool not found on PATH")

// Cmd is one external command, described but not yet run.
type Cmd struct {
	Name string   // program, looked up on PATH
	Args []string // arguments, without the program name
	Dir  string   // working directory; empty means the current one
	Env  []string // extra KEY=VALUE entries added to the inherited environment
}

func (c Cmd) String() string {
	return strings.Join(append([]string{c.Name}, c.Args...), " ")
}

// stderrTail is how much of a failed command's stderr goes into the error.
const stderrTail = 2048

// waitDelay bounds the wait for a killed tool's pipes after ctx is done.
const waitDelay = 5 * time.Second

// Run runs c and returns its stdout. On failure the error holds the exit
// status and the tail of stderr, which is where these tools say what went
// wrong. When ctx is done the tool is killed and the error wraps ctx's cause;
// when this process dies, the kernel kills the tool too (dieWithParent), so
// no mksquashfs keeps writing into a scratch directory nobody owns.
func Run(ctx context.Context, c Cmd) ([]byte, error) {
	path, err := exec.LookPath(c.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, ErrToolMissing)
	}
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("%s: not started: %w", c.Name, err)
	}
	cmd := exec.CommandContext(ctx, path, c.Args...)
	cmd.Dir = c.Dir
	cmd.SysProcAttr = dieWithParent()
	cmd.WaitDelay = waitDelay
	if len(c.Env) > 0 {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: stderrTail}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			return nil, fmt.Errorf("%s: killed: %w", c.Name, cause)
		}
		return nil, fmt.Errorf("%s: %w: %s", c.Name, err, strings.TrimSpace(string(stderr.b)))
	}
	return stdout.Bytes(), nil
}

// tailBuffer keeps the last max bytes written to it: a tool that prints a
// usage dump or a progress bar per file cannot fill memory.
type tailBuffer struct {
	b   []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > t.max {
		p = p[len(p)-t.max:]
	}
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return n, nil
}
