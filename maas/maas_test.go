package maas

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/overlay"
	"dagger/canvos/testutil"
	"dagger/canvos/usererr"
)

// contentInputs makes a content directory (two bundles and a file that is no
// bundle), an SPC and an edge config.
func contentInputs(t *testing.T) (content, spc, edge string) {
	t.Helper()
	dir := t.TempDir()
	content = filepath.Join(dir, "content")
	put(t, content, "core.zst", []byte("zstd bundle"), 0o644)
	put(t, content, "extra.tar", []byte("tar bundle"), 0o644)
	put(t, content, "notes.txt", []byte("not a bundle"), 0o644)
	put(t, dir, "spc.tgz", []byte("cluster profile"), 0o644)
	put(t, dir, "edge.yaml", []byte("stylus: {}\n"), 0o644)
	return content, filepath.Join(dir, "spc.tgz"), filepath.Join(dir, "edge.yaml")
}

func buildMAAS(t *testing.T, o Options) (Result, string) {
	t.Helper()
	testutil.RequireTool(t, "mke2fs", "debugfs", "gzip")
	o.OutDir = t.TempDir()
	o.Epoch = testEpoch
	o.RootfsSize = 256 * mib
	res, err := Build(context.Background(), o)
	require.NoError(t, err)
	disk := filepath.Join(t.TempDir(), "maas.raw")
	out, err := exec.Command("sh", "-c", `gzip -dc "$1" > "$2"`, "sh", res.Path, disk).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return res, disk
}

