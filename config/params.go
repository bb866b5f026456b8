package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"dagger/canvos/usererr"
)

// Group is the section of docs/parameters.md a parameter is listed under.
type Group string

// Parameter groups, in documentation order.
const (
	GroupCommon   Group = "Common (.arg.template)"
	GroupOS       Group = "Base OS"
	GroupProxy    Group = "Proxy"
	GroupUKI      Group = "Trusted Boot (UKI)"
	GroupMAAS     Group = "MAAS and cloud images"
	GroupGPU      Group = "GPU drivers"
	GroupPins     Group = "Mirrors and version pins"
	GroupNoEffect Group = "Accepted for compatibility"
)

// Param describes one CanvOS parameter. The table below is the single source
// for parsing, defaults, validation messages and docs/parameters.md.
type Param struct {
	Name    string   // CanvOS name, as in .arg
	Aliases []string // other names accepted for it (CanvOS' lowercase proxy copies)
	Default string   // CanvOS default; $NAME refers to an earlier parameter's final value
	Values  []string // allowed values of an enum; nil when free-form
	Doc     string   // one sentence for the reference
	Group   Group
	// NoEffect marks parameters CanvOS declares but never uses; setting one warns.
	NoEffect bool
	// Deprecated, when set, is the warning printed if the parameter is used.
	Deprecated string

	field     func(*Config) any                // pointer to the Config field
	check     *format                          // accepted form of a non-empty free-form value
	normalize func(c *Config, v string) string // runs before parsing, after the default is applied
}

// Kind is the type of a parameter as the reference shows it.
func (p Param) Kind() string {
	switch p.field(&Config{}).(type) {
	case *bool:
		return "bool"
	case *int:
		return "int"
	}
	if p.Values == nil {
		return "string"
	}
	return "enum"
}

// Params returns the parameter table in documentation order.
func Params() []Param { return slices.Clone(params) }

// lookup maps every name and alias to its parameter.
var lookup = func() map[string]*Param {
	m := map[string]*Param{}
	for i := range params {
		p := &params[i]
		for _, n := range append([]string{p.Name}, p.Aliases...) {
			if _, dup := m[n]; dup {
				panic("config: parameter declared twice: " + n)
			}
			m[n] = p
		}
	}
	return m
}()

// set checks v's form and parses it into p's field of c.
func (p *Param) set(c *Config, v string) error {
	if p.check != nil && v != "" && !p.check.valid(v) {
		return usererr.New(p.Name, v, p.check.allowed)
	}
	return p.assign(c, v)
}

// assign parses v into p's field of c without the form check: a value
// derived from other parameters is checked where it is used (the provider
// reference rule), so a long CUSTOM_TAG is reported once, by that rule.
func (p *Param) assign(c *Config, v string) error {
	switch f := p.field(c).(type) {
	case *bool:
		b, err := parseBool(v)
		if err != nil {
			return usererr.New(p.Name, v, "true, false")
		}
		*f = b
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return usererr.New(p.Name, v, "a positive whole number")
		}
		*f = n
	case *string:
		*f = v
	default:
		if p.Values != nil && !slices.Contains(p.Values, v) {
			return usererr.New(p.Name, v, usererr.OneOf(p.Values...))
		}
		reflect.ValueOf(f).Elem().SetString(v)
	}
	return nil
}

// CheckValue reports whether v is a valid value of the parameter name, with
// the error a .arg line would get; for verbs that take a parameter as a flag.
func CheckValue(name, v string) error {
	p, ok := lookup[name]
	if !ok {
		return fmt.Errorf("config: unknown parameter %s", name)
	}
	return p.set(&Config{}, v)
}

// Value returns the value of the CanvOS parameter name (or alias) as an .arg
// file would spell it, for stages that pass parameters on (build arguments,
// script environments).
func (c Config) Value(name string) (string, bool) {
	p, ok := lookup[name]
	if !ok {
		return "", false
	}
	return p.get(&c), true
}

// get formats p's field of c the way a .arg file would spell it.
func (p *Param) get(c *Config) string {
	switch f := p.field(c).(type) {
	case *bool:
		return strconv.FormatBool(*f)
	case *int:
		return strconv.Itoa(*f)
	}
	return reflect.ValueOf(p.field(c)).Elem().String()
}

// parseBool accepts true and false in any case. CanvOS tests `= "true"`, so
// its "True" silently means false; a user who wrote it meant true.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errors.New("not a bool")
}

