// Package base plans CanvOS' +base-image: the distro cleanup that turns a
// Kairos base image into the base of every provider and installer image
// (reference canvos.md §6). NewPlan turns Options into a Plan — an ordered
// list of steps, each a POSIX sh script plus the files, inputs and
// environment it needs — and stage.go translates the plan 1:1 into Dagger
// calls. Everything a user could see go wrong is in the plan, so it is tested
// here without an engine: golden plans per distro × option and shellcheck on
// every rendered script.
package base

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"dagger/canvos/usererr"
)

// Distributions NewPlan knows (OS_DISTRIBUTION).
const (
	Ubuntu       = "ubuntu"
	OpenSUSELeap = "opensuse-leap"
	SLES         = "sles"
	RHEL         = "rhel"
)

// GPU driver vendors (INSTALL_NVIDIA_GPU_DRIVERS / INSTALL_AMD_GPU_DRIVERS).
const (
	NVIDIA = "nvidia"
	AMD    = "amd"
)

// Options selects what the base image gets. Field comments name the CanvOS
// parameter each one comes from.
type Options struct {
	Image   string // BASE_IMAGE (derived by config when empty in .arg)
	Distro  string // OS_DISTRIBUTION: ubuntu, opensuse-leap, sles, rhel
	Version string // OS_VERSION, e.g. 22.04 (Ubuntu 20 and 22 mean 20.04 and 22.04)
	Arch    string // ARCH: amd64, arm64

	FIPS           bool // FIPS_ENABLED: keep the FIPS kernel and the base image's initrd
	UKI            bool // IS_UKI: Trusted Boot; no kernel purge or bootargs.cfg edits
	MAAS           bool // IS_MAAS: -maas image label
	Jetson         bool // IS_JETSON (BASE_IMAGE contains nvidia-jetson-agx-orin)
	UpdateKernel   bool // UPDATE_KERNEL: upgrade to the newest HWE kernel instead of holding it
	DisableSELinux bool // DISABLE_SELINUX (CanvOS default true)
	CISHardening   bool // CIS_HARDENING: run cis-harden/harden.sh from the Hooks input
	UbuntuPro      bool // UBUNTU_PRO_ATTACH: attach with the UbuntuProToken secret input

	GPU GPU

	Dockerfile   bool   // a Dockerfile input is given: the build starts from it (CanvOS FROM DOCKERFILE)
	DRBDVersion  string // DRBD_VERSION: passed to the Dockerfile as a build argument, as CanvOS does
	CACerts      bool   // a CACerts input (CanvOS certs/) is given
	CustomFiles  bool   // a CustomFiles input (files copied onto /) is given
	CustomScript bool   // a CustomScript input (commands run in the image) is given

	Proxy Proxy // build-time proxy, never left in the image
}

// GPU selects the driver hook. The scripts come from the Hooks input (a CanvOS
// checkout, or any directory with the same layout); this module does not carry
// its own copies of CanvOS' driver installers. CanvOS runs only the driver
// script, which runs scripts/install-kernel-headers.sh from its own directory.
type GPU struct {
	Vendor string // "", NVIDIA or AMD
	// Scripts relative to the Hooks input, run in order with bash; empty means
	// DefaultGPUScripts[Vendor].
	Scripts []string
	// CanvOS NVIDIA_* / AMDGPU_* parameters, passed to the scripts as
	// environment variables. AMDGPU_ARTIFACT_PATH is relative to the Hooks
	// input, as CanvOS' is relative to its repository.
	Settings map[string]string
}

// DefaultGPUScripts are CanvOS' driver scripts per vendor.
var DefaultGPUScripts = map[string][]string{
	NVIDIA: {"scripts/install-nvidia-drivers.sh"},
	AMD:    {"scripts/install-amdgpu-drivers.sh"},
}

// CISScript is CanvOS' CIS hardening script, relative to the Hooks input.
const CISScript = "cis-harden/harden.sh"

// Proxy is HTTP_PROXY, HTTPS_PROXY and NO_PROXY for the build.
type Proxy struct {
	HTTP, HTTPS, No string
}

