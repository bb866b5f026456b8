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

// exitSignal + the signal number is the exit code of a run a signal stopped,
// as a shell reports it (130 for SIGINT, 143 for SIGTERM).
const exitSignal = 128

func main() {
	os.Exit(Main(signalContext(), os.Args[1:], os.Stdout, os.Stderr))
}

// signalContext is cancelled by the first SIGINT or SIGTERM, with an
// interrupted cause; a second one ends the process at once (the default
// action), as a user pressing Ctrl-C twice expects.
func signalContext() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Stop(sigs)
		cancel(interrupted{s.(syscall.Signal)})
	}()
	return ctx
}

// interrupted is the cause of a context a signal cancelled.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string {
	return fmt.Sprintf("interrupted by signal %d (%v): stopped, nothing written", int(i.sig), i.sig)
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
	var sig interrupted
	if errors.As(context.Cause(ctx), &sig) {
		fmt.Fprintf(stderr, "canvos %s: %v\n", c.name, sig)
		return exitSignal + int(sig.sig)
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
