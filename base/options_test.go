package base

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/usererr"
)

// TestStepOrder pins CanvOS' order (canvos.md §6.1, §6.2) per distribution
// and for the options that add, drop or merge steps.
func TestStepOrder(t *testing.T) {
	t.Parallel()
	for name, want := range map[string][]string{
		"ubuntu":              {"gpu-lookup", "kairos-files", "ubuntu-packages", "ubuntu-kernel", "ubuntu-upgrade", "kairos-release", "cleanup", "bootargs"},
		"ubuntu-uki":          {"gpu-lookup", "kairos-files", "ubuntu-packages", "ubuntu-kernel", "kairos-release", "cleanup", "bootargs"},
		"ubuntu-arm64":        {"gpu-lookup", "kairos-files", "ubuntu-packages", "kairos-release", "cleanup", "bootargs"},
		"ubuntu-cis":          {"gpu-lookup", "kairos-files", "ubuntu-packages", "ubuntu-kernel", "ubuntu-upgrade", "cis-hardening", "kairos-release", "cleanup", "bootargs"},
		"ubuntu-nvidia":       {"gpu-lookup", "kairos-files", "ubuntu-packages", "ubuntu-kernel", "ubuntu-upgrade", "gpu-nvidia", "kairos-release", "cleanup", "bootargs"},
		"ubuntu-pro":          {"gpu-lookup", "kairos-files", "ubuntu-packages", "ubuntu-pro", "kairos-release", "cleanup", "bootargs"},
		"ubuntu-certs":        {"ca-certs", "gpu-lookup", "kairos-files", "ubuntu-packages", "ubuntu-kernel", "ubuntu-upgrade", "kairos-release", "cleanup", "bootargs"},
		"ubuntu-custom":       {"gpu-lookup", "custom-files", "custom-script", "kairos-files", "ubuntu-packages", "ubuntu-kernel", "ubuntu-upgrade", "kairos-release", "cleanup", "bootargs"},
		"ubuntu-dockerfile":   {"kairos-files", "ubuntu-packages", "ubuntu-kernel", "ubuntu-upgrade", "kairos-release", "cleanup", "bootargs"},
		"opensuse-leap":       {"gpu-lookup", "kairos-files", "leap-kernel", "leap-packages", "suse-packages", "kairos-release", "cleanup", "bootargs"},
		"opensuse-leap-arm64": {"gpu-lookup", "kairos-files", "leap-packages", "suse-packages", "kairos-release", "cleanup", "bootargs"},
		"sles":                {"gpu-lookup", "kairos-files", "suse-packages", "kairos-release", "cleanup", "bootargs"},
		"rhel":                {"gpu-lookup", "kairos-files", "rhel-packages", "kairos-release", "cleanup", "bootargs"},
	} {
		require.Equal(t, want, stepNames(mustPlan(t, name)), name)
	}
}

