package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sync/errgroup"

	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
	"dagger/canvos/usererr"
)

// ProviderImages is the result of provider-images: the images, one per
// Kubernetes version and platform, and the Palette cluster-profile block
// that refers to them. Chain publish to push them, or pick one with images.
type ProviderImages struct {
	// The provider images, in the order of the Kubernetes versions, per platform
	Images []*ProviderImage
	// The Palette cluster-profile block (CanvOS print_os_pack)
	Profile string
	// +private
	Module *Canvos
}

// ProviderImage is one provider image and the reference it publishes to.
type ProviderImage struct {
	// Reference it is published to: IMAGE_REGISTRY/IMAGE_REPO:<K8S_DISTRIBUTION>-<K8S_VERSION>-<PE_VERSION>[-CUSTOM_TAG]
	Ref string
	// Platform of the image
	Platform dagger.Platform
	// The image; chain export, as-tarball, terminal, … onto it
	Container *dagger.Container
}

// ProviderImages builds one provider image per Kubernetes version (CanvOS
// +build-provider-images), in parallel, for each platform. Nothing is
// pushed: chain publish, or export an image's container.
// +cache="session"
func (m *Canvos) ProviderImages(
	ctx context.Context,
	// Platforms to build, e.g. linux/amd64,linux/arm64; empty builds the configuration's ARCH
	// +optional
	platforms []dagger.Platform,
) (*ProviderImages, error) {
	archs, err := archsOf(platforms)
	if err != nil {
		return nil, err
	}
	perArch := make([][]*ProviderImage, len(archs))
	profile := make([]string, len(archs))
	g, gctx := errgroup.WithContext(ctx)
	for i, arch := range archs {
		g.Go(func() error {
			b, err := m.build(gctx, arch)
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
	return &ProviderImages{Images: slices.Concat(perArch...), Profile: profile[0], Module: m}, nil
}

// Publish pushes the provider images, grouping the platforms of one
// reference into an index, with the login of with-registry-auth. Returns
// the references with digests, one per line, then the profile block.
// +cache="never"
func (p *ProviderImages) Publish(ctx context.Context) (string, error) {
	refs, err := p.Module.publish(ctx, p.Images)
	if err != nil {
		return "", err
	}
	return strings.Join(refs, "\n") + "\n\n" + p.Profile, nil
}

// publish pushes the images, one index per reference, and returns the
// references with digests.
func (m *Canvos) publish(ctx context.Context, images []*ProviderImage) ([]string, error) {
	var refs []string
	variants := map[string][]*dagger.Container{}
	for _, img := range images {
		if _, ok := variants[img.Ref]; !ok {
			refs = append(refs, img.Ref)
		}
		variants[img.Ref] = append(variants[img.Ref], img.Container)
	}
	out := make([]string, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	for i, ref := range refs {
		g.Go(func() error {
			ctr, err := m.withRegistryAuth(dag.Container(), ref)
			if err != nil {
				return err
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

// withRegistryAuth logs ctr in to the registry of ref with the credentials
// of with-registry-auth, when there are any.
func (m *Canvos) withRegistryAuth(ctr *dagger.Container, ref string) (*dagger.Container, error) {
	if m.RegistryPassword == nil {
		return ctr, nil
	}
	host, err := registryHost(ref)
	if err != nil {
		return nil, err
	}
	return ctr.WithRegistryAuth(host, m.RegistryUsername, m.RegistryPassword), nil
}

// registryHost is the registry of an image reference as the engine's
// credential lookup names it: Docker Hub references (ubuntu, myuser/ubuntu)
// are docker.io's.
func registryHost(ref string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", usererr.New("image reference", ref, "a valid reference such as registry.example.com/repo:tag")
	}
	if host := r.Context().RegistryStr(); host != name.DefaultRegistry {
		return host, nil
	}
	return "docker.io", nil
}

// archsOf turns --platforms into architectures, in order, without repeats.
func archsOf(platforms []dagger.Platform) ([]string, error) {
	if len(platforms) == 0 {
		return []string{""}, nil
	}
	var archs []string
	for _, p := range platforms {
		arch := strings.TrimPrefix(string(p), "linux/")
		if arch != string(config.AMD64) && arch != string(config.ARM64) {
			return nil, usererr.New("--platforms", string(p), "linux/amd64, linux/arm64")
		}
		if !slices.Contains(archs, arch) {
			archs = append(archs, arch)
		}
	}
	return archs, nil
}
