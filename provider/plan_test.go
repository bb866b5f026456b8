package provider

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/config"
	"dagger/canvos/imageplan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// loadTemplate loads CanvOS' .arg.template values plus overrides through
// config, as the Dagger functions do.
func loadTemplate(t testing.TB, overrides ...string) (config.Config, config.Plan) {
	t.Helper()
	data, err := os.ReadFile("testdata/template.arg")
	require.NoError(t, err)
	var ov []config.Override
	for _, s := range overrides {
		o, err := config.ParseOverride(s)
		require.NoError(t, err)
		ov = append(ov, o)
	}
	c, _, err := config.Load("template.arg", data, ov)
	require.NoError(t, err)
	return c, c.Plan()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./provider -update to create it")
	require.Equal(t, string(want), got)
}

// Ubuntu 22.04 ships systemd 249 and 24.04 ships 255: the two sides of
// CanvOS' sysext switch.
const (
	systemdJammy = 249
	systemdNoble = 255
)

func TestPlansTemplateDefaults(t *testing.T) {
	t.Parallel()
	c, n := loadTemplate(t)
	plans, err := Plans(c, n, systemdJammy, true)
	require.NoError(t, err)
	require.Len(t, plans, len(config.K8sVersions(config.K3s)))
	var b strings.Builder
	for _, p := range plans {
		b.WriteString(p.Ref + "\n")
	}
	b.WriteString("\n" + plans[0].String())
	golden(t, "template-all", b.String())
	require.Contains(t, b.String(), "ttl.sh/ubuntu:k3s-1.33.5-"+c.PEVersion+"-demo\n")
}

func TestPlanPerDistribution(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		overrides []string
		systemd   int
		edge      bool
	}{
		{"k3s-bundled", []string{"K8S_VERSION=1.33.5"}, systemdJammy, true},
		{"k3s-sysext", []string{"K8S_VERSION=1.33.5", "OS_VERSION=24.04"}, systemdNoble, false},
		{"k3s-sysext-forced-bundle", []string{"K8S_VERSION=1.33.5", "OS_VERSION=24.04", "BUNDLE_K8S_AND_AGENT_PROVIDER=true"}, systemdNoble, false},
		{"k3s-arm64", []string{"K8S_VERSION=1.33.5", "ARCH=arm64"}, systemdJammy, false},
		{"k3s-two-node", []string{"K8S_VERSION=1.33.5", "TWO_NODE=true"}, systemdJammy, false},
		{"rke2", []string{"K8S_DISTRIBUTION=rke2", "K8S_VERSION=1.33.5"}, systemdJammy, false},
		{"kubeadm", []string{"K8S_DISTRIBUTION=kubeadm", "K8S_VERSION=1.33.5"}, systemdJammy, false},
		{"kubeadm-fips", []string{"K8S_DISTRIBUTION=kubeadm-fips", "K8S_VERSION=1.33.5", "FIPS_ENABLED=true"}, systemdJammy, false},
		{"nodeadm", []string{"K8S_DISTRIBUTION=nodeadm", "K8S_VERSION=1.30.0"}, systemdJammy, false},
		{"canonical", []string{"K8S_DISTRIBUTION=canonical", "K8S_VERSION=1.33.2"}, systemdJammy, false},
		{"uki-bundled", []string{"K8S_VERSION=1.33.5", "IS_UKI=true", "OS_VERSION=24.04"}, systemdJammy, true},
		{"uki-sysext", []string{"K8S_VERSION=1.33.5", "IS_UKI=true", "OS_VERSION=24.04"}, systemdNoble, false},
		{"opensuse-update-kernel", []string{"OS_DISTRIBUTION=opensuse-leap", "OS_VERSION=15.6", "K8S_VERSION=1.33.5", "UPDATE_KERNEL=true"}, systemdJammy, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, n := loadTemplate(t, tc.overrides...)
			plans, err := Plans(c, n, tc.systemd, tc.edge)
			require.NoError(t, err)
			require.Len(t, plans, 1)
			for _, s := range plans[0].Steps {
				require.NoError(t, s.Validate())
			}
			golden(t, tc.name, plans[0].String())
		})
	}
}

func TestPlanInvariants(t *testing.T) {
	t.Parallel()
	c, n := loadTemplate(t, "K8S_VERSION=1.33.5")
	img := n.Providers[0]
	bundled, err := New(Options{Config: c, Names: n, Image: img, SystemdVersion: systemdJammy})
	require.NoError(t, err)
	sysext, err := New(Options{Config: c, Names: n, Image: img, SystemdVersion: systemdNoble})
	require.NoError(t, err)

	// Every name comes from config.Plan, none is recomputed here.
	require.Equal(t, img.Ref, bundled.Ref)
	require.Equal(t, n.Platform, bundled.Platform)
	require.Equal(t, n.AgentProvider, bundled.Images[imageplan.AgentProvider])
	require.Equal(t, n.StylusFramework, bundled.Images[imageplan.Stylus])
	require.Equal(t, []string{n.LuetRepo, img.LuetPackage, LuetAuthPath}, bundled.Luet.Install.Args)

	// Sysext-capable images carry neither the agent provider nor the payload.
	require.True(t, bundled.Bundled)
	require.False(t, sysext.Bundled)
	require.Nil(t, sysext.Luet)
	require.NotContains(t, sysext.Images, imageplan.AgentProvider)
	require.NotContains(t, imageplan.Sources(sysext.Steps), imageplan.Payload)
	require.Len(t, bundled.Steps, len(sysext.Steps)+4)

	// The luet auth is a mounted secret: no step writes or copies it.
	for _, s := range bundled.Steps {
		require.NotContains(t, s.String(), "luet-auth")
	}
}

func TestPlanRejectsMissingNames(t *testing.T) {
	t.Parallel()
	c, n := loadTemplate(t, "K8S_VERSION=1.33.5")
	n.ThirdPartyImage = ""
	_, err := Plans(c, n, systemdJammy, false)
	require.ErrorContains(t, err, "SPECTRO_THIRD_PARTY_IMAGE")
}

func TestParseSystemdVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		out  string
		want int
		err  bool
	}{
		{"systemd 255 (255.4-1ubuntu8)\n", 255, false},
		{"systemd 249 (249.11-0ubuntu3.12)", 249, false},
		{"", 0, false},
		{"bash: systemctl: not found", 0, true},
		{"systemd two", 0, true},
	} {
		got, err := ParseSystemdVersion(tc.out)
		if tc.err {
			require.Error(t, err, tc.out)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
}
