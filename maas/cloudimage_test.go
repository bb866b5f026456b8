package maas

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/stretchr/testify/require"

	"dagger/canvos/run"
	"dagger/canvos/testutil"
	"dagger/canvos/usererr"
)

// cloudDisk writes a stand-in Ubuntu cloud image: a raw GPT disk shaped like
// noble-server-cloudimg-amd64.img after `qemu-img convert -O raw` — an ext4
// root partition (type Linux filesystem, label cloudimg-rootfs, made with
// mke2fs -d from tree, rootSize bytes, mounted since its last check), a FAT
// ESP and, when boot is not "", a Linux extended boot partition (label BOOT)
// made from boot, as Ubuntu 24.04 keeps /boot.
func cloudDisk(t *testing.T, tree, boot string, rootSize int64) string {
	t.Helper()
	testutil.RequireTool(t, "mke2fs", "mkfs.fat", "debugfs")
	disk := filepath.Join(t.TempDir(), "cloudimg.raw")
	parts := []part{{name: "root", typ: gpt.LinuxFilesystem, size: rootSize}, {name: "esp", typ: gpt.EFISystemPartition, size: 40 * mib}}
	if boot != "" {
		parts = append(parts, part{name: "boot", typ: gpt.LinuxExtendedBoot, size: 64 * mib})
	}
	l := plan(parts...)
	s := newSeed([]byte("stand-in cloud image"))
	f, err := os.Create(disk)
	require.NoError(t, err)
	require.NoError(t, writeTable(f, l, s))
	require.NoError(t, f.Close())
	cmds := []run.Cmd{mkfsFAT("UEFI", disk, l.find("esp"), s, testEpoch)}
	if boot != "" {
		cmds = append(cmds, mkfsExt(extFS{typ: "ext4", label: "BOOT", src: boot}, disk, l.find("boot"), s, testEpoch))
	}
	if tree != "" {
		root := l.find("root")
		// Mounted (and written) after its last check, as a published cloud
		// image is: resize2fs and tune2fs -U refuse such a file system.
		var script string
		for _, v := range []string{"lastcheck 20230101000000", "mtime 20240101000000", "wtime 20240101000000", "mnt_count 3"} {
			script += "ssv " + v + "\n"
		}
		scriptFile := filepath.Join(t.TempDir(), "ssv")
		require.NoError(t, os.WriteFile(scriptFile, []byte(script), 0o600))
		cmds = append(cmds, mkfsExt(extFS{typ: "ext4", label: "cloudimg-rootfs", src: tree}, disk, root, s, testEpoch),
			debugfs(disk, root, scriptFile, true, testEpoch))
	}
	for _, c := range cmds {
		_, err := run.Run(context.Background(), c)
		require.NoError(t, err)
	}
	return disk
}

// nobleFstab is Ubuntu 24.04's cloud image fstab.
const nobleFstab = "LABEL=cloudimg-rootfs\t/\text4\tdiscard,commit=30,errors=remount-ro\t0 1\n" +
	"LABEL=BOOT\t/boot\text4\tdefaults\t0 2\n" +
	"LABEL=UEFI\t/boot/efi\tvfat\tumask=0077\t0 1\n"

// splitBoot moves tree's /boot into a tree of its own (with a grub
// directory and a lost+found, as a BOOT partition has), leaves /boot/efi, and
// writes Ubuntu 24.04's fstab: the layout of a noble cloud disk.
func splitBoot(t *testing.T, tree string) string {
	t.Helper()
	boot := filepath.Join(t.TempDir(), "boot")
	require.NoError(t, os.Rename(filepath.Join(tree, "boot"), boot))
	require.NoError(t, os.MkdirAll(filepath.Join(tree, "boot/efi"), 0o755))
	put(t, boot, "grub/grubenv", []byte("# GRUB Environment Block\n"), 0o640)
	require.NoError(t, os.Chown(filepath.Join(boot, "grub/grubenv"), 1234, 5678))
	require.NoError(t, os.Mkdir(filepath.Join(boot, "lost+found"), 0o700))
	require.NoError(t, os.Rename(filepath.Join(boot, "vmlinuz"), filepath.Join(boot, "vmlinuz-6.8.0-1-generic")))
	require.NoError(t, os.Chmod(filepath.Join(boot, "vmlinuz-6.8.0-1-generic"), 0o600))
	require.NoError(t, os.Symlink("vmlinuz-6.8.0-1-generic", filepath.Join(boot, "vmlinuz")))
	put(t, tree, "etc/fstab", []byte(nobleFstab), 0o644)
	return boot
}

func fileSum(t *testing.T, p string) [32]byte {
	t.Helper()
	return sha256.Sum256(read(t, p))
}