// TestOptionEffects asserts what each option changes in the scripts and files.
func TestOptionEffects(t *testing.T) {
	t.Parallel()
	type check struct {
		step       string
		has, hasNo []string
	}
	for name, checks := range map[string][]check{
		"ubuntu": {
			{"ubuntu-kernel", []string{"apt-mark hold linux-image-generic linux-headers-generic linux-generic", "linux-image-generic-hwe-22.04 "}, []string{"upgrade --with-new-pkgs", "apt-get -y"}},
			{"ubuntu-upgrade", []string{`dracut -f "/boot/initrd-$kver" "$kver"`, `ln -sf "initrd-$kver" /boot/initrd`, "purge --allow-change-held-packages", `depmod -a "$kver"`}, []string{"fips"}},
			{"bootargs", []string{"systemd.unified_cgroup_hierarchy=1 rd.driver.blacklist=nouveau modprobe.blacklist=nouveau nouveau.modeset=0", "selinux=0"}, nil},
			{"kairos-release", []string{`KAIROS_NAME="kairos-core-ubuntu-22.04"`, `KAIROS_IMAGE_LABEL="22.04-standard-amd64-generic"`}, nil},
			{"cleanup", []string{"! -name cracklib", ": >/etc/machine-id", "chmod 0444 /etc/machine-id", "rm -f /etc/machine-id /var/lib/dbus/machine-id"}, nil},
		},
		"ubuntu-20": {
			{"ubuntu-kernel", []string{"linux-generic-hwe-20.04"}, nil},
			{"kairos-release", []string{`KAIROS_NAME="kairos-core-ubuntu-20.04"`, `"20.04-standard-amd64-generic"`}, nil},
		},
		"ubuntu-update-kernel": {
			{"ubuntu-kernel", []string{"install --no-install-recommends linux-image-generic-hwe-22.04", "upgrade --with-new-pkgs"}, []string{"apt-mark hold"}},
		},
		"ubuntu-fips": {
			{"ubuntu-upgrade", []string{"-name 'vmlinuz-*fips*'", `$2 !~ /fips/`}, []string{"dracut -f", "/boot/initrd"}},
		},
		"ubuntu-uki": {
			{"bootargs", []string{"set -- systemd.unified_cgroup_hierarchy=1\n"}, []string{"nouveau", "selinux=0"}},
		},
		"ubuntu-maas": {
			{"kairos-release", []string{`KAIROS_IMAGE_LABEL="22.04-standard-amd64-generic-maas"`}, nil},
		},
		"ubuntu-selinux": {
			{"bootargs", []string{"nouveau.modeset=0"}, []string{"selinux"}},
		},
		"ubuntu-arm64": {
			{"kairos-release", []string{`"22.04-standard-arm64-generic"`}, nil},
		},
		"ubuntu-pro-fips-cis": {
			{"ubuntu-pro", []string{"# --- ubuntu-pro-attach", "# --- ubuntu-kernel", "# --- ubuntu-upgrade", "# --- cis-hardening", "# --- ubuntu-pro-detach", "rm -rf /var/lib/ubuntu-advantage/private"}, []string{"dracut -f", "/boot/initrd"}},
		},
		"ubuntu-certs": {
			{"ca-certs", []string{"dir=/usr/local/share/ca-certificates", "name=${name%.*}.crt", "update-ca-certificates"}, nil},
		},
		"opensuse-leap": {
			{"leap-kernel", []string{"zypper --non-interactive addlock 'kernel-de*'", "dracut -f"}, nil},
			{"kairos-release", []string{`KAIROS_NAME="kairos-core-opensuse-leap-15.6"`}, nil},
		},
		"opensuse-leap-update": {
			{"leap-kernel", []string{"zypper --non-interactive update"}, []string{"addlock"}},
		},
		"opensuse-leap-certs": {
			{"ca-certs", []string{"dir=/usr/share/pki/trust/anchors", "update-ca-certificates"}, []string{".crt"}},
		},
		"sles-certs": {
			{"ca-certs", []string{"dir=/usr/share/pki/trust/anchors", "update-ca-certificates"}, nil},
		},
		"rhel-certs": {
			{"ca-certs", []string{"dir=/etc/pki/ca-trust/source/anchors", "update-ca-trust"}, nil},
		},
		"rhel": {
			{"rhel-packages", []string{"yum install -y openssl rsyslog logrotate"}, nil},
			{"cleanup", []string{"cracklib"}, []string{"apt"}},
		},
	} {
		plan := mustPlan(t, name)
		for _, c := range checks {
			script := step(t, plan, c.step).Script
			for _, s := range c.has {
				require.Contains(t, script, s, "%s: %s", name, c.step)
			}
			for _, s := range c.hasNo {
				require.NotContains(t, script, s, "%s: %s", name, c.step)
			}
		}
	}
}

func TestKairosFiles(t *testing.T) {
	t.Parallel()
	for name, want := range map[string][]string{
		"ubuntu":        {"/etc/dracut.conf.d/99-usb-media.conf"},
		"ubuntu-uki":    {"/etc/kairos/80_stylus_uki.yaml", "/etc/dracut.conf.d/99-usb-media.conf"},
		"ubuntu-maas":   {"/system/oem/80_stylus_maas.yaml", "/etc/dracut.conf.d/99-usb-media.conf"},
		"ubuntu-jetson": {"/etc/kairos/mount.yaml", "/etc/dracut.conf.d/99-usb-media.conf"},
	} {
		var got []string
		for _, f := range step(t, mustPlan(t, name), "kairos-files").Files {
			require.Equal(t, 0o644, int(f.Mode), f.Path)
			require.NotEmpty(t, f.Contents, f.Path)
			got = append(got, f.Path)
		}
		require.Equal(t, want, got, name)
	}
}

