package maas

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/overlay"
	"dagger/canvos/testutil"
)

// standInAgent is palette-agent's content-extract as the content script
// calls it: it fails on bundles named bad*, and otherwise leaves a marker
// that names the bundle it was given.
const standInAgent = `#!/bin/sh
[ "$1" = content-extract ] && [ "$2" = --source ] && [ "$4" = --destination ] || exit 2
case $(basename "$3") in bad*) exit 1 ;; esac
echo "extracted $(basename "$3")" > "$5/$(basename "$3" .zst).extracted"
`

// firstBootInit is the stand-in installed system's first boot: persistent
// on /usr/local, as Kairos mounts it, then the network stage's two scripts,
// twice (the second run finds nothing to do), with the kernel's view of the
// disk printed after each step.
const firstBootInit = `mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
export PATH=/usr/sbin:/bin
for m in $MODULES; do insmod /lib/modules/$m.ko; done
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/vda6 ] && break; sleep 1; done
mkdir -p /etc /usr/local /var/log /run
ln -s /proc/mounts /etc/mtab
mount -t ext4 "$(blkid -L COS_PERSISTENT)" /usr/local || echo "CANVOS-CLOUD-FAIL no persistent"
for run in 1 2; do
	/opt/spectrocloud/scripts/cloud-content.sh; echo "CANVOS-CLOUD-CONTENT-RC$run $?"
	/opt/spectrocloud/scripts/cloud-extend-persistent.sh; echo "CANVOS-CLOUD-EXTEND-RC$run $?"
done
echo "CANVOS-CLOUD-PARTS $(ls /sys/class/block | tr '\n' ' ')"
echo "CANVOS-CLOUD-SIZE $(cat /sys/class/block/vda6/size)"
echo "CANVOS-CLOUD-DF $(df -k /usr/local | tail -n 1)"
umount /usr/local
sync
echo CANVOS-CLOUD-DONE
poweroff -f
`

// TestCloudFirstBoot proves the first-boot scripts in a QEMU guest (Debian's
// kernel, a busybox initramfs with the host's blkid, sgdisk, partx, wipefs
// and resize2fs) on the cloud image as Kairos' reset leaves it — state and
// persistent added after COS_CONTENT — on a volume enlarged since: the
// bundles land in /usr/local/spectrocloud/bundle (extracted by the agent,
// copied when it fails, untarred), the SPC in clusterconfig, the edge config
// on COS_OEM; COS_CONTENT is wiped and gone from the table and the kernel;
// persistent, mounted, ends at the disk's last usable sector and its file
// system fills it.
func TestCloudFirstBoot(t *testing.T) {
	t.Parallel()
	k := testutil.DebianKernel(t)
	content := t.TempDir()
	put(t, content, "good.zst", []byte("good bundle"), 0o644)
	put(t, content, "bad.zst", []byte("bundle the agent refuses"), 0o644)
	put(t, content, "images.tar", tarOf(t, map[string]string{"images/pause.img": "pause image"}), 0o644)
	_, spc, edge := contentInputs(t)
	res := buildCloud(t, CloudImageOptions{
		RawOptions:    RawOptions{Rootfs: cloudRootfs(t)},
		ContentInputs: ContentInputs{Content: []string{content}, ClusterConfig: spc, EdgeConfig: edge},
	})
	disk, before := afterReset(t, res.Path)

	modules := k.Loadable(t, bootModules)
	extra := testutil.HostBinaries(t, "blkid", "sgdisk", "partx", "wipefs", "resize2fs", "e2fsck")
	for _, f := range overlay.CloudImage() {
		extra[strings.TrimPrefix(f.Path, "/")] = f.Data
	}
	extra["opt/spectrocloud/bin/palette-agent"] = []byte(standInAgent)
	initrd := testutil.Initramfs(t, k, strings.ReplaceAll(firstBootInit, "$MODULES", strings.Join(modules, " ")), modules, extra)
	run := testutil.QEMU{
		Args: []string{"-kernel", k.Vmlinuz, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 quiet",
			"-drive", "file=" + disk + ",format=raw,if=virtio"},
		Timeout: 240 * time.Second,
		Until:   []string{"CANVOS-CLOUD-DONE", "Kernel panic"},
	}.Run(t)
	require.Equal(t, "CANVOS-CLOUD-DONE", run.Matched, "timed out: %v", run.TimedOut)
	out := run.Output
	for _, s := range []string{
		"CANVOS-CLOUD-CONTENT-RC1 0", "CANVOS-CLOUD-EXTEND-RC1 0", "CANVOS-CLOUD-CONTENT-RC2 0", "CANVOS-CLOUD-EXTEND-RC2 0",
		"cloud-content: extracted good.zst", "cloud-content: palette-agent content-extract failed on bad.zst, copying bad.zst as it is",
		"cloud-content: unpacked images.tar", "cloud-content: edge config copied to COS_OEM", "cloud-content: done: partition 4 of /dev/vda deleted",
		"cloud-content: no COS_CONTENT partition, nothing to do", "cloud-extend-persistent: persistent already ends at sector",
	} {
		require.Contains(t, out, s)
	}
	require.NotContains(t, out, "CANVOS-CLOUD-FAIL")
	require.NotContains(t, out, "ERROR")
	require.Regexp(t, `CANVOS-CLOUD-PARTS vda vda1 vda2 vda3 vda5 vda6 \r?\n`, out, "the kernel dropped vda4")

	parts := gptOf(t, disk)
	require.Equal(t, "efi:EF00 oem:8300 recovery:8300 state:8300 persistent:8300", names(parts))
	last := regexp.MustCompile(`last usable sector is (\d+)`).FindStringSubmatch(sh(t, "sgdisk", "-p", disk))
	require.NotNil(t, last)
	persistent := parts[4]
	require.Equal(t, last[1], strconv.FormatInt(persistent.end, 10), "persistent ends where the disk does")
	require.Equal(t, before.start, persistent.start)
	sectors := persistent.end - persistent.start + 1
	require.Regexp(t, "CANVOS-CLOUD-SIZE "+strconv.FormatInt(sectors, 10)+"\r?\n", out, "the kernel sees the grown partition")
	require.Contains(t, sh(t, "sgdisk", "-i", "6", disk), "Partition unique GUID: "+before.guid, "the same partition, grown")

	pimg := extract(t, disk, persistent)
	requireExtClean(t, pimg, "COS_PERSISTENT")
	sb := sh(t, "dumpe2fs", "-h", pimg)
	blocks := regexp.MustCompile(`(?m)^Block count:\s+(\d+)$`).FindStringSubmatch(sb)
	bsize := regexp.MustCompile(`(?m)^Block size:\s+(\d+)$`).FindStringSubmatch(sb)
	n, _ := strconv.ParseInt(blocks[1], 10, 64)
	bs, _ := strconv.ParseInt(bsize[1], 10, 64)
	// resize2fs leaves out a last block group too small for its own metadata.
	require.InDelta(t, sectors*512, n*bs, 64<<10, "the file system fills persistent")
	require.Greater(t, n*bs, int64(200*mib), "grown from 32 MiB over the free space and the enlarged volume")

	require.Equal(t, "extracted good.zst\n", debugfsOut(t, pimg, "cat /spectrocloud/bundle/good.extracted"))
	require.Equal(t, "bundle the agent refuses", debugfsOut(t, pimg, "cat /spectrocloud/bundle/bad.zst"))
	require.Equal(t, "pause image", debugfsOut(t, pimg, "cat /spectrocloud/bundle/images/pause.img"))
	require.NotContains(t, debugfsOut(t, pimg, "ls /spectrocloud/bundle"), "good.zst")
	require.Equal(t, "cluster profile", debugfsOut(t, pimg, "cat /spectrocloud/clusterconfig/spc.tgz"))
	oem := extract(t, disk, parts[1])
	requireExtClean(t, oem, labelOEM)
	require.Equal(t, "stylus: {}\n", debugfsOut(t, oem, "cat /.edge_custom_config.yaml"))

	// wipefs cleared the ext4 magic (0xEF53 at byte 1080) of the old partition.
	f, err := os.Open(disk)
	require.NoError(t, err)
	defer f.Close()
	magic := make([]byte, 2)
	_, err = f.ReadAt(magic, before.contentStart*512+1080)
	require.NoError(t, err)
	require.NotEqual(t, uint16(0xEF53), binary.LittleEndian.Uint16(magic))
}

