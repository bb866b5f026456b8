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

// Run runs c and returns its stdout. On failure the error holds the exit
// status and the tail of stderr, which is where these tools say what went wrong.
func Run(ctx context.Context, c Cmd) ([]byte, error) {
	path, err := exec.LookPath(c.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, ErrToolMissing)
	}
	cmd := exec.CommandContext(ctx, path, c.Args...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		tail := stderr.Bytes()
		if len(tail) > stderrTail {
			tail = tail[len(tail)-stderrTail:]
		}
		return nil, fmt.Errorf("%s: %w: %s", c.Name, err, strings.TrimSpace(string(tail)))
	}
	return stdout.Bytes(), nil
}
