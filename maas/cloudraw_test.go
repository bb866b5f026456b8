package maas

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/overlay"
	"dagger/canvos/testutil"
	"dagger/canvos/usererr"
)

// cloudKairosRelease names the stand-in the way a Kairos 3.x image does.
const cloudKairosRelease = `KAIROS_FLAVOR="ubuntu"
KAIROS_FLAVOR_RELEASE="24.04"
KAIROS_VARIANT="core"
KAIROS_ARCH="amd64"
KAIROS_MODEL="generic"
KAIROS_VERSION="v3.5.0"
`

// cloudRootfs is the stand-in Kairos rootfs with the cloud-image files, as
// the cloud-image function prepares it.
func cloudRootfs(t *testing.T) string {
	t.Helper()
	dir := kairosRootfs(t)
	for _, f := range overlay.CloudImage() {
		put(t, dir, f.Path, f.Data, f.Mode)
	}
	put(t, dir, "etc/kairos-release", []byte(cloudKairosRelease), 0o644)
	return dir
}

func buildCloud(t *testing.T, o CloudImageOptions) Result {
	t.Helper()
	testutil.RequireTool(t, "mksquashfs", "mke2fs", "mkfs.fat", "mcopy", "debugfs")
	o.ScratchDir, o.Epoch = t.TempDir(), testEpoch
	if o.Out == "" {
		o.Out = t.TempDir()
	}
	res, err := BuildCloudImage(context.Background(), o)
	require.NoError(t, err)
	return res
}

// TestBuildCloudImage: the Kairos raw layout plus p4 COS_CONTENT right after
// recovery, sized as CanvOS does, holding the bundles of both content
// directories, the SPC and the edge config; named as AuroraBoot names the
// raw; sha256sum accepts the .sha256; the same inputs give the same bytes.
func TestBuildCloudImage(t *testing.T) {
	t.Parallel()
	content, spc, edge := contentInputs(t)
	more := t.TempDir()
	put(t, more, "addon.zst", []byte("second bundle"), 0o644)
	o := CloudImageOptions{
		RawOptions:    RawOptions{Rootfs: cloudRootfs(t), UserData: []byte("#cloud-config\nhostname: cloud\n")},
		ContentInputs: ContentInputs{Content: []string{content, more}, ClusterConfig: spc, EdgeConfig: edge},
	}
	res := buildCloud(t, o)
	require.Equal(t, "kairos-ubuntu-24.04-core-amd64-generic-v3.5.0.raw", filepath.Base(res.Path))
	testutil.RequireTool(t, "sha256sum")
	cmd := exec.Command("sha256sum", "-c", filepath.Base(res.Path)+".sha256")
	cmd.Dir = filepath.Dir(res.Path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	parts := gptOf(t, res.Path)
	require.Equal(t, "efi:EF00 oem:8300 recovery:8300 COS_CONTENT:8300", names(parts))
	require.Equal(t, parts[2].end+1, parts[3].start, "content right after recovery")
	var files int64
	for _, n := range []string{"core.zst", "extra.tar"} {
		fi, err := os.Stat(filepath.Join(content, n))
		require.NoError(t, err)
		files += fi.Size() + 4096
	}
	files += int64(len("second bundle")+len("cluster profile")+len("stylus: {}\n")) + 3*4096
	require.Equal(t, roundMiB(files+files/5+100*mib), (parts[3].end-parts[3].start+1)*512, "files + 20 %% + 100 MiB")
	fi, err := os.Stat(res.Path)
	require.NoError(t, err)
	require.Equal(t, (parts[3].end+1)*512+mib, fi.Size(), "1 MiB after the last partition for the backup GPT")

	oem := extract(t, res.Path, parts[1])
	requireExtClean(t, oem, labelOEM)
	require.Equal(t, "#cloud-config\nhostname: cloud\n", debugfsOut(t, oem, "cat /90_custom.yaml"))
	require.Contains(t, debugfsOut(t, oem, "cat /grubenv"), "next_entry=recovery")

	cp := extract(t, res.Path, parts[3])
	requireExtClean(t, cp, labelContent)
	require.Regexp(t, `Filesystem features:.*has_journal.*extent`, sh(t, "dumpe2fs", "-h", cp), "ext4")
	require.Equal(t, "zstd bundle", debugfsOut(t, cp, "cat /bundle-content/core.zst"))
	require.Equal(t, "tar bundle", debugfsOut(t, cp, "cat /bundle-content/extra.tar"))
	require.Equal(t, "second bundle", debugfsOut(t, cp, "cat /bundle-content/addon.zst"))
	require.NotContains(t, debugfsOut(t, cp, "ls /bundle-content"), "notes.txt")
	require.Equal(t, "cluster profile", debugfsOut(t, cp, "cat /spc-config/spc.tgz"))
	require.Equal(t, "stylus: {}\n", debugfsOut(t, cp, "cat /edge-config/.edge_custom_config.yaml"))

	recovery := extract(t, res.Path, parts[2])
	testutil.RequireTool(t, "unsquashfs")
	sq := filepath.Join(t.TempDir(), "recovery.squashfs")
	sh(t, "debugfs", "-R", "dump /cOS/recovery.squashfs "+sq, recovery)
	list := sh(t, "unsquashfs", "-l", sq)
	for _, f := range overlay.CloudImage() {
		require.Contains(t, list, "squashfs-root"+f.Path)
	}

	o.Rootfs, o.Content = testutil.CopyTree(t, o.Rootfs), []string{testutil.CopyTree(t, content), testutil.CopyTree(t, more)}
	again := buildCloud(t, o)
	require.Equal(t, res.SHA256, again.SHA256, "same inputs unpacked again, same bytes")
}

// TestBuildCloudImageWithoutContent: no content, no fourth partition (as
// CanvOS), at the file name given.
func TestBuildCloudImageWithoutContent(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "edge.raw")
	res := buildCloud(t, CloudImageOptions{RawOptions: RawOptions{Rootfs: cloudRootfs(t), Out: out}})
	require.Equal(t, out, res.Path)
	require.Equal(t, "efi:EF00 oem:8300 recovery:8300", names(gptOf(t, out)))
	require.FileExists(t, out+".sha256")
}

