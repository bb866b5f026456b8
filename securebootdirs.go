package main

import (
	"context"
	"fmt"

	"dagger/canvos/internal/dagger"
)

// SecureBootDirs creates or completes the secure-boot/ key tree layout
// (CanvOS +secure-boot-dirs): enrollment/ and public-keys/ (0755),
// exported-keys/ and private-keys/ (0700; CanvOS' 0600 directories cannot
// be entered by anyone but root), keeping the files already there. Export
// it over secure-boot/ (`export --path secure-boot`): Dagger's export adds
// to what is there, so private keys the module never reads stay in place.
func (m *Canvos) SecureBootDirs(
	ctx context.Context,
	// The key tree to complete; the build context's secure-boot/ when absent (its private-keys/ is never uploaded)
	// +optional
	// +ignore=["private-keys"]
	dir *dagger.Directory,
) (*dagger.Directory, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if dir == nil {
		if dir, err = m.contextDir(ctx, "secure-boot"); err != nil {
			return nil, fmt.Errorf("secure-boot-dirs: build context: %w", err)
		}
	}
	ctr := m.worker(cfg.Arch)
	if dir != nil {
		ctr = ctr.WithDirectory("/out/secure-boot", dir)
	}
	return ctr.WithExec([]string{"canvos", "secure-boot-dirs", "--dir", "/out/secure-boot"}).Directory("/out/secure-boot"), nil
}
