package main

import (
	"context"

	"dagger/canvos/secureboot"
)

func init() {
	register(command{name: "secure-boot-dirs", summary: "create or complete secure-boot/ (enrollment, exported-keys, private-keys, public-keys), keeping its files", run: runSecureBootDirs})
}

func runSecureBootDirs(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "secure-boot-dirs")
	dir := fs.String("dir", "secure-boot", "the key tree directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	changed, err := secureboot.EnsureDirs(*dir)
	for _, c := range changed {
		e.printf("secure-boot-dirs: %s/%s", *dir, c)
	}
	if err == nil && len(changed) == 0 {
		e.printf("secure-boot-dirs: %s is complete", *dir)
	}
	return err
}
