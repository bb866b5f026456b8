// Build CanvOS edge OS artifacts for Spectro Cloud Palette: base and provider
// images, installer ISOs, Trusted Boot keys and UKIs, Kairos raw and MAAS disk
// images.
//
// Configuration comes from a CanvOS .arg file plus the overrides below, so
// existing CanvOS users keep their files. Every artifact is assembled from
// files by the canvos worker CLI, without privileged containers.
package main

import (
	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
)

// Canvos is the module object. Its fields hold the constructor arguments.
type Canvos struct {
	// Build context: the directory holding .arg, user-data, content-*/, certs/, secure-boot/…
	Source *dagger.Directory
	// The CanvOS .arg file
	ArgFile *dagger.File
	// Parameter overrides, by CanvOS parameter name, applied over ArgFile
	Overrides []Override
	// Image of the Go toolchain that builds the worker CLI
	GoImage string
	// Image the worker CLI runs in (Debian-based, for its file-system tools)
	WorkerImage string
}

// Override is one CanvOS parameter set from a function argument.
type Override struct {
	Key   string
	Value string
}

func New(
	// Build context: the directory holding .arg, user-data, content-*/, certs/, secure-boot/…
	// +optional
	// +defaultPath="/"
	// +ignore=[".git", "build", "**/*.iso", "**/*.raw", "**/*.raw.gz", "spectro-luet-auth.yaml", ".secret", "secure-boot/private-keys"]
	source *dagger.Directory,
	// The CanvOS .arg file (KEY=VALUE lines); defaults to .arg in the build context when present
	// +optional
	argFile *dagger.File,
	// ARCH: amd64 or arm64
	// +optional
	arch string,
	// OS_DISTRIBUTION: ubuntu, opensuse-leap, rhel, sles
	// +optional
	osDistribution string,
	// OS_VERSION, e.g. 22.04
	// +optional
	osVersion string,
	// K8S_DISTRIBUTION: k3s, rke2, kubeadm, kubeadm-fips, nodeadm, canonical
	// (named in full: Dagger turns digits in argument names into --k-8-s-…)
	// +optional
	kubernetesDistribution string,
	// K8S_VERSION; empty builds every version of the distribution
	// +optional
	kubernetesVersion string,
	// CUSTOM_TAG appended to provider image tags
	// +optional
	customTag string,
	// IMAGE_REGISTRY that provider images are published to
	// +optional
	imageRegistry string,
	// IMAGE_REPO of the provider images
	// +optional
	imageRepo string,
	// PE_VERSION of the Palette Edge framework
	// +optional
	peVersion string,
	// Any CanvOS parameter as KEY=VALUE (.arg names, e.g. SPECTRO_PUB_REPO=mirror.local/palette);
	// repeatable, applied after the file and the arguments above
	// +optional
	set []string,
	// Go toolchain image that builds the worker CLI (point it at a mirror when air-gapped)
	// +optional
	// +default="golang:1.26-bookworm"
	goImage string,
	// Image the worker CLI runs in; needs apt and Debian's squashfs-tools, e2fsprogs, dosfstools, mtools
	// +optional
	// +default="debian:bookworm-slim"
	workerImage string,
) (*Canvos, error) {
	m := &Canvos{Source: source, ArgFile: argFile, GoImage: goImage, WorkerImage: workerImage}
	for _, o := range []Override{
		{"ARCH", arch},
		{"OS_DISTRIBUTION", osDistribution},
		{"OS_VERSION", osVersion},
		{"K8S_DISTRIBUTION", kubernetesDistribution},
		{"K8S_VERSION", kubernetesVersion},
		{"CUSTOM_TAG", customTag},
		{"IMAGE_REGISTRY", imageRegistry},
		{"IMAGE_REPO", imageRepo},
		{"PE_VERSION", peVersion},
	} {
		if o.Value != "" {
			m.Overrides = append(m.Overrides, o)
		}
	}
	for _, kv := range set {
		o, err := config.ParseOverride(kv)
		if err != nil {
			return nil, err
		}
		m.Overrides = append(m.Overrides, Override{Key: o.Key, Value: o.Value})
	}
	return m, nil
}
