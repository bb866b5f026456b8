package overlay

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
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

// ukiStubs stand in for the machine in 80_stylus_uki.yaml: a mount is a file
// /stub/mounted<target> holding its source, a mapper device a file in
// /dev/mapper. As on a host, a mapper in use by a mount cannot be closed and
// an open one cannot be attached again; /stub/fail-close makes every close fail.
var ukiStubs = map[string]string{
	"mountpoint": `[ -e "/stub/mounted$2" ]` + "\n",
	"mount":      `for t; do :; done; mkdir -p "/stub/mounted${t%/*}"; echo "$1" >"/stub/mounted$t"` + "\n",
	"umount":     `if [ -e "/stub/mounted$1" ]; then rm "/stub/mounted$1"; else grep -rlx "$1" /stub/mounted | xargs rm; fi` + "\n",
	"cryptsetup": `[ ! -e /stub/fail-close ] && [ "$1" = close ] || exit 1
! grep -rqx "$2" /stub/mounted 2>/dev/null || exit 5
rm "$2"
`,
	"findfs":                                      `[ "$1" = PARTLABEL=oem ] && echo /dev/vda3` + "\n",
	"/usr/lib/systemd/systemd-cryptsetup":         `[ ! -e "/dev/mapper/$2" ] && touch "/dev/mapper/$2"` + "\n",
	"/oem/opt.bind/luet":                          "",
	"/opt/spectrocloud/bin/agent-provider-stylus": "",
}

// loadCloudConfig loads a cloud-config, checks its image path, parses it and
// runs shellcheck on its shell text.
func loadCloudConfig(t *testing.T, load func() (File, error), path string) yipConfig {
	t.Helper()
	f, err := load()
	require.NoError(t, err)
	require.Equal(t, path, f.Path)
	c := parseYip(t, f)
	testutil.ShellCheck(t, commands(c))
	return c
}

func ukiConfig(t *testing.T) yipConfig {
	c := loadCloudConfig(t, UKICloudConfig, "/etc/kairos/80_stylus_uki.yaml")
	require.ElementsMatch(t, []string{"rootfs", "initramfs", "after-install"}, slices.Collect(maps.Keys(c.Stages)))
	return c
}

func TestUKICloudConfigRootfs(t *testing.T) {
	t.Parallel()
	rootfs := ukiConfig(t).Stages["rootfs"]
	require.Len(t, rootfs, 1)
	require.Equal(t, map[string]string{"CUSTOM_BIND_MOUNTS": "/boot"}, rootfs[0].Environment, "Longhorn needs /boot (CanvOS #452)")
	require.Equal(t, "/run/cos/cos-layout.env", rootfs[0].EnvironmentFile, "the layout file immucore reads")
}

// TestUKICloudConfigAfterInstall runs the after-install stage in a chroot:
// whether or not the installer left the OEM partition open and mounted on
// /oem, and even when closing the open mappers fails, luet and
// stylus-image.tar end up on the OEM partition, opened with the TPM.
func TestUKICloudConfigAfterInstall(t *testing.T) {
	t.Parallel()
	c := ukiConfig(t)
	for name, tc := range map[string]struct {
		mounted, failClose bool
		want               []string
	}{
		"oem mounted": {mounted: true, want: []string{"umount /oem", "cryptsetup close /dev/mapper/oem", "cryptsetup close /dev/mapper/persistent",
			"findfs PARTLABEL=oem", "systemd-cryptsetup attach oem /dev/vda3 - tpm2-device=auto", "mount /dev/mapper/oem /oem",
			"umount /dev/mapper/oem", "cryptsetup close /dev/mapper/oem"}},
		"closing fails": {failClose: true, want: []string{"cryptsetup close /dev/mapper/persistent",
			"findfs PARTLABEL=oem", "systemd-cryptsetup attach oem /dev/vda3 - tpm2-device=auto", "mount /dev/mapper/oem /oem",
			"umount /dev/mapper/oem", "cryptsetup close /dev/mapper/oem"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := testutil.NewChroot(t, ukiStubs)
			root.Write("/run/cos/uki_install_mode", "", 0o644)
			root.Write("/run/initramfs/live/luet", "luet binary", 0o755)
			root.Write("/run/initramfs/live/stylus-image.tar", "stylus image", 0o644)
			root.Write("/dev/mapper/control", "", 0o600)
			root.Write("/dev/mapper/persistent", "", 0o600)
			if tc.mounted { // the installer left the OEM partition open and mounted
				root.Write("/dev/mapper/oem", "", 0o600)
				root.Write("/stub/mounted/oem", "/dev/mapper/oem\n", 0o644)
			}
			if tc.failClose {
				root.Write("/stub/fail-close", "", 0o644)
			}
			require.Equal(t, []string{"Copy luet and stylus to the encrypted OEM partition"}, runStage(t, root, c, "after-install"))
			var calls []string
			for _, l := range root.Trace() {
				if !strings.HasPrefix(l, "mountpoint ") {
					calls = append(calls, l)
				}
			}
			require.Equal(t, tc.want, calls)
			require.Equal(t, "luet binary", root.Read("/oem/opt.bind/luet"))
			require.Equal(t, "stylus image", root.Read("/oem/opt.bind/stylus-image.tar"))
			if !tc.failClose {
				require.NoFileExists(t, root.Path("/dev/mapper/oem"), "closed again")
			}
			left, _ := os.ReadDir(root.Path("/stub/mounted"))
			require.Empty(t, left, "nothing left mounted")
		})
	}
	root := testutil.NewChroot(t, ukiStubs)
	require.Empty(t, runStage(t, root, c, "after-install"), "only UKI installs")
}