func TestBuildMAAS(t *testing.T) {
	t.Parallel()
	raw := buildRaw(t, kairosRootfs(t))
	rootfs := ubuntuRootfs(t, []byte("kernel"), []byte("initrd"))
	content, spc, edge := contentInputs(t)
	o := Options{KairosRaw: raw, UbuntuRootfs: rootfs, Name: "edge-maas.raw.gz", Content: content, ClusterConfig: spc, EdgeConfig: edge}
	res, disk := buildMAAS(t, o)

	require.Equal(t, "edge-maas.raw.gz", filepath.Base(res.Path))
	testutil.RequireTool(t, "sha256sum")
	sh(t, "gzip", "-t", res.Path)
	cmd := exec.Command("sha256sum", "-c", "edge-maas.raw.gz.sha256")
	cmd.Dir = filepath.Dir(res.Path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	parts := gptOf(t, disk)
	require.Equal(t, "efi:EF00 ubuntu_rootfs:8300 oem:8300 recovery:8300 content:8300", names(parts))
	kparts := gptOf(t, raw)

	esp := extract(t, disk, parts[0])
	requireFATClean(t, esp, labelEFI)
	require.Equal(t, read(t, extract(t, raw, kparts[0])), read(t, esp)[:len(read(t, extract(t, raw, kparts[0])))], "p1 is the Kairos ESP")

	ubuntu := extract(t, disk, parts[1])
	requireExtClean(t, ubuntu, labelUbuntu)
	requireUbuntuPartition(t, ubuntu)

	oem := extract(t, disk, parts[2])
	requireExtClean(t, oem, labelOEM)
	env, err := parseGrubenv([]byte(debugfsOut(t, oem, "cat /grubenv")))
	require.NoError(t, err)
	require.Equal(t, grubenv{"next_entry": "ubuntu-firstboot"}, env)
	bak, err := parseGrubenv([]byte(debugfsOut(t, oem, "cat /grubenv.bak")))
	require.NoError(t, err)
	require.Equal(t, grubenv{"next_entry": "recovery"}, bak)
	require.Equal(t, string(overlay.GrubCustom), debugfsOut(t, oem, "cat /grubcustom"))
	require.Equal(t, "#cloud-config\nhostname: edge\n", debugfsOut(t, oem, "cat /90_custom.yaml"))

	recovery := extract(t, disk, parts[3])
	requireExtClean(t, recovery, labelRecovery)
	krec := read(t, extract(t, raw, kparts[2]))
	require.Equal(t, krec, read(t, recovery)[:len(krec)], "p4 is the Kairos recovery partition")

	cp := extract(t, disk, parts[4])
	requireExtClean(t, cp, labelContent)
	require.Equal(t, "zstd bundle", debugfsOut(t, cp, "cat /bundle-content/core.zst"))
	require.Equal(t, "tar bundle", debugfsOut(t, cp, "cat /bundle-content/extra.tar"))
	require.NotContains(t, debugfsOut(t, cp, "ls /bundle-content"), "notes.txt")
	require.Equal(t, "cluster profile", debugfsOut(t, cp, "cat /spc-config/spc.tgz"))
	require.Equal(t, "stylus: {}\n", debugfsOut(t, cp, "cat /edge-config/.edge_custom_config.yaml"))

	// The same inputs unpacked again (new ctimes, atimes of the reads above)
	// give the same disk.
	o.UbuntuRootfs, o.Content = testutil.CopyTree(t, o.UbuntuRootfs), testutil.CopyTree(t, o.Content)
	again, _ := buildMAAS(t, o)
	require.Equal(t, res.SHA256, again.SHA256, "same inputs, same bytes")
	require.Equal(t, read(t, res.Path+".sha256"), read(t, again.Path+".sha256"))
}

// requireUbuntuPartition checks what MAAS and curtin need on p2 and that the
// rootfs' metadata survived.
func requireUbuntuPartition(t *testing.T, img string) {
	t.Helper()
	stat := func(p string) string { return debugfsOut(t, img, "stat "+p) }
	require.Contains(t, stat("/curtin/curtin-hooks"), "Mode:  0750")
	require.Contains(t, stat("/curtin/curtin-hooks"), "User:     0   Group:     0")
	require.Contains(t, stat("/curtin"), "Mode:  0755")
	require.Equal(t, string(overlay.CurtinHooks), debugfsOut(t, img, "cat /curtin/curtin-hooks"))
	require.Contains(t, stat("/opt/spectrocloud/scripts/setup-recovery.sh"), "Mode:  0755")
	require.Equal(t, string(overlay.SetupRecoveryService), debugfsOut(t, img, "cat /etc/systemd/system/setup-recovery.service"))
	require.Contains(t, stat("/etc/systemd/system/multi-user.target.wants/setup-recovery.service"),
		`Fast link dest: "/etc/systemd/system/setup-recovery.service"`)

	require.Contains(t, stat("/home/user/file"), "User:  1234   Group:  5678")
	require.Contains(t, stat("/home/user/file"), "Mode:  0640")
	require.Contains(t, debugfsOut(t, img, "ea_list /home/user/file"), `user.canvos (4) = "kept"`)
	require.Contains(t, debugfsOut(t, img, "ea_list /usr/bin/passwd"), "security.capability")
	require.Contains(t, stat("/usr/bin/su"), "Mode:  04755")
	inode := regexp.MustCompile(`Inode: (\d+)`)
	a, b := stat("/usr/bin/passwd"), stat("/usr/bin/passwd-link")
	require.Equal(t, inode.FindStringSubmatch(a)[1], inode.FindStringSubmatch(b)[1], "hardlink kept")
	require.Contains(t, a, "Links: 2")
	require.Contains(t, stat("/etc/passwd-tool"), `Fast link dest: "../usr/bin/passwd"`)
	require.Contains(t, stat("/dev/null"), "Type: character special")
	require.Contains(t, stat("/dev/null"), "Device major/minor number: 01:03")
}

func TestBuildMAASWithoutContent(t *testing.T) {
	t.Parallel()
	raw := buildRaw(t, kairosRootfs(t))
	_, disk := buildMAAS(t, Options{KairosRaw: raw, UbuntuRootfs: ubuntuRootfs(t, []byte("k"), []byte("i"))})
	require.Equal(t, "efi:EF00 ubuntu_rootfs:8300 oem:8300 recovery:8300", names(gptOf(t, disk)))
}

func TestBuildMAASRejectsBadInput(t *testing.T) {
	t.Parallel()
	raw := buildRaw(t, kairosRootfs(t))
	rootfs := ubuntuRootfs(t, []byte("k"), []byte("i"))
	noKernel := t.TempDir()
	put(t, noKernel, "boot/initrd.img", []byte("i"), 0o644)
	big := t.TempDir()
	put(t, big, "boot/vmlinuz", []byte("k"), 0o644)
	put(t, big, "boot/initrd.img", []byte("i"), 0o644)
	require.NoError(t, os.Truncate(filepath.Join(big, "boot/initrd.img"), 300*mib))
	notDisk := filepath.Join(t.TempDir(), "x.raw")
	put(t, filepath.Dir(notDisk), "x.raw", make([]byte, 1<<20), 0o644)
	noBundles := t.TempDir()
	put(t, noBundles, "readme", []byte("x"), 0o644)
	for name, tc := range map[string]struct {
		o     Options
		param string
	}{
		"bad name":        {Options{Name: "../x"}, "--name"},
		"missing raw":     {Options{KairosRaw: notDisk + ".missing"}, "--kairos-raw"},
		"raw without gpt": {Options{KairosRaw: notDisk}, "--kairos-raw"},
		"no kernel":       {Options{UbuntuRootfs: noKernel}, "--ubuntu-rootfs"},
		"rootfs too big":  {Options{UbuntuRootfs: big}, "--ubuntu-rootfs-size"},
		"no bundles":      {Options{Content: noBundles}, "--content"},
		"missing spc":     {Options{ClusterConfig: noBundles + "/spc.tgz"}, "--cluster-config"},
		"missing edge":    {Options{EdgeConfig: noBundles + "/edge.yaml"}, "--edge-config"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := tc.o
			o.OutDir = t.TempDir()
			o.RootfsSize = 256 * mib
			if o.KairosRaw == "" {
				o.KairosRaw = raw
			}
			if o.UbuntuRootfs == "" {
				o.UbuntuRootfs = rootfs
			}
			_, err := Build(context.Background(), o)
			var ue *usererr.Error
			if !errors.As(err, &ue) {
				require.ErrorIs(t, err, usererr.ErrInvalid)
				require.Contains(t, err.Error(), tc.param)
			} else {
				require.Equal(t, tc.param, ue.Param)
			}
			ents, rerr := os.ReadDir(o.OutDir)
			require.NoError(t, rerr)
			require.Empty(t, ents, "bad input must fail before any output")
		})
	}
}
