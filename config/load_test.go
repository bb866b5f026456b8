package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/usererr"
)

// load runs Load on an .arg text (nil: no file) and KEY=VALUE overrides.
func load(t *testing.T, arg *string, sets ...string) (Config, []string, error) {
	t.Helper()
	var data []byte
	if arg != nil {
		data = []byte(*arg)
	}
	var ovs []Override
	for _, s := range sets {
		o, err := ParseOverride(s)
		require.NoError(t, err)
		ovs = append(ovs, o)
	}
	return Load(".arg", data, ovs)
}

func text(s string) *string { return &s }

func TestLoadDefaultsWithoutFile(t *testing.T) {
	t.Parallel()
	c, warnings, err := load(t, nil)
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, AMD64, c.Arch)
	require.Equal(t, Ubuntu, c.OSDistribution)
	require.Equal(t, "22.04", c.OSVersion)
	require.Equal(t, K3s, c.K8sDistribution)
	require.Equal(t, "ttl.sh", c.ImageRegistry)
	require.Equal(t, "ubuntu", c.ImageRepo, "IMAGE_REPO defaults to OS_DISTRIBUTION")
	require.Equal(t, "", c.CustomTag)
	require.Equal(t, "installer", c.ISOName)
	require.Equal(t, "v4.10.0-rc.2", c.PEVersion)
	require.True(t, c.DisableSELinux)
	require.False(t, c.AutoEnrollSecureBoot, "CanvOS' code default, not its README's")
	require.True(t, c.IncludeMSSecureBootKeys)
	require.Equal(t, 580, c.NvidiaDriverBranch)
	require.Equal(t, NvidiaOpen, c.NvidiaDriverType)
	require.Equal(t, AMDGPUDKMS, c.AMDGPUDriverSource)
	require.Equal(t, 5475, c.ExpirationInDays)
	require.Equal(t, DefaultSpectroPubRepo, c.SpectroPubRepo)
	require.Equal(t, "us-docker.pkg.dev/palette-images/edge", c.KairosBaseImageURL)
	require.Equal(t, "us-docker.pkg.dev/palette-images/edge/canvos/alpine:3.20", c.AlpineImage)
	require.Equal(t, "us-docker.pkg.dev/palette-images/third-party/spectro-third-party:4.8", c.SpectroThirdPartyImage)
	require.Equal(t, "quay.io/kairos/osbuilder-tools:v0.400.3", c.OSBuilderImage)
	require.Equal(t, "quay.io/kairos/auroraboot:v0.26.2", c.AuroraBootImage)
}

// Every parameter's default must pass its own parsing and checks.
func TestEveryDefaultParses(t *testing.T) {
	t.Parallel()
	for _, p := range Params() {
		require.NotEmpty(t, p.Doc, p.Name)
		if p.Default == "" || strings.Contains(p.Default, "$") {
			continue
		}
		var c Config
		require.NoError(t, p.set(&c, p.Default), p.Name)
		require.Equal(t, p.Default, p.get(&c), p.Name)
	}
}

func TestLoadOverridesWinOverFile(t *testing.T) {
	t.Parallel()
	arg := "OS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\nCUSTOM_TAG=demo\n"
	c, _, err := load(t, &arg, "OS_DISTRIBUTION=opensuse-leap", "CUSTOM_TAG=prod")
	require.NoError(t, err)
	require.Equal(t, OpenSUSELeap, c.OSDistribution)
	require.Equal(t, "opensuse-leap", c.ImageRepo, "$OS_DISTRIBUTION in the file sees the override")
	require.Equal(t, "prod", c.CustomTag)
	require.Equal(t, "15.6", c.OSVersion, "opensuse-leap's default version")
}

func TestLoadEmptyValueMeansDefault(t *testing.T) {
	t.Parallel()
	c, _, err := load(t, text("DISABLE_SELINUX=\nISO_NAME=\nIMAGE_REPO=\n"))
	require.NoError(t, err)
	require.True(t, c.DisableSELinux)
	require.Equal(t, "installer", c.ISOName)
	require.Equal(t, "ubuntu", c.ImageRepo)
}

