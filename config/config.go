// Package config reads CanvOS configuration: the .arg file plus overrides,
// CanvOS' defaults, validation of every rule up front, and the Plan of every
// name a build derives from it (image references, tags, file names, the
// Palette profile block). It is pure: no environment, no clock, no files.
//
// The parameter table in params.go drives parsing, defaults, validation
// messages, the unknown-key suggestions and docs/parameters.md.
package config

// Arch is the target CPU architecture (ARCH).
type Arch string

// Architectures CanvOS builds for.
const (
	AMD64 Arch = "amd64"
	ARM64 Arch = "arm64"
)

// OSDistribution is OS_DISTRIBUTION. Any name is accepted with BASE_IMAGE;
// CanvOS derives the base image only for Ubuntu and openSUSE Leap.
type OSDistribution string

// Distributions CanvOS knows by name.
const (
	Ubuntu       OSDistribution = "ubuntu"
	OpenSUSELeap OSDistribution = "opensuse-leap"
	RHEL         OSDistribution = "rhel"
	SLES         OSDistribution = "sles"
)

// K8sDistribution is K8S_DISTRIBUTION.
type K8sDistribution string

// The Kubernetes distributions of k8s_version.json.
const (
	K3s         K8sDistribution = "k3s"
	RKE2        K8sDistribution = "rke2"
	Kubeadm     K8sDistribution = "kubeadm"
	KubeadmFIPS K8sDistribution = "kubeadm-fips"
	Nodeadm     K8sDistribution = "nodeadm"
	Canonical   K8sDistribution = "canonical"
)

// kubernetesDistributions are the keys of k8s_version.json, in CanvOS' order.
var kubernetesDistributions = []K8sDistribution{K3s, RKE2, Kubeadm, KubeadmFIPS, Nodeadm, Canonical}

// NvidiaDriverType is NVIDIA_DRIVER_TYPE.
type NvidiaDriverType string

// NVIDIA kernel module flavours.
const (
	NvidiaOpen        NvidiaDriverType = "open"
	NvidiaProprietary NvidiaDriverType = "proprietary"
)

// AMDGPUDriverSource is AMDGPU_DRIVER_SOURCE.
type AMDGPUDriverSource string

// Where the amdgpu kernel module comes from.
const (
	AMDGPUDKMS  AMDGPUDriverSource = "dkms"
	AMDGPUInbox AMDGPUDriverSource = "inbox"
)

// BinType is BIN_TYPE: which build of the third-party binaries (luet,
// etcdctl) is taken from SPECTRO_THIRD_PARTY_IMAGE.
type BinType string

// Third-party binary flavours.
const (
	BinPalette BinType = "palette"
	BinVertex  BinType = "vertex" // FIPS
)

