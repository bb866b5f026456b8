package main

import (
	"context"
	"fmt"

	"dagger/canvos/inputfile"
	"dagger/canvos/userdata"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "validate-user-data", summary: "check a user-data file offline (our checks; CanvOS +validate-user-data runs palette-edge-cli)", run: runValidateUserData})
}

// runValidateUserData prints every finding of userdata.Check, one per line,
// and fails on errors. It is the check iso, uki-iso and raw run too.
func runValidateUserData(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "validate-user-data")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: canvos validate-user-data FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return parseFlags(fs, args)
	}
	if fs.NArg() != 1 {
		return usererr.Newf("arguments", "want one user-data file, got %d", fs.NArg())
	}
	path := fs.Arg(0)
	b, err := inputfile.Read(path, path, inputfile.UserDataLimit)
	if err != nil {
		return err
	}
	r := userdata.Check(b)
	for _, f := range r {
		kind := "error"
		if f.Warning {
			kind = "warning"
		}
		fmt.Fprintf(e.stdout, "%s: %s: %s\n", path, kind, f)
	}
	if err := r.Err(path); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: OK (%d warnings)\n", path, len(r))
	return nil
}