func TestLoadNormalises(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sets []string
		get  func(Config) string
		want string
	}{
		{[]string{"OS_VERSION=20"}, func(c Config) string { return c.OSVersion }, "20.04"},
		{[]string{"OS_VERSION=22"}, func(c Config) string { return c.OSVersion }, "22.04"},
		{[]string{"OS_VERSION=24"}, func(c Config) string { return c.OSVersion }, "24.04"},
		{[]string{"OS_DISTRIBUTION=rhel", "OS_VERSION=9", "BASE_IMAGE=r.example/rhel:9"}, func(c Config) string { return c.OSVersion }, "9"},
		{[]string{"MAAS_IMAGE_NAME=my-maas.raw.gz"}, func(c Config) string { return c.MAASImageName }, "my-maas"},
		{[]string{"MAAS_IMAGE_NAME=my-maas.raw"}, func(c Config) string { return c.MAASImageName }, "my-maas"},
		{[]string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=kubeadm-fips"}, func(c Config) string { return c.SpectroPubRepo }, "us-docker.pkg.dev/palette-images-fips"},
		{[]string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=kubeadm-fips", "SPECTRO_PUB_REPO=reg.example.com/mirror"}, func(c Config) string { return c.SpectroPubRepo }, "reg.example.com/mirror"},
		{[]string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2"}, func(c Config) string { return c.AlpineImage }, "us-docker.pkg.dev/palette-images-fips/edge/canvos/alpine:3.20"},
		{[]string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2"}, func(c Config) string { return c.SpectroThirdPartyImage }, "us-docker.pkg.dev/palette-images/third-party/spectro-third-party:4.8"},
		{[]string{"SPECTRO_PUB_REPO=reg.example.com"}, func(c Config) string { return c.KairosBaseImageURL }, "reg.example.com/edge"},
		{[]string{"IS_UKI=True", "OS_VERSION=24.04"}, func(c Config) string { return boolStr(c.IsUKI) }, "true"},
		{[]string{"http_proxy=http://proxy:3128"}, func(c Config) string { return c.HTTPProxy }, "http://proxy:3128"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.sets, ","), func(t *testing.T) {
			t.Parallel()
			c, _, err := load(t, nil, tt.sets...)
			require.NoError(t, err)
			require.Equal(t, tt.want, tt.get(c))
		})
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestLoadWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, arg, want string
	}{
		{"unknown key with suggestion", "CUSTOM_TAGG=x\n", ".arg line 1: unknown parameter CUSTOM_TAGG ignored; did you mean CUSTOM_TAG?"},
		{"lowercase key suggestion", "arch=amd64\n", "unknown parameter arch ignored; did you mean ARCH?"},
		{"unknown key far from all", "PLATFORM_FOR_JETSON_BOARDS=linux/arm64\n", "unknown parameter PLATFORM_FOR_JETSON_BOARDS ignored"},
		{"duplicate", "ARCH=amd64\n\nARCH=amd64\n", ".arg line 3: ARCH set again (first on line 1); the later value wins"},
		{"no effect", "KAIROS_VERSION=v4.1.2\n", "KAIROS_VERSION has no effect"},
		{"deprecated", "PROXY_CERT_PATH=ca.crt\n", "PROXY_CERT_PATH is deprecated"},
		{"kubeadm with FIPS", "FIPS_ENABLED=true\nK8S_DISTRIBUTION=kubeadm\n", "kubeadm-fips is the FIPS one"},
		{"AMD artifact unused", "AMDGPU_ARTIFACT_PATH=build/amd.tar.gz\n", "AMDGPU_ARTIFACT_PATH has no effect"},
		{"auto enroll without UKI", "AUTO_ENROLL_SECUREBOOT_KEYS=true\n", "AUTO_ENROLL_SECUREBOOT_KEYS has no effect without IS_UKI=true"},
		{"uppercase ISO_NAME", "ISO_NAME=MyInstaller\n", `ISO_NAME "MyInstaller" makes the ISO image reference`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, warnings, err := load(t, &tt.arg)
			require.NoError(t, err)
			require.Len(t, warnings, 1)
			require.Contains(t, warnings[0], tt.want)
		})
	}
}

func TestLoadSecretsRejectedWithoutEcho(t *testing.T) {
	t.Parallel()
	_, _, err := load(t, text("UBUNTU_PRO_ATTACH=true\nUBUNTU_PRO_KEY=C1234567secret\n"))
	require.ErrorIs(t, err, usererr.ErrInvalid)
	require.Contains(t, err.Error(), "UBUNTU_PRO_KEY")
	require.NotContains(t, err.Error(), "C1234567secret")
	_, _, err = load(t, nil, "UBUNTU_PRO_KEY=C1234567secret")
	require.ErrorIs(t, err, usererr.ErrInvalid)
	require.NotContains(t, err.Error(), "C1234567secret")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		_, _, err = load(t, text(k+"=AKIAsecretvalue\n"))
		require.ErrorIs(t, err, usererr.ErrInvalid, k)
		require.Contains(t, err.Error(), k)
		require.NotContains(t, err.Error(), "AKIAsecretvalue")
	}
}

