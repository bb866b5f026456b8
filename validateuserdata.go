package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"

	"dagger/canvos/config"
	"dagger/canvos/inputfile"
	"dagger/canvos/internal/dagger"
	"dagger/canvos/userdata"
	"dagger/canvos/usererr"
)

// paletteEdgeCLI is where CLI_IMAGE carries the validator (CanvOS
// +validate-user-data chmods and runs it there).
const paletteEdgeCLI = "/usr/local/bin/palette-edge-cli"

// maxUserData bounds the user-data read into the module: the CLI's limit.
const maxUserData = inputfile.UserDataLimit

// ValidateUserData checks user-data like CanvOS' validate-user-data target
// does, with palette-edge-cli validate -f from CLI_IMAGE
// ($SPECTRO_PUB_REPO/edge/palette-edge-cli[-fips]-$ARCH:$PE_VERSION), after
// this module's own offline checks (the ones every verb runs: #cloud-config,
// YAML, stylus keys and types, unknown keys, the admin-user hint). Fails on
// either verdict; returns both reports. iso, uki-iso and build-all run it
// first when they ship a user-data; without-palette-edge-cli keeps only the
// offline checks.
func (m *Canvos) ValidateUserData(
	ctx context.Context,
	// user-data to check; the build context's user-data when absent
	// +optional
	userData *dagger.File,
) (string, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return "", err
	}
	if userData, err = m.shippedUserData(ctx, userData, true); err != nil {
		return "", err
	}
	if userData == nil {
		return "user-data file does not exist.\n", nil // CanvOS' words
	}
	return m.validateUserData(ctx, cfg, userData)
}

// WithoutPaletteEdgeCli keeps validate-user-data, iso, uki-iso and build-all
// from running palette-edge-cli (CLI_IMAGE) on the user-data: for
// air-gapped builds without that image. The offline checks still run.
func (m *Canvos) WithoutPaletteEdgeCli() *Canvos {
	mm := *m
	mm.NoPaletteEdgeCli = true
	return &mm
}

// validateUserData runs the offline checks in the module and, unless
// without-palette-edge-cli, palette-edge-cli in CLI_IMAGE, waiting for its
// verdict so that a caller fails before it builds anything. A nil file
// passes.
func (m *Canvos) validateUserData(ctx context.Context, cfg config.Config, f *dagger.File) (string, error) {
	if f == nil {
		return "", nil
	}
	// Read into the module only what a user-data can be (CanvOS' are a few KiB).
	if size, err := f.Size(ctx); err != nil || size > maxUserData {
		return "", cmp.Or(err, usererr.New("user-data", fmt.Sprintf("%d bytes", size), fmt.Sprintf("at most %d bytes", maxUserData)))
	}
	b, err := f.Contents(ctx)
	if err != nil {
		return "", fmt.Errorf("validate-user-data: %w", err)
	}
	r := userdata.Check([]byte(b))
	var report strings.Builder
	for _, w := range r.Warnings() {
		fmt.Fprintf(&report, "user-data: warning: %s\n", w)
	}
	if err := r.Err("user-data"); err != nil {
		return report.String(), err
	}
	if m.NoPaletteEdgeCli {
		return report.String() + "user-data: offline checks passed; palette-edge-cli not run\n", nil
	}
	plan := cfg.Plan()
	out, err := dag.Container(dagger.ContainerOpts{Platform: dagger.Platform(plan.Platform)}).From(plan.CLIImage).
		WithMountedFile("/user-data", f).
		WithExec([]string{"chmod", "+x", paletteEdgeCLI}).
		WithExec([]string{paletteEdgeCLI, "validate", "-f", "/user-data"}).
		Stdout(ctx)
	if err != nil {
		return report.String(), fmt.Errorf("validate-user-data: palette-edge-cli from CLI_IMAGE %s (without-palette-edge-cli skips it): %w", plan.CLIImage, err)
	}
	return report.String() + out, nil
}

// validateShippedUserData validates the user-data an ISO will carry — f,
// else the build context's when fromContext — before the caller builds
// anything, as CanvOS' +build-iso and +build-uki-iso depend on
// +validate-user-data. The report goes to stderr.
func (m *Canvos) validateShippedUserData(ctx context.Context, cfg config.Config, f *dagger.File, fromContext bool) error {
	f, err := m.shippedUserData(ctx, f, fromContext)
	if err != nil {
		return err
	}
	report, err := m.validateUserData(ctx, cfg, f)
	fmt.Fprint(os.Stderr, report)
	return err
}

// shippedUserData is f, else the build context's user-data when
// fromContext (CanvOS: COPY --if-exists user-data); nil when neither exists.
func (m *Canvos) shippedUserData(ctx context.Context, f *dagger.File, fromContext bool) (*dagger.File, error) {
	if f != nil || !fromContext {
		return f, nil
	}
	f, err := m.contextFile(ctx, "user-data")
	if err != nil {
		return nil, fmt.Errorf("validate-user-data: build context: %w", err)
	}
	return f, nil
}
