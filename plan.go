package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"dagger/canvos/config"
	"dagger/canvos/inputfile"
	"dagger/canvos/usererr"
)

// PlanFormat is how plan prints.
type PlanFormat string

const (
	// Text for people, as canvos plan prints it
	PlanFormatText PlanFormat = "text"
	// One JSON object: baseImage, providerImages, k8sVersions, isoName, …, profile, plan
	PlanFormatJSON PlanFormat = "json"
)

// Plan shows what this configuration builds: the base image, one provider
// image per Kubernetes version, the ISO and MAAS names and the Palette
// cluster-profile block, after the configuration's warnings. Same output as
// `canvos plan`; nothing is built. Cached for the session only, so a changed
// .arg is always read again.
// +cache="session"
func (m *Canvos) Plan(
	ctx context.Context,
	// Output format
	// +optional
	// +default="text"
	format PlanFormat,
) (string, error) {
	cfg, warnings, err := m.load(ctx)
	if err != nil {
		return "", err
	}
	if format == PlanFormatJSON {
		out, err := cfg.JSON()
		return string(out), err
	}
	var b strings.Builder
	for _, w := range warnings {
		fmt.Fprintln(&b, "warning:", w)
	}
	b.WriteString(cfg.Plan().Text())
	return b.String(), nil
}

// resolve loads the .arg file (the argFile argument, else .arg in the build
// context when present) with the constructor's overrides and validates it.
// Warnings go to stderr, which Dagger shows.
func (m *Canvos) resolve(ctx context.Context) (config.Config, error) {
	cfg, warnings, err := m.load(ctx)
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
	return cfg, err
}

// load is resolve without printing the warnings.
func (m *Canvos) load(ctx context.Context) (config.Config, []string, error) {
	name, data, err := m.argFile(ctx)
	if err != nil {
		return config.Config{}, nil, err
	}
	overrides := make([]config.Override, len(m.Overrides))
	for i, o := range m.Overrides {
		overrides[i] = config.Override{Key: o.Key, Value: o.Value}
	}
	opts, err := m.contextMatrix(ctx)
	if err != nil {
		return config.Config{}, nil, err
	}
	return config.Load(name, data, overrides, opts...)
}

// contextMatrix is the build context's k8s_version.json as the matrix
// (CanvOS users extend it by editing that file); none keeps the embedded one.
func (m *Canvos) contextMatrix(ctx context.Context) ([]config.Option, error) {
	file, err := m.contextFile(ctx, "k8s_version.json")
	if err != nil || file == nil {
		return nil, err
	}
	contents, err := file.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan: k8s_version.json: %w", err)
	}
	return []config.Option{config.WithMatrixFile("k8s_version.json (build context)", []byte(contents))}, nil
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
	size, err := file.Size(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("plan: .arg: %w", err)
	}
	if size > inputfile.ArgFileLimit {
		return "", nil, usererr.Newf("argFile", ".arg is %d bytes, larger than %s, the limit for an .arg file", size, inputfile.Size(inputfile.ArgFileLimit))
	}
	contents, err := file.Contents(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("plan: .arg: %w", err)
	}
	return ".arg", []byte(contents), nil
}