// Real names pass the AWS checks (the failing ones are in TestLoadValueErrors).
func TestLoadAWSNames(t *testing.T) {
	t.Parallel()
	c, _, err := load(t, nil, "REGION=us-gov-west-1", "S3_BUCKET=edge.images-01", "S3_KEY=canvos/kairos ubuntu.raw", "AMI_NAME=palette-edge (k3s) 1.32/amd64_v4.10")
	require.NoError(t, err)
	require.Equal(t, "us-gov-west-1", c.Region)
	require.Equal(t, "edge.images-01", c.S3Bucket)
	require.Equal(t, "canvos/kairos ubuntu.raw", c.S3Key)
	require.Equal(t, "palette-edge (k3s) 1.32/amd64_v4.10", c.AMIName)
}

func TestLoadValueErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		set, want string
	}{
		{"ARCH=x86_64", `ARCH: invalid value "x86_64"; allowed: amd64, arm64`},
		{"K8S_DISTRIBUTION=k8s", `K8S_DISTRIBUTION: invalid value "k8s"; allowed: k3s, rke2, kubeadm, kubeadm-fips, nodeadm, canonical`},
		{"NVIDIA_DRIVER_TYPE=closed", `NVIDIA_DRIVER_TYPE: invalid value "closed"; allowed: open, proprietary`},
		{"AMDGPU_DRIVER_SOURCE=rocm", `AMDGPU_DRIVER_SOURCE: invalid value "rocm"; allowed: dkms, inbox`},
		{"FIPS_ENABLED=yes", `FIPS_ENABLED: invalid value "yes"; allowed: true, false`},
		{"NVIDIA_DRIVER_BRANCH=latest", `NVIDIA_DRIVER_BRANCH: invalid value "latest"; allowed: a positive whole number`},
		{"EXPIRATION_IN_DAYS=-1", `EXPIRATION_IN_DAYS: invalid value "-1"`},
		{"CUSTOM_TAG=my tag", `CUSTOM_TAG: invalid value "my tag"; allowed: an image tag part: letters, digits`},
		{"CUSTOM_TAG=-demo", `CUSTOM_TAG: invalid value "-demo"`},
		{"PE_VERSION=v4/10", `PE_VERSION: invalid value "v4/10"`},
		{"IMAGE_REGISTRY=https://ttl.sh", `IMAGE_REGISTRY: invalid value "https://ttl.sh"; allowed: a registry host`},
		{"IMAGE_REGISTRY=Registry.Example.com/Team", `IMAGE_REGISTRY: invalid value`},
		{"IMAGE_REPO=Ubuntu", `IMAGE_REPO: invalid value "Ubuntu"; allowed: a repository name in lowercase`},
		{"BASE_IMAGE=quay.io/kairos/ubuntu:bad tag", `BASE_IMAGE: invalid value "quay.io/kairos/ubuntu:bad tag"; allowed: an image reference`},
		{"ISO_NAME=out/installer", `ISO_NAME: invalid value "out/installer"; allowed: a file name without directory`},
		{"OS_DISTRIBUTION=Ubuntu", `OS_DISTRIBUTION: invalid value "Ubuntu"; allowed: lowercase`},
		{"AMDGPU_ARTIFACT_PATH=../amd.tar.gz", `AMDGPU_ARTIFACT_PATH: invalid value "../amd.tar.gz"; allowed: a relative path inside the build context`},
		{"HTTP_PROXY=http://a b", `HTTP_PROXY: invalid value "http://a b"; allowed: a value without whitespace`},
		{"REGION=US-EAST-1", `REGION: invalid value "US-EAST-1"; allowed: an AWS region code`},
		{"REGION=us-east", `REGION: invalid value "us-east"`},
		{"S3_BUCKET=My_Bucket", `S3_BUCKET: invalid value "My_Bucket"; allowed: an S3 bucket name`},
		{"S3_BUCKET=192.168.1.1", `S3_BUCKET: invalid value "192.168.1.1"`},
		{"S3_BUCKET=a..b", `S3_BUCKET: invalid value "a..b"`},
		{"S3_KEY=/images/x.raw", `S3_KEY: invalid value "/images/x.raw"; allowed: an S3 object key`},
		{"AMI_NAME=edge#1", `AMI_NAME: invalid value "edge#1"; allowed: an AMI name`},
		{"AMI_NAME=ab", `AMI_NAME: invalid value "ab"`},
		{"NOT_A_PARAM=1", `--set: invalid value "NOT_A_PARAM"; allowed: a CanvOS parameter name`},
		{"CUSTOM_TAGG=1", `did you mean CUSTOM_TAG?`},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			t.Parallel()
			_, _, err := load(t, nil, tt.set)
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

// A bad value is reported once, not again through the defaults built from it.
func TestLoadReportsABadValueOnce(t *testing.T) {
	t.Parallel()
	_, _, err := load(t, nil, "SPECTRO_PUB_REPO=https://reg")
	require.Error(t, err)
	require.Equal(t, 1, strings.Count(err.Error(), "invalid value"), err.Error())
}

func TestParseOverride(t *testing.T) {
	t.Parallel()
	o, err := ParseOverride("MY_ORG=ACME = Corp")
	require.NoError(t, err)
	require.Equal(t, Override{"MY_ORG", "ACME = Corp"}, o)
	_, err = ParseOverride("ARCH")
	require.ErrorIs(t, err, usererr.ErrInvalid)
	_, err = ParseOverride("=x")
	require.ErrorIs(t, err, usererr.ErrInvalid)
}

// All problems come back together, each a user error.
func TestLoadCollectsEveryProblem(t *testing.T) {
	t.Parallel()
	arg := "ARCH=x86\nK8S_DISTRIBUTION=k9s\nnot an assignment\nFIPS_ENABLED=true\nUPDATE_KERNEL=true\nCUSTOM_TAG=a b c\n"
	_, _, err := load(t, &arg, "NVIDIA_DRIVER_TYPE=closed")
	require.Error(t, err)
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	for _, e := range joined.Unwrap() {
		require.ErrorIs(t, e, usererr.ErrInvalid)
	}
	for _, want := range []string{".arg line 3", "ARCH", "K8S_DISTRIBUTION", "UPDATE_KERNEL", "NVIDIA_DRIVER_TYPE"} {
		require.Contains(t, err.Error(), want)
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	c, _, err := load(t, nil, "HTTPS_PROXY=http://p:3128", "FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2")
	require.NoError(t, err)
	for name, want := range map[string]string{
		"ARCH": "amd64", "https_proxy": "http://p:3128", "FIPS_ENABLED": "true", "NVIDIA_DRIVER_BRANCH": "580",
		"K8S_DISTRIBUTION": "rke2", "SPECTRO_PUB_REPO": "us-docker.pkg.dev/palette-images-fips",
	} {
		got, ok := c.Value(name)
		require.True(t, ok, name)
		require.Equal(t, want, got, name)
	}
	_, ok := c.Value("NOPE")
	require.False(t, ok)
}

// Feeding every final value back as overrides gives the same Config.
func TestValuesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, sets := range [][]string{nil, {"FIPS_ENABLED=true", "K8S_DISTRIBUTION=kubeadm-fips", "CUSTOM_TAG=x"}, {"OS_DISTRIBUTION=opensuse-leap", "ARCH=arm64"}} {
		c, _, err := load(t, nil, sets...)
		require.NoError(t, err)
		var again []string
		for _, p := range Params() {
			v, _ := c.Value(p.Name)
			again = append(again, p.Name+"="+v)
		}
		c2, _, err := load(t, nil, again...)
		require.NoError(t, err)
		require.Equal(t, c, c2)
	}
}