// resetState is what afterReset records of the disk before the first boot.
type resetState struct {
	start, contentStart int64 // first sectors of persistent and COS_CONTENT
	guid                string
}

// afterReset turns a copy of the cloud image into the disk Kairos' reset
// leaves (01_reset.yaml): state and persistent (ext4 COS_STATE,
// COS_PERSISTENT) after COS_CONTENT, on a volume 160 MiB larger than the
// image, with 112 MiB left free after persistent; then the volume grows by
// 64 MiB more, its backup GPT left where it was.
func afterReset(t *testing.T, img string) (string, resetState) {
	t.Helper()
	disk := filepath.Join(t.TempDir(), "cloud.raw")
	sh(t, "cp", "--sparse=always", img, disk)
	fi, err := os.Stat(disk)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(disk, fi.Size()+160*mib))
	sh(t, "sgdisk", "-e", "-n", "5:0:+16M", "-c", "5:state", "-t", "5:8300", "-n", "6:0:+32M", "-c", "6:persistent", "-t", "6:8300", disk)
	parts := gptOf(t, disk)
	require.Equal(t, "efi:EF00 oem:8300 recovery:8300 COS_CONTENT:8300 state:8300 persistent:8300", names(parts))
	for _, p := range []struct {
		part  sgdiskPart
		label string
	}{{parts[4], "COS_STATE"}, {parts[5], "COS_PERSISTENT"}} {
		sh(t, "mke2fs", "-q", "-F", "-t", "ext4", "-L", p.label, "-E", "offset="+strconv.FormatInt(p.part.start*512, 10),
			disk, strconv.FormatInt((p.part.end-p.part.start+1)/2, 10)+"k")
	}
	guid := regexp.MustCompile(`Partition unique GUID: (\S+)`).FindStringSubmatch(sh(t, "sgdisk", "-i", "6", disk))
	require.NoError(t, os.Truncate(disk, fi.Size()+224*mib), "the volume enlarged after the install")
	return disk, resetState{start: parts[5].start, contentStart: parts[3].start, guid: guid[1]}
}

func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for name, data := range files {
		require.NoError(t, w.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
		_, err := w.Write([]byte(data))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return b.Bytes()
}
