package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

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
// user customization.
func (m *Canvos) BaseImage(
	ctx context.Context,
	// ARCH to build for; empty keeps the configuration's
	// +optional
	arch string,
	// Files copied onto / of the base image (user customization)
	// +optional
	customFiles *dagger.Directory,
	// Shell commands run in the base image (user customization, CanvOS' Dockerfile RUN lines)
	// +optional
	customScript *dagger.File,
	// Ubuntu Pro token for UBUNTU_PRO_ATTACH=true, e.g. env://UBUNTU_PRO_KEY
	// +optional
	ubuntuProKey *dagger.Secret,
) (*dagger.Container, error) {
	b, err := m.build(ctx, arch, buildInputs{customFiles: customFiles, customScript: customScript, ubuntuProKey: ubuntuProKey})
	if err != nil {
		return nil, err
	}
	return b.base, nil
}

// ProviderImages builds one provider image per Kubernetes version (CanvOS
// +build-provider-images), in parallel, for each platform, and prints the
// Palette cluster-profile block. Nothing is pushed: use publish, or export a
// container with `export --path`.
func (m *Canvos) ProviderImages(
	ctx context.Context,
	// Platforms to build, e.g. linux/amd64,linux/arm64; empty builds the configuration's ARCH
	// +optional
	platforms []string,
	// Files copied onto / of the base image (user customization)
	// +optional
	customFiles *dagger.Directory,
	// Shell commands run in the base image (user customization)
	// +optional
	customScript *dagger.File,
	// Ubuntu Pro token for UBUNTU_PRO_ATTACH=true
	// +optional
	ubuntuProKey *dagger.Secret,
	// Luet registry auth (CanvOS spectro-luet-auth.yaml), e.g. file://spectro-luet-auth.yaml
	// +optional
	luetAuth *dagger.Secret,
	// IS_UKI: key tree from uki-genkey or CanvOS secure-boot/ (public-keys/, enrollment/)
	// +optional
	// +ignore=["private-keys"]
	ukiKeys *dagger.Directory,
	// IS_UKI: db private key that signs the provider UKIs
	// +optional
	ukiDbKey *dagger.Secret,
	// IS_UKI: TPM PCR policy key (tpm2-pcr-private.pem)
	// +optional
	ukiPcrKey *dagger.Secret,
) ([]*dagger.Container, error) {
	in := buildInputs{customFiles: customFiles, customScript: customScript, ubuntuProKey: ubuntuProKey, luetAuth: luetAuth,
		ukiKeys: ukiKeys, ukiDbKey: ukiDbKey, ukiPcrKey: ukiPcrKey}
	images, err := m.providerImages(ctx, platforms, in)
	if err != nil {
		return nil, err
	}
	var out []*dagger.Container
	for _, img := range images {
		out = append(out, img.ctr)
	}
	return out, nil
}

// InstallerImage builds the installer image (CanvOS +iso-image): base +
// stylus framework + overlay/files, UKI-trimmed when IS_UKI=true. Its rootfs
// is what the ISO, raw, MAAS and UKI functions pack; it is not published.
func (m *Canvos) InstallerImage(
	ctx context.Context,
	// ARCH to build for; empty keeps the configuration's
	// +optional
	arch string,
	// Files copied onto / of the base image (user customization)
	// +optional
	customFiles *dagger.Directory,
	// Shell commands run in the base image (user customization)
	// +optional
	customScript *dagger.File,
	// Ubuntu Pro token for UBUNTU_PRO_ATTACH=true
	// +optional
	ubuntuProKey *dagger.Secret,
) (*dagger.Container, error) {
	b, err := m.build(ctx, arch, buildInputs{customFiles: customFiles, customScript: customScript, ubuntuProKey: ubuntuProKey})
	if err != nil {
		return nil, err
	}
	return m.installerImage(ctx, b)
}

// Publish builds the provider images and pushes them, one reference per
// Kubernetes version; with several platforms each reference is an index.
// Prints the Palette cluster-profile block and returns the pushed
// references with digests, one per line.
// +cache="never"
func (m *Canvos) Publish(
	ctx context.Context,
	// Platforms to publish, e.g. linux/amd64,linux/arm64; empty publishes the configuration's ARCH
	// +optional
	platforms []string,
	// Registry user name (with registryPassword); empty pushes with the engine's credentials
	// +optional
	registryUsername string,
	// Registry password or token, e.g. env://REGISTRY_TOKEN
	// +optional
	registryPassword *dagger.Secret,
	// Files copied onto / of the base image (user customization)
	// +optional
	customFiles *dagger.Directory,
	// Shell commands run in the base image (user customization)
	// +optional
	customScript *dagger.File,
	// Ubuntu Pro token for UBUNTU_PRO_ATTACH=true
	// +optional
	ubuntuProKey *dagger.Secret,
	// Luet registry auth (CanvOS spectro-luet-auth.yaml)
	// +optional
	luetAuth *dagger.Secret,
	// IS_UKI: key tree from uki-genkey or CanvOS secure-boot/ (public-keys/, enrollment/)
	// +optional
	// +ignore=["private-keys"]
	ukiKeys *dagger.Directory,
	// IS_UKI: db private key that signs the provider UKIs
	// +optional
	ukiDbKey *dagger.Secret,
	// IS_UKI: TPM PCR policy key (tpm2-pcr-private.pem)
	// +optional
	ukiPcrKey *dagger.Secret,
) (string, error) {
	in := buildInputs{customFiles: customFiles, customScript: customScript, ubuntuProKey: ubuntuProKey, luetAuth: luetAuth,
		ukiKeys: ukiKeys, ukiDbKey: ukiDbKey, ukiPcrKey: ukiPcrKey}
	images, err := m.providerImages(ctx, platforms, in)
	if err != nil {
		return "", err
	}
	refs, err := publish(ctx, images, registryUsername, registryPassword)
	if err != nil {
		return "", err
	}
	return strings.Join(refs, "\n") + "\n", nil
}

