package base

import (
	"strconv"

	"dagger/canvos/config"
)

// OptionsFrom maps a loaded CanvOS configuration onto Options. Whether the
// optional inputs (certs/, a Dockerfile, custom files, custom script) exist is
// known only to the caller, which sets CACerts, Dockerfile, CustomFiles and
// CustomScript.
func OptionsFrom(cfg config.Config) Options {
	plan := cfg.Plan()
	return Options{
		Image:          plan.BaseImage,
		Distro:         string(cfg.OSDistribution),
		Version:        cfg.OSVersion,
		Arch:           string(cfg.Arch),
		FIPS:           cfg.FIPSEnabled,
		UKI:            cfg.IsUKI,
		MAAS:           cfg.IsMAAS,
		Jetson:         plan.IsJetson,
		UpdateKernel:   cfg.UpdateKernel,
		DisableSELinux: cfg.DisableSELinux,
		CISHardening:   cfg.CISHardening,
		UbuntuPro:      cfg.UbuntuProAttach,
		GPU:            gpuFrom(cfg),
		Proxy:          Proxy{HTTP: cfg.HTTPProxy, HTTPS: cfg.HTTPSProxy, No: cfg.NoProxy},
		DRBDVersion:    cfg.DRBDVersion,
	}
}

// gpuFrom passes CanvOS' driver parameters to the driver scripts under
// their CanvOS names.
func gpuFrom(cfg config.Config) GPU {
	b := strconv.FormatBool
	switch {
	case cfg.InstallNvidiaDrivers:
		return GPU{Vendor: NVIDIA, Settings: map[string]string{
			"NVIDIA_DRIVER_BRANCH":             strconv.Itoa(cfg.NvidiaDriverBranch),
			"NVIDIA_DRIVER_TYPE":               string(cfg.NvidiaDriverType),
			"NVIDIA_USE_CUDA_REPO":             b(cfg.NvidiaUseCUDARepo),
			"NVIDIA_INSTALL_FABRICMANAGER":     b(cfg.NvidiaInstallFabricManager),
			"NVIDIA_INSTALL_IMEX":              b(cfg.NvidiaInstallIMEX),
			"NVIDIA_INSTALL_CONTAINER_TOOLKIT": b(cfg.NvidiaInstallContainerToolkit),
			"NVIDIA_REBUILD_INITRD":            b(cfg.NvidiaRebuildInitrd),
		}}
	case cfg.InstallAMDDrivers:
		return GPU{Vendor: AMD, Settings: map[string]string{
			"AMDGPU_DRIVER_SOURCE":  string(cfg.AMDGPUDriverSource),
			"AMDGPU_DRIVER_RELEASE": cfg.AMDGPUDriverRelease,
			"AMDGPU_ARTIFACT_PATH":  cfg.AMDGPUArtifactPath,
			"AMDGPU_REBUILD_INITRD": b(cfg.AMDGPURebuildInitrd),
			"AMDGPU_INSTALL_SMI":    b(cfg.AMDGPUInstallSMI),
		}}
	}
	return GPU{}
}