var blockCount = regexp.MustCompile(`(?m)^Block count:\s+(\d+)\n(?:.*\n)*?Block size:\s+(\d+)`)

// extSize is the file-system size dumpe2fs -h reports.
func extSize(t *testing.T, img string) int64 {
	t.Helper()
	m := blockCount.FindStringSubmatch(sh(t, "dumpe2fs", "-h", img))
	require.NotNil(t, m)
	n, _ := strconv.ParseInt(m[1], 10, 64)
	bs, _ := strconv.ParseInt(m[2], 10, 64)
	return n * bs
}

func TestBuildMAASFromCloudImage(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "resize2fs", "tune2fs", "e2fsck", "dumpe2fs")
	raw := buildRaw(t, kairosRootfs(t))
	disk := cloudDisk(t, ubuntuRootfs(t, []byte("kernel"), []byte("initrd")), "", 96*mib)
	// The same file system alone, as in noble-server-cloudimg-amd64.tar.gz.
	fsImage := extract(t, disk, gptOf(t, disk)[0])
	tree := ubuntuRootfs(t, []byte("kernel"), []byte("initrd"))
	noble := cloudDisk(t, tree, splitBoot(t, tree), 96*mib)
	for name, img := range map[string]string{"gpt disk": disk, "ext4 image": fsImage, "gpt disk with /boot partition": noble} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			before := fileSum(t, img)
			o := Options{KairosRaw: raw, UbuntuCloudImage: img}
			res, out := buildMAAS(t, o)
			require.Equal(t, before, fileSum(t, img), "the cloud image is only read")

			parts := gptOf(t, out)
			require.Equal(t, "efi:EF00 ubuntu_rootfs:8300 oem:8300 recovery:8300", names(parts))
			ubuntu := extract(t, out, parts[1])
			requireExtClean(t, ubuntu, labelUbuntu)
			require.Equal(t, 256*mib, extSize(t, ubuntu), "grown to the partition")
			require.NotContains(t, sh(t, "dumpe2fs", "-h", ubuntu), sh(t, "blkid", "-s", "UUID", "-o", "value", fsImage)[:36],
				"a UUID of ours, not the image's")
			requireUbuntuPartition(t, ubuntu)
			kernel := "/boot/vmlinuz"
			if img == noble {
				kernel = "/boot/vmlinuz-6.8.0-1-generic" // debugfs cat does not follow the link
			}
			require.Equal(t, "kernel", debugfsOut(t, ubuntu, "cat "+kernel))
			require.Equal(t, "initrd", debugfsOut(t, ubuntu, "cat /boot/initrd.img"))
			if img == noble {
				st := debugfsOut(t, ubuntu, "stat "+kernel)
				require.Contains(t, st, "Mode:  0600")
				require.Contains(t, st, "User:     0   Group:     0")
				require.Contains(t, debugfsOut(t, ubuntu, "stat /boot/vmlinuz"), `Fast link dest: "vmlinuz-6.8.0-1-generic"`)
				require.Equal(t, "# GRUB Environment Block\n", debugfsOut(t, ubuntu, "cat /boot/grub/grubenv"))
				require.Contains(t, debugfsOut(t, ubuntu, "stat /boot/grub/grubenv"), "User:  1234   Group:  5678")
				require.Contains(t, debugfsOut(t, ubuntu, "stat /boot/grub/grubenv"), "Mode:  0640")
				require.Contains(t, debugfsOut(t, ubuntu, "ls /boot"), "efi")
				require.NotContains(t, debugfsOut(t, ubuntu, "ls /boot"), "lost+found")
				fstab := debugfsOut(t, ubuntu, "cat /etc/fstab")
				require.Contains(t, fstab, "\n# canvos maas: /boot is on the root file system: LABEL=BOOT\t/boot\t")
				require.Contains(t, fstab, "\nLABEL=UEFI\t/boot/efi\t")
			}
			requireExtClean(t, extract(t, out, parts[2]), labelOEM)

			again, _ := buildMAAS(t, o)
			require.Equal(t, res.SHA256, again.SHA256, "same inputs, same bytes")
		})
	}
}

