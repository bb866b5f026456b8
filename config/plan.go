package config

import "github.com/google/go-containerregistry/pkg/name"

// Plan is every name a build derives from a Config, computed once with
// CanvOS' formulas (reference §4) so that no stage recomputes one.
type Plan struct {
	Arch     Arch   `json:"arch"`     // ARCH
	Platform string `json:"platform"` // OCI platform, linux/<arch>

	// BaseImage is the Kairos base image: BASE_IMAGE, or derived (§4.1).
	BaseImage string `json:"baseImage"`
	// BaseImageDerived is true when BaseImage was derived, not given.
	BaseImageDerived bool `json:"baseImageDerived"`
	// IsJetson is CanvOS' IS_JETSON: the base image is an NVIDIA Jetson Orin one.
	IsJetson bool `json:"isJetson"`

	// ImageTag is IMAGE_TAG, PE_VERSION[-CUSTOM_TAG] by default, the suffix of every provider tag.
	ImageTag string `json:"imageTag"`
	// K8sMatrix says which Kubernetes matrix K8S_VERSION was checked against
	// and, when empty, expanded from.
	K8sMatrix string `json:"k8sMatrix"`
	// Providers has one provider image per Kubernetes version, in matrix order.
	Providers []ProviderImage `json:"providers"`

	SpectroPubRepo  string `json:"spectroPubRepo"`  // effective SPECTRO_PUB_REPO (FIPS-switched)
	StylusFramework string `json:"stylusFramework"` // STYLUS_BASE
	StylusPackage   string `json:"stylusPackage"`   // STYLUS_PACKAGE_BASE
	AgentProvider   string `json:"agentProvider"`   // PROVIDER_BASE
	LuetRepo        string `json:"luetRepo"`        // $SPECTRO_LUET_REPO/luet-repo-amd|arm
	ThirdPartyImage string `json:"thirdPartyImage"` // SPECTRO_THIRD_PARTY_IMAGE (luet, etcdctl)
	BinType         string `json:"binType"`         // BIN_TYPE: palette, or vertex when FIPS
	CLIImage        string `json:"cliImage"`        // CLI_IMAGE (user-data validation)
	AlpineImage     string `json:"alpineImage"`     // ALPINE_IMG
	UbuntuImage     string `json:"ubuntuImage"`     // UBUNTU_IMAGE (UKI provider images)
	ExtCertImage    string `json:"extCertImage"`    // SPECTRO_EXTENSION_CERT_IMAGE
	// ExtCert is true when the Palette extension certificate goes into db
	// (ENROLL_SPECTRO_EXTENSION_CERT).
	ExtCert bool `json:"extCert"`
	// IsCloudImage is IS_CLOUD_IMAGE: the installer rootfs carries the local
	// UI and the cloud-image files (overlay.CloudImage), as CanvOS' +iso-image.
	IsCloudImage bool `json:"isCloudImage"`

	// InstallerImage is the local installer image name (not pushed).
	InstallerImage string `json:"installerImage"`
	// ISOName is ISO_NAME; ISOFile and ISOChecksumFile are under build/.
	ISOName         string `json:"isoName"`
	ISOFile         string `json:"isoFile"`         // <ISO_NAME>.iso
	ISOChecksumFile string `json:"isoChecksumFile"` // <ISO_NAME>.iso.sha256 (CanvOS writes none for UKI ISOs)
	// ISOImage is the ISO published as an OCI artifact (+iso-disk-image).
	ISOImage string `json:"isoImage"`

	MAASImageName      string `json:"maasImageName"`      // MAAS_IMAGE_NAME without extension
	MAASFile           string `json:"maasFile"`           // <name>.raw.gz
	MAASChecksumFile   string `json:"maasChecksumFile"`   // <name>.raw.gz.sha256
	RawFile            string `json:"rawFile"`            // kairos.raw
	KairosReleaseName  string `json:"kairosReleaseName"`  // KAIROS_NAME of /etc/kairos-release
	KairosReleaseLabel string `json:"kairosReleaseLabel"` // KAIROS_IMAGE_LABEL of /etc/kairos-release

	// Profile is the Palette cluster-profile block CanvOS prints (§4.4).
	Profile string `json:"profile"`
}

// ProviderImage is one provider image: one Kubernetes version.
type ProviderImage struct {
	K8sVersion  string `json:"k8sVersion"`  // e.g. 1.33.5
	LuetVersion string `json:"luetVersion"` // luet package version: 1.33.5-k3s1, 1.33.5-rke2r1, else 1.33.5
	LuetPackage string `json:"luetPackage"` // k8s/<distribution>@<LuetVersion>
	Tag         string `json:"tag"`         // <distribution>-<version>-<ImageTag>
	Ref         string `json:"ref"`         // IMAGE_REGISTRY/IMAGE_REPO:Tag
}

