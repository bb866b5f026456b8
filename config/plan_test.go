package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// templateArg is the top of CanvOS' .arg.template (the rest is comments),
// followed by its commented examples as a user uncomments them.
const templateArg = `CUSTOM_TAG=demo
IMAGE_REGISTRY=ttl.sh
OS_DISTRIBUTION=ubuntu
IMAGE_REPO=$OS_DISTRIBUTION
OS_VERSION=22.04
K8S_DISTRIBUTION=k3s
ISO_NAME=palette-edge-installer
ARCH=amd64
HTTPS_PROXY=
HTTP_PROXY=
UPDATE_KERNEL=false
CLUSTERCONFIG=spc.tgz
CIS_HARDENING=false
EDGE_CUSTOM_CONFIG=.edge-custom-config.yaml
FORCE_INTERACTIVE_INSTALL=false

# MAAS Image Configuration
# MAAS_IMAGE_NAME=kairos-ubuntu-maas    # Custom name for the final MAAS image (without .raw.gz extension)

# For enabling Secure Boot with Full Disk Encryption
# IS_UKI=true
# MY_ORG="ACME Corporation"
# UKI_BRING_YOUR_OWN_KEYS=false         # See sb-private-ca/howto.md for instructions on bringing your own certificates
`

// The template round trip gives CanvOS' own default names.
func TestTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	c, warnings, err := Load(".arg", []byte(templateArg), nil)
	require.NoError(t, err)
	require.Empty(t, warnings)
	p := c.Plan()
	require.Equal(t, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1", p.BaseImage)
	require.True(t, p.BaseImageDerived)
	require.Len(t, p.Providers, 61)
	require.Equal(t, "ttl.sh/ubuntu:k3s-1.26.14-v4.10.0-rc.2-demo", p.Providers[0].Ref)
	require.Equal(t, "ttl.sh/ubuntu:k3s-1.36.2-v4.10.0-rc.2-demo", p.Providers[60].Ref)
	require.Contains(t, p.ProviderRefs(), "ttl.sh/ubuntu:k3s-1.33.5-v4.10.0-rc.2-demo")
	require.Equal(t, "palette-edge-installer.iso", p.ISOFile)
	require.Equal(t, "palette-edge-installer.iso.sha256", p.ISOChecksumFile)
	require.Equal(t, "palette-installer-image:v4.10.0-rc.2-demo", p.InstallerImage)
	require.Contains(t, p.Profile, "  system.registry: ttl.sh\n  system.repo: ubuntu\n  system.k8sDistribution: k3s\n  system.osName: ubuntu\n  system.peVersion: v4.10.0-rc.2\n  system.customTag: demo\n  system.osVersion: 22.04\n")
}

func TestDerivedNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sets []string
		get  func(Plan) string
		want string
	}{
		// Reference §4.2 example, and CanvOS README's.
		{"provider ref, template", []string{"CUSTOM_TAG=demo", "K8S_VERSION=1.33.5"}, ref0, "ttl.sh/ubuntu:k3s-1.33.5-v4.10.0-rc.2-demo"},
		{"provider ref, README", []string{"CUSTOM_TAG=demo", "PE_VERSION=v4.2.3", "K8S_VERSION=1.33.5"}, ref0, "ttl.sh/ubuntu:k3s-1.33.5-v4.2.3-demo"},
		{"provider ref without CUSTOM_TAG", []string{"K8S_VERSION=1.33.5"}, ref0, "ttl.sh/ubuntu:k3s-1.33.5-v4.10.0-rc.2"},
		{"provider ref, own registry", []string{"IMAGE_REGISTRY=harbor.example.com:8443/edge", "IMAGE_REPO=canvos/ubuntu", "K8S_DISTRIBUTION=kubeadm", "K8S_VERSION=1.32.9", "CUSTOM_TAG=prod"}, ref0, "harbor.example.com:8443/edge/canvos/ubuntu:kubeadm-1.32.9-v4.10.0-rc.2-prod"},
		{"provider tag", []string{"K8S_DISTRIBUTION=rke2", "K8S_VERSION=1.33.5", "CUSTOM_TAG=demo"}, func(p Plan) string { return p.Providers[0].Tag }, "rke2-1.33.5-v4.10.0-rc.2-demo"},
		{"image tag", []string{"CUSTOM_TAG=demo"}, func(p Plan) string { return p.ImageTag }, "v4.10.0-rc.2-demo"},
		// Luet package versions (§5).
		{"luet k3s", []string{"K8S_VERSION=1.33.5"}, luet0, "k8s/k3s@1.33.5-k3s1"},
		{"luet rke2", []string{"K8S_DISTRIBUTION=rke2", "K8S_VERSION=1.33.5"}, luet0, "k8s/rke2@1.33.5-rke2r1"},
		{"luet kubeadm", []string{"K8S_DISTRIBUTION=kubeadm", "K8S_VERSION=1.33.5"}, luet0, "k8s/kubeadm@1.33.5"},
		{"luet kubeadm-fips", []string{"K8S_DISTRIBUTION=kubeadm-fips", "K8S_VERSION=1.33.5"}, luet0, "k8s/kubeadm-fips@1.33.5"},
		{"luet nodeadm", []string{"K8S_DISTRIBUTION=nodeadm", "K8S_VERSION=1.31.0"}, luet0, "k8s/nodeadm@1.31.0"},
		{"luet canonical", []string{"K8S_DISTRIBUTION=canonical", "K8S_VERSION=1.34.4"}, luet0, "k8s/canonical@1.34.4"},
		{"luet flavour tag pinned", []string{"K3S_FLAVOR_TAG=k3s2", "K8S_VERSION=1.33.5"}, luet0, "k8s/k3s@1.33.5-k3s2"},
		// Base image (§4.1).
		{"base ubuntu 22.04", nil, base, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1"},
		{"base ubuntu 22", []string{"OS_VERSION=22"}, base, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1"},
		{"base ubuntu 20", []string{"OS_VERSION=20"}, base, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:20.04-core-amd64-generic-v0.17.1"},
		{"base ubuntu 24 (CanvOS: nonexistent :24-core…)", []string{"OS_VERSION=24"}, base, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:24.04-core-amd64-generic-v0.17.1"},
		{"base ubuntu arm64", []string{"ARCH=arm64"}, base, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-arm64-generic-v0.17.1"},
		{"base ubuntu UKI", []string{"IS_UKI=true", "OS_VERSION=24.04"}, base, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:24.04-core-amd64-generic-v0.17.1-uki"},
		{"base opensuse", []string{"OS_DISTRIBUTION=opensuse-leap"}, base, "us-docker.pkg.dev/palette-images/edge/kairos-opensuse:leap-15.6-core-amd64-generic-v0.17.1"},
		{"base opensuse UKI has no suffix", []string{"OS_DISTRIBUTION=opensuse-leap", "IS_UKI=true"}, base, "us-docker.pkg.dev/palette-images/edge/kairos-opensuse:leap-15.6-core-amd64-generic-v0.17.1"},
		{"base mirror", []string{"KAIROS_BASE_IMAGE_URL=reg.xxx.com"}, base, "reg.xxx.com/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1"},
		{"base follows SPECTRO_PUB_REPO", []string{"SPECTRO_PUB_REPO=reg.xxx.com"}, base, "reg.xxx.com/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1"},
		{"base FIPS repo switch", []string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=kubeadm-fips"}, base, "us-docker.pkg.dev/palette-images-fips/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1"},
		{"base kairos-init pin", []string{"KAIROS_INIT_VERSION=v0.18.0"}, base, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.18.0"},
		{"base verbatim", []string{"OS_DISTRIBUTION=rhel", "OS_VERSION=9", "BASE_IMAGE=reg.example.com/rhel9-byoi-fips:v1"}, base, "reg.example.com/rhel9-byoi-fips:v1"},
		// Spectro images.
		{"stylus framework", []string{"ARCH=arm64"}, func(p Plan) string { return p.StylusFramework }, "us-docker.pkg.dev/palette-images/edge/stylus-framework-linux-arm64:v4.10.0-rc.2"},
		{"stylus framework FIPS", []string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2"}, func(p Plan) string { return p.StylusFramework }, "us-docker.pkg.dev/palette-images-fips/edge/stylus-framework-linux-amd64:v4.10.0-rc.2"},
		{"stylus package", nil, func(p Plan) string { return p.StylusPackage }, "us-docker.pkg.dev/palette-images/edge/stylus-linux-amd64:v4.10.0-rc.2"},
		{"agent provider k3s", nil, agent, "us-docker.pkg.dev/palette-images/edge/kairos-io/provider-k3s:v4.10.3"},
		{"agent provider rke2", []string{"K8S_DISTRIBUTION=rke2"}, agent, "us-docker.pkg.dev/palette-images/edge/kairos-io/provider-rke2:v4.10.3"},
		{"agent provider kubeadm", []string{"K8S_DISTRIBUTION=kubeadm"}, agent, "us-docker.pkg.dev/palette-images/edge/kairos-io/provider-kubeadm:v4.10.1"},
		{"agent provider kubeadm-fips", []string{"K8S_DISTRIBUTION=kubeadm-fips"}, agent, "us-docker.pkg.dev/palette-images/edge/kairos-io/provider-kubeadm:v4.10.1"},
		{"agent provider nodeadm", []string{"K8S_DISTRIBUTION=nodeadm"}, agent, "us-docker.pkg.dev/palette-images/edge/kairos-io/provider-nodeadm:v4.9.3"},
		{"agent provider canonical", []string{"K8S_DISTRIBUTION=canonical", "CANONICAL_PROVIDER_VERSION=v4.11.0"}, agent, "us-docker.pkg.dev/palette-images/edge/kairos-io/provider-canonical:v4.11.0"},
		{"luet repo amd", nil, func(p Plan) string { return p.LuetRepo }, "us-docker.pkg.dev/palette-images/edge/luet-repo-amd"},
		{"luet repo arm, not FIPS-switched", []string{"ARCH=arm64", "FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2"}, func(p Plan) string { return p.LuetRepo }, "us-docker.pkg.dev/palette-images/edge/luet-repo-arm"},
		{"third party", nil, func(p Plan) string { return p.ThirdPartyImage }, "us-docker.pkg.dev/palette-images/third-party/spectro-third-party:4.8"},
		{"bin type", []string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2"}, func(p Plan) string { return p.BinType }, "vertex"},
		{"CLI image FIPS", []string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2"}, func(p Plan) string { return p.CLIImage }, "us-docker.pkg.dev/palette-images-fips/edge/palette-edge-cli-fips-amd64:v4.10.0-rc.2"},
		{"CLI image", nil, func(p Plan) string { return p.CLIImage }, "us-docker.pkg.dev/palette-images/edge/palette-edge-cli-amd64:v4.10.0-rc.2"},
		{"ubuntu helper FIPS", []string{"FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2"}, func(p Plan) string { return p.UbuntuImage }, "us-docker.pkg.dev/palette-images-fips/third-party/ubuntu-fips:22.04"},
		{"bin type", nil, func(p Plan) string { return p.BinType }, "palette"},
		{"ubuntu helper", nil, func(p Plan) string { return p.UbuntuImage }, "us-docker.pkg.dev/palette-images/third-party/ubuntu:22.04"},
		// Files and other names (§4.3).
		{"ISO file", []string{"ISO_NAME=palette-edge-installer"}, func(p Plan) string { return p.ISOFile }, "palette-edge-installer.iso"},
		{"ISO as OCI", []string{"ISO_NAME=palette-edge-installer", "CUSTOM_TAG=demo"}, func(p Plan) string { return p.ISOImage }, "ttl.sh/ubuntu/palette-edge-installer:v4.10.0-rc.2-demo"},
		{"installer image", []string{"CUSTOM_TAG=demo"}, func(p Plan) string { return p.InstallerImage }, "palette-installer-image:v4.10.0-rc.2-demo"},
		{"installer image MAAS", []string{"IS_MAAS=true"}, func(p Plan) string { return p.InstallerImage }, "index.docker.io/library/palette-installer-image:latest"},
		{"MAAS file", []string{"MAAS_IMAGE_NAME=my-custom-maas-image.raw.gz"}, func(p Plan) string { return p.MAASFile + " " + p.MAASChecksumFile }, "my-custom-maas-image.raw.gz my-custom-maas-image.raw.gz.sha256"},
		{"MAAS default", nil, func(p Plan) string { return p.MAASFile }, "kairos-ubuntu-maas.raw.gz"},
		{"raw file", nil, func(p Plan) string { return p.RawFile }, "kairos.raw"},
		{"kairos-release", []string{"OS_VERSION=22"}, release, "kairos-core-ubuntu-22.04 22.04-standard-amd64-generic"},
		{"kairos-release MAAS", []string{"IS_MAAS=true", "OS_VERSION=24.04"}, release, "kairos-core-ubuntu-24.04 24.04-standard-amd64-generic-maas"},
		{"kairos-release opensuse arm64", []string{"OS_DISTRIBUTION=opensuse-leap", "ARCH=arm64"}, release, "kairos-core-opensuse-leap-15.6 15.6-standard-arm64-generic"},
		{"jetson", []string{"ARCH=arm64", "BASE_IMAGE=quay.io/kairos/ubuntu:20.04-core-arm64-nvidia-jetson-agx-orin-v2.4.3"}, func(p Plan) string { return boolStr(p.IsJetson) }, "true"},
		{"platform", []string{"ARCH=arm64"}, func(p Plan) string { return p.Platform }, "linux/arm64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, err := load(t, nil, tt.sets...)
			require.NoError(t, err)
			require.Equal(t, tt.want, tt.get(c.Plan()))
		})
	}
}

// Each CanvOS override of a derived ARG (Earthfile prologue, +provider-image,
// +ubuntu, +iso-image) replaces CanvOS' formula in the plan, where CanvOS
// uses it.
func TestOverridesChangeThePlan(t *testing.T) {
	t.Parallel()
	const reg = "mirror.example.com/edge"
	tests := []struct {
		set  string
		get  func(Plan) string
		want string
	}{
		{"STYLUS_BASE=" + reg + "/stylus-framework:v9", func(p Plan) string { return p.StylusFramework }, reg + "/stylus-framework:v9"},
		{"STYLUS_PACKAGE_BASE=" + reg + "/stylus:v9", func(p Plan) string { return p.StylusPackage }, reg + "/stylus:v9"},
		{"CLI_IMAGE=" + reg + "/cli:v9", func(p Plan) string { return p.CLIImage }, reg + "/cli:v9"},
		{"BIN_TYPE=vertex", func(p Plan) string { return p.BinType }, "vertex"},
		{"IMAGE_TAG=nightly", func(p Plan) string { return p.ImageTag + " " + p.InstallerImage + " " + p.ISOImage + " " + ref0(p) },
			"nightly palette-installer-image:nightly ttl.sh/ubuntu/installer:nightly ttl.sh/ubuntu:k3s-1.33.5-nightly"},
		{"IMAGE_PATH=" + reg + "/provider:custom", func(p Plan) string { return ref0(p) + " " + p.Providers[0].Tag }, reg + "/provider:custom custom"},
		{"BASE_IMAGE_TAG=kairos-ubuntu:22.04-core-amd64-generic-v0.18.0-rc1", base, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.18.0-rc1"},
		{"PROVIDER_BASE=" + reg + "/provider-k3s:v5", agent, reg + "/provider-k3s:v5"},
		{"UBUNTU_IMAGE=" + reg + "/ubuntu:22.04", func(p Plan) string { return p.UbuntuImage }, reg + "/ubuntu:22.04"},
		{"IS_CLOUD_IMAGE=true", func(p Plan) string { return boolStr(p.IsCloudImage) }, "true"},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			t.Parallel()
			def, _, err := load(t, nil, "K8S_VERSION=1.33.5")
			require.NoError(t, err)
			c, warnings, err := load(t, nil, "K8S_VERSION=1.33.5", tt.set)
			require.NoError(t, err)
			require.Empty(t, warnings)
			require.Equal(t, tt.want, tt.get(c.Plan()))
			require.NotEqual(t, tt.get(def.Plan()), tt.get(c.Plan()), "the override must differ from the default")
		})
	}
}

// CanvOS' formulas follow the parameters they are built from.
func TestDerivedOverridesFollowTheirInputs(t *testing.T) {
	t.Parallel()
	c, _, err := load(t, nil, "FIPS_ENABLED=true", "K8S_DISTRIBUTION=rke2", "SPECTRO_PUB_REPO=reg.example.com", "PE_VERSION=v4.9.0", "ARCH=arm64")
	require.NoError(t, err)
	p := c.Plan()
	require.Equal(t, "reg.example.com/edge/stylus-framework-linux-arm64:v4.9.0", p.StylusFramework)
	require.Equal(t, "reg.example.com/edge/stylus-linux-arm64:v4.9.0", p.StylusPackage)
	require.Equal(t, "reg.example.com/edge/palette-edge-cli-fips-arm64:v4.9.0", p.CLIImage)
	require.Equal(t, "reg.example.com/third-party/ubuntu-fips:22.04", p.UbuntuImage)
	require.Equal(t, "reg.example.com/edge/kairos-io/provider-rke2:v4.10.3", p.AgentProvider)
	require.Equal(t, "vertex", p.BinType)
}

// IMAGE_PATH is one reference: with several versions every provider image
// would be saved under it, so it needs K8S_VERSION.
func TestImagePathNeedsOneVersion(t *testing.T) {
	t.Parallel()
	_, _, err := load(t, nil, "IMAGE_PATH=reg.example.com/p:x")
	require.ErrorContains(t, err, `IMAGE_PATH: invalid value "reg.example.com/p:x"; allowed: empty, or set K8S_VERSION too: 61 versions`)
	_, _, err = load(t, nil, "IMAGE_PATH=reg.example.com/p@sha256:"+strings.Repeat("a", 64), "K8S_VERSION=1.33.5")
	require.ErrorContains(t, err, "registry/repository:tag")
}

// A BASE_IMAGE_TAG of the user's choosing names an image CanvOS does not
// publish, so the published-OS_VERSION check steps aside.
func TestBaseImageTagLiftsPublishedCheck(t *testing.T) {
	t.Parallel()
	_, _, err := load(t, nil, "OS_VERSION=23.10")
	require.ErrorContains(t, err, "OS_VERSION")
	c, _, err := load(t, nil, "OS_VERSION=23.10", "BASE_IMAGE_TAG=kairos-ubuntu:23.10-own-build")
	require.NoError(t, err)
	require.Equal(t, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:23.10-own-build", c.Plan().BaseImage)
	_, warnings, err := load(t, nil, "BASE_IMAGE=reg.example.com/own:1", "BASE_IMAGE_TAG=x:1")
	require.NoError(t, err)
	require.Contains(t, warnings, "BASE_IMAGE_TAG has no effect when BASE_IMAGE is set")
}

// OSBUILDER_* and AURORABOOT_* are accepted but this module builds in Go.
func TestToolImagesHaveNoEffect(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"OSBUILDER_VERSION", "OSBUILDER_IMAGE", "AURORABOOT_VERSION", "AURORABOOT_IMAGE"} {
		v := "v1"
		if strings.HasSuffix(k, "_IMAGE") {
			v = "reg.example.com/tool:v1"
		}
		def, _, err := Load(".arg", nil, nil)
		require.NoError(t, err)
		c, warnings, err := Load(".arg", []byte(k+"="+v+"\n"), nil)
		require.NoError(t, err)
		require.Equal(t, []string{".arg line 1: " + k + " has no effect: built in Go" + strings.SplitN(lookup[k].Doc, "built in Go", 2)[1]}, warnings)
		require.Equal(t, def.Plan(), c.Plan(), k)
	}
}

func ref0(p Plan) string    { return p.Providers[0].Ref }
func luet0(p Plan) string   { return p.Providers[0].LuetPackage }
func base(p Plan) string    { return p.BaseImage }
func agent(p Plan) string   { return p.AgentProvider }
func release(p Plan) string { return p.KairosReleaseName + " " + p.KairosReleaseLabel }

// An empty K8S_VERSION builds every version of the distribution, in matrix order.
func TestPlanAllVersionsInMatrixOrder(t *testing.T) {
	t.Parallel()
	for _, d := range []K8sDistribution{K3s, RKE2, Kubeadm, KubeadmFIPS, Nodeadm, Canonical} {
		c, _, err := load(t, nil, "K8S_DISTRIBUTION="+string(d), "FIPS_ENABLED=false")
		require.NoError(t, err)
		require.Equal(t, K8sVersions(d), c.Plan().K8sVersions(), d)
	}
}

func TestProfileCustomTag(t *testing.T) {
	t.Parallel()
	const suffix = `-{{ .spectro.pack.edge-native-byoi.options.system.customTag }}"`
	c, _, err := load(t, nil, "CUSTOM_TAG=demo")
	require.NoError(t, err)
	require.Contains(t, c.Plan().Profile, suffix)
	c, _, err = load(t, nil)
	require.NoError(t, err)
	require.NotContains(t, c.Plan().Profile, "customTag }}", "without CUSTOM_TAG the URI must name the tag actually built")
	require.True(t, strings.HasPrefix(c.Plan().ProfileBlock(), strings.Repeat("#", 106)+"\n\nPASTE THE CONTENT BELOW"))
}
