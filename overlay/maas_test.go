package overlay

import (
	"archive/tar"
	"bytes"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"dagger/canvos/testutil"
)

// maasDisk gives a chroot the block devices of a MAAS disk: vda5 is
// COS_CONTENT (or UBUNTU_ROOTFS), vda2 COS_OEM, in /dev and sysfs as the
// kernel shows them.
func maasDisk(root *testutil.Chroot) {
	for _, p := range []struct{ name, num string }{{"vda2", "2"}, {"vda5", "5"}} {
		root.Write("/dev/"+p.name, "", 0o600)
		root.Write("/sys/devices/pci0000:00/virtio1/block/vda/"+p.name+"/partition", p.num+"\n", 0o644)
		root.Symlink("../../devices/pci0000:00/virtio1/block/vda/"+p.name, "/sys/class/block/"+p.name)
	}
}

// contentStubs: blkid knows the labels listed in /stub/labels ("LABEL dev"
// lines); mounting /dev/vda5 shows /stub/content-part, mounting /dev/vda2
// shows /stub/oem-part, and unmounting writes a mount's files back and
// empties it, as a real unmount would. /stub/fail-<name> makes a stub fail.
var contentStubs = map[string]string{
	"blkid": `[ "$1" = -L ] && awk -v l="$2" '$1 == l { print $2; f = 1 } END { exit !f }' /stub/labels` + "\n",
	"mount": `[ ! -e /stub/fail-mount ] || exit 32
for t; do :; done
case " $* " in
*" /dev/vda5 "*) part=content-part ;;
*" /dev/vda2 "*) part=oem-part ;;
*) exit 0 ;;
esac
echo "$part" >"/stub/mount-of-$(echo "$t" | tr / _)"
cp -a "/stub/$part/." "$t/"
`,
	"umount": `[ ! -e /stub/fail-umount ] || exit 32
m="/stub/mount-of-$(echo "$1" | tr / _)"
[ -e "$m" ] || exit 32
rm -rf "/stub/$(cat "$m")" && mkdir "/stub/$(cat "$m")" && cp -a "$1/." "/stub/$(cat "$m")/" && rm -rf "$1" && mkdir "$1" && rm "$m"
`,
	"wipefs":    "",
	"parted":    "",
	"partprobe": "",
	"/opt/spectrocloud/bin/palette-agent": `[ ! -e /stub/fail-extract ] || exit 1
[ "$1 $2 $4" = "content-extract --source --destination" ] && echo extracted >"$5/$(basename "$3" .zst).extracted"
`,
}

func tarball(t *testing.T, name, content string) string {
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	require.NoError(t, w.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}))
	_, err := w.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.String()
}

// TestMAASContent runs maas-content.sh in a chroot over a stand-in
// COS_CONTENT partition with CanvOS' layout.
func TestMAASContent(t *testing.T) {
	t.Parallel()
	testutil.ShellCheck(t, map[string]string{"maas-content.sh": string(MAASContent)})
	setup := func(t *testing.T, fail ...string) *testutil.Chroot {
		root := testutil.NewChroot(t, contentStubs)
		maasDisk(root)
		root.Write("/stub/labels", "COS_CONTENT /dev/vda5\nCOS_OEM /dev/vda2\n", 0o644)
		root.Write("/stub/content-part/bundle-content/core.zst", "zstd bundle", 0o644)
		root.Write("/stub/content-part/bundle-content/extra.tar", tarball(t, "images/extra.img", "extra"), 0o644)
		root.Write("/stub/content-part/bundle-content/broken.tar", "not a tar", 0o644)
		root.Write("/stub/content-part/bundle-content/notes.txt", "ignored", 0o644)
		root.Write("/stub/content-part/spc-config/spc.tgz", "profile", 0o644)
		root.Write("/stub/content-part/edge-config/.edge_custom_config.yaml", "signing key", 0o600)
		root.Write("/stub/oem-part/grubenv", "env", 0o644)
		root.Write("/opt/spectrocloud/scripts/maas-content.sh", string(MAASContent), 0o755)
		for _, f := range fail {
			root.Write("/stub/fail-"+f, "", 0o644)
		}
		return root
	}
	run := func(root *testutil.Chroot) int {
		_, code := root.Sh("/opt/spectrocloud/scripts/maas-content.sh")
		return code
	}
	removed := []string{"wipefs -a /dev/vda5", "parted -s /dev/vda rm 5", "partprobe /dev/vda"}
	calls := func(root *testutil.Chroot, name string) []string {
		var out []string
		for _, l := range root.Trace() {
			if strings.HasPrefix(l, name+" ") {
				out = append(out, l)
			}
		}
		return out
	}
	bundle := "/usr/local/spectrocloud/bundle/"

	t.Run("all of it", func(t *testing.T) {
		t.Parallel()
		root := setup(t)
		require.Equal(t, 0, run(root), root.Read("/var/log/stylus-maas-content-script.log"))
		require.Equal(t, "extracted\n", root.Read(bundle+"core.extracted"), "palette-agent content-extract")
		require.Equal(t, "extra", root.Read(bundle+"images/extra.img"), ".tar unpacked")
		require.Equal(t, "not a tar", root.Read(bundle+"broken.tar"), "a .tar that does not unpack is copied as it is")
		require.NoFileExists(t, root.Path(bundle+"notes.txt"))
		require.Equal(t, "profile", root.Read("/usr/local/spectrocloud/clusterconfig/spc.tgz"))
		require.Equal(t, "signing key", root.Read("/stub/oem-part/.edge_custom_config.yaml"), "edge config on the COS_OEM partition")
		require.Equal(t, "env", root.Read("/stub/oem-part/grubenv"))
		require.NoFileExists(t, root.Path("/oem/.edge_custom_config.yaml"), "not into whatever /oem is")
		require.Equal(t, removed, append(calls(root, "wipefs"), append(calls(root, "parted"), calls(root, "partprobe")...)...))
	})
	t.Run("extract fails", func(t *testing.T) {
		t.Parallel()
		root := setup(t, "extract")
		require.Equal(t, 0, run(root))
		require.Equal(t, "zstd bundle", root.Read(bundle+"core.zst"), "copied as it is")
	})
	t.Run("no COS_OEM", func(t *testing.T) {
		t.Parallel()
		root := setup(t)
		root.Write("/stub/labels", "COS_CONTENT /dev/vda5\n", 0o644)
		require.Equal(t, 0, run(root))
		require.Contains(t, root.Read("/var/log/stylus-maas-content-script.log"), "ERROR: no COS_OEM partition for .edge_custom_config.yaml")
		require.Equal(t, "profile", root.Read("/usr/local/spectrocloud/clusterconfig/spc.tgz"), "the rest still happens")
		require.NotEmpty(t, calls(root, "parted"))
	})
	t.Run("umount fails", func(t *testing.T) {
		t.Parallel()
		root := setup(t, "umount")
		require.Equal(t, 1, run(root))
		require.Empty(t, calls(root, "wipefs"), "the partition is kept")
		require.Empty(t, calls(root, "parted"))
	})
	t.Run("no content partition", func(t *testing.T) {
		t.Parallel()
		root := setup(t)
		root.Write("/stub/labels", "COS_OEM /dev/vda2\n", 0o644)
		require.Equal(t, 0, run(root))
		require.Empty(t, root.Trace()[1:], "only blkid ran: %v", root.Trace())
	})
}