func TestEnvAndMounts(t *testing.T) {
	t.Parallel()
	proxy := mustPlan(t, "ubuntu-proxy")
	require.Equal(t, []Env{
		{"HTTP_PROXY", "http://proxy:3128"}, {"http_proxy", "http://proxy:3128"},
		{"HTTPS_PROXY", "http://proxy:3128"}, {"https_proxy", "http://proxy:3128"},
		{"NO_PROXY", "10.0.0.0/8,.corp"}, {"no_proxy", "10.0.0.0/8,.corp"},
	}, proxy.BuildEnv)
	for _, s := range proxy.Steps {
		require.NotContains(t, s.Script, "proxy", "the proxy is build env only, never written by a script: %s", s.Name)
	}
	require.Empty(t, mustPlan(t, "ubuntu").BuildEnv)

	docker := mustPlan(t, "ubuntu-dockerfile")
	require.True(t, docker.FromDockerfile)
	require.Equal(t, []Env{{"BASE", testImage}, {"OS_DISTRIBUTION", "ubuntu"}, {"OS_VERSION", "22.04"}, {"HTTP_PROXY", "http://proxy:3128"}, {"DRBD_VERSION", "9.2.13"}}, docker.DockerBuildArgs, "CanvOS' build arguments, DRBD_VERSION last")
	require.False(t, mustPlan(t, "ubuntu").FromDockerfile)

	for _, s := range mustPlan(t, "ubuntu").Steps {
		if strings.Contains(s.Script, "apt-get") {
			require.Contains(t, s.Env, Env{"DEBIAN_FRONTEND", "noninteractive"}, s.Name)
		}
	}

	amd := step(t, mustPlan(t, "ubuntu-amd"), "gpu-amd")
	require.Equal(t, []Mount{{Hooks, hooksMount}}, amd.Mounts)
	require.Equal(t, []Env{{"DEBIAN_FRONTEND", "noninteractive"}, {"AMDGPU_ARTIFACT_PATH", "/run/canvos/hooks/build/amdgpu.tar.gz"}, {"AMDGPU_DRIVER_SOURCE", "dkms"}}, amd.Env)

	require.Equal(t, []Input{CACerts}, mustPlan(t, "ubuntu-certs").Inputs())
	require.Equal(t, []Input{CustomFiles, CustomScript}, mustPlan(t, "ubuntu-custom").Inputs())
	require.Equal(t, []Input{UbuntuProToken, Hooks}, mustPlan(t, "ubuntu-pro-fips-cis").Inputs())
	require.Empty(t, mustPlan(t, "ubuntu").Inputs())
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := Options{Image: testImage, Distro: Ubuntu, Version: "22.04", Arch: "amd64"}
	for param, f := range map[string]func(*Options){
		"BASE_IMAGE":                 func(o *Options) { o.Image = "" },
		"OS_DISTRIBUTION":            func(o *Options) { o.Distro = "debian" },
		"OS_VERSION":                 func(o *Options) { o.Version = "22.04; rm -rf /" },
		"ARCH":                       func(o *Options) { o.Arch = "riscv64" },
		"UPDATE_KERNEL":              func(o *Options) { o.FIPS, o.UpdateKernel = true, true },
		"UBUNTU_PRO_ATTACH":          func(o *Options) { o.Distro, o.UbuntuPro = RHEL, true },
		"IS_MAAS":                    func(o *Options) { o.Distro, o.MAAS = SLES, true },
		"CIS_HARDENING":              func(o *Options) { o.Arch, o.CISHardening = "arm64", true },
		"INSTALL_NVIDIA_GPU_DRIVERS": func(o *Options) { o.Distro, o.GPU.Vendor = OpenSUSELeap, NVIDIA },
		"INSTALL_AMD_GPU_DRIVERS":    func(o *Options) { o.Arch, o.GPU.Vendor = "arm64", AMD },
		"GPU vendor":                 func(o *Options) { o.GPU.Vendor = "intel" },
		"GPU script":                 func(o *Options) { o.GPU = GPU{Vendor: NVIDIA, Scripts: []string{"../../etc/x.sh"}} },
		"INSTALL_NVIDIA_GPU_DRIVERS setting": func(o *Options) {
			o.GPU = GPU{Vendor: NVIDIA, Settings: map[string]string{"AMDGPU_DRIVER_SOURCE": "dkms"}}
		},
		"GPU: scripts or settings": func(o *Options) { o.GPU.Settings = map[string]string{"NVIDIA_DRIVER_BRANCH": "580"} },
	} {
		o := ok
		f(&o)
		_, err := NewPlan(o)
		require.ErrorIs(t, err, usererr.ErrInvalid, param)
		require.Contains(t, err.Error(), param)
	}
	_, err := NewPlan(Options{Image: testImage, Distro: Ubuntu, Version: "22.04", Arch: "amd64", Jetson: true})
	require.ErrorIs(t, err, usererr.ErrInvalid)
	require.NoError(t, ok.Validate())
}
