// Command canvos is the worker CLI: it builds CanvOS artifacts (plans, keys,
// UKIs, ISOs, raw and MAAS disks) from files, without privileges. It is a user
// tool that works without Dagger, and the process the Dagger functions run in
// their worker container.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"dagger/canvos/run"
	"dagger/canvos/usererr"
)

// command is one verb of the CLI. Each verb lives in its own file and
// registers itself from init.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a verb may touch of the process: its output streams and a
// progress printer (stderr, which Dagger shows).
type env struct {
	stdout, stderr io.Writer
}

func (e *env) printf(format string, args ...any) {
	fmt.Fprintf(e.stderr, format+"\n", args...)
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("canvos: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// Exit codes: what kind of failure, so scripts and the Dagger layer can react.
const (
	exitFailure = 1 // I/O or an unexpected failure
	exitInput   = 2 // bad flags, parameters or input files
	exitTool    = 3 // a required external tool is missing
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Main runs the CLI with args (without the program name) and returns the exit
// code. Tests call it directly.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitInput
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "canvos: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitInput
	}
	err := c.run(ctx, e, args[1:])
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "canvos %s: %v\n", c.name, err)
	switch {
	case errors.Is(err, usererr.ErrInvalid):
		return exitInput
	case errors.Is(err, run.ErrToolMissing):
		return exitTool
	}
	return exitFailure
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: canvos <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'canvos <command> -h' for the flags of a command.")
}

// newFlags returns a flag set for a verb whose parse errors are input errors.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("canvos "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args and turns flag errors into input errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usererr.Newf("flags", "%v", err)
	}
	if fs.NArg() > 0 {
		return usererr.Newf("arguments", "unexpected %q", fs.Args())
	}
	return nil
}
