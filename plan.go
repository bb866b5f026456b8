package main

import (
	"context"
	"fmt"
	"os"

	"dagger/canvos/config"
)

// Plan shows what this configuration builds: the base image, one provider
// image per Kubernetes version, the ISO and MAAS names and the Palette
// cluster-profile block. Same output as `canvos plan`; nothing is built.
func (m *Canvos) Plan(
	ctx context.Context,
	// Print one JSON object (baseImage, providerImages, k8sVersions, isoName, …, profile, plan) instead of text
	// +optional
	json bool,
) (string, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return "", err
	}
	if json {
		out, err := cfg.JSON()
		return string(out), err
	}
	return cfg.Plan().Text(), nil
}

// resolve loads the .arg file (the argFile argument, else .arg in the build
// context when present) with the constructor's overrides and validates it.
// Warnings go to stderr, which Dagger shows.
func (m *Canvos) resolve(ctx context.Context) (config.Config, error) {
	name, data, err := m.argFile(ctx)
	if err != nil {
		return config.Config{}, err
	}
	overrides := make([]config.Override, len(m.Overrides))
	for i, o := range m.Overrides {
		overrides[i] = config.Override{Key: o.Key, Value: o.Value}
	}
	cfg, warnings, err := config.Load(name, data, overrides)
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
	return cfg, err
}

// argFile returns the .arg contents, or nil when there is none.
func (m *Canvos) argFile(ctx context.Context) (string, []byte, error) {
	file := m.ArgFile
	if file == nil {
		var err error
		if file, err = m.contextFile(ctx, ".arg"); err != nil {
			return "", nil, fmt.Errorf("plan: build context: %w", err)
		}
	}
	if file == nil {
		return "", nil, nil
	}
	contents, err := file.Contents(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("plan: .arg: %w", err)
	}
	return ".arg", []byte(contents), nil
}
