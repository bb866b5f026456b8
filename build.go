package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"dagger/canvos/base"
	"dagger/canvos/config"
	"dagger/canvos/imageplan"
	"dagger/canvos/installer"
	"dagger/canvos/internal/dagger"
	"dagger/canvos/overlay"
	"dagger/canvos/provider"
	"dagger/canvos/usererr"
)

// BaseImage builds the base OS image (CanvOS +base-image): the Kairos base
// image with the distribution cleanup, CA certificates from certs/ and the
// customization of with-customization.
// +cache="session"
func (m *Canvos) BaseImage(
	ctx context.Context,
	// ARCH to build for; empty keeps the configuration's
	// +optional
	arch string,
) (*dagger.Container, error) {
	b, err := m.build(ctx, arch)
	if err != nil {
		return nil, err
	}
	return b.base, nil
}

// InstallerImage builds the installer image (CanvOS +iso-image): base +
// stylus framework + overlay/files, UKI-trimmed when IS_UKI=true. Its rootfs
// is what the ISO, raw, MAAS and UKI functions pack; it is not published.
// +cache="session"
func (m *Canvos) InstallerImage(
	ctx context.Context,
	// ARCH to build for; empty keeps the configuration's
	// +optional
	arch string,
) (*dagger.Container, error) {
	b, err := m.build(ctx, arch)
	if err != nil {
		return nil, err
	}
	return m.installerImage(ctx, b)
}

// Publish builds the provider images and pushes them, one reference per
// Kubernetes version; with several platforms each reference is an index.
// Returns the pushed references with digests, one per line, and the
// Palette cluster-profile block.
// +cache="never"
func (m *Canvos) Publish(
	ctx context.Context,
	// Platforms to publish, e.g. linux/amd64,linux/arm64; empty publishes the configuration's ARCH
	// +optional
	platforms []dagger.Platform,
) (string, error) {
	set, err := m.ProviderImages(ctx, platforms)
	if err != nil {
		return "", err
	}
	return set.Publish(ctx)
}

// BuildAll builds what CanvOS' +build-all-images builds for one
// architecture: the provider images (pushed with --push) and the installer
// ISO with its .sha256 (the UKI ISO when IS_UKI=true), returned as a
// directory to export, with the Palette cluster-profile block as
// profile.txt. Never cached as a whole, so --push always pushes; its steps
// are cached as usual.
// +cache="never"
func (m *Canvos) BuildAll(
	ctx context.Context,
	// ARCH to build for; empty keeps the configuration's
	// +optional
	arch string,
	// Push the provider images to IMAGE_REGISTRY/IMAGE_REPO
	// +optional
	push bool,
) (*dagger.Directory, error) {
	b, err := m.build(ctx, arch)
	if err != nil {
		return nil, err
	}
	if err := m.validateShippedUserData(ctx, b.cfg, nil, true); err != nil {
		return nil, err
	}
	images, err := m.providers(ctx, b)
	if err != nil {
		return nil, err
	}
	profile := b.names.ProfileBlock()
	fmt.Fprint(os.Stdout, profile)
	if push {
		if _, err := m.publish(ctx, images); err != nil {
			return nil, err
		}
	}
	inst, err := m.installerImage(ctx, b)
	if err != nil {
		return nil, err
	}
	found, err := m.contextPayload(ctx, b.cfg, isoBundles)
	if err != nil {
		return nil, err
	}
	iso := isoInputs{payload: found, name: b.names.ISOName,
		forceInteractive: b.cfg.ForceInteractiveInstall, debug: b.cfg.Debug, arch: b.cfg.Arch,
		efiSizes: [2]int{b.cfg.EFIMaxSize, b.cfg.EFIImgSize}}
	var out *dagger.Directory
	if b.cfg.IsUKI { // CanvOS +iso builds +build-uki-iso then
		if out, err = m.ukiISO(ctx, iso, ukiInputs{rootfs: inst.Rootfs()}); err != nil {
			return nil, err
		}
	} else {
		out = m.iso(inst.Rootfs(), iso)
	}
	return out.WithNewFile("profile.txt", profile), nil
}

// requireUKIKeys checks the keys IS_UKI=true signs with.
func (m *Canvos) requireUKIKeys() error {
	if m.UkiKeys == nil || m.UkiDbKey == nil {
		return usererr.New("with-uki-keys", "", "--keys and --db-key, when IS_UKI=true (the UKIs are signed with the db key)")
	}
	return nil
}

// buildSet is one architecture's resolved configuration and base image.
type buildSet struct {
	cfg   config.Config
	names config.Plan
	base  *dagger.Container
}

// build resolves the configuration for arch and plans its base image.
func (m *Canvos) build(ctx context.Context, arch string) (buildSet, error) {
	mm := *m
	if arch != "" {
		mm.Overrides = append(slices.Clone(m.Overrides), Override{Key: "ARCH", Value: arch})
	}
	cfg, err := mm.resolve(ctx)
	if err != nil {
		return buildSet{}, err
	}
	names := cfg.Plan()
	certs, err := m.contextDir(ctx, "certs")
	if err != nil {
		return buildSet{}, err
	}
	dockerfile, err := m.contextFile(ctx, "Dockerfile")
	if err != nil {
		return buildSet{}, err
	}
	opts := base.OptionsFrom(cfg)
	opts.CACerts, opts.CustomFiles, opts.CustomScript = certs != nil, m.CustomFiles != nil, m.CustomScript != nil
	opts.Dockerfile = dockerfile != nil
	var dockerContext *dagger.Directory
	if dockerfile != nil {
		dockerContext = m.Source // CanvOS: FROM DOCKERFILE . with the repository as context
	}
	ctr, err := base.Base(dag, opts, base.Inputs{
		Dockerfile:     dockerContext,
		CACerts:        certs,
		CustomFiles:    m.CustomFiles,
		CustomScript:   m.CustomScript,
		Hooks:          m.Source,
		UbuntuProToken: m.UbuntuProKey,
	})
	if err != nil {
		return buildSet{}, err
	}
	return buildSet{cfg: cfg, names: names, base: ctr}, nil
}

