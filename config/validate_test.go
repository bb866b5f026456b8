package config

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/usererr"
)

// One failing case per rule (at least); the test fails if a rule has none.
func TestRulesEachHaveAFailingCase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sets []string
		want string
	}{
		{"FIPS with UPDATE_KERNEL", []string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=kubeadm-fips", "UPDATE_KERNEL=true"},
			`UPDATE_KERNEL: invalid value "true"; allowed: false when FIPS_ENABLED=true`},
		{"NVIDIA with AMD", []string{"INSTALL_NVIDIA_GPU_DRIVERS=true", "INSTALL_AMD_GPU_DRIVERS=true"},
			`INSTALL_AMD_GPU_DRIVERS: invalid value "true"; allowed: false when INSTALL_NVIDIA_GPU_DRIVERS=true`},
		{"rhel without BASE_IMAGE", []string{"OS_DISTRIBUTION=rhel", "OS_VERSION=9"},
			`BASE_IMAGE: invalid value ""; allowed: an image reference: CanvOS derives base images only for ubuntu and opensuse-leap, OS_DISTRIBUTION is "rhel"`},
		{"sles without BASE_IMAGE", []string{"OS_DISTRIBUTION=sles", "OS_VERSION=5.4"}, `BASE_IMAGE: invalid value ""`},
		{"hadron without BASE_IMAGE", []string{"OS_DISTRIBUTION=hadron", "OS_VERSION=0.5.1"}, `BASE_IMAGE: invalid value ""`},
		{"rhel without OS_VERSION", []string{"OS_DISTRIBUTION=rhel", "BASE_IMAGE=r.example/rhel9:1"}, `OS_VERSION: invalid value ""`},
		{"ubuntu 21.04 not published", []string{"OS_VERSION=21.04"}, `OS_VERSION: invalid value "21.04"; allowed: 20.04, 22.04, 24.04 for ubuntu, or set BASE_IMAGE`},
		{"leap 15.5 not published", []string{"OS_DISTRIBUTION=opensuse-leap", "OS_VERSION=15.5"}, `OS_VERSION: invalid value "15.5"; allowed: 15.6 for opensuse-leap`},
		{"K8S_VERSION not in matrix, strict", []string{"K8S_VERSION=1.33.4", "K8S_VERSION_STRICT=true"}, `K8S_VERSION: invalid value "1.33.4"; allowed: not a k3s version of ` + EmbeddedMatrixSource + `, nearest: 1.33.3, 1.33.5, 1.33.6; or K8S_VERSION_STRICT=false to build it anyway`},
		{"K8S_VERSION of another distribution, strict", []string{"K8S_DISTRIBUTION=nodeadm", "K8S_VERSION=1.33.5", "K8S_VERSION_STRICT=true"}, `nearest: 1.30.0, 1.31.0, 1.32.0;`},
		{"no versions of the distribution", []string{"K8S_DISTRIBUTION=canonical"}, `K8S_VERSION: invalid value ""; allowed: a version: k8s_version.json lists none for canonical`},
		{"IMAGE_PATH for all versions", []string{"IMAGE_PATH=reg.example/p:1"}, `IMAGE_PATH: invalid value "reg.example/p:1"; allowed: empty, or set K8S_VERSION too: 61 versions`},
		{"FIPS with k3s", []string{"FIPS_ENABLED=true"}, `K8S_DISTRIBUTION: invalid value "k3s"; allowed: kubeadm-fips or rke2 when FIPS_ENABLED=true`},
		{"MAAS on opensuse", []string{"IS_MAAS=true", "OS_DISTRIBUTION=opensuse-leap"}, `OS_DISTRIBUTION: invalid value "opensuse-leap"; allowed: ubuntu when IS_MAAS=true`},
		{"MAAS on arm64", []string{"IS_MAAS=true", "ARCH=arm64"}, `ARCH: invalid value "arm64"; allowed: amd64 when IS_MAAS=true`},
		{"UKI on arm64", []string{"IS_UKI=true", "OS_VERSION=24.04", "ARCH=arm64"}, `ARCH: invalid value "arm64"; allowed: amd64 when IS_UKI=true`},
		{"UKI with MAAS", []string{"IS_UKI=true", "OS_VERSION=24.04", "IS_MAAS=true"}, `IS_MAAS: invalid value "true"; allowed: false when IS_UKI=true`},
		{"UKI on ubuntu 22.04", []string{"IS_UKI=true"}, `OS_VERSION: invalid value "22.04"; allowed: 24.04 when IS_UKI=true`},
		{"Jetson on amd64", []string{"BASE_IMAGE=quay.io/kairos/ubuntu:20.04-core-arm64-nvidia-jetson-agx-orin-v2.4.3"}, `ARCH: invalid value "amd64"; allowed: arm64 for the Jetson BASE_IMAGE`},
		{"NVIDIA on arm64", []string{"INSTALL_NVIDIA_GPU_DRIVERS=true", "ARCH=arm64"}, `INSTALL_NVIDIA_GPU_DRIVERS: invalid value "true"; allowed: false for ubuntu on arm64`},
		{"AMD on opensuse", []string{"INSTALL_AMD_GPU_DRIVERS=true", "OS_DISTRIBUTION=opensuse-leap"}, `INSTALL_AMD_GPU_DRIVERS: invalid value "true"; allowed: false for opensuse-leap on amd64`},
		{"CIS on opensuse", []string{"CIS_HARDENING=true", "OS_DISTRIBUTION=opensuse-leap"}, `CIS_HARDENING: invalid value "true"`},
		{"Ubuntu Pro on opensuse", []string{"UBUNTU_PRO_ATTACH=true", "OS_DISTRIBUTION=opensuse-leap"}, `UBUNTU_PRO_ATTACH: invalid value "true"; allowed: false for opensuse-leap`},
		{"two-node on arm64", []string{"TWO_NODE=true", "ARCH=arm64"}, `TWO_NODE: invalid value "true"; allowed: false for ubuntu on arm64`},
		{"two-node on rhel", []string{"TWO_NODE=true", "OS_DISTRIBUTION=rhel", "OS_VERSION=9", "BASE_IMAGE=r.example/rhel:9"}, `TWO_NODE: invalid value "true"; allowed: false for rhel on amd64`},
		{"EFI image too small", []string{"EFI_IMG_SIZE=2048"}, `EFI_IMG_SIZE: invalid value "2048"; allowed: more than EFI_MAX_SIZE (2048)`},
		{"provider tag too long", []string{"CUSTOM_TAG=" + string(make128('a'))}, `IMAGE_REGISTRY, IMAGE_REPO, CUSTOM_TAG: invalid value "ttl.sh/ubuntu:k3s-1.26.14-v4.10.0-rc.2-aaaa`},
	}
	// Cases that need a build context's k8s_version.json, by name.
	matrices := map[string]string{"no versions of the distribution": `{"k3s": ["1.33.5"]}`}
	covered := make([]bool, len(rules))
	for _, tt := range tests {
		ovs := make([]Override, len(tt.sets))
		for i, s := range tt.sets {
			ovs[i], _ = ParseOverride(s)
		}
		var opts []Option
		if m, ok := matrices[tt.name]; ok {
			opts = append(opts, WithMatrixFile("k8s_version.json", []byte(m)))
		}
		var l loader
		for _, o := range opts {
			o(&l)
		}
		c := l.load("", nil, ovs)
		require.Empty(t, l.errs, tt.name)
		failed := 0
		for i, r := range rules {
			if r.check(c) != nil {
				covered[i] = true
				failed++
			}
		}
		require.NotZero(t, failed, tt.name)

		_, _, err := Load("", nil, ovs, opts...)
		require.ErrorIs(t, err, usererr.ErrInvalid, tt.name)
		require.Contains(t, err.Error(), tt.want, tt.name)
	}
	for i, ok := range covered {
		require.True(t, ok, "no failing case for rule %q", rules[i].Doc)
	}
}