var (
	versionRE  = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)
	hookPathRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._/-]*$`)
)

// Validate checks Options before anything is built; errors name the CanvOS
// parameter.
func (o Options) Validate() error {
	checks := []func() error{o.validateTarget, o.validateKernel, o.validateUbuntuOnly, o.validateGPU}
	for _, check := range checks {
		if err := check(); err != nil {
			return fmt.Errorf("base: %w", err)
		}
	}
	return nil
}

func (o Options) validateTarget() error {
	switch {
	case o.Image == "":
		return usererr.New("BASE_IMAGE", "", "a Kairos base image reference")
	case !slices.Contains([]string{Ubuntu, OpenSUSELeap, SLES, RHEL}, o.Distro):
		return usererr.New("OS_DISTRIBUTION", o.Distro, usererr.OneOf(Ubuntu, OpenSUSELeap, SLES, RHEL))
	case !versionRE.MatchString(o.Version):
		return usererr.New("OS_VERSION", o.Version, "a version such as 22.04, 15.6 or 9")
	case o.Arch != "amd64" && o.Arch != "arm64":
		return usererr.New("ARCH", o.Arch, usererr.OneOf("amd64", "arm64"))
	case o.Jetson && o.Arch != "arm64":
		return usererr.New("ARCH", o.Arch, "arm64 (the BASE_IMAGE is an NVIDIA Jetson image)")
	}
	return nil
}

func (o Options) validateKernel() error {
	if o.FIPS && o.UpdateKernel {
		return usererr.New("UPDATE_KERNEL", "true", "false when FIPS_ENABLED=true (the FIPS kernel is certified as shipped)")
	}
	return nil
}

// validateUbuntuOnly rejects options CanvOS only implements for Ubuntu (amd64),
// where CanvOS would silently skip them.
func (o Options) validateUbuntuOnly() error {
	for _, opt := range []struct {
		param string
		set   bool
		amd64 bool
	}{
		{"UBUNTU_PRO_ATTACH", o.UbuntuPro, false},
		{"IS_MAAS", o.MAAS, false},
		{"CIS_HARDENING", o.CISHardening, true},
	} {
		switch {
		case !opt.set:
		case o.Distro != Ubuntu:
			return usererr.New(opt.param, "true", "false unless OS_DISTRIBUTION=ubuntu")
		case opt.amd64 && o.Arch != "amd64":
			return usererr.New(opt.param, "true", "false unless ARCH=amd64")
		}
	}
	return nil
}

func (o Options) validateGPU() error {
	g := o.GPU
	switch {
	case g.Vendor == "":
		if len(g.Scripts) > 0 || len(g.Settings) > 0 {
			return usererr.Newf("GPU", "scripts or settings given without a vendor")
		}
		return nil
	case g.Vendor != NVIDIA && g.Vendor != AMD:
		return usererr.New("GPU vendor", g.Vendor, usererr.OneOf(NVIDIA, AMD))
	case o.Distro != Ubuntu || o.Arch != "amd64":
		return usererr.New(gpuParam(g.Vendor), "true", "false unless OS_DISTRIBUTION=ubuntu and ARCH=amd64")
	}
	for _, s := range o.gpuScripts() {
		if !hookPathRE.MatchString(s) || slices.Contains(strings.Split(s, "/"), "..") {
			return usererr.New("GPU script", s, "a relative path of letters, digits, . _ - /")
		}
	}
	prefix := map[string]string{NVIDIA: "NVIDIA_", AMD: "AMDGPU_"}[g.Vendor]
	for _, k := range slices.Sorted(maps.Keys(g.Settings)) {
		if !strings.HasPrefix(k, prefix) {
			return usererr.New(gpuParam(g.Vendor)+" setting", k, "a CanvOS parameter starting with "+prefix)
		}
	}
	return nil
}

func gpuParam(vendor string) string {
	if vendor == AMD {
		return "INSTALL_AMD_GPU_DRIVERS"
	}
	return "INSTALL_NVIDIA_GPU_DRIVERS"
}

func (o Options) gpuScripts() []string {
	if len(o.GPU.Scripts) > 0 {
		return o.GPU.Scripts
	}
	return DefaultGPUScripts[o.GPU.Vendor]
}

// osVersion is OS_VERSION as image names and package names need it: CanvOS
// accepts Ubuntu "20" and "22" for 20.04 and 22.04.
func (o Options) osVersion() string {
	if o.Distro == Ubuntu && (o.Version == "20" || o.Version == "22") {
		return o.Version + ".04"
	}
	return o.Version
}