// TestSetupRecovery runs setup-recovery.sh in a chroot: MAAS' user-data (when
// cloud-init fetched any) goes to COS_OEM as userdata.yaml, grubenv boots
// recovery next, and the machine reboots once; a failure does not reboot.
func TestSetupRecovery(t *testing.T) {
	t.Parallel()
	testutil.ShellCheck(t, map[string]string{"setup-recovery.sh": string(SetupRecovery)})
	stubs := map[string]string{"reboot": "", "grub-editenv": `[ ! -e /stub/fail-grub-editenv ] && echo "$3" >>"$1"` + "\n"}
	for k, v := range contentStubs {
		if k == "blkid" || k == "mount" || k == "umount" {
			stubs[k] = v
		}
	}
	for name, tc := range map[string]struct {
		userData bool
		fail     string
		want     int
	}{
		"user-data":    {userData: true},
		"no user-data": {},
		"grub fails":   {userData: true, fail: "grub-editenv", want: 1},
		"mount fails":  {userData: true, fail: "mount", want: 1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := testutil.NewChroot(t, stubs)
			maasDisk(root)
			root.Write("/stub/labels", "COS_OEM /dev/vda2\n", 0o644)
			root.Write("/stub/oem-part/grubenv", "", 0o644)
			root.Write("/script", string(SetupRecovery), 0o755)
			if tc.userData {
				root.Write("/var/lib/cloud/instance/user-data.txt", "#cloud-config\nstylus: {}\n", 0o600)
			}
			if tc.fail != "" {
				root.Write("/stub/fail-"+tc.fail, "", 0o644)
			}
			out, code := root.Sh("/script")
			require.Equal(t, tc.want, code, out)
			rebooted := slices.Contains(root.Trace(), "reboot")
			if tc.want != 0 {
				require.False(t, rebooted, "no reboot after a failure")
				require.NoFileExists(t, root.Path("/var/lib/setup-recovery-completed"))
				return
			}
			require.True(t, rebooted)
			require.FileExists(t, root.Path("/var/lib/setup-recovery-completed"))
			require.Equal(t, "next_entry=recovery\n", root.Read("/stub/oem-part/grubenv"))
			if tc.userData {
				require.Equal(t, "#cloud-config\nstylus: {}\n", root.Read("/stub/oem-part/userdata.yaml"))
			} else {
				require.NoFileExists(t, root.Path("/stub/oem-part/userdata.yaml"))
			}
			root.Write("/trace", "", 0o644)
			_, code = root.Sh("/script")
			require.Equal(t, 0, code)
			require.Empty(t, root.Trace(), "runs once")
		})
	}
}

