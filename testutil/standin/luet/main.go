// Command luet stands in for luet in the stand-in third-party image: a
// static ELF (the UKI ISO takes only a real executable) that answers the
// calls of the payload step (provider/scripts/luet-install.sh) and records
// the repository and package it was asked for in the payload, with a
// k3s-like executable, so a test can see that the plan's values reached
// luet. Any other call fails.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

const state = "/tmp/luet-standin-repo"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "luet stand-in:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) >= 2 && args[0] == "repo" && args[1] == "add":
		i := slices.Index(args, "--url")
		if i < 0 || i+1 >= len(args) {
			return fmt.Errorf("repo add without --url: %q", args)
		}
		return os.WriteFile(state, []byte(args[i+1]), 0o644)
	case len(args) == 2 && args[0] == "repo" && args[1] == "update", len(args) == 1 && args[0] == "cleanup":
		return nil
	case len(args) == 5 && args[0] == "install" && args[1] == "-y" && args[3] == "--system-target":
		repo, err := os.ReadFile(state)
		if err != nil {
			return fmt.Errorf("install before repo add: %w", err)
		}
		pkg, target := args[2], args[4]
		record := fmt.Sprintf("repo=%s\npackage=%s\n", repo, pkg)
		if err := write(filepath.Join(target, "etc/canvos-standin/luet-install"), record, 0o644); err != nil {
			return err
		}
		return write(filepath.Join(target, "usr/bin/k3s"), fmt.Sprintf("#!/bin/sh\necho %q\n", pkg+" (canvos stand-in)"), 0o755)
	}
	return fmt.Errorf("unexpected call: %q", args)
}

func write(p, data string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(data), mode)
}