// Plan derives every name of the build.
func (c Config) Plan() Plan {
	p := Plan{
		Arch:               c.Arch,
		Platform:           "linux/" + string(c.Arch),
		BaseImage:          c.baseImage(),
		BaseImageDerived:   c.BaseImage == "",
		IsJetson:           isJetson(c.BaseImage),
		ImageTag:           c.ImageTag,
		K8sMatrix:          c.Matrix().Source,
		SpectroPubRepo:     c.SpectroPubRepo,
		StylusFramework:    c.StylusBase,
		StylusPackage:      c.StylusPackageBase,
		AgentProvider:      c.ProviderBase,
		LuetRepo:           c.SpectroLuetRepo + "/luet-repo-" + map[Arch]string{AMD64: "amd", ARM64: "arm"}[c.Arch],
		ThirdPartyImage:    c.SpectroThirdPartyImage,
		BinType:            string(c.BinType),
		CLIImage:           c.CLIImage,
		AlpineImage:        c.AlpineImage,
		UbuntuImage:        c.UbuntuImage,
		ExtCertImage:       c.SpectroExtCertImage,
		ExtCert:            c.EnrollSpectroExtCert,
		IsCloudImage:       c.IsCloudImage,
		InstallerImage:     pick(c.IsMAAS, "index.docker.io/library/palette-installer-image:latest", "palette-installer-image:"+c.ImageTag),
		ISOName:            c.ISOName,
		ISOFile:            c.ISOName + ".iso",
		ISOChecksumFile:    c.ISOName + ".iso.sha256",
		ISOImage:           c.isoImageRef(),
		MAASImageName:      c.MAASImageName,
		MAASFile:           c.MAASImageName + ".raw.gz",
		MAASChecksumFile:   c.MAASImageName + ".raw.gz.sha256",
		RawFile:            "kairos.raw",
		KairosReleaseName:  "kairos-core-" + string(c.OSDistribution) + "-" + c.OSVersion,
		KairosReleaseLabel: c.OSVersion + "-standard-" + string(c.Arch) + "-generic" + pick(c.IsMAAS, "-maas", ""),
	}
	for _, v := range c.k8sVersions() {
		p.Providers = append(p.Providers, c.provider(v))
	}
	p.Profile = c.profile()
	return p
}

// K8sVersions returns the Kubernetes versions of the providers, in order.
func (p Plan) K8sVersions() []string {
	out := make([]string, len(p.Providers))
	for i, pi := range p.Providers {
		out[i] = pi.K8sVersion
	}
	return out
}

// ProviderRefs returns the provider image references, in order.
func (p Plan) ProviderRefs() []string {
	out := make([]string, len(p.Providers))
	for i, pi := range p.Providers {
		out[i] = pi.Ref
	}
	return out
}

// k8sVersions is K8S_VERSION, or the whole matrix of the distribution.
func (c Config) k8sVersions() []string {
	if c.K8sVersion != "" {
		return []string{c.K8sVersion}
	}
	return c.Matrix().Versions(c.K8sDistribution)
}

// baseImage is §4.1: BASE_IMAGE, else KAIROS_BASE_IMAGE_URL/BASE_IMAGE_TAG
// (BASE_IMAGE_TAG derived only for ubuntu and opensuse-leap).
func (c Config) baseImage() string {
	if c.BaseImage != "" || c.BaseImageTag == "" {
		return c.BaseImage
	}
	return c.KairosBaseImageURL + "/" + c.BaseImageTag
}

// providerTag is the tag of IMAGE_PATH: derived, or the one IMAGE_PATH names.
func (c Config) providerTag(k8sVersion string) string {
	if c.ImagePath != "" {
		if t, err := name.NewTag(c.ImagePath); err == nil {
			return t.TagStr()
		}
	}
	return string(c.K8sDistribution) + "-" + k8sVersion + "-" + c.ImageTag
}

// providerRef is IMAGE_PATH, CanvOS' SAVE IMAGE name of a provider image.
func (c Config) providerRef(k8sVersion string) string {
	if c.ImagePath != "" {
		return c.ImagePath
	}
	return c.ImageRegistry + "/" + c.ImageRepo + ":" + c.providerTag(k8sVersion)
}

func (c Config) provider(v string) ProviderImage {
	luet := v
	switch c.K8sDistribution {
	case K3s:
		luet += "-" + c.K3sFlavorTag
	case RKE2:
		luet += "-" + c.RKE2FlavorTag
	}
	return ProviderImage{
		K8sVersion:  v,
		LuetVersion: luet,
		LuetPackage: "k8s/" + string(c.K8sDistribution) + "@" + luet,
		Tag:         c.providerTag(v),
		Ref:         c.providerRef(v),
	}
}

// providerName is the agent provider image of the distribution; the FIPS
// kubeadm package uses the kubeadm provider.
func (c Config) providerName() string {
	if c.K8sDistribution == KubeadmFIPS {
		return string(Kubeadm)
	}
	return string(c.K8sDistribution)
}

func (c Config) providerVersion() string {
	return map[K8sDistribution]string{
		K3s:         c.K3sProviderVersion,
		RKE2:        c.RKE2ProviderVersion,
		Kubeadm:     c.KubeadmProviderVersion,
		KubeadmFIPS: c.KubeadmProviderVersion,
		Nodeadm:     c.NodeadmProviderVersion,
		Canonical:   c.CanonicalProviderVersion,
	}[c.K8sDistribution]
}

func (c Config) isoImageRef() string {
	return c.ImageRegistry + "/" + c.ImageRepo + "/" + c.ISOName + ":" + c.ImageTag
}

func pick[T any](cond bool, yes, no T) T {
	if cond {
		return yes
	}
	return no
}
