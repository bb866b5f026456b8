package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"dagger/canvos/config"
	"dagger/canvos/inputfile"
)

func init() {
	register(command{name: "plan", summary: "show what a CanvOS .arg file builds: images, tags, file names, profile", run: runPlan})
}

// overrides collects repeated --set KEY=VALUE flags.
type overrides []config.Override

func (o *overrides) String() string { return fmt.Sprint(*o) }

func (o *overrides) Set(s string) error {
	ov, err := config.ParseOverride(s)
	if err != nil {
		return err
	}
	*o = append(*o, ov)
	return nil
}

func runPlan(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "plan")
	argFile := fs.String("arg-file", "", "CanvOS .arg file (KEY=VALUE lines); none: CanvOS defaults")
	var sets overrides
	fs.Var(&sets, "set", "override a parameter, KEY=VALUE (repeatable; wins over the file)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(e, *argFile, sets)
	if err != nil {
		return err
	}
	out := []byte(cfg.Plan().Text())
	if *asJSON {
		if out, err = cfg.JSON(); err != nil {
			return err
		}
	}
	_, err = e.stdout.Write(out)
	return err
}

// loadConfig reads the .arg file (if any), applies the overrides and prints
// the warnings; every verb that takes CanvOS parameters uses it. The .arg
// file's directory is the build context: a k8s_version.json there replaces
// the embedded Kubernetes matrix, as editing it does in CanvOS.
func loadConfig(e *env, argFile string, sets []config.Override) (config.Config, error) {
	var data []byte
	var opts []config.Option
	if argFile != "" {
		var err error
		if data, err = inputfile.Read("--arg-file", argFile, inputfile.ArgFileLimit); err != nil {
			return config.Config{}, err
		}
		matrix := filepath.Join(filepath.Dir(argFile), "k8s_version.json")
		if _, err := os.Stat(matrix); err == nil {
			m, err := inputfile.Read("--arg-file", matrix, inputfile.SmallLimit)
			if err != nil {
				return config.Config{}, err
			}
			opts = append(opts, config.WithMatrixFile(matrix, m))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return config.Config{}, inputfile.OpenErr("--arg-file", err)
		}
	}
	cfg, warnings, err := config.Load(argFile, data, sets, opts...)
	for _, w := range warnings {
		e.printf("warning: %s", w)
	}
	if err != nil {
		return config.Config{}, problems{err}
	}
	return cfg, nil
}

// problems lists every configuration problem on its own indented line.
type problems struct{ err error }

func (p problems) Error() string {
	return "invalid configuration:\n  " + strings.ReplaceAll(p.err.Error(), "\n", "\n  ")
}

func (p problems) Unwrap() error { return p.err }
