package main

import (
	"context"
	"flag"
	"fmt"

	"dagger/canvos/installer/iso"
)

// ukiDefaults switches verify's defaults to a UKI ISO's (label
// UKI_ISO_INSTALL, no BIOS boot) unless the flags were given.
func ukiDefaults(fs *flag.FlagSet, x *iso.Expect) {
	if !x.UKI {
		return
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["label"] {
		x.Label = iso.UKILabel
	}
	if !set["bios"] {
		x.BIOS = false
	}
}

// ukiESPProblems prints the files of a UKI ISO's ESP and returns what
// systemd-boot would miss there.
func ukiESPProblems(ctx context.Context, e *env, p string, r iso.Report) ([]string, error) {
	return espProblems(ctx, e, p, r, iso.UKIESPProblems)
}

// espProblems prints the files of the ISO's ESP (El Torito UEFI image) and
// returns what check finds missing there.
func espProblems(ctx context.Context, e *env, p string, r iso.Report, check func([]string) []string) ([]string, error) {
	uefi := false
	for _, b := range r.Boot {
		uefi = uefi || b.Platform == "UEFI"
	}
	if !uefi {
		return nil, nil // Problems already says so
	}
	files, err := iso.ESPFiles(ctx, p, r)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", p, err)
	}
	for _, f := range files {
		fmt.Fprintf(e.stdout, "esp:    /%s\n", f)
	}
	return check(files), nil
}
