package provider

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"dagger/canvos/imageplan"
	"dagger/canvos/internal/dagger"
)

// Inputs are the directories and secrets the provider steps read besides
// images.
type Inputs struct {
	Overlay  *dagger.Directory // overlay/files of this module
	Context  *dagger.Directory // the build context (EDGE_CUSTOM_CONFIG)
	CACerts  *dagger.Directory // optional certs/ for the luet container
	LuetAuth *dagger.Secret    // optional spectro-luet-auth.yaml
	BuildEnv map[string]string // proxies for script steps, never in the image
	// TrustedBoot turns a provider rootfs into the signed UKI files of
	// /trusted-boot (CanvOS +build-provider-trustedboot-image); needed for
	// plans with a Carrier (IS_UKI=true).
	TrustedBoot func(rootfs *dagger.Container) *dagger.Directory
}

// SystemdVersion asks the base image for its systemd major version.
func SystemdVersion(ctx context.Context, base *dagger.Container) (int, error) {
	out, err := base.WithExec(SystemdVersionCommand).Stdout(ctx)
	if err != nil {
		return 0, fmt.Errorf("provider: systemd version: %w", err)
	}
	return ParseSystemdVersion(out)
}

// Build builds one container per plan on the shared base, in parallel, and
// returns them in plan order once every one has been built.
func Build(ctx context.Context, dag *dagger.Client, base *dagger.Container, plans []Plan, in Inputs) ([]*dagger.Container, error) {
	out := make([]*dagger.Container, len(plans))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range plans {
		g.Go(func() error {
			ctr, err := Container(dag, base, p, in).Sync(gctx)
			if err != nil {
				return fmt.Errorf("provider %s: %w", p.Ref, err)
			}
			out[i] = ctr
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// Container is the image the plan publishes, translated one to one (lazy):
// the provider rootfs on base, or with IS_UKI the carrier of its signed UKI.
func Container(dag *dagger.Client, base *dagger.Container, p Plan, in Inputs) *dagger.Container {
	platform := dagger.ContainerOpts{Platform: dagger.Platform(p.Platform)}
	dirs := map[imageplan.Source]*dagger.Directory{imageplan.Overlay: in.Overlay, imageplan.Context: in.Context}
	images := func(refs map[imageplan.Source]string) {
		for src, ref := range refs {
			dirs[src] = dag.Container(platform).From(ref).Rootfs()
		}
	}
	images(p.Images)
	if p.Luet != nil {
		dirs[imageplan.Payload] = payload(dag, p, dirs[imageplan.ThirdParty], in)
	}
	rootfs := imageplan.Apply(dag, base, p.Steps, imageplan.Inputs{Dirs: dirs, BuildEnv: in.BuildEnv})
	if p.Carrier == nil {
		return rootfs
	}
	carrier := dag.Container(platform).From(p.Carrier.From)
	if in.TrustedBoot == nil {
		return carrier.WithError("provider: IS_UKI=true needs the Trusted Boot stage to sign the provider UKI")
	}
	images(p.Carrier.Images)
	dirs[imageplan.TrustedBoot] = in.TrustedBoot(rootfs)
	return imageplan.Apply(dag, carrier, p.Carrier.Steps, imageplan.Inputs{Dirs: dirs, BuildEnv: in.BuildEnv})
}

// payload is CanvOS' +install-k8s: luet from the third-party image installs
// the Kubernetes package into a directory of a helper container.
func payload(dag *dagger.Client, p Plan, thirdParty *dagger.Directory, in Inputs) *dagger.Directory {
	ctr := dag.Container(dagger.ContainerOpts{Platform: dagger.Platform(p.Platform)}).From(p.Luet.Image).
		WithFile("/usr/bin/luet", thirdParty.File(p.Luet.Binary), dagger.ContainerWithFileOpts{Permissions: 0o755})
	if in.CACerts != nil {
		ctr = ctr.WithDirectory("/usr/local/share/ca-certificates", in.CACerts).
			WithExec([]string{"update-ca-certificates"})
	}
	if in.LuetAuth != nil {
		ctr = ctr.WithMountedSecret(LuetAuthPath, in.LuetAuth)
	}
	ctr = imageplan.Apply(dag, ctr, []imageplan.Step{p.Luet.Install}, imageplan.Inputs{BuildEnv: in.BuildEnv})
	return ctr.Directory(p.Luet.Output)
}