// providers builds the provider images of one architecture on its base.
func (m *Canvos) providers(ctx context.Context, b buildSet) ([]*ProviderImage, error) {
	trustedBoot, err := m.trustedBoot(ctx, b)
	if err != nil {
		return nil, err
	}
	systemd, err := provider.SystemdVersion(ctx, b.base)
	if err != nil {
		return nil, err
	}
	edge := false
	if b.cfg.EdgeCustomConfig != "" && m.Source != nil {
		if edge, err = m.Source.Exists(ctx, b.cfg.EdgeCustomConfig); err != nil {
			return nil, fmt.Errorf("provider: EDGE_CUSTOM_CONFIG: %w", err)
		}
	}
	plans, err := provider.Plans(b.cfg, b.names, systemd, edge)
	if err != nil {
		return nil, err
	}
	certs, err := m.contextDir(ctx, "certs")
	if err != nil {
		return nil, err
	}
	ctrs, err := provider.Build(ctx, dag, b.base, plans, provider.Inputs{
		Overlay:     overlayDir(),
		Context:     m.context(),
		CACerts:     certs,
		LuetAuth:    m.LuetAuth,
		BuildEnv:    buildEnv(b.cfg),
		TrustedBoot: trustedBoot,
	})
	if err != nil {
		return nil, err
	}
	out := make([]*ProviderImage, len(plans))
	for i, p := range plans {
		out[i] = &ProviderImage{Ref: p.Ref, Platform: dagger.Platform(b.names.Platform), Container: ctrs[i]}
	}
	return out, nil
}

// trustedBoot is how IS_UKI provider images sign their rootfs (CanvOS
// +build-provider-trustedboot-image): the Uki function's ESP tree, carried as
// /trusted-boot. Nil without IS_UKI.
func (m *Canvos) trustedBoot(ctx context.Context, b buildSet) (func(*dagger.Container) *dagger.Directory, error) {
	if !b.cfg.IsUKI {
		return nil, nil
	}
	if err := m.requireUKIKeys(); err != nil {
		return nil, err
	}
	return func(rootfs *dagger.Container) *dagger.Directory {
		esp, err := m.uki(ctx, ukiInputs{rootfs: rootfs.Rootfs(), provider: true})
		if err != nil {
			return dag.Directory().WithError(err.Error())
		}
		return esp.Directory("esp")
	}, nil
}

// installerImage is CanvOS' +iso-image on the base of b.
func (m *Canvos) installerImage(ctx context.Context, b buildSet) (*dagger.Container, error) {
	opts := imageplan.InstallerOptions{UKI: b.cfg.IsUKI, OSDistribution: string(b.cfg.OSDistribution)}
	if b.cfg.IsUKI && b.cfg.OSDistribution == config.Ubuntu && b.cfg.Arch == config.AMD64 {
		systemd, err := provider.SystemdVersion(ctx, b.base)
		if err != nil {
			return nil, err
		}
		opts.KernelHeaders = systemd >= provider.SysextMinSystemd
	}
	// MAAS disks and cloud images carry the local UI in the rootfs; the ISO
	// adds it itself.
	var localUI *dagger.Directory
	if b.cfg.IsMAAS || b.cfg.IsCloudImage {
		var err error
		if localUI, err = m.localUI(ctx, b.names); err != nil {
			return nil, err
		}
	}
	platform := dagger.ContainerOpts{Platform: dagger.Platform(b.names.Platform)}
	img := installer.Image(dag, b.base, opts, installer.ImageInputs{
		Stylus:   dag.Container(platform).From(b.names.StylusFramework).Rootfs(),
		Overlay:  overlayDir(),
		LocalUI:  localUI,
		BuildEnv: buildEnv(b.cfg),
	})
	if b.cfg.IsCloudImage {
		img = img.WithDirectory("/", withCloudFiles(dag.Directory()))
	}
	return img, nil
}

// localUI is local-ui.tar of the build context, extracted; nil without one.
func (m *Canvos) localUI(ctx context.Context, n config.Plan) (*dagger.Directory, error) {
	tar, err := m.contextFile(ctx, "local-ui.tar")
	if err != nil || tar == nil {
		return nil, err
	}
	return dag.Container().From(n.AlpineImage).
		WithMountedFile("/local-ui.tar", tar).
		WithExec([]string{"sh", "-c", "mkdir -p /out && tar -xf /local-ui.tar -C /out"}).
		Directory("/out"), nil
}

// buildEnv is the proxy environment of script steps (build time only).
func buildEnv(c config.Config) map[string]string {
	env := map[string]string{}
	for k, v := range map[string]string{"HTTP_PROXY": c.HTTPProxy, "HTTPS_PROXY": c.HTTPSProxy, "NO_PROXY": c.NoProxy} {
		if v != "" {
			env[k], env[strings.ToLower(k)] = v, v
		}
	}
	return env
}

// overlayDir is the embedded image overlay (CanvOS overlay/files/) as a
// directory, with the modes overlay records (git keeps none).
func overlayDir() *dagger.Directory {
	d := dag.Directory()
	files, err := overlay.Image()
	if err != nil {
		return d.WithError(fmt.Sprintf("overlay: %v", err))
	}
	for _, f := range files {
		d = d.WithNewFile(strings.TrimPrefix(f.Path, "/"), string(f.Data), dagger.DirectoryWithNewFileOpts{Permissions: int(f.Mode.Perm())})
	}
	return d
}