func TestBuildCloudImageRejectsBadInput(t *testing.T) {
	t.Parallel()
	good := cloudRootfs(t)
	plain := kairosRootfs(t)
	content, _, _ := contentInputs(t)
	dup := t.TempDir()
	put(t, dup, "core.zst", []byte("same name"), 0o644)
	noBundles := t.TempDir()
	put(t, noBundles, "readme", []byte("x"), 0o644)
	for name, tc := range map[string]struct {
		rootfs string
		c      ContentInputs
		param  string
		want   string
	}{
		"no cloud files":  {plain, ContentInputs{}, "--rootfs", "/etc/kairos/branding/grubmenu.cfg"},
		"no bundles":      {good, ContentInputs{Content: []string{noBundles}}, "--content", "*.zst or *.tar"},
		"same bundle":     {good, ContentInputs{Content: []string{content, dup}}, "--content", "core.zst is also in " + content},
		"missing spc":     {good, ContentInputs{ClusterConfig: noBundles + "/spc.tgz"}, "--cluster-config", "a readable file"},
		"missing edge":    {good, ContentInputs{EdgeConfig: noBundles + "/edge.yaml"}, "--edge-config", "a readable file"},
		"missing content": {good, ContentInputs{Content: []string{noBundles + "/nope"}}, "--content", "a readable directory"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			_, err := BuildCloudImage(context.Background(), CloudImageOptions{RawOptions: RawOptions{Rootfs: tc.rootfs, Out: out, ScratchDir: out}, ContentInputs: tc.c})
			var ue *usererr.Error
			require.True(t, errors.As(err, &ue), "%v", err)
			require.Equal(t, tc.param, ue.Param)
			require.Contains(t, err.Error(), tc.want)
			ents, rerr := os.ReadDir(out)
			require.NoError(t, rerr)
			require.Empty(t, ents, "bad input must fail before any output")
		})
	}
}

func TestCloudImageName(t *testing.T) {
	t.Parallel()
	for want, release := range map[string]string{
		"kairos-ubuntu-24.04-core-amd64-generic-v3.5.0": cloudKairosRelease,
		"kairos-opensuse-15.6-standard-arm64-rpi4-v3.4.2-k3sv1.32.3+k3s1": "KAIROS_FLAVOR=opensuse\nKAIROS_FLAVOR_RELEASE=15.6\nKAIROS_VARIANT=standard\n" +
			"KAIROS_TARGETARCH=arm64\nKAIROS_MODEL=rpi4\nKAIROS_VERSION=v3.4.2\nKAIROS_SOFTWARE_VERSION_PREFIX=k3s\nKAIROS_SOFTWARE_VERSION=v1.32.3+k3s1\n",
		"kairos-ubuntu-22.04-standard-amd64-generic-v3.2.0": "FLAVOR=ubuntu\nFLAVOR_RELEASE=22.04\nVARIANT=standard\nARCH=amd64\nMODEL=generic\nVERSION=v3.2.0\n",
		// The engine run's stand-in release names only a version.
		"kairos-v0.0.0-standin": "KAIROS_NAME=\"kairos-core-standin\"\nKAIROS_VERSION=\"v0.0.0-standin\"\n",
	} {
		dir := t.TempDir()
		put(t, dir, "etc/kairos-release", []byte(release), 0o644)
		require.Equal(t, want, CloudImageName(dir), strings.SplitN(release, "\n", 2)[0])
	}
	require.Equal(t, "kairos", CloudImageName(t.TempDir()))
}
