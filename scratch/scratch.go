// Package scratch names a run's temporary files and directories after its
// process id, so a later run can tell the leftovers of a killed one (SIGKILL
// runs no cleanup) from the work of a run still going, and remove them.
package scratch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// namePrefix starts every name Pattern makes; Sweep looks for nothing else.
const namePrefix = ".canvos-"

// Pattern is the os.MkdirTemp / os.CreateTemp pattern for what:
// ".canvos-<pid>-<what>-<random>", hidden because it may sit next to the
// user's output.
func Pattern(what string) string {
	return fmt.Sprintf("%s%d-%s-*", namePrefix, os.Getpid(), what)
}

// Dir creates a scratch directory in parent named by Pattern.
func Dir(parent, what string) (string, error) {
	d, err := os.MkdirTemp(parent, Pattern(what))
	if err != nil {
		return "", fmt.Errorf("scratch: %w", err)
	}
	return d, nil
}

// Sweep removes the entries of parent that Pattern named and whose process
// is gone, and returns their paths. Call it before the run creates its own:
// an entry with this process' id is then a leftover of an earlier process
// that had the same id (a container's).
func Sweep(parent string) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, fmt.Errorf("scratch: %w", err)
	}
	var removed []string
	for _, e := range entries {
		pid, ok := owner(e.Name())
		if !ok || (pid != os.Getpid() && alive(pid)) {
			continue
		}
		p := filepath.Join(parent, e.Name())
		if err := os.RemoveAll(p); err != nil {
			return removed, fmt.Errorf("scratch: leftover of killed process %d: %w", pid, err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}

// owner parses the pid out of a Pattern name.
func owner(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, namePrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(digits)
	return pid, ok && err == nil && pid > 0
}

// alive reports whether process pid exists (EPERM: it does, as another user).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
