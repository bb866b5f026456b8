package main

import (
	"context"
	"slices"
	"strings"

	"dagger/canvos/internal/dagger"
)

// context is the build context, empty when none was given.
func (m *Canvos) context() *dagger.Directory {
	if m.Source == nil {
		return dag.Directory()
	}
	return m.Source
}

// contextFile is a regular file of the build context, or nil when there is
// no such file (CanvOS: COPY --if-exists).
func (m *Canvos) contextFile(ctx context.Context, name string) (*dagger.File, error) {
	if m.Source == nil || name == "" {
		return nil, nil
	}
	ok, err := m.Source.Exists(ctx, name, dagger.DirectoryExistsOpts{ExpectedType: dagger.ExistsTypeRegularType})
	if err != nil || !ok {
		return nil, err
	}
	return m.Source.File(name), nil
}

// contextDir is a directory of the build context, or nil when it is absent
// or empty (CanvOS: COPY --if-exists certs/).
func (m *Canvos) contextDir(ctx context.Context, name string) (*dagger.Directory, error) {
	if m.Source == nil {
		return nil, nil
	}
	ok, err := m.Source.Exists(ctx, name, dagger.DirectoryExistsOpts{ExpectedType: dagger.ExistsTypeDirectoryType})
	if err != nil || !ok {
		return nil, err
	}
	entries, err := m.Source.Directory(name).Entries(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(entries, func(e string) bool { return !strings.HasPrefix(e, ".") }) {
		return nil, nil
	}
	return m.Source.Directory(name), nil
}
