package base

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current plans")

const testImage = "registry.example/edge/kairos-base:test"

// cases are the golden plans: every distribution with its defaults, and each
// option on its own (plus the combinations CanvOS treats specially).
func cases() map[string]Options {
	ubuntu := Options{Image: testImage, Distro: Ubuntu, Version: "22.04", Arch: "amd64", DisableSELinux: true}
	leap := Options{Image: testImage, Distro: OpenSUSELeap, Version: "15.6", Arch: "amd64", DisableSELinux: true}
	sles := Options{Image: testImage, Distro: SLES, Version: "5.5", Arch: "amd64", DisableSELinux: true}
	rhel := Options{Image: testImage, Distro: RHEL, Version: "9", Arch: "amd64", DisableSELinux: true}
	with := func(o Options, f func(*Options)) Options { f(&o); return o }
	return map[string]Options{
		"ubuntu":               ubuntu,
		"ubuntu-20":            with(ubuntu, func(o *Options) { o.Version = "20" }),
		"ubuntu-update-kernel": with(ubuntu, func(o *Options) { o.UpdateKernel = true }),
		"ubuntu-fips":          with(ubuntu, func(o *Options) { o.FIPS = true }),
		"ubuntu-uki":           with(ubuntu, func(o *Options) { o.UKI = true; o.Version = "24.04" }),
		"ubuntu-maas":          with(ubuntu, func(o *Options) { o.MAAS = true }),
		"ubuntu-selinux":       with(ubuntu, func(o *Options) { o.DisableSELinux = false }),
		"ubuntu-cis":           with(ubuntu, func(o *Options) { o.CISHardening = true }),
		"ubuntu-pro":           with(ubuntu, func(o *Options) { o.UbuntuPro = true }),
		"ubuntu-pro-fips-cis":  with(ubuntu, func(o *Options) { o.UbuntuPro, o.FIPS, o.CISHardening = true, true, true }),
		"ubuntu-nvidia": with(ubuntu, func(o *Options) {
			o.GPU = GPU{Vendor: NVIDIA, Settings: map[string]string{"NVIDIA_DRIVER_BRANCH": "580", "NVIDIA_DRIVER_TYPE": "open"}}
		}),
		"ubuntu-amd": with(ubuntu, func(o *Options) {
			o.GPU = GPU{Vendor: AMD, Settings: map[string]string{"AMDGPU_DRIVER_SOURCE": "dkms", "AMDGPU_ARTIFACT_PATH": "./build/amdgpu.tar.gz"}}
		}),
		"ubuntu-arm64":  with(ubuntu, func(o *Options) { o.Arch = "arm64" }),
		"ubuntu-jetson": with(ubuntu, func(o *Options) { o.Arch, o.Jetson = "arm64", true }),
		"ubuntu-certs":  with(ubuntu, func(o *Options) { o.CACerts = true }),
		"ubuntu-custom": with(ubuntu, func(o *Options) { o.CustomFiles, o.CustomScript = true, true }),
		"ubuntu-dockerfile": with(ubuntu, func(o *Options) {
			o.Dockerfile, o.Proxy, o.DRBDVersion = true, Proxy{HTTP: "http://proxy:3128"}, "9.2.13"
		}),
		"ubuntu-proxy": with(ubuntu, func(o *Options) {
			o.Proxy = Proxy{HTTP: "http://proxy:3128", HTTPS: "http://proxy:3128", No: "10.0.0.0/8,.corp"}
		}),
		"opensuse-leap":         leap,
		"opensuse-leap-update":  with(leap, func(o *Options) { o.UpdateKernel = true }),
		"opensuse-leap-arm64":   with(leap, func(o *Options) { o.Arch = "arm64" }),
		"opensuse-leap-certs":   with(leap, func(o *Options) { o.CACerts = true }),
		"opensuse-leap-uki":     with(leap, func(o *Options) { o.UKI = true }),
		"sles":                  sles,
		"sles-certs":            with(sles, func(o *Options) { o.CACerts = true }),
		"rhel":                  rhel,
		"rhel-certs":            with(rhel, func(o *Options) { o.CACerts = true }),
		"rhel-selinux-custom":   with(rhel, func(o *Options) { o.DisableSELinux, o.CustomScript = false, true }),
		"rhel-proxy-fips-arm64": with(rhel, func(o *Options) { o.FIPS, o.Arch, o.Proxy = true, "arm64", Proxy{HTTPS: "http://proxy:3128"} }),
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for name, opts := range cases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			plan, err := NewPlan(opts)
			require.NoError(t, err)
			path := filepath.Join("testdata", name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(plan.Text()), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -tags daggeroffline ./base -update")
			require.Equal(t, string(want), plan.Text())
		})
	}
}

// TestGoldenFilesUsed keeps testdata free of plans no case produces.
func TestGoldenFilesUsed(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.golden")
	require.NoError(t, err)
	var names []string
	for name := range cases() {
		names = append(names, filepath.Join("testdata", name+".golden"))
	}
	require.ElementsMatch(t, names, files)
}

func TestPlanDeterministic(t *testing.T) {
	t.Parallel()
	for name, opts := range cases() {
		a, err := NewPlan(opts)
		require.NoError(t, err)
		b, err := NewPlan(opts)
		require.NoError(t, err)
		require.Equal(t, a, b, name)
	}
}

func stepNames(p Plan) []string {
	var names []string
	for _, s := range p.Steps {
		names = append(names, s.Name)
	}
	return names
}

func step(t *testing.T, p Plan, name string) Step {
	t.Helper()
	i := slices.IndexFunc(p.Steps, func(s Step) bool { return s.Name == name })
	require.GreaterOrEqual(t, i, 0, "no step %s in %v", name, stepNames(p))
	return p.Steps[i]
}

func mustPlan(t *testing.T, name string) Plan {
	t.Helper()
	p, err := NewPlan(cases()[name])
	require.NoError(t, err)
	return p
}
