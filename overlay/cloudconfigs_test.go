package overlay

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"dagger/canvos/testutil"
)

// yipConfig is the part of the Kairos (yip) cloud-config schema we use.
type yipConfig struct {
	Name   string
	Stages map[string][]struct {
		Name            string
		If              string
		Commands        []string
		Environment     map[string]string
		EnvironmentFile string `yaml:"environment_file"`
	}
}

func parseYip(t *testing.T, f File) yipConfig {
	t.Helper()
	var c yipConfig
	require.NoError(t, yaml.Unmarshal(f.Data, &c), f.Path)
	require.NotEmpty(t, c.Name, f.Path)
	return c
}

// commands returns "stage/step" → all shell text of that stage step (its if
// condition and its commands), for assertions and shellcheck.
func commands(c yipConfig) map[string]string {
	out := map[string]string{}
	for stage, steps := range c.Stages {
		for i, s := range steps {
			text := ""
			if s.If != "" {
				text = "if " + s.If + "; then :; fi\n"
			}
			for _, cmd := range s.Commands {
				text += cmd + "\n"
			}
			if text != "" {
				out[fmt.Sprintf("%s/%d", stage, i)] = text
			}
		}
	}
	return out
}

func TestUKICloudConfig(t *testing.T) {
	t.Parallel()
	f, err := UKICloudConfig()
	require.NoError(t, err)
	require.Equal(t, "/etc/kairos/80_stylus_uki.yaml", f.Path)
	c := parseYip(t, f)
	require.ElementsMatch(t, []string{"rootfs", "initramfs", "after-install"}, slices.Collect(maps.Keys(c.Stages)))

	rootfs := c.Stages["rootfs"][0]
	require.Equal(t, map[string]string{"CUSTOM_BIND_MOUNTS": "/boot"}, rootfs.Environment, "Longhorn needs /boot (CanvOS #452)")
	require.Equal(t, "/run/cos/custom-layout.env", rootfs.EnvironmentFile)

	cmds := commands(c)
	require.Contains(t, cmds["initramfs/0"], "/run/cos/uki_boot_mode")
	require.Contains(t, cmds["initramfs/0"], "! -e /run/cos/live_mode", "not on the live installer")
	require.Contains(t, cmds["initramfs/0"], "/usr/local/bin/agent-provider-stylus")
	require.Contains(t, cmds["initramfs/1"], "! -e /opt/spectrocloud/bin/stylus-agent")
	require.Contains(t, cmds["initramfs/1"], "luet util unpack file://oem/opt.bind/stylus-image.tar /")
	install := cmds["after-install/0"]
	for _, s := range []string{
		"[ -e /run/cos/uki_install_mode ]",
		`systemd-cryptsetup attach oem "$(findfs PARTLABEL=oem)" - tpm2-device=auto`,
		"cp /run/initramfs/live/luet /run/initramfs/live/stylus-image.tar /oem/opt.bind/",
		"systemd-cryptsetup detach oem",
	} {
		require.Contains(t, install, s)
	}
	testutil.ShellCheck(t, cmds)
}

func TestJetsonMountConfig(t *testing.T) {
	t.Parallel()
	f, err := JetsonMountConfig()
	require.NoError(t, err)
	require.Equal(t, "/etc/kairos/mount.yaml", f.Path)
	c := parseYip(t, f)
	require.Equal(t, []string{"initramfs.before"}, slices.Collect(maps.Keys(c.Stages)))
	cmds := commands(c)
	require.Len(t, cmds, 1)
	mount := cmds["initramfs.before/0"]
	require.Contains(t, mount, "[ ! -e /run/cos/recovery_mode ]", "recovery keeps the image's /usr/local")
	require.Contains(t, mount, "findfs LABEL=COS_PERSISTENT")
	require.Contains(t, mount, "lowerdir=/usr/local,upperdir=/run/jetson-persistent/local,workdir=/run/jetson-persistent/work /usr/local")
	testutil.ShellCheck(t, cmds)
}

func TestMAASCloudConfig(t *testing.T) {
	t.Parallel()
	f, err := MAASCloudConfig()
	require.NoError(t, err)
	require.Equal(t, "/system/oem/80_stylus_maas.yaml", f.Path)
	parseYip(t, f)
}