func make128(c byte) []byte {
	b := make([]byte, 128)
	for i := range b {
		b[i] = c
	}
	return b
}

// Valid combinations the rules must not reject.
func TestRulesAccept(t *testing.T) {
	t.Parallel()
	for _, sets := range [][]string{
		{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=kubeadm-fips"},
		{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2", "BASE_IMAGE=gcr.io/spectro-images-public/ubuntu-fips:v3.0.11"},
		{"IS_UKI=true", "OS_VERSION=24.04"},
		{"IS_UKI=true", "BASE_IMAGE=reg.example/kairos-ubuntu:22.04-uki"},
		{"IS_MAAS=true", "OS_VERSION=24"},
		{"ARCH=arm64", "BASE_IMAGE=quay.io/kairos/ubuntu:20.04-core-arm64-nvidia-jetson-agx-orin-v2.4.3"},
		{"OS_DISTRIBUTION=sles", "OS_VERSION=5.5", "BASE_IMAGE=reg.example/slem-kairos:5.5"},
		{"INSTALL_AMD_GPU_DRIVERS=true", "AMDGPU_DRIVER_SOURCE=inbox"},
		{"INSTALL_NVIDIA_GPU_DRIVERS=true", "NVIDIA_DRIVER_BRANCH=570", "NVIDIA_DRIVER_TYPE=proprietary"},
		{"TWO_NODE=true", "OS_DISTRIBUTION=opensuse-leap"},
		{"K8S_DISTRIBUTION=canonical", "K8S_VERSION=1.34.4"},
	} {
		_, _, err := load(t, nil, sets...)
		require.NoError(t, err, "%v", sets)
	}
}