// TestMAASCloudConfig runs 80_stylus_maas.yaml's stages in a chroot: every
// boot that still finds UBUNTU_ROOTFS deletes that partition, and active
// boots run maas-content.sh.
func TestMAASCloudConfig(t *testing.T) {
	t.Parallel()
	c := loadCloudConfig(t, MAASCloudConfig, "/system/oem/80_stylus_maas.yaml")
	stubs := map[string]string{"blkid": contentStubs["blkid"], "wipefs": "", "parted": "", "partprobe": "",
		"/opt/spectrocloud/scripts/maas-content.sh": ""}

	root := testutil.NewChroot(t, stubs)
	maasDisk(root)
	root.Write("/stub/labels", "UBUNTU_ROOTFS /dev/vda5\n", 0o644)
	require.Len(t, runStage(t, root, c, "boot"), 1)
	require.Equal(t, []string{"blkid -L UBUNTU_ROOTFS", "wipefs -a /dev/vda5", "parted -s /dev/vda rm 5", "partprobe /dev/vda"}, root.Trace())
	require.Empty(t, runStage(t, root, c, "network"), "not in recovery")

	gone := testutil.NewChroot(t, stubs)
	gone.Write("/stub/labels", "", 0o644)
	gone.Write("/run/cos/active_mode", "", 0o644)
	runStage(t, gone, c, "boot")
	require.Equal(t, []string{"blkid -L UBUNTU_ROOTFS"}, gone.Trace(), "nothing to remove")
	require.Len(t, runStage(t, gone, c, "network"), 1)
	require.Equal(t, "maas-content.sh", gone.Trace()[1])
}

// TestSetupRecoveryUnit: the unit runs the script once, after the network
// (cloud-init has the user-data by then).
func TestSetupRecoveryUnit(t *testing.T) {
	t.Parallel()
	unit := map[string][]string{}
	for _, l := range strings.Split(string(SetupRecoveryService), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			unit[k] = append(unit[k], v)
		}
	}
	require.Equal(t, []string{"/opt/spectrocloud/scripts/setup-recovery.sh"}, unit["ExecStart"])
	require.Equal(t, []string{"!/var/lib/setup-recovery-completed"}, unit["ConditionPathExists"])
	require.Equal(t, []string{"oneshot"}, unit["Type"])
	require.Equal(t, []string{"network-online.target"}, unit["After"], "not after cloud-final: Ubuntu orders that after multi-user.target")
	require.Equal(t, []string{"multi-user.target"}, unit["WantedBy"])
}

// TestGrubCustom: the COS_OEM grubcustom entry parses as GRUB script and is
// the 'ubuntu-firstboot' entry the MAAS disk's grubenv names, booting the
// Ubuntu partition by label.
func TestGrubCustom(t *testing.T) {
	t.Parallel()
	grubScriptCheck(t, GrubCustom)
	require.Regexp(t, `(?m)^menuentry 'MAAS Kairos Setup' --id 'ubuntu-firstboot' \{$`, string(GrubCustom))
	require.Contains(t, string(GrubCustom), "search --no-floppy --label --set=root UBUNTU_ROOTFS")
	require.Contains(t, string(GrubCustom), "root=LABEL=UBUNTU_ROOTFS rw console=tty1 console=ttyS0,115200n8")
}

// TestKairosReset renders the raw disk's 01_reset.yaml and runs its stages in
// a chroot: recovery boots lay out state (the given size) then persistent
// (the rest) after COS_RECOVERY and reset unattended; after the reset the
// file removes itself; active boots reset nothing.
func TestKairosReset(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	require.NoError(t, template.Must(template.New("r").Option("missingkey=error").Parse(KairosReset)).Execute(&b, map[string]int{"StateMiB": 4196}))
	var layout struct {
		Stages map[string][]struct {
			Layout struct {
				Device        struct{ Label string }
				AddPartitions []map[string]any `yaml:"add_partitions"`
			}
		}
	}
	require.NoError(t, yaml.Unmarshal([]byte(b.String()), &layout))
	var parts []map[string]any
	for _, s := range layout.Stages["rootfs.before"] {
		require.Equal(t, "COS_RECOVERY", s.Layout.Device.Label)
		parts = append(parts, s.Layout.AddPartitions...)
	}
	require.Equal(t, []map[string]any{
		{"fsLabel": "COS_STATE", "size": 4196, "pLabel": "state", "filesystem": "ext4"},
		{"fsLabel": "COS_PERSISTENT", "size": 0, "pLabel": "persistent", "filesystem": "ext4"},
	}, parts)

	c := parseYip(t, File{Path: "01_reset.yaml", Data: []byte(b.String())})
	testutil.ShellCheck(t, commands(c))
	root := testutil.NewChroot(t, map[string]string{"kairos-agent": ""})
	root.Write("/oem/01_reset.yaml", b.String(), 0o644)
	require.Empty(t, runStage(t, root, c, "network"), "active boot")
	root.Write("/run/cos/recovery_mode", "", 0o644)
	require.Len(t, runStage(t, root, c, "network"), 1)
	require.Equal(t, []string{"kairos-agent --debug reset --unattended --reboot"}, root.Trace())
	require.Len(t, runStage(t, root, c, "after-reset"), 1)
	require.NoFileExists(t, root.Path("/oem/01_reset.yaml"))
}
