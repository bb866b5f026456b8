package base

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/config"
)

func TestOptionsFrom(t *testing.T) {
	t.Parallel()
	arg := []byte(`CUSTOM_TAG=demo
IMAGE_REGISTRY=ttl.sh
OS_DISTRIBUTION=ubuntu
OS_VERSION=22
K8S_DISTRIBUTION=k3s
ARCH=amd64
UPDATE_KERNEL=true
CIS_HARDENING=true
UBUNTU_PRO_ATTACH=true
IS_MAAS=true
INSTALL_NVIDIA_GPU_DRIVERS=true
NVIDIA_DRIVER_BRANCH=570
HTTPS_PROXY=http://proxy:3128
NO_PROXY=.corp
DRBD_VERSION=9.2.14
`)
	cfg, _, err := config.Load(".arg", arg, nil)
	require.NoError(t, err)
	o := OptionsFrom(cfg)
	require.Equal(t, cfg.Plan().BaseImage, o.Image)
	require.Contains(t, o.Image, "kairos-ubuntu:22.04-core-amd64-generic")
	require.Equal(t, Options{
		Image: o.Image, Distro: Ubuntu, Version: "22.04", Arch: "amd64",
		MAAS: true, UpdateKernel: true, DisableSELinux: true, CISHardening: true, UbuntuPro: true,
		GPU: GPU{Vendor: NVIDIA, Settings: map[string]string{
			"NVIDIA_DRIVER_BRANCH": "570", "NVIDIA_DRIVER_TYPE": "open", "NVIDIA_USE_CUDA_REPO": "true",
			"NVIDIA_INSTALL_FABRICMANAGER": "true", "NVIDIA_INSTALL_IMEX": "true",
			"NVIDIA_INSTALL_CONTAINER_TOOLKIT": "false", "NVIDIA_REBUILD_INITRD": "true",
		}},
		Proxy:       Proxy{HTTPS: "http://proxy:3128", No: ".corp"},
		DRBDVersion: "9.2.14",
	}, o)
	plan, err := NewPlan(o)
	require.NoError(t, err)
	require.Equal(t, []string{"gpu-lookup", "kairos-files", "ubuntu-packages", "ubuntu-pro", "kairos-release", "cleanup", "bootargs"}, stepNames(plan))

	cfg, _, err = config.Load(".arg", []byte("OS_DISTRIBUTION=ubuntu\nOS_VERSION=22.04\nARCH=arm64\nBASE_IMAGE=registry.example/nvidia-jetson-agx-orin:1\nINSTALL_AMD_GPU_DRIVERS=false\n"), nil)
	require.NoError(t, err)
	o = OptionsFrom(cfg)
	require.True(t, o.Jetson)
	require.Equal(t, GPU{}, o.GPU)
	_, err = NewPlan(o)
	require.NoError(t, err)
}
