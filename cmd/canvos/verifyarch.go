package main

import (
	"context"
	"flag"

	"dagger/canvos/installer/iso"
)

// archDefaults checks --arch and, for an architecture without BIOS
// (arm64), drops the BIOS requirement unless --bios was given.
func archDefaults(fs *flag.FlagSet, x *iso.Expect, a iso.Arch) error {
	if a == "" {
		return nil
	}
	if err := iso.CheckArch(a); err != nil {
		return err
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "bios" })
	if !set {
		x.BIOS = x.BIOS && a.HasBIOS()
	}
	return nil
}

// archESPProblems prints the ESP's files and returns what the
// architecture's boot chain (shim + GRUB at EFI/BOOT) misses there.
func archESPProblems(ctx context.Context, e *env, p string, r iso.Report, a iso.Arch) ([]string, error) {
	return espProblems(ctx, e, p, r, func(files []string) []string { return iso.ArchESPProblems(files, a) })
}