// BuildAll builds what CanvOS' +build-all-images builds for one
// architecture: the provider images (pushed with --push) and the installer
// ISO with its .sha256 (the UKI ISO when IS_UKI=true), returned as a
// directory to export. Never cached as a whole, so --push always pushes; its
// steps are cached as usual.
// +cache="never"
func (m *Canvos) BuildAll(
	ctx context.Context,
	// ARCH to build for; empty keeps the configuration's
	// +optional
	arch string,
	// Push the provider images to IMAGE_REGISTRY/IMAGE_REPO
	// +optional
	push bool,
	// Registry user name (with registryPassword)
	// +optional
	registryUsername string,
	// Registry password or token, e.g. env://REGISTRY_TOKEN
	// +optional
	registryPassword *dagger.Secret,
	// Files copied onto / of the base image (user customization)
	// +optional
	customFiles *dagger.Directory,
	// Shell commands run in the base image (user customization)
	// +optional
	customScript *dagger.File,
	// Ubuntu Pro token for UBUNTU_PRO_ATTACH=true
	// +optional
	ubuntuProKey *dagger.Secret,
	// Luet registry auth (CanvOS spectro-luet-auth.yaml)
	// +optional
	luetAuth *dagger.Secret,
	// IS_UKI: key tree from uki-genkey or CanvOS secure-boot/ (public-keys/, enrollment/)
	// +optional
	// +ignore=["private-keys"]
	ukiKeys *dagger.Directory,
	// IS_UKI: db private key that signs the provider UKIs and the UKI ISO
	// +optional
	ukiDbKey *dagger.Secret,
	// IS_UKI: TPM PCR policy key (tpm2-pcr-private.pem)
	// +optional
	ukiPcrKey *dagger.Secret,
) (*dagger.Directory, error) {
	in := buildInputs{customFiles: customFiles, customScript: customScript, ubuntuProKey: ubuntuProKey, luetAuth: luetAuth,
		ukiKeys: ukiKeys, ukiDbKey: ukiDbKey, ukiPcrKey: ukiPcrKey}
	b, err := m.build(ctx, arch, in)
	if err != nil {
		return nil, err
	}
	images, err := m.providers(ctx, b)
	if err != nil {
		return nil, err
	}
	fmt.Fprint(os.Stdout, b.names.ProfileBlock())
	if push {
		if _, err := publish(ctx, images, registryUsername, registryPassword); err != nil {
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
		forceInteractive: b.cfg.ForceInteractiveInstall, debug: b.cfg.Debug, arch: string(b.cfg.Arch)}
	if b.cfg.IsUKI { // CanvOS +iso builds +build-uki-iso then
		if err := b.in.requireUKIKeys(); err != nil {
			return nil, err
		}
		return m.ukiISO(ctx, iso, ukiInputs{rootfs: inst.Rootfs(), keys: b.in.ukiKeys, dbKey: b.in.ukiDbKey, pcrKey: b.in.ukiPcrKey})
	}
	return m.iso(inst.Rootfs(), iso), nil
}

// buildInputs are the user inputs besides the configuration.
type buildInputs struct {
	customFiles  *dagger.Directory
	customScript *dagger.File
	ubuntuProKey *dagger.Secret
	luetAuth     *dagger.Secret
	ukiKeys      *dagger.Directory
	ukiDbKey     *dagger.Secret
	ukiPcrKey    *dagger.Secret
}

// requireUKIKeys checks the inputs IS_UKI=true signs with.
func (in buildInputs) requireUKIKeys() error {
	if in.ukiKeys == nil || in.ukiDbKey == nil {
		return usererr.New("--uki-keys/--uki-db-key", "", "both, when IS_UKI=true (the UKIs are signed with the db key)")
	}
	return nil
}

// buildSet is one architecture's resolved configuration and base image.
type buildSet struct {
	cfg   config.Config
	names config.Plan
	base  *dagger.Container
	in    buildInputs
}

// build resolves the configuration for arch and plans its base image.
func (m *Canvos) build(ctx context.Context, arch string, in buildInputs) (buildSet, error) {
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
	opts.CACerts, opts.CustomFiles, opts.CustomScript = certs != nil, in.customFiles != nil, in.customScript != nil
	opts.Dockerfile = dockerfile != nil
	var dockerContext *dagger.Directory
	if dockerfile != nil {
		dockerContext = m.Source // CanvOS: FROM DOCKERFILE . with the repository as context
	}
	ctr, err := base.Base(dag, opts, base.Inputs{
		Dockerfile:     dockerContext,
		CACerts:        certs,
		CustomFiles:    in.customFiles,
		CustomScript:   in.customScript,
		Hooks:          m.Source,
		UbuntuProToken: in.ubuntuProKey,
	})
	if err != nil {
		return buildSet{}, err
	}
	return buildSet{cfg: cfg, names: names, base: ctr, in: in}, nil
}

// providerImage is one built provider container and its reference.
type providerImage struct {
	ref string
	ctr *dagger.Container
}

// providerImages builds every provider image for every platform, then prints
// the profile block as CanvOS does after +build-provider-images.
func (m *Canvos) providerImages(ctx context.Context, platforms []string, in buildInputs) ([]providerImage, error) {
	archs, err := archsOf(platforms)
	if err != nil {
		return nil, err
	}
	perArch := make([][]providerImage, len(archs))
	profile := make([]string, len(archs))
	g, gctx := errgroup.WithContext(ctx)
	for i, arch := range archs {
		g.Go(func() error {
			b, err := m.build(gctx, arch, in)
			if err != nil {
				return err
			}
			perArch[i], err = m.providers(gctx, b)
			profile[i] = b.names.ProfileBlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	fmt.Fprint(os.Stdout, profile[0])
	return slices.Concat(perArch...), nil
}

// providers builds the provider images of one architecture on its base.
func (m *Canvos) providers(ctx context.Context, b buildSet) ([]providerImage, error) {
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
		LuetAuth:    b.in.luetAuth,
		BuildEnv:    buildEnv(b.cfg),
		TrustedBoot: trustedBoot,
	})
	if err != nil {
		return nil, err
	}
	out := make([]providerImage, len(plans))
	for i, p := range plans {
		out[i] = providerImage{ref: p.Ref, ctr: ctrs[i]}
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
	if err := b.in.requireUKIKeys(); err != nil {
		return nil, err
	}
	return func(rootfs *dagger.Container) *dagger.Directory {
		esp, err := m.uki(ctx, ukiInputs{rootfs: rootfs.Rootfs(), keys: b.in.ukiKeys, dbKey: b.in.ukiDbKey, pcrKey: b.in.ukiPcrKey})
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
	// MAAS disks carry the local UI in the rootfs; the ISO adds it itself.
	var localUI *dagger.Directory
	if b.cfg.IsMAAS {
		var err error
		if localUI, err = m.localUI(ctx, b.names); err != nil {
			return nil, err
		}
	}
	platform := dagger.ContainerOpts{Platform: dagger.Platform(b.names.Platform)}
	return installer.Image(dag, b.base, opts, installer.ImageInputs{
		Stylus:   dag.Container(platform).From(b.names.StylusFramework).Rootfs(),
		Overlay:  overlayDir(),
		LocalUI:  localUI,
		BuildEnv: buildEnv(b.cfg),
	}), nil
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

// publish pushes the images, grouping the platforms of one reference into
// an index, and returns the references with digests.
func publish(ctx context.Context, images []providerImage, username string, password *dagger.Secret) ([]string, error) {
	var refs []string
	variants := map[string][]*dagger.Container{}
	for _, img := range images {
		if _, ok := variants[img.ref]; !ok {
			refs = append(refs, img.ref)
		}
		variants[img.ref] = append(variants[img.ref], img.ctr)
	}
	out := make([]string, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	for i, ref := range refs {
		g.Go(func() error {
			ctr := dag.Container()
			if username != "" && password != nil {
				ctr = ctr.WithRegistryAuth(registryHost(ref), username, password)
			}
			digest, err := ctr.Publish(gctx, ref, dagger.ContainerPublishOpts{PlatformVariants: variants[ref]})
			if err != nil {
				return fmt.Errorf("publish %s: %w", ref, err)
			}
			out[i] = digest
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// registryHost is the registry part of an image reference.
func registryHost(ref string) string {
	host, _, _ := strings.Cut(ref, "/")
	return host
}

// archsOf turns --platforms into architectures, in order, without repeats.
func archsOf(platforms []string) ([]string, error) {
	if len(platforms) == 0 {
		return []string{""}, nil
	}
	var archs []string
	for _, p := range platforms {
		arch := strings.TrimPrefix(p, "linux/")
		if arch != string(config.AMD64) && arch != string(config.ARM64) {
			return nil, usererr.New("--platforms", p, "linux/amd64, linux/arm64")
		}
		if !slices.Contains(archs, arch) {
			archs = append(archs, arch)
		}
	}
	return archs, nil
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
