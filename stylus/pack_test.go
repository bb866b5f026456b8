package stylus_test

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"

	"dagger/canvos/run"
	"dagger/canvos/stylus"
	"dagger/canvos/testutil"
	"dagger/canvos/usererr"
)

const ref = "us-docker.pkg.dev/palette-images/edge/stylus-framework-linux-amd64:v4.10.0-rc.2"

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// packageTree is a stand-in stylus package rootfs: an agent binary, a
// symlink, a hard link, a private directory owned by another user.
func packageTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for p, body := range map[string]string{
		"opt/spectrocloud/bin/stylus-agent":    "#!/bin/sh\necho agent\n",
		"opt/spectrocloud/state/palette.db":    "db",
		"etc/systemd/system/stylus-agent.unit": "[Unit]\n",
	} {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(body), 0o644))
	}
	require.NoError(t, os.Chmod(filepath.Join(root, "opt/spectrocloud/bin/stylus-agent"), 0o755))
	require.NoError(t, os.Chmod(filepath.Join(root, "opt/spectrocloud/state"), 0o700))
	require.NoError(t, os.Symlink("/opt/spectrocloud/bin/stylus-agent", filepath.Join(root, "opt/spectrocloud/bin/palette-agent")))
	require.NoError(t, os.Link(filepath.Join(root, "opt/spectrocloud/bin/stylus-agent"), filepath.Join(root, "opt/spectrocloud/bin/agent-provider-stylus")))
	if os.Geteuid() == 0 {
		require.NoError(t, os.Lchown(filepath.Join(root, "opt/spectrocloud/state"), 1000, 1000))
	}
	future := time.Now().Add(48 * time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(root, "opt/spectrocloud/state/palette.db"), future, future))
	return root
}

func gnuTar(t *testing.T, dir string, args ...string) string {
	t.Helper()
	testutil.RequireTool(t, "tar")
	out, err := run.Run(context.Background(), run.Cmd{Name: "tar", Args: args, Dir: dir})
	require.NoError(t, err)
	return string(out)
}

// stylus-image.tar is what luet util pack writes: a docker-save tarball
// (manifest.json naming STYLUS_BASE, a linux/<arch> config, one gzipped
// layer) whose layer GNU tar unpacks into the package tree with its modes,
// owners, symlink and hard link; skopeo reads it as a docker-archive.
func TestPackIsALuetPackTarball(t *testing.T) {
	t.Parallel()
	root := packageTree(t)
	out := filepath.Join(t.TempDir(), stylus.ImageFile)
	require.NoError(t, stylus.Write(out, stylus.Options{Rootfs: root, Ref: ref, Arch: "amd64", Epoch: epoch}))

	outer := t.TempDir()
	gnuTar(t, outer, "-xf", out)
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	b, err := os.ReadFile(filepath.Join(outer, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &manifest))
	require.Len(t, manifest, 1)
	require.Equal(t, []string{ref}, manifest[0].RepoTags)
	require.Len(t, manifest[0].Layers, 1)
	var cfg struct{ OS, Architecture string }
	b, err = os.ReadFile(filepath.Join(outer, manifest[0].Config))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &cfg))
	require.Equal(t, "linux", cfg.OS)
	require.Equal(t, "amd64", cfg.Architecture)

	layer := filepath.Join(outer, manifest[0].Layers[0])
	listing := gnuTar(t, outer, "-tvzf", layer, "--numeric-owner")
	require.Contains(t, listing, "-rwxr-xr-x 0/0")
	require.Regexp(t, `opt/spectrocloud/bin/agent-provider-stylus link to opt/spectrocloud/bin/stylus-agent|opt/spectrocloud/bin/stylus-agent link to opt/spectrocloud/bin/agent-provider-stylus`, listing)
	require.Contains(t, listing, "opt/spectrocloud/bin/palette-agent -> /opt/spectrocloud/bin/stylus-agent")
	if os.Geteuid() == 0 {
		require.Regexp(t, `drwx------ 1000/1000 .* opt/spectrocloud/state/`, listing)
	}
	require.Regexp(t, `2025-01-01 00:00 opt/spectrocloud/state/palette.db`, listing, "times after SOURCE_DATE_EPOCH are clamped")

	unpacked := t.TempDir()
	gnuTar(t, unpacked, "-xzf", layer)
	agent, err := os.ReadFile(filepath.Join(unpacked, "opt/spectrocloud/bin/stylus-agent"))
	require.NoError(t, err)
	require.Equal(t, "#!/bin/sh\necho agent\n", string(agent))

	// skopeo reads it as a docker-archive: one linux/amd64 image, one layer.
	testutil.RequireTool(t, "skopeo")
	inspected, err := run.Run(context.Background(), run.Cmd{Name: "skopeo", Args: []string{"inspect", "docker-archive:" + out}})
	require.NoError(t, err)
	var info struct {
		Architecture, Os string
		Layers           []string
	}
	require.NoError(t, json.Unmarshal(inspected, &info))
	require.Equal(t, "amd64", info.Architecture)
	require.Equal(t, "linux", info.Os)
	require.Len(t, info.Layers, 1)

	// luet util unpack file://… reads the file with go-containerregistry's
	// tarball.ImageFromPath(path, nil) (mudler/luet pkg/helpers/docker) and
	// extracts the flattened image: the agent is there.
	img, err := tarball.ImageFromPath(out, nil)
	require.NoError(t, err)
	flat := tar.NewReader(mutate.Extract(img))
	found := map[string]bool{}
	for {
		h, err := flat.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		found[h.Name] = true
	}
	require.True(t, found["opt/spectrocloud/bin/stylus-agent"], "%v", found)
	tag, err := name.NewTag(ref)
	require.NoError(t, err)
	_, err = tarball.ImageFromPath(out, &tag)
	require.NoError(t, err, "tagged STYLUS_BASE")
}

// Same tree, same epoch: the same bytes.
func TestPackReproducible(t *testing.T) {
	t.Parallel()
	root := packageTree(t)
	var sums []string
	for range 2 {
		out := filepath.Join(t.TempDir(), stylus.ImageFile)
		require.NoError(t, stylus.Write(out, stylus.Options{Rootfs: root, Ref: ref, Arch: "arm64", Epoch: epoch}))
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		sums = append(sums, string(b))
	}
	require.Equal(t, sums[0], sums[1])
}

func TestPackRejected(t *testing.T) {
	t.Parallel()
	root := packageTree(t)
	out := filepath.Join(t.TempDir(), stylus.ImageFile)
	for _, tc := range []struct {
		o    stylus.Options
		want string
	}{
		{stylus.Options{Rootfs: root, Ref: "UPPER/case:x", Arch: "amd64"}, "--ref"},
		{stylus.Options{Rootfs: root, Ref: ref + "@sha256:" + strings.Repeat("a", 64), Arch: "amd64"}, "--ref"},
		{stylus.Options{Rootfs: root, Ref: ref, Arch: "riscv64"}, "--arch"},
		{stylus.Options{Rootfs: filepath.Join(root, "nope"), Ref: ref, Arch: "amd64"}, "--rootfs"},
	} {
		err := stylus.Write(out, tc.o)
		require.ErrorIs(t, err, usererr.ErrInvalid)
		require.ErrorContains(t, err, tc.want)
		require.NoFileExists(t, out)
	}
}
