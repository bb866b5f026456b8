package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"dagger/canvos/usererr"
)

// rule is one check across parameters; Doc is its line in docs/parameters.md.
type rule struct {
	Doc   string
	check func(c Config) error
}

func validate(c Config) []error {
	var errs []error
	for _, r := range rules {
		if err := r.check(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// derivedBase reports whether CanvOS derives the base image (§4.1).
func (c Config) derivedBase() bool {
	return c.BaseImage == "" && (c.OSDistribution == Ubuntu || c.OSDistribution == OpenSUSELeap)
}

func (c Config) ubuntuAMD64() bool { return c.OSDistribution == Ubuntu && c.Arch == AMD64 }

// published lists the OS versions CanvOS' base-image workflow publishes.
var published = map[OSDistribution][]string{
	Ubuntu:       {"20.04", "22.04", "24.04"},
	OpenSUSELeap: {"15.6"},
}

var rules = []rule{
	{"FIPS_ENABLED=true and UPDATE_KERNEL=true exclude each other: the FIPS kernel must not be replaced.", func(c Config) error {
		if c.FIPSEnabled && c.UpdateKernel {
			return usererr.New("UPDATE_KERNEL", "true", "false when FIPS_ENABLED=true (the certified FIPS kernel must stay)")
		}
		return nil
	}},
	{"NVIDIA and AMD GPU drivers exclude each other.", func(c Config) error {
		if c.InstallNvidiaDrivers && c.InstallAMDDrivers {
			return usererr.New("INSTALL_AMD_GPU_DRIVERS", "true", "false when INSTALL_NVIDIA_GPU_DRIVERS=true (one GPU driver stack per image)")
		}
		return nil
	}},
	{"BASE_IMAGE is required unless OS_DISTRIBUTION is ubuntu or opensuse-leap.", func(c Config) error {
		if c.BaseImage == "" && !c.derivedBase() {
			return usererr.New("BASE_IMAGE", "", fmt.Sprintf("an image reference: CanvOS derives base images only for ubuntu and opensuse-leap, OS_DISTRIBUTION is %q", c.OSDistribution))
		}
		return nil
	}},
	{"OS_VERSION is required; with a derived base image it must be one CanvOS publishes (ubuntu 20.04, 22.04, 24.04; opensuse-leap 15.6).", func(c Config) error {
		if c.OSVersion == "" {
			return usererr.New("OS_VERSION", "", fmt.Sprintf("the version of %s, as used in kairos-release and the profile", c.OSDistribution))
		}
		if ok := published[c.OSDistribution]; c.derivedBase() && !c.ownBaseImageTag() && !slices.Contains(ok, c.OSVersion) {
			return usererr.New("OS_VERSION", c.OSVersion, fmt.Sprintf("%s for %s, or set BASE_IMAGE", usererr.OneOf(ok...), c.OSDistribution))
		}
		return nil
	}},
	{"K8S_VERSION outside the matrix of K8S_DISTRIBUTION (k8s_version.json of the build context, else the embedded one) is built with a warning naming the nearest versions; with K8S_VERSION_STRICT=true it is an error.", func(c Config) error {
		if off := c.offMatrix(); off != "" && c.StrictK8sVersion {
			return usererr.New("K8S_VERSION", c.K8sVersion, off+"; or K8S_VERSION_STRICT=false to build it anyway")
		}
		return nil
	}},
	{"K8S_VERSION empty needs versions of K8S_DISTRIBUTION in the matrix.", func(c Config) error {
		if c.K8sVersion == "" && len(c.Matrix().Versions(c.K8sDistribution)) == 0 {
			return usererr.New("K8S_VERSION", "", fmt.Sprintf("a version: %s lists none for %s", c.Matrix().Source, c.K8sDistribution))
		}
		return nil
	}},
	{"IMAGE_PATH names one provider image: it needs a single Kubernetes version and a tag.", func(c Config) error {
		if c.ImagePath == "" {
			return nil
		}
		if n := len(c.k8sVersions()); n != 1 {
			return usererr.New("IMAGE_PATH", c.ImagePath, fmt.Sprintf("empty, or set K8S_VERSION too: %d versions would all be saved as this one reference", n))
		}
		if _, err := name.NewTag(c.ImagePath, name.StrictValidation); err != nil {
			return usererr.New("IMAGE_PATH", c.ImagePath, "registry/repository:tag in lowercase")
		}
		return nil
	}},
	{"k3s has no FIPS build: FIPS_ENABLED=true needs kubeadm-fips, rke2, kubeadm, nodeadm or canonical.", func(c Config) error {
		if c.FIPSEnabled && c.K8sDistribution == K3s {
			return usererr.New("K8S_DISTRIBUTION", string(K3s), "kubeadm-fips or rke2 when FIPS_ENABLED=true (k3s has no FIPS build)")
		}
		return nil
	}},
	{"IS_MAAS needs OS_DISTRIBUTION=ubuntu and ARCH=amd64 (the MAAS image carries an Ubuntu amd64 root).", func(c Config) error {
		switch {
		case c.IsMAAS && c.OSDistribution != Ubuntu:
			return usererr.New("OS_DISTRIBUTION", string(c.OSDistribution), "ubuntu when IS_MAAS=true (MAAS images are Ubuntu only)")
		case c.IsMAAS && c.Arch != AMD64:
			return usererr.New("ARCH", string(c.Arch), "amd64 when IS_MAAS=true")
		}
		return nil
	}},
	{"IS_UKI needs ARCH=amd64 (CanvOS' arm64 \"UKI\" ISO is a plain ISO) and excludes IS_MAAS.", func(c Config) error {
		switch {
		case c.IsUKI && c.Arch != AMD64:
			return usererr.New("ARCH", string(c.Arch), "amd64 when IS_UKI=true (Trusted Boot is built for amd64 only)")
		case c.IsUKI && c.IsMAAS:
			return usererr.New("IS_MAAS", "true", "false when IS_UKI=true (MAAS images boot without Trusted Boot)")
		}
		return nil
	}},
	{"IS_UKI with a derived Ubuntu base needs OS_VERSION=24.04, the only Ubuntu UKI base CanvOS publishes.", func(c Config) error {
		if c.IsUKI && c.derivedBase() && !c.ownBaseImageTag() && c.OSDistribution == Ubuntu && c.OSVersion != "24.04" {
			return usererr.New("OS_VERSION", c.OSVersion, "24.04 when IS_UKI=true with a derived base image, or set BASE_IMAGE")
		}
		return nil
	}},
	{"A Jetson BASE_IMAGE (nvidia-jetson-agx-orin) needs ARCH=arm64.", func(c Config) error {
		if isJetson(c.BaseImage) && c.Arch != ARM64 {
			return usererr.New("ARCH", string(c.Arch), "arm64 for the Jetson BASE_IMAGE "+c.BaseImage)
		}
		return nil
	}},
	{"GPU drivers, CIS hardening need ubuntu on amd64 (CanvOS silently skips them elsewhere).", func(c Config) error {
		for _, f := range []struct {
			name string
			on   bool
		}{{"INSTALL_NVIDIA_GPU_DRIVERS", c.InstallNvidiaDrivers}, {"INSTALL_AMD_GPU_DRIVERS", c.InstallAMDDrivers}, {"CIS_HARDENING", c.CISHardening}} {
			if f.on && !c.ubuntuAMD64() {
				return usererr.New(f.name, "true", fmt.Sprintf("false for %s on %s (only ubuntu on amd64 supports it)", c.OSDistribution, c.Arch))
			}
		}
		return nil
	}},
	{"UBUNTU_PRO_ATTACH needs OS_DISTRIBUTION=ubuntu.", func(c Config) error {
		if c.UbuntuProAttach && c.OSDistribution != Ubuntu {
			return usererr.New("UBUNTU_PRO_ATTACH", "true", "false for "+string(c.OSDistribution))
		}
		return nil
	}},
	{"TWO_NODE needs ubuntu or opensuse-leap on amd64 (kine and Postgres are installed only there).", func(c Config) error {
		if c.TwoNode && (c.Arch != AMD64 || (c.OSDistribution != Ubuntu && c.OSDistribution != OpenSUSELeap)) {
			return usererr.New("TWO_NODE", "true", fmt.Sprintf("false for %s on %s", c.OSDistribution, c.Arch))
		}
		return nil
	}},
	{"EFI_IMG_SIZE must be larger than EFI_MAX_SIZE.", func(c Config) error {
		if c.EFIImgSize <= c.EFIMaxSize && c.EFIImgSize > 0 {
			return usererr.New("EFI_IMG_SIZE", fmt.Sprint(c.EFIImgSize), fmt.Sprintf("more than EFI_MAX_SIZE (%d)", c.EFIMaxSize))
		}
		return nil
	}},
	{"Provider image references must be valid: IMAGE_REGISTRY/IMAGE_REPO:tag, tag at most 128 characters.", func(c Config) error {
		versions := c.k8sVersions()
		if len(versions) == 0 || c.ImageRegistry == "" || c.ImageRepo == "" || c.ImagePath != "" {
			return nil
		}
		ref := c.providerRef(longest(versions))
		if _, err := name.NewTag(ref, name.StrictValidation); err != nil {
			return usererr.New("IMAGE_REGISTRY, IMAGE_REPO, CUSTOM_TAG", ref, "a valid image reference: lowercase repository, tag of at most 128 characters")
		}
		return nil
	}},
}

// offMatrix describes a K8S_VERSION the matrix does not list, with the
// nearest versions it does; "" when it lists it (or K8S_VERSION is empty).
func (c Config) offMatrix() string {
	known := c.Matrix().Versions(c.K8sDistribution)
	if c.K8sVersion == "" || slices.Contains(known, c.K8sVersion) {
		return ""
	}
	if len(known) == 0 {
		return fmt.Sprintf("%s lists no %s versions", c.Matrix().Source, c.K8sDistribution)
	}
	return fmt.Sprintf("not a %s version of %s, nearest: %s", c.K8sDistribution, c.Matrix().Source, strings.Join(nearestVersions(c.K8sVersion, known), ", "))
}

// ownBaseImageTag reports whether BASE_IMAGE_TAG was set to other than
// CanvOS' formula: the user names the image, so OS_VERSION need not be one
// CanvOS publishes.
func (c Config) ownBaseImageTag() bool {
	d := c
	d.BaseImageTag = ""
	return c.BaseImageTag != defaultBaseImageTag(&d, "")
}

func isJetson(baseImage string) bool { return strings.Contains(baseImage, "nvidia-jetson-agx-orin") }

func longest(s []string) string {
	l := ""
	for _, v := range s {
		if len(v) > len(l) {
			l = v
		}
	}
	return l
}

// advise returns warnings for settings that are valid but have no effect
// or are probably a slip.
func advise(c Config) []string {
	var w []string
	if c.FIPSEnabled && c.K8sDistribution == Kubeadm {
		w = append(w, "K8S_DISTRIBUTION=kubeadm with FIPS_ENABLED=true builds non-FIPS Kubernetes; kubeadm-fips is the FIPS one")
	}
	if c.AMDGPUArtifactPath != "" && !(c.InstallAMDDrivers && c.AMDGPUDriverSource == AMDGPUDKMS) {
		w = append(w, "AMDGPU_ARTIFACT_PATH has no effect without INSTALL_AMD_GPU_DRIVERS=true and AMDGPU_DRIVER_SOURCE=dkms")
	}
	if off := c.offMatrix(); off != "" && !c.StrictK8sVersion {
		w = append(w, fmt.Sprintf("K8S_VERSION %s is %s; building it anyway with luet package %s (K8S_VERSION_STRICT=true makes this an error)",
			c.K8sVersion, off, c.provider(c.K8sVersion).LuetPackage))
	}
	if c.BaseImage != "" && c.BaseImageTag != "" {
		w = append(w, "BASE_IMAGE_TAG has no effect when BASE_IMAGE is set")
	}
	if c.AutoEnrollSecureBoot && !c.IsUKI {
		w = append(w, "AUTO_ENROLL_SECUREBOOT_KEYS has no effect without IS_UKI=true")
	}
	if _, err := name.NewTag(c.isoImageRef(), name.StrictValidation); err != nil {
		w = append(w, fmt.Sprintf("ISO_NAME %q makes the ISO image reference %s invalid (iso-disk-image); use lowercase", c.ISOName, c.isoImageRef()))
	}
	return w
}
