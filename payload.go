package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
)

// payload is what CanvOS ships beside the OS on an ISO or a MAAS disk
// (canvos.md §12): user-data, content bundles, the cluster profile (SPC),
// the edge config and the local UI.
type payload struct {
	userData      *dagger.File
	content       *dagger.Directory // the bundles, flat
	clusterConfig *dagger.File
	edgeConfig    *dagger.File
	localUI       *dagger.File
}

// or fills what p lacks from q.
func (p payload) or(q payload) payload {
	return payload{
		userData:      cmp.Or(p.userData, q.userData),
		content:       cmp.Or(p.content, q.content),
		clusterConfig: cmp.Or(p.clusterConfig, q.clusterConfig),
		edgeConfig:    cmp.Or(p.edgeConfig, q.edgeConfig),
		localUI:       cmp.Or(p.localUI, q.localUI),
	}
}

// Content bundle patterns: the ISO takes CanvOS' *.zst bundles; MAAS'
// content partition also takes *.tar (canvos.md §10).
var (
	isoBundles  = []string{"*.zst"}
	maasBundles = []string{"*.zst", "*.tar"}
)

// contextPayload collects the payload from the build context the way CanvOS
// does: user-data, content-*/ bundles matching patterns, CLUSTERCONFIG,
// EDGE_CUSTOM_CONFIG and local-ui.tar, each only when present.
func (m *Canvos) contextPayload(ctx context.Context, cfg config.Config, patterns []string) (payload, error) {
	var p payload
	if m.Source == nil {
		return p, nil
	}
	var err error
	for _, f := range []struct {
		dst  **dagger.File
		name string
	}{
		{&p.userData, "user-data"},
		{&p.clusterConfig, cfg.ClusterConfig},
		{&p.edgeConfig, cfg.EdgeCustomConfig},
		{&p.localUI, "local-ui.tar"},
	} {
		if *f.dst, err = m.contextFile(ctx, f.name); err != nil {
			return p, fmt.Errorf("build context: %s: %w", f.name, err)
		}
	}
	entries, err := m.Source.Entries(ctx)
	if err != nil {
		return p, fmt.Errorf("build context: %w", err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e, "/") // directories may be listed with a slash
		if !strings.HasPrefix(name, "content-") {
			continue
		}
		dir, err := m.contextDir(ctx, name)
		if err != nil {
			return p, fmt.Errorf("build context: %s: %w", name, err)
		}
		if dir == nil {
			continue
		}
		p.content = cmp.Or(p.content, dag.Directory()).
			WithDirectory(".", dir, dagger.DirectoryWithDirectoryOpts{Include: patterns})
	}
	return p, nil
}