// TestUKICloudConfigInitramfs runs the initramfs stage in a chroot: an
// installed UKI boot links the agent provider and unpacks stylus with the luet
// kept on the OEM partition (the UKI has none) unless stylus is there already;
// the live installer and non-UKI boots do neither.
func TestUKICloudConfigInitramfs(t *testing.T) {
	t.Parallel()
	c := ukiConfig(t)
	const link, unpack = "Link the stylus agent provider", "Unpack stylus from the OEM partition"
	for name, tc := range map[string]struct {
		files []string
		ran   []string
	}{
		"installed":       {files: []string{"/run/cos/uki_boot_mode"}, ran: []string{link, unpack}},
		"stylus unpacked": {files: []string{"/run/cos/uki_boot_mode", "/opt/spectrocloud/bin/stylus-agent"}, ran: []string{link}},
		"live installer":  {files: []string{"/run/cos/uki_boot_mode", "/run/cos/live_mode"}},
		"not a UKI boot":  {},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := testutil.NewChroot(t, ukiStubs)
			for _, f := range tc.files {
				root.Write(f, "", 0o644)
			}
			require.Equal(t, tc.ran, runStage(t, root, c, "initramfs"))
			link := func(p string) string { s, _ := os.Readlink(root.Path(p)); return s }
			if slices.Contains(tc.ran, unpack) {
				require.Equal(t, []string{"luet util unpack file://oem/opt.bind/stylus-image.tar /"}, root.Trace())
				require.Equal(t, "/oem/opt.bind/luet", link("/usr/local/bin/luet"))
			} else {
				require.Empty(t, root.Trace())
			}
			if len(tc.ran) > 0 {
				require.Equal(t, "/opt/spectrocloud/bin/agent-provider-stylus", link("/usr/local/bin/agent-provider-stylus"))
			}
		})
	}
}

// TestJetsonMountConfig runs the stage in a chroot: outside recovery, any
// mount on /usr/local is removed (a failing umount does not stop it), then
// /usr/local is overlaid with local/ and work/ on COS_PERSISTENT.
func TestJetsonMountConfig(t *testing.T) {
	t.Parallel()
	c := loadCloudConfig(t, JetsonMountConfig, "/etc/kairos/mount.yaml")
	require.Equal(t, []string{"initramfs.before"}, slices.Collect(maps.Keys(c.Stages)))
	stubs := map[string]string{"mount": "", "umount": "exit 32\n"} // 32: not mounted
	root := testutil.NewChroot(t, stubs)
	require.Len(t, runStage(t, root, c, "initramfs.before"), 1)
	require.Equal(t, []string{
		"umount /usr/local",
		"mount /dev/disk/by-label/COS_PERSISTENT /run/mount/persistent",
		"mount -t overlay overlay -o lowerdir=/usr/local,upperdir=/run/mount/persistent/local,workdir=/run/mount/persistent/work /usr/local",
	}, root.Trace())
	require.DirExists(t, root.Path("/run/mount/persistent/local"))
	require.DirExists(t, root.Path("/run/mount/persistent/work"))

	recovery := testutil.NewChroot(t, stubs)
	recovery.Write("/run/cos/recovery_mode", "", 0o644)
	require.Empty(t, runStage(t, recovery, c, "initramfs.before"), "recovery keeps the image's /usr/local")
	require.Empty(t, recovery.Trace())
}

// TestJetsonOverlayMount runs mount.yaml's overlay mount with the real
// util-linux mount in a private mount namespace, on temporary directories
// for /usr/local and COS_PERSISTENT: the image's files stay visible and new
// files land in local/ on the persistent partition. (Without the "overlay"
// source argument, as in CanvOS' file, mount looks the target up in fstab and
// fails.)
func TestJetsonOverlayMount(t *testing.T) {
	t.Parallel()
	unshare := testutil.RequireTool(t, "unshare", "mount")[0]
	if os.Geteuid() != 0 {
		testutil.Missing(t, "mounting needs root")
	}
	var cmd string
	c := loadCloudConfig(t, JetsonMountConfig, "/etc/kairos/mount.yaml")
	for _, part := range strings.Split(c.Stages["initramfs.before"][0].Commands[1], "&&") {
		if strings.HasPrefix(strings.TrimSpace(part), "mount -t overlay") {
			cmd = strings.TrimSpace(part)
		}
	}
	require.NotEmpty(t, cmd)
	dir := t.TempDir()
	usrLocal, persistent := filepath.Join(dir, "usr-local"), filepath.Join(dir, "persistent")
	for _, d := range []string{usrLocal, persistent + "/local", persistent + "/work"} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(usrLocal, "jetpack"), []byte("image"), 0o644))
	cmd = strings.NewReplacer("/usr/local", usrLocal, "/run/mount/persistent", persistent).Replace(cmd)
	script := cmd + ` && cat "$1/jetpack" && echo new >"$1/added"`
	out, err := exec.Command(unshare, "--mount", "--fork", "sh", "-c", script, "sh", usrLocal).CombinedOutput()
	require.NoError(t, err, "%s: %s", cmd, out)
	require.Equal(t, "image", string(out), "the image's /usr/local is the lower layer")
	require.Equal(t, "new\n", read(filepath.Join(persistent, "local", "added")), "writes persist on COS_PERSISTENT")
	require.NoFileExists(t, filepath.Join(usrLocal, "added"))
}