// Config is every CanvOS parameter, typed, after defaults, overrides and
// normalisation (see Load). Field comments name the CanvOS parameter; the
// parameter table (params.go) holds defaults, allowed values and docs.
type Config struct {
	// User-level parameters (.arg.template and the README table).
	CustomTag               string          // CUSTOM_TAG
	ImageRegistry           string          // IMAGE_REGISTRY
	ImageRepo               string          // IMAGE_REPO (default: OS_DISTRIBUTION)
	OSDistribution          OSDistribution  // OS_DISTRIBUTION
	OSVersion               string          // OS_VERSION, Ubuntu "22" normalised to "22.04"
	K8sDistribution         K8sDistribution // K8S_DISTRIBUTION
	K8sVersion              string          // K8S_VERSION; empty = every version in the matrix
	StrictK8sVersion        bool            // K8S_VERSION_STRICT: a K8S_VERSION outside the matrix is an error
	ISOName                 string          // ISO_NAME
	Arch                    Arch            // ARCH
	BaseImage               string          // BASE_IMAGE as given; empty = derived (Plan.BaseImage)
	BaseImageTag            string          // BASE_IMAGE_TAG: the derived base image's name:tag under KAIROS_BASE_IMAGE_URL
	FIPSEnabled             bool            // FIPS_ENABLED
	HTTPProxy               string          // HTTP_PROXY (alias http_proxy)
	HTTPSProxy              string          // HTTPS_PROXY (alias https_proxy)
	NoProxy                 string          // NO_PROXY (alias no_proxy)
	UpdateKernel            bool            // UPDATE_KERNEL
	DisableSELinux          bool            // DISABLE_SELINUX
	CISHardening            bool            // CIS_HARDENING
	ClusterConfig           string          // CLUSTERCONFIG
	EdgeCustomConfig        string          // EDGE_CUSTOM_CONFIG
	ForceInteractiveInstall bool            // FORCE_INTERACTIVE_INSTALL
	UbuntuProAttach         bool            // UBUNTU_PRO_ATTACH (the token is a secret, never a parameter)
	MAASImageName           string          // MAAS_IMAGE_NAME without .raw/.raw.gz
	IsMAAS                  bool            // IS_MAAS
	IsCloudImage            bool            // IS_CLOUD_IMAGE
	IsUKI                   bool            // IS_UKI
	UKIBringYourOwnKeys     bool            // UKI_BRING_YOUR_OWN_KEYS
	IncludeMSSecureBootKeys bool            // INCLUDE_MS_SECUREBOOT_KEYS
	AutoEnrollSecureBoot    bool            // AUTO_ENROLL_SECUREBOOT_KEYS
	EnrollSpectroExtCert    bool            // ENROLL_SPECTRO_EXTENSION_CERT
	SpectroExtCertImage     string          // SPECTRO_EXTENSION_CERT_IMAGE
	BundleK8sAndAgent       bool            // BUNDLE_K8S_AND_AGENT_PROVIDER
	DRBDVersion             string          // DRBD_VERSION
	TwoNode                 bool            // TWO_NODE
	KineVersion             string          // KINE_VERSION
	MyOrg                   string          // MY_ORG
	ExpirationInDays        int             // EXPIRATION_IN_DAYS
	Region                  string          // REGION
	S3Bucket                string          // S3_BUCKET
	S3Key                   string          // S3_KEY
	AMIName                 string          // AMI_NAME
	ProxyCertPath           string          // PROXY_CERT_PATH (deprecated)

	// GPU drivers.
	InstallNvidiaDrivers          bool               // INSTALL_NVIDIA_GPU_DRIVERS
	NvidiaDriverBranch            int                // NVIDIA_DRIVER_BRANCH
	NvidiaDriverType              NvidiaDriverType   // NVIDIA_DRIVER_TYPE
	NvidiaUseCUDARepo             bool               // NVIDIA_USE_CUDA_REPO
	NvidiaInstallFabricManager    bool               // NVIDIA_INSTALL_FABRICMANAGER
	NvidiaInstallIMEX             bool               // NVIDIA_INSTALL_IMEX
	NvidiaInstallContainerToolkit bool               // NVIDIA_INSTALL_CONTAINER_TOOLKIT
	NvidiaRebuildInitrd           bool               // NVIDIA_REBUILD_INITRD
	InstallAMDDrivers             bool               // INSTALL_AMD_GPU_DRIVERS
	AMDGPUDriverSource            AMDGPUDriverSource // AMDGPU_DRIVER_SOURCE
	AMDGPUDriverRelease           string             // AMDGPU_DRIVER_RELEASE
	AMDGPUArtifactPath            string             // AMDGPU_ARTIFACT_PATH
	AMDGPURebuildInitrd           bool               // AMDGPU_REBUILD_INITRD
	AMDGPUInstallSMI              bool               // AMDGPU_INSTALL_SMI

	// Advanced: repositories, mirrors and version pins (Earthfile globals).
	SpectroPubRepo           string  // SPECTRO_PUB_REPO, after CanvOS' switch to the -fips repository
	Builder3rdPartyVersion   string  // BUILDER_3RDPARTY_VERSION
	SpectroThirdPartyImage   string  // SPECTRO_THIRD_PARTY_IMAGE (default derived from BUILDER_3RDPARTY_VERSION)
	AlpineTag                string  // ALPINE_TAG
	AlpineImage              string  // ALPINE_IMG (default derived)
	SpectroLuetRepo          string  // SPECTRO_LUET_REPO
	KairosBaseImageURL       string  // KAIROS_BASE_IMAGE_URL (default $SPECTRO_PUB_REPO/edge)
	StylusBase               string  // STYLUS_BASE (stylus framework image)
	StylusPackageBase        string  // STYLUS_PACKAGE_BASE (stylus package image, stylus-image.tar of UKI ISOs)
	BinType                  BinType // BIN_TYPE (third-party binary flavour)
	CLIImage                 string  // CLI_IMAGE (palette-edge-cli, validates user-data)
	UbuntuImage              string  // UBUNTU_IMAGE (helper of UKI provider images)
	ImageTag                 string  // IMAGE_TAG (default PE_VERSION[-CUSTOM_TAG])
	ImagePath                string  // IMAGE_PATH; empty = derived per Kubernetes version
	ProviderBase             string  // PROVIDER_BASE (Kairos agent provider image)
	PEVersion                string  // PE_VERSION
	KairosVersion            string  // KAIROS_VERSION
	KairosInitVersion        string  // KAIROS_INIT_VERSION
	K3sFlavorTag             string  // K3S_FLAVOR_TAG
	RKE2FlavorTag            string  // RKE2_FLAVOR_TAG
	OSBuilderVersion         string  // OSBUILDER_VERSION (accepted, no effect)
	OSBuilderImage           string  // OSBUILDER_IMAGE (accepted, no effect)
	AuroraBootVersion        string  // AURORABOOT_VERSION (accepted, no effect)
	AuroraBootImage          string  // AURORABOOT_IMAGE (accepted, no effect)
	K3sProviderVersion       string  // K3S_PROVIDER_VERSION
	KubeadmProviderVersion   string  // KUBEADM_PROVIDER_VERSION
	RKE2ProviderVersion      string  // RKE2_PROVIDER_VERSION
	NodeadmProviderVersion   string  // NODEADM_PROVIDER_VERSION
	CanonicalProviderVersion string  // CANONICAL_PROVIDER_VERSION
	Cmdline                  string  // CMDLINE
	Branding                 string  // BRANDING
	EFIMaxSize               int     // EFI_MAX_SIZE (MiB)
	EFIImgSize               int     // EFI_IMG_SIZE (MiB)
	GolangVersion            string  // GOLANG_VERSION (accepted, no effect)
	Debug                    bool    // DEBUG
	ETCDVersion              string  // ETCD_VERSION (accepted, no effect)
	BaseImageURL             string  // BASE_IMAGE_URL (accepted, no effect)

	matrix Matrix // the Kubernetes matrix K8S_VERSION is checked against and expands to
}