func TestBuildMAASRejectsBadCloudImage(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "qemu-img", "debugfs")
	raw := buildRaw(t, kairosRootfs(t))
	good := cloudDisk(t, ubuntuRootfs(t, []byte("k"), []byte("i")), "", 64*mib)
	qcow2 := filepath.Join(t.TempDir(), "noble-server-cloudimg-amd64.img")
	sh(t, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", good, qcow2)
	noKernel := t.TempDir()
	put(t, noKernel, "boot/initrd.img", []byte("i"), 0o644)
	notDisk := filepath.Join(t.TempDir(), "zeros.img")
	put(t, filepath.Dir(notDisk), "zeros.img", make([]byte, 1<<20), 0o644)
	for name, tc := range map[string]struct {
		o          Options
		param, msg string
	}{
		"qcow2":                       {Options{UbuntuCloudImage: qcow2}, cloudImageFlag, "qemu-img convert -O raw"},
		"no ext4 root":                {Options{UbuntuCloudImage: cloudDisk(t, "", "", 64*mib)}, cloudImageFlag, "ext4 root partition"},
		"no kernel":                   {Options{UbuntuCloudImage: cloudDisk(t, noKernel, "", 64*mib)}, cloudImageFlag, "/boot/vmlinuz"},
		"no kernel in boot partition": {Options{UbuntuCloudImage: cloudDisk(t, noKernel, noKernel, 64*mib)}, cloudImageFlag, "/boot/vmlinuz"},
		"neither disk":                {Options{UbuntuCloudImage: notDisk}, cloudImageFlag, "raw GPT disk or ext4"},
		"missing":                     {Options{UbuntuCloudImage: notDisk + ".missing"}, cloudImageFlag, "readable"},
		"root too big":                {Options{UbuntuCloudImage: cloudDisk(t, ubuntuRootfs(t, []byte("k"), []byte("i")), "", 300*mib)}, "--ubuntu-rootfs-size", "300 MiB"},
		"both ubuntu":                 {Options{UbuntuCloudImage: good, UbuntuRootfs: noKernel}, "--ubuntu-rootfs/" + cloudImageFlag, "exactly one"},
		"neither ubuntu":              {Options{}, "--ubuntu-rootfs/" + cloudImageFlag, "exactly one"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := tc.o
			o.KairosRaw, o.OutDir, o.ScratchDir, o.RootfsSize = raw, t.TempDir(), t.TempDir(), 256*mib
			_, err := Build(context.Background(), o)
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.Contains(t, err.Error(), tc.msg)
			var ue *usererr.Error
			if errors.As(err, &ue) {
				require.Equal(t, tc.param, ue.Param)
			} else {
				require.Contains(t, err.Error(), tc.param+": ")
			}
			for _, dir := range []string{o.OutDir, o.ScratchDir} {
				ents, rerr := os.ReadDir(dir)
				require.NoError(t, rerr)
				require.Empty(t, ents, "bad input must fail before anything is written")
			}
		})
	}
}

func TestCommentBootMount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		nobleFstab: "LABEL=cloudimg-rootfs\t/\text4\tdiscard,commit=30,errors=remount-ro\t0 1\n" +
			"# canvos maas: /boot is on the root file system: LABEL=BOOT\t/boot\text4\tdefaults\t0 2\n" +
			"LABEL=UEFI\t/boot/efi\tvfat\tumask=0077\t0 1\n",
		"#LABEL=BOOT /boot ext4 defaults 0 2\nUUID=x /boot ext4 ro 0 0": "#LABEL=BOOT /boot ext4 defaults 0 2\n" +
			"# canvos maas: /boot is on the root file system: UUID=x /boot ext4 ro 0 0",
		"": "",
	} {
		require.Equal(t, want, commentBootMount(in))
	}
}

func TestCloudRootCmds(t *testing.T) {
	t.Parallel()
	s := newSeed([]byte("x"))
	p := placed{part: part{name: nameUbuntu, size: 3 << 30}, offset: 65 * mib}
	env := []string{"E2FSPROGS_FAKE_TIME=1700000000"}
	for latest, check := range map[int64]string{1600000000: "E2FSCK_TIME=1700000000", 1800000000: "E2FSCK_TIME=1800000000"} {
		require.Equal(t, []run.Cmd{
			{Name: "e2fsck", Args: []string{"-fp", "/w/root.ext4"}, Env: append([]string{check}, env...)},
			{Name: "resize2fs", Args: []string{"/w/root.ext4", "3145728K"}, Env: env},
			{Name: "tune2fs", Args: []string{"-L", "UBUNTU_ROOTFS", "-U", s.guid("fs ubuntu_rootfs").String(), "/w/root.ext4"}, Env: env},
		}, cloudRootCmds("/w/root.ext4", p, s, 1700000000, latest))
	}
}

// TestBootMAASFromCloudImage boots the composite made from a stand-in noble
// cloud disk (/boot on its own partition) under OVMF as TestBootMAAS does:
// GRUB follows next_entry into the grubcustom entry, which boots the kernel
// and initrd merged into /boot of the grown, relabelled root file system.
func TestBootMAASFromCloudImage(t *testing.T) {
	t.Parallel()
	tree := bootableUbuntuRootfs(t)
	disk := cloudDisk(t, tree, splitBoot(t, tree), 128*mib)
	_, out := buildMAAS(t, Options{KairosRaw: buildRaw(t, kairosRootfs(t)), UbuntuCloudImage: disk})
	bootMAAS(t, out)
}
