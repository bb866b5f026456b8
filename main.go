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
	"dagger/canvos/usererr"
)

// Canvos is the module object. Its fields hold the constructor arguments
// and the inputs that the with-… functions attach, which every function
// that needs them reads (so each function's own arguments are only what is
// unique to it).
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

	// Inputs of the with-… functions; private: not exposed as fields.

	// +private
	CustomFiles *dagger.Directory
	// +private
	CustomScript *dagger.File
	// +private
	UbuntuProKey *dagger.Secret
	// +private
	LuetAuth *dagger.Secret
	// +private
	UkiKeys *dagger.Directory
	// +private
	UkiDbKey *dagger.Secret
	// +private
	UkiPcrKey *dagger.Secret
	// +private
	RegistryUsername string
	// +private
	RegistryPassword *dagger.Secret
	// +private
	NoPaletteEdgeCli bool
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

// WithCustomization adds the user's own layer to the base image, as CanvOS'
// Dockerfile customization does: files copied onto / and shell commands run
// in the image.
func (m *Canvos) WithCustomization(
	// Files copied onto / of the base image
	// +optional
	files *dagger.Directory,
	// Shell commands run in the base image (CanvOS' Dockerfile RUN lines)
	// +optional
	script *dagger.File,
) *Canvos {
	mm := *m
	mm.CustomFiles, mm.CustomScript = files, script
	return &mm
}

// WithUbuntuPro gives the Ubuntu Pro token that UBUNTU_PRO_ATTACH=true
// attaches with; it stays a secret, in no layer, argv or log.
func (m *Canvos) WithUbuntuPro(
	// Ubuntu Pro token, e.g. env://UBUNTU_PRO_KEY
	token *dagger.Secret,
) *Canvos {
	mm := *m
	mm.UbuntuProKey = token
	return &mm
}

// WithLuetAuth gives the luet registry login of the provider payloads
// (CanvOS spectro-luet-auth.yaml).
func (m *Canvos) WithLuetAuth(
	// The auth file, e.g. file://spectro-luet-auth.yaml
	auth *dagger.Secret,
) *Canvos {
	mm := *m
	mm.LuetAuth = auth
	return &mm
}

// WithUkiKeys gives the Trusted Boot keys that uki, uki-iso and the IS_UKI
// builds (provider images, build-all) sign with.
func (m *Canvos) WithUkiKeys(
	// Key tree from uki-genkey or CanvOS secure-boot/: public-keys/ and enrollment/ are read; private-keys/ is never uploaded
	// +ignore=["private-keys"]
	keys *dagger.Directory,
	// db private key (secure-boot/private-keys/db.key): signs the UKIs and systemd-boot
	dbKey *dagger.Secret,
	// TPM PCR policy key (secure-boot/private-keys/tpm2-pcr-private.pem): adds the signed PCR 11 policy that TPM-sealed disks unlock with
	// +optional
	pcrKey *dagger.Secret,
) *Canvos {
	mm := *m
	mm.UkiKeys, mm.UkiDbKey, mm.UkiPcrKey = keys, dbKey, pcrKey
	return &mm
}

// WithRegistryAuth logs in to the registry that publish, build-all --push
// and publish-iso-disk-image push to (the registry of each reference);
// without it the engine's own credentials are used.
func (m *Canvos) WithRegistryAuth(
	// Registry user name
	username string,
	// Registry password or token, e.g. env://REGISTRY_TOKEN
	password *dagger.Secret,
) (*Canvos, error) {
	if username == "" {
		return nil, usererr.New("--username", "", "the registry user name that goes with --password")
	}
	mm := *m
	mm.RegistryUsername, mm.RegistryPassword = username, password
	return &mm, nil
}