// Allowed describes the accepted values for the reference.
func (p Param) Allowed() string {
	switch {
	case p.Values != nil:
		return "`" + strings.Join(p.Values, "`, `") + "`"
	case p.check != nil:
		return p.check.allowed
	}
	switch p.Kind() {
	case "bool":
		return "`true`, `false` (any case)"
	case "int":
		return "a positive whole number"
	}
	return ""
}

func names[T ~string](vs ...T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// CanvOS defaults that other code names.
const (
	DefaultSpectroPubRepo = "us-docker.pkg.dev/palette-images"
	fipsSpectroPubRepo    = "us-docker.pkg.dev/palette-images-fips"
)

var params = []Param{
	// Common.
	{Name: "ARCH", Default: "amd64", Values: names(AMD64, ARM64), Group: GroupCommon,
		Doc:   "Target CPU architecture.",
		field: func(c *Config) any { return &c.Arch }},
	{Name: "OS_DISTRIBUTION", Default: "ubuntu", Group: GroupCommon, check: lowName,
		Doc:   "OS of the base image: ubuntu or opensuse-leap (base image derived), rhel, sles or any other with BASE_IMAGE.",
		field: func(c *Config) any { return &c.OSDistribution }},
	{Name: "OS_VERSION", Default: "", Group: GroupCommon, check: tagPart, normalize: normalizeOSVersion,
		Doc:   "OS version. Default 22.04 for ubuntu, 15.6 for opensuse-leap, required otherwise. Ubuntu 20, 22 and 24 mean 20.04, 22.04 and 24.04.",
		field: func(c *Config) any { return &c.OSVersion }},
	{Name: "K8S_DISTRIBUTION", Default: "k3s", Values: names(kubernetesDistributions...), Group: GroupCommon,
		Doc:   "Kubernetes distribution of the provider images.",
		field: func(c *Config) any { return &c.K8sDistribution }},
	{Name: "K8S_VERSION", Default: "", Group: GroupCommon,
		Doc:   "One Kubernetes version; empty builds every version of K8S_DISTRIBUTION in the matrix (k8s_version.json of the build context, else the embedded one). A version outside the matrix warns and is built.",
		field: func(c *Config) any { return &c.K8sVersion }, check: tagPart},
	{Name: "K8S_VERSION_STRICT", Default: "false", Group: GroupCommon,
		Doc:   "Make a K8S_VERSION outside the matrix an error instead of a warning (not a CanvOS parameter).",
		field: func(c *Config) any { return &c.StrictK8sVersion }},
	{Name: "IMAGE_REGISTRY", Default: "ttl.sh", Group: GroupCommon, check: registry,
		Doc:   "Registry host[/path] the provider images are tagged for (ttl.sh keeps images 24 hours).",
		field: func(c *Config) any { return &c.ImageRegistry }},
	{Name: "IMAGE_REPO", Default: "$OS_DISTRIBUTION", Group: GroupCommon, check: repository,
		Doc:   "Repository of the provider images in IMAGE_REGISTRY.",
		field: func(c *Config) any { return &c.ImageRepo }},
	{Name: "CUSTOM_TAG", Default: "", Group: GroupCommon, check: tagPart,
		Doc:   "Suffix of the provider image tags (`-CUSTOM_TAG`); empty adds none.",
		field: func(c *Config) any { return &c.CustomTag }},
	{Name: "PE_VERSION", Default: "v4.10.0-rc.2", Group: GroupCommon, check: tagPart,
		Doc:   "Palette Edge (stylus) version: framework image tag and provider tag prefix.",
		field: func(c *Config) any { return &c.PEVersion }},
	{Name: "ISO_NAME", Default: "installer", Group: GroupCommon, check: fileStem,
		Doc:   "File name of the installer ISO, without .iso.",
		field: func(c *Config) any { return &c.ISOName }},
	{Name: "BASE_IMAGE", Default: "", Group: GroupCommon, check: imageRef,
		Doc:   "Kairos-ready base image; empty derives it for ubuntu and opensuse-leap as KAIROS_BASE_IMAGE_URL/BASE_IMAGE_TAG.",
		field: func(c *Config) any { return &c.BaseImage }},
	{Name: "FIPS_ENABLED", Default: "false", Group: GroupCommon,
		Doc:   "Build FIPS images: FIPS repositories and binaries; not with UPDATE_KERNEL.",
		field: func(c *Config) any { return &c.FIPSEnabled }},
	{Name: "CLUSTERCONFIG", Default: "", Group: GroupCommon, check: path,
		Doc:   "Cluster definition (SPC) tarball in the build context, embedded in the ISO.",
		field: func(c *Config) any { return &c.ClusterConfig }},
	{Name: "EDGE_CUSTOM_CONFIG", Default: ".edge-custom-config.yaml", Group: GroupCommon, check: path,
		Doc:   "Edge custom configuration (content signing key) in the build context, used when present.",
		field: func(c *Config) any { return &c.EdgeCustomConfig }},
	{Name: "FORCE_INTERACTIVE_INSTALL", Default: "false", Group: GroupCommon,
		Doc:   "Make the interactive install the default GRUB entry of the ISO.",
		field: func(c *Config) any { return &c.ForceInteractiveInstall }},
	{Name: "TWO_NODE", Default: "false", Group: GroupCommon,
		Doc:   "Two-node high availability (Postgres and kine); ubuntu or opensuse-leap on amd64.",
		field: func(c *Config) any { return &c.TwoNode }},
	{Name: "KINE_VERSION", Default: "0.15.0", Group: GroupCommon, check: tagPart,
		Doc:   "kine release for TWO_NODE.",
		field: func(c *Config) any { return &c.KineVersion }},
	{Name: "BUNDLE_K8S_AND_AGENT_PROVIDER", Default: "false", Group: GroupCommon,
		Doc:   "Bake Kubernetes and the agent provider into provider images even when systemd >= 255 could load them as extensions.",
		field: func(c *Config) any { return &c.BundleK8sAndAgent }},
	{Name: "DEBUG", Default: "false", Group: GroupCommon,
		Doc:   "Verbose ISO tooling and debug kernel arguments.",
		field: func(c *Config) any { return &c.Debug }},

	// Base OS.
	{Name: "UPDATE_KERNEL", Default: "false", Group: GroupOS,
		Doc:   "Upgrade the kernel to the newest of the distribution instead of holding it; not with FIPS_ENABLED.",
		field: func(c *Config) any { return &c.UpdateKernel }},
	{Name: "DISABLE_SELINUX", Default: "true", Group: GroupOS,
		Doc:   "Turn SELinux off on the kernel command line (non-UKI).",
		field: func(c *Config) any { return &c.DisableSELinux }},
	{Name: "CIS_HARDENING", Default: "false", Group: GroupOS,
		Doc:   "Apply CanvOS' CIS benchmark hardening; ubuntu on amd64.",
		field: func(c *Config) any { return &c.CISHardening }},
	{Name: "UBUNTU_PRO_ATTACH", Default: "false", Group: GroupOS,
		Doc:   "Attach Ubuntu Pro during the build; the token is a secret passed separately, never a parameter.",
		field: func(c *Config) any { return &c.UbuntuProAttach }},
	{Name: "DRBD_VERSION", Default: "9.2.13", Group: GroupOS, check: tagPart,
		Doc:   "DRBD version for the Piraeus pack (used by Dockerfile customisations).",
		field: func(c *Config) any { return &c.DRBDVersion }},

	// Proxy.
	{Name: "HTTP_PROXY", Aliases: []string{"http_proxy"}, Group: GroupProxy, check: noSpace,
		Doc:   "HTTP proxy for the build.",
		field: func(c *Config) any { return &c.HTTPProxy }},
	{Name: "HTTPS_PROXY", Aliases: []string{"https_proxy"}, Group: GroupProxy, check: noSpace,
		Doc:   "HTTPS proxy for the build.",
		field: func(c *Config) any { return &c.HTTPSProxy }},
	{Name: "NO_PROXY", Aliases: []string{"no_proxy"}, Group: GroupProxy, check: noSpace,
		Doc:   "Hosts that bypass the proxy.",
		field: func(c *Config) any { return &c.NoProxy }},
	{Name: "PROXY_CERT_PATH", Group: GroupProxy, check: path,
		Deprecated: "PROXY_CERT_PATH is deprecated: put the certificates in certs/ of the build context",
		Doc:        "Deprecated: a proxy CA certificate; put certificates in certs/ instead.",
		field:      func(c *Config) any { return &c.ProxyCertPath }},

	// Trusted Boot.
	{Name: "IS_UKI", Default: "false", Group: GroupUKI,
		Doc:   "Build Trusted Boot (UKI) provider images and ISO; amd64 only.",
		field: func(c *Config) any { return &c.IsUKI }},
	{Name: "UKI_BRING_YOUR_OWN_KEYS", Default: "false", Group: GroupUKI,
		Doc:   "Use the keys in secure-boot/{private,public}-keys instead of generating them.",
		field: func(c *Config) any { return &c.UKIBringYourOwnKeys }},
	{Name: "INCLUDE_MS_SECUREBOOT_KEYS", Default: "true", Group: GroupUKI,
		Doc:   "Add Microsoft's UEFI CA certificates to the generated KEK and db.",
		field: func(c *Config) any { return &c.IncludeMSSecureBootKeys }},
	{Name: "AUTO_ENROLL_SECUREBOOT_KEYS", Default: "false", Group: GroupUKI,
		Doc:   "Let systemd-boot enroll the keys on machines in Setup Mode (CanvOS README wrongly says true).",
		field: func(c *Config) any { return &c.AutoEnrollSecureBoot }},
	{Name: "ENROLL_SPECTRO_EXTENSION_CERT", Default: "true", Group: GroupUKI,
		Doc:   "Add the Palette system-extension certificate to db.",
		field: func(c *Config) any { return &c.EnrollSpectroExtCert }},
	{Name: "SPECTRO_EXTENSION_CERT_IMAGE", Default: "us-east1-docker.pkg.dev/spectro-images/dev/arun/sysext/palette-sysext-cert:latest", Group: GroupUKI, check: imageRef,
		Doc:   "Image holding /palette-sysext-cert.pem (CanvOS' default is a development registry path).",
		field: func(c *Config) any { return &c.SpectroExtCertImage }},
	{Name: "MY_ORG", Default: "ACME Corp", Group: GroupUKI,
		Doc:   "Organisation (certificate subject) of generated Secure Boot keys.",
		field: func(c *Config) any { return &c.MyOrg }},
	{Name: "EXPIRATION_IN_DAYS", Default: "5475", Group: GroupUKI,
		Doc:   "Validity of generated Secure Boot certificates, in days (5475 = 15 years).",
		field: func(c *Config) any { return &c.ExpirationInDays }},
	{Name: "CMDLINE", Default: "stylus.registration", Group: GroupUKI,
		Doc:   "Extra kernel command line of the UKI.",
		field: func(c *Config) any { return &c.Cmdline }},
	{Name: "BRANDING", Default: "Palette eXtended Kubernetes Edge", Group: GroupUKI,
		Doc:   "Boot menu title of the UKI.",
		field: func(c *Config) any { return &c.Branding }},
	{Name: "EFI_MAX_SIZE", Default: "2048", Group: GroupUKI,
		Doc:   "Payload size (MiB) of the EFI size-check ISO.",
		field: func(c *Config) any { return &c.EFIMaxSize }},
	{Name: "EFI_IMG_SIZE", Default: "2200", Group: GroupUKI,
		Doc:   "FAT image size (MiB) of the EFI size-check ISO; larger than EFI_MAX_SIZE.",
		field: func(c *Config) any { return &c.EFIImgSize }},

	// MAAS and cloud.
	{Name: "IS_MAAS", Default: "false", Group: GroupMAAS,
		Doc:   "Build the installer for a MAAS image; ubuntu on amd64.",
		field: func(c *Config) any { return &c.IsMAAS }},
	{Name: "MAAS_IMAGE_NAME", Default: "kairos-ubuntu-maas", Group: GroupMAAS, check: fileStem, normalize: normalizeMAASName,
		Doc:   "File name of the MAAS image; a trailing .raw.gz or .raw is dropped.",
		field: func(c *Config) any { return &c.MAASImageName }},
	{Name: "IS_CLOUD_IMAGE", Default: "false", Group: GroupMAAS,
		Doc:   "Build the installer image for a cloud image (CanvOS sets it in +cloud-image, and so does cloud-image here): local-ui.tar of the build context is extracted into the rootfs, and the cloud-image files (GRUB Reset and Registration entries, custom-post-reset.yaml, the first-boot content and extend-persistent scripts) are added.",
		field: func(c *Config) any { return &c.IsCloudImage }},
	{Name: "REGION", Group: GroupMAAS, check: awsRegion,
		Doc:   "AWS region of the S3 bucket and the AMI; required by aws-cloud-image.",
		field: func(c *Config) any { return &c.Region }},
	{Name: "S3_BUCKET", Group: GroupMAAS, check: s3Bucket,
		Doc:   "S3 bucket the raw image is uploaded to; required by aws-cloud-image.",
		field: func(c *Config) any { return &c.S3Bucket }},
	{Name: "S3_KEY", Group: GroupMAAS, check: s3Key,
		Doc:   "S3 object key of the raw image (aws-cloud-image); default the raw file's name.",
		field: func(c *Config) any { return &c.S3Key }},
	{Name: "AMI_NAME", Group: GroupMAAS, check: amiName,
		Doc:   "Name of the AMI aws-cloud-image registers, or reuses when one of that name exists; default S3_KEY (as CanvOS' create-raw-to-ami.sh).",
		field: func(c *Config) any { return &c.AMIName }},

	// GPU drivers.
	{Name: "INSTALL_NVIDIA_GPU_DRIVERS", Default: "false", Group: GroupGPU,
		Doc:   "Pre-install NVIDIA datacenter drivers; ubuntu on amd64, not with AMD drivers.",
		field: func(c *Config) any { return &c.InstallNvidiaDrivers }},
	{Name: "NVIDIA_DRIVER_BRANCH", Default: "580", Group: GroupGPU,
		Doc:   "NVIDIA driver branch, e.g. 550, 570, 580.",
		field: func(c *Config) any { return &c.NvidiaDriverBranch }},
	{Name: "NVIDIA_DRIVER_TYPE", Default: "open", Values: names(NvidiaOpen, NvidiaProprietary), Group: GroupGPU,
		Doc:   "NVIDIA kernel modules: open (required on Hopper/Blackwell) or proprietary (pre-Turing).",
		field: func(c *Config) any { return &c.NvidiaDriverType }},
	{Name: "NVIDIA_USE_CUDA_REPO", Default: "true", Group: GroupGPU,
		Doc:   "Add NVIDIA's CUDA network repository at build time.",
		field: func(c *Config) any { return &c.NvidiaUseCUDARepo }},
	{Name: "NVIDIA_INSTALL_FABRICMANAGER", Default: "true", Group: GroupGPU,
		Doc:   "Install fabricmanager for NVSwitch/HGX systems.",
		field: func(c *Config) any { return &c.NvidiaInstallFabricManager }},
	{Name: "NVIDIA_INSTALL_IMEX", Default: "true", Group: GroupGPU,
		Doc:   "Install nvidia-imex (branches 570 and later).",
		field: func(c *Config) any { return &c.NvidiaInstallIMEX }},
	{Name: "NVIDIA_INSTALL_CONTAINER_TOOLKIT", Default: "false", Group: GroupGPU,
		Doc:   "Also install nvidia-container-toolkit on the host.",
		field: func(c *Config) any { return &c.NvidiaInstallContainerToolkit }},
	{Name: "NVIDIA_REBUILD_INITRD", Default: "true", Group: GroupGPU,
		Doc:   "Rebuild the initrd so the nouveau blacklist applies at early boot.",
		field: func(c *Config) any { return &c.NvidiaRebuildInitrd }},
	{Name: "INSTALL_AMD_GPU_DRIVERS", Default: "false", Group: GroupGPU,
		Doc:   "Pre-install AMD Instinct drivers; ubuntu on amd64, not with NVIDIA drivers.",
		field: func(c *Config) any { return &c.InstallAMDDrivers }},
	{Name: "AMDGPU_DRIVER_SOURCE", Default: "dkms", Values: names(AMDGPUDKMS, AMDGPUInbox), Group: GroupGPU,
		Doc:   "amdgpu from AMD's DKMS package or the in-tree (inbox) module.",
		field: func(c *Config) any { return &c.AMDGPUDriverSource }},
	{Name: "AMDGPU_DRIVER_RELEASE", Default: "31.40", Group: GroupGPU, check: tagPart,
		Doc:   "amdgpu-install release marker or ROCm alias (dkms only), e.g. 31.40, 7.2.1.",
		field: func(c *Config) any { return &c.AMDGPUDriverRelease }},
	{Name: "AMDGPU_ARTIFACT_PATH", Group: GroupGPU, check: localPath,
		Doc:   "Pre-built amdgpu DKMS tarball, relative to the build context.",
		field: func(c *Config) any { return &c.AMDGPUArtifactPath }},
	{Name: "AMDGPU_REBUILD_INITRD", Default: "false", Group: GroupGPU,
		Doc:   "Put amdgpu into the initrd (off: it loads after switch-root).",
		field: func(c *Config) any { return &c.AMDGPURebuildInitrd }},
	{Name: "AMDGPU_INSTALL_SMI", Default: "true", Group: GroupGPU,
		Doc:   "Install the amd-smi CLI matching the driver.",
		field: func(c *Config) any { return &c.AMDGPUInstallSMI }},

	// Mirrors and version pins.
	{Name: "SPECTRO_PUB_REPO", Default: DefaultSpectroPubRepo, Group: GroupPins, check: registry, normalize: fipsPubRepo,
		Doc:   "Spectro Cloud image repository; the default becomes " + fipsSpectroPubRepo + " when FIPS_ENABLED.",
		field: func(c *Config) any { return &c.SpectroPubRepo }},
	{Name: "SPECTRO_LUET_REPO", Default: "us-docker.pkg.dev/palette-images/edge", Group: GroupPins, check: registry,
		Doc:   "Repository of the luet package repositories (luet-repo-amd, luet-repo-arm); not FIPS-switched.",
		field: func(c *Config) any { return &c.SpectroLuetRepo }},
	{Name: "KAIROS_BASE_IMAGE_URL", Default: "$SPECTRO_PUB_REPO/edge", Group: GroupPins, check: registry,
		Doc:   "Repository of the derived Kairos base images.",
		field: func(c *Config) any { return &c.KairosBaseImageURL }},
	{Name: "KAIROS_INIT_VERSION", Default: "v0.17.1", Group: GroupPins, check: tagPart,
		Doc:   "kairos-init version in the derived base image tag.",
		field: func(c *Config) any { return &c.KairosInitVersion }},
	{Name: "BASE_IMAGE_TAG", Group: GroupPins, check: imageRef, normalize: defaultBaseImageTag,
		Doc:   "Name:tag of the derived base image under KAIROS_BASE_IMAGE_URL; default kairos-ubuntu:$OS_VERSION-core-$ARCH-generic-$KAIROS_INIT_VERSION (+ -uki with IS_UKI) or kairos-opensuse:leap-$OS_VERSION-core-$ARCH-generic-$KAIROS_INIT_VERSION. Setting it lifts the published-OS_VERSION check.",
		field: func(c *Config) any { return &c.BaseImageTag }},
	{Name: "STYLUS_BASE", Default: "$SPECTRO_PUB_REPO/edge/stylus-framework-linux-$ARCH:$PE_VERSION", Group: GroupPins, check: imageRef,
		Doc:   "Stylus framework image: copied into the installer and provider images; the name stylus-image.tar is tagged with.",
		field: func(c *Config) any { return &c.StylusBase }},
	{Name: "STYLUS_PACKAGE_BASE", Default: "$SPECTRO_PUB_REPO/edge/stylus-linux-$ARCH:$PE_VERSION", Group: GroupPins, check: imageRef,
		Doc:   "Stylus package image, packed as stylus-image.tar onto UKI ISOs.",
		field: func(c *Config) any { return &c.StylusPackageBase }},
	{Name: "CLI_IMAGE", Group: GroupPins, check: imageRef, normalize: defaultCLIImage,
		Doc:   "palette-edge-cli image (user-data validation); default $SPECTRO_PUB_REPO/edge/palette-edge-cli-$ARCH:$PE_VERSION, palette-edge-cli-fips-… with FIPS_ENABLED.",
		field: func(c *Config) any { return &c.CLIImage }},
	{Name: "BIN_TYPE", Group: GroupPins, Values: names(BinPalette, BinVertex), normalize: defaultBinType,
		Doc:   "Flavour of the third-party binaries (luet, etcdctl); default palette, vertex with FIPS_ENABLED.",
		field: func(c *Config) any { return &c.BinType }},
	{Name: "UBUNTU_IMAGE", Group: GroupPins, check: imageRef, normalize: defaultUbuntuImage,
		Doc:   "Ubuntu helper image of UKI provider images; default $SPECTRO_PUB_REPO/third-party/ubuntu:22.04, ubuntu-fips:22.04 with FIPS_ENABLED.",
		field: func(c *Config) any { return &c.UbuntuImage }},
	{Name: "IMAGE_TAG", Group: GroupPins, check: tagPart, normalize: defaultImageTag,
		Doc:   "Suffix of the provider tags, tag of the installer and ISO images; default $PE_VERSION, $PE_VERSION-$CUSTOM_TAG when CUSTOM_TAG is set.",
		field: func(c *Config) any { return &c.ImageTag }},
	{Name: "IMAGE_PATH", Group: GroupPins, check: imageRef,
		Doc:   "Reference of the provider image; default $IMAGE_REGISTRY/$IMAGE_REPO:$K8S_DISTRIBUTION-$K8S_VERSION-$IMAGE_TAG per version. One reference: needs a single K8S_VERSION.",
		field: func(c *Config) any { return &c.ImagePath }},
	{Name: "BUILDER_3RDPARTY_VERSION", Default: "4.8", Group: GroupPins, check: tagPart,
		Doc:   "Tag of the Spectro third-party binaries image.",
		field: func(c *Config) any { return &c.Builder3rdPartyVersion }},
	{Name: "SPECTRO_THIRD_PARTY_IMAGE", Default: DefaultSpectroPubRepo + "/third-party/spectro-third-party:$BUILDER_3RDPARTY_VERSION", Group: GroupPins, check: imageRef,
		Doc:   "Image with the luet and etcdctl binaries.",
		field: func(c *Config) any { return &c.SpectroThirdPartyImage }},
	{Name: "ALPINE_TAG", Default: "3.20", Group: GroupPins, check: tagPart,
		Doc:   "Tag of CanvOS' alpine helper image.",
		field: func(c *Config) any { return &c.AlpineTag }},
	{Name: "ALPINE_IMG", Default: "$SPECTRO_PUB_REPO/edge/canvos/alpine:$ALPINE_TAG", Group: GroupPins, check: imageRef,
		Doc:   "Alpine helper image (luet, certificates).",
		field: func(c *Config) any { return &c.AlpineImage }},
	{Name: "K3S_FLAVOR_TAG", Default: "k3s1", Group: GroupPins, check: tagPart,
		Doc:   "Suffix of k3s luet package versions.",
		field: func(c *Config) any { return &c.K3sFlavorTag }},
	{Name: "RKE2_FLAVOR_TAG", Default: "rke2r1", Group: GroupPins, check: tagPart,
		Doc:   "Suffix of rke2 luet package versions.",
		field: func(c *Config) any { return &c.RKE2FlavorTag }},
	{Name: "K3S_PROVIDER_VERSION", Default: "v4.10.3", Group: GroupPins, check: tagPart,
		Doc:   "Tag of the k3s Kairos agent provider image.",
		field: func(c *Config) any { return &c.K3sProviderVersion }},
	{Name: "KUBEADM_PROVIDER_VERSION", Default: "v4.10.1", Group: GroupPins, check: tagPart,
		Doc:   "Tag of the kubeadm Kairos agent provider image (also kubeadm-fips).",
		field: func(c *Config) any { return &c.KubeadmProviderVersion }},
	{Name: "RKE2_PROVIDER_VERSION", Default: "v4.10.3", Group: GroupPins, check: tagPart,
		Doc:   "Tag of the rke2 Kairos agent provider image.",
		field: func(c *Config) any { return &c.RKE2ProviderVersion }},
	{Name: "NODEADM_PROVIDER_VERSION", Default: "v4.9.3", Group: GroupPins, check: tagPart,
		Doc:   "Tag of the nodeadm Kairos agent provider image.",
		field: func(c *Config) any { return &c.NodeadmProviderVersion }},
	{Name: "CANONICAL_PROVIDER_VERSION", Default: "v4.10.1", Group: GroupPins, check: tagPart,
		Doc:   "Tag of the canonical Kairos agent provider image.",
		field: func(c *Config) any { return &c.CanonicalProviderVersion }},
	{Name: "PROVIDER_BASE", Group: GroupPins, check: imageRef, normalize: defaultProviderBase,
		Doc:   "Kairos agent provider image; default $SPECTRO_PUB_REPO/edge/kairos-io/provider-<k3s|rke2|kubeadm|nodeadm|canonical>:<its *_PROVIDER_VERSION> (kubeadm for kubeadm-fips).",
		field: func(c *Config) any { return &c.ProviderBase }},

	// Declared by CanvOS, used by nothing here.
	{Name: "OSBUILDER_VERSION", Default: "v0.400.3", Group: GroupNoEffect, NoEffect: true, check: tagPart,
		Doc:   "built in Go: CanvOS' osbuilder-tools (enki) UKI and key tooling is not used.",
		field: func(c *Config) any { return &c.OSBuilderVersion }},
	{Name: "OSBUILDER_IMAGE", Default: "quay.io/kairos/osbuilder-tools:$OSBUILDER_VERSION", Group: GroupNoEffect, NoEffect: true, check: imageRef,
		Doc:   "built in Go: CanvOS' osbuilder-tools image is not pulled.",
		field: func(c *Config) any { return &c.OSBuilderImage }},
	{Name: "AURORABOOT_VERSION", Default: "v0.26.2", Group: GroupNoEffect, NoEffect: true, check: tagPart,
		Doc:   "built in Go: CanvOS' AuroraBoot ISO and raw tooling is not used.",
		field: func(c *Config) any { return &c.AuroraBootVersion }},
	{Name: "AURORABOOT_IMAGE", Default: "quay.io/kairos/auroraboot:$AURORABOOT_VERSION", Group: GroupNoEffect, NoEffect: true, check: imageRef,
		Doc:   "built in Go: CanvOS' AuroraBoot image is not pulled.",
		field: func(c *Config) any { return &c.AuroraBootImage }},
	{Name: "KAIROS_VERSION", Default: "v4.1.2", Group: GroupNoEffect, NoEffect: true,
		Doc:   "Passed only to CanvOS' no-op OS_RELEASE step; the Kairos version comes from the base image.",
		field: func(c *Config) any { return &c.KairosVersion }},
	{Name: "GOLANG_VERSION", Default: "1.23", Group: GroupNoEffect, NoEffect: true,
		Doc:   "Go of CanvOS' helper builds; this module builds with its goImage argument.",
		field: func(c *Config) any { return &c.GolangVersion }},
	{Name: "ETCD_VERSION", Default: "v3.5.13", Group: GroupNoEffect, NoEffect: true,
		Doc:   "Declared and unused by CanvOS.",
		field: func(c *Config) any { return &c.ETCDVersion }},
	{Name: "BASE_IMAGE_URL", Default: "quay.io/kairos", Group: GroupNoEffect, NoEffect: true,
		Doc:   "Declared and unused by CanvOS (KAIROS_BASE_IMAGE_URL is the one used).",
		field: func(c *Config) any { return &c.BaseImageURL }},
}

// normalizeOSVersion applies the per-distribution default and spells Ubuntu
// short versions in full: CanvOS maps 20 and 22 to 20.04/22.04 but passes 24
// through to a base image tag that does not exist.
func normalizeOSVersion(c *Config, v string) string {
	if v == "" {
		switch c.OSDistribution {
		case Ubuntu:
			return "22.04"
		case OpenSUSELeap:
			return "15.6"
		}
	}
	if c.OSDistribution == Ubuntu && (v == "20" || v == "22" || v == "24") {
		return v + ".04"
	}
	return v
}

// formula makes a normalize step that fills an empty value with one of
// CanvOS' global ARG formulas (Earthfile prologue, +provider-image, +ubuntu).
func formula(f func(c *Config) string) func(*Config, string) string {
	return func(c *Config, v string) string {
		if v != "" {
			return v
		}
		return f(c)
	}
}

var (
	// defaultBaseImageTag is derived only when BASE_IMAGE is empty and the
	// distribution has published base images.
	defaultBaseImageTag = formula(func(c *Config) string {
		if c.BaseImage != "" {
			return ""
		}
		suffix := "-core-" + string(c.Arch) + "-generic-" + c.KairosInitVersion
		switch c.OSDistribution {
		case Ubuntu:
			return "kairos-ubuntu:" + c.OSVersion + suffix + pick(c.IsUKI, "-uki", "")
		case OpenSUSELeap:
			return "kairos-opensuse:leap-" + c.OSVersion + suffix
		}
		return ""
	})
	defaultCLIImage = formula(func(c *Config) string {
		return c.SpectroPubRepo + "/edge/palette-edge-cli" + pick(c.FIPSEnabled, "-fips", "") + "-" + string(c.Arch) + ":" + c.PEVersion
	})
	defaultBinType     = formula(func(c *Config) string { return string(pick(c.FIPSEnabled, BinVertex, BinPalette)) })
	defaultUbuntuImage = formula(func(c *Config) string {
		return c.SpectroPubRepo + "/third-party/ubuntu" + pick(c.FIPSEnabled, "-fips", "") + ":22.04"
	})
	defaultImageTag     = formula(func(c *Config) string { return c.PEVersion + pick(c.CustomTag != "", "-"+c.CustomTag, "") })
	defaultProviderBase = formula(func(c *Config) string {
		return c.SpectroPubRepo + "/edge/kairos-io/provider-" + c.providerName() + ":" + c.providerVersion()
	})
)

// normalizeMAASName drops the extensions CanvOS' wrapper strips.
func normalizeMAASName(_ *Config, v string) string {
	v = strings.TrimSuffix(v, ".raw.gz")
	return strings.TrimSuffix(v, ".raw")
}

// fipsPubRepo is CanvOS' global prologue: FIPS builds pull from the -fips
// repository unless the user pointed SPECTRO_PUB_REPO elsewhere.
func fipsPubRepo(c *Config, v string) string {
	if c.FIPSEnabled && v == DefaultSpectroPubRepo {
		return fipsSpectroPubRepo
	}
	return v
}
