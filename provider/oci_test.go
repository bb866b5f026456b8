package provider

// The engine-free proof of the provider plan: the same Plan value that
// stage.go hands to Dagger is applied with go-containerregistry (package oci)
// onto a tiny base, pushed to a registry, read back, and checked layer by
// layer against expectations derived from the plan's steps and the fake
// source trees below.

import (
	"archive/tar"
	"encoding/json"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/stretchr/testify/require"

	"dagger/canvos/imageplan"
	"dagger/canvos/oci"
	"dagger/canvos/overlay"
	"dagger/canvos/testutil"
)

var epoch = time.Unix(1700000000, 0).UTC()

const baseSource imageplan.Source = "test-base"

func file(data string, mode fs.FileMode) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(data), Mode: mode}
}

// fakeSources are small stand-ins for the stylus, agent provider,
// third-party and payload images; the overlay is the real embedded one.
func fakeSources(t testing.TB) map[imageplan.Source]fs.FS {
	t.Helper()
	files, err := overlay.Image()
	require.NoError(t, err)
	ov := fstest.MapFS{}
	for _, f := range files {
		ov[strings.TrimPrefix(f.Path, "/")] = file(string(f.Data), f.Mode)
	}
	return map[imageplan.Source]fs.FS{
		imageplan.Overlay: ov,
		imageplan.Stylus: fstest.MapFS{
			"etc/kairos/branding/grubmenu.cfg":             file("menuentry registration {}", 0o644),
			"etc/kairos/branding/interactive_install_text": file("Palette", 0o644),
			"etc/kairos/80_stylus.yaml":                    file("stages: {}", 0o644),
			"etc/elemental/config.yaml":                    file("install: {}", 0o644),
			"oem/stylus_config.yaml":                       file("stylus: {}", 0o600),
			"opt/spectrocloud/bin/stylus-agent":            file("agent", 0o755),
		},
		imageplan.AgentProvider: fstest.MapFS{
			"usr/local/system/providers/agent-provider-k3s": file("provider", 0o755),
		},
		imageplan.ThirdParty: fstest.MapFS{
			"binaries/etcdctl/latest/palette/amd64/etcdctl": file("etcdctl-amd64", 0o755),
			"binaries/etcdctl/latest/palette/arm64/etcdctl": file("etcdctl-arm64", 0o755),
		},
		imageplan.Payload: fstest.MapFS{
			"usr/bin/k3s":                      file("k3s", 0o755),
			"etc/systemd/system/k3s.service":   file("[Unit]", 0o644),
			"opt/spectrocloud/k8s/k3s.version": file("1.33.5", 0o644),
		},
		imageplan.Context: fstest.MapFS{
			".edge-custom-config.yaml": file("content: {}", 0o600),
		},
		baseSource: fstest.MapFS{
			"etc/os-release":               file("ID=ubuntu\n", 0o644),
			"etc/ssh/sshd_config":          file("Port 22\n", 0o644),
			"etc/ssh/ssh_host_ed25519_key": file("host key", 0o600),
			"etc/ssh/ssh_host_rsa_key":     file("host key", 0o600),
			"etc/machine-id":               file("0123456789abcdef\n", 0o444),
		},
	}
}

// tinyBase is one random layer plus a distro-like tree, for arch.
func tinyBase(t testing.TB, src map[imageplan.Source]fs.FS, arch string) v1.Image {
	t.Helper()
	img, err := random.Image(128, 1)
	require.NoError(t, err)
	img, err = oci.Apply(img, []imageplan.Step{{Name: "base", Op: imageplan.CopyDir, From: baseSource, Src: "/", Dest: "/"}},
		oci.Options{Sources: src, Epoch: epoch})
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

// expectedLayers derives, from the plan's steps alone, the non-directory
// entries each step's layer must hold, in order.
func expectedLayers(t *testing.T, p Plan, src map[imageplan.Source]fs.FS) [][]string {
	t.Helper()
	treeFiles := func(from imageplan.Source, root string) []string {
		var out []string
		require.NoError(t, fs.WalkDir(src[from], ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (root == "/" || strings.HasPrefix("/"+p, root+"/")) {
				out = append(out, "/"+p)
			}
			return err
		}))
		return out
	}
	var layers [][]string
	for _, s := range p.Steps {
		var want []string
		switch s.Op {
		case imageplan.CopyDir:
			for _, f := range treeFiles(s.From, s.Src) {
				want = append(want, path.Join(s.Dest, strings.TrimPrefix(f, s.Src)))
			}
		case imageplan.CopyFile, imageplan.Write, imageplan.Symlink:
			want = []string{s.Dest}
		case imageplan.LinkTree:
			for _, f := range treeFiles(s.From, s.Src) {
				want = append(want, path.Join(s.Dest, strings.TrimPrefix(f, s.Src)))
			}
		case imageplan.Move:
			for _, f := range treeFiles(imageplan.AgentProvider, s.Src) {
				if ok, _ := path.Match(s.Glob, path.Base(f)); ok {
					want = append(want, path.Join(s.Dest, path.Base(f)), path.Join(s.Src, ".wh."+path.Base(f)))
				}
			}
		case imageplan.Remove:
			for _, f := range treeFiles(baseSource, "/") {
				for _, g := range s.Paths {
					if ok, _ := path.Match(g, f); ok {
						want = append(want, path.Join(path.Dir(f), ".wh."+path.Base(f)))
					}
				}
			}
		default:
			t.Fatalf("step %s: op %s has no engine-free expectation", s.Name, s.Op)
		}
		slices.Sort(want)
		layers = append(layers, want)
	}
	return layers
}

// layerFiles is a crane-style listing of a layer's non-directory entries.
func layerFiles(t *testing.T, l v1.Layer) []string {
	t.Helper()
	var out []string
	for _, h := range testutil.LayerHeaders(t, l) {
		if h.Typeflag != tar.TypeDir {
			out = append(out, "/"+strings.TrimPrefix(h.Name, "/"))
		}
	}
	slices.Sort(out)
	return out
}

// buildPlan applies the plan for arch with package oci.
func buildPlan(t *testing.T, arch string, overrides ...string) (Plan, v1.Image, v1.Image) {
	t.Helper()
	c, n := loadTemplate(t, append([]string{"K8S_VERSION=1.33.5", "ARCH=" + arch}, overrides...)...)
	plans, err := Plans(c, n, systemdJammy, true)
	require.NoError(t, err)
	p := plans[0]
	src := fakeSources(t)
	base := tinyBase(t, src, arch)
	img, err := oci.Apply(base, p.Steps, oci.Options{Sources: src, Epoch: epoch})
	require.NoError(t, err)
	return p, base, img
}

// checkReadBack asserts the image read back from a registry has the plan's
// layers, in the plan's order, above the base.
func checkReadBack(t *testing.T, p Plan, base, got v1.Image) {
	t.Helper()
	require.NoError(t, validate.Image(got)) // read-back, not the freshly built image
	baseLayers, err := base.Layers()
	require.NoError(t, err)
	layers, err := got.Layers()
	require.NoError(t, err)
	want := expectedLayers(t, p, fakeSources(t))
	require.Len(t, layers, len(baseLayers)+len(want))
	for i, l := range layers[len(baseLayers):] {
		require.Equal(t, want[i], layerFiles(t, l), "layer %d = step %s", i, p.Steps[i].Name)
	}
	cf, err := got.ConfigFile()
	require.NoError(t, err)
	hist := cf.History[len(cf.History)-len(p.Steps):]
	for i, s := range p.Steps {
		require.Equal(t, s.String(), hist[i].CreatedBy)
	}
}

// localRef is the plan's repository and tag on another registry host.
func localRef(t *testing.T, host string, p Plan) name.Tag {
	t.Helper()
	tag, err := name.NewTag(p.Ref)
	require.NoError(t, err)
	local, err := name.NewTag(host+"/"+tag.RepositoryStr()+":"+tag.TagStr(), name.Insecure)
	require.NoError(t, err)
	return local
}

func TestPlanAppliedInProcessRegistry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		archs     []string
		overrides []string
	}{
		{"provider", []string{"amd64", "arm64"}, nil},
		// The UKI rootfs (amd64 only): payload linked from /opt/k8s, not copied.
		{"uki-rootfs", []string{"amd64"}, []string{"IS_UKI=true", "OS_VERSION=24.04"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inProcessRegistry(t, tc.archs, tc.overrides)
		})
	}
}

// built is one plan applied for one platform.
type built struct {
	p         Plan
	base, img v1.Image
}

func inProcessRegistry(t *testing.T, archs, overrides []string) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	var all []built
	var imgs []v1.Image
	var wantPlatforms []string
	for _, arch := range archs {
		p, base, img := buildPlan(t, arch, overrides...)
		require.Equal(t, "ttl.sh/ubuntu:k3s-1.33.5-v4.10.0-rc.2-demo", p.Ref, "one tag for every platform")
		all = append(all, built{p, base, img})
		imgs = append(imgs, img)
		wantPlatforms = append(wantPlatforms, p.Platform)
	}
	ref := localRef(t, host, all[0].p)
	idx, err := oci.Index(imgs...)
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, idx))

	gotIdx, err := remote.Index(ref)
	require.NoError(t, err)
	require.NoError(t, validate.Index(gotIdx))
	m, err := gotIdx.IndexManifest()
	require.NoError(t, err)
	var platforms []string
	for _, d := range m.Manifests {
		platforms = append(platforms, d.Platform.String())
	}
	require.Equal(t, wantPlatforms, platforms)

	for _, b := range all {
		plat, err := v1.ParsePlatform(b.p.Platform)
		require.NoError(t, err)
		got, err := remote.Image(ref, remote.WithPlatform(*plat))
		require.NoError(t, err)
		checkReadBack(t, b.p, b.base, got)
	}

	tags, err := remote.List(ref.Repository)
	require.NoError(t, err)
	require.Equal(t, []string{ref.TagStr()}, tags)
}

// skopeoJSON runs skopeo inspect against the plain-HTTP registry and decodes
// its JSON output.
func skopeoJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, err := exec.Command("skopeo", append([]string{"inspect", "--tls-verify=false"}, args...)...).Output()
	require.NoError(t, err, "skopeo %v", args)
	require.NoError(t, json.Unmarshal(out, v), "%s", out)
}

func TestPlanAppliedDockerRegistry(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "skopeo")
	host := testutil.DockerRegistry(t)

	pAMD, baseAMD, amd := buildPlan(t, "amd64")
	pARM, baseARM, arm := buildPlan(t, "arm64")
	ref := localRef(t, host, pAMD)
	idx, err := oci.Index(amd, arm)
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, idx))
	transport := "docker://" + ref.String()

	var raw struct {
		MediaType string `json:"mediaType"`
		Manifests []struct {
			Platform struct{ Architecture, OS string }
		} `json:"manifests"`
	}
	skopeoJSON(t, &raw, "--raw", transport)
	require.Equal(t, "application/vnd.oci.image.index.v1+json", raw.MediaType)
	require.Len(t, raw.Manifests, 2)
	require.Equal(t, "amd64", raw.Manifests[0].Platform.Architecture)
	require.Equal(t, "arm64", raw.Manifests[1].Platform.Architecture)

	for _, tc := range []struct {
		p    Plan
		base v1.Image
		img  v1.Image
	}{{pAMD, baseAMD, amd}, {pARM, baseARM, arm}} {
		arch := strings.TrimPrefix(tc.p.Platform, "linux/")
		var info struct {
			RepoTags     []string
			Architecture string
			Os           string
			Layers       []string
		}
		skopeoJSON(t, &info, "--override-os", "linux", "--override-arch", arch, transport)
		require.Equal(t, []string{ref.TagStr()}, info.RepoTags)
		require.Equal(t, arch, info.Architecture)
		require.Equal(t, "linux", info.Os)

		// skopeo's layer order is the built image's, step for step.
		layers, err := tc.img.Layers()
		require.NoError(t, err)
		var digests []string
		for _, l := range layers {
			d, err := l.Digest()
			require.NoError(t, err)
			digests = append(digests, d.String())
		}
		require.Equal(t, digests, info.Layers)

		var cfg struct {
			History []struct {
				CreatedBy string `json:"created_by"`
			} `json:"history"`
		}
		skopeoJSON(t, &cfg, "--config", "--override-os", "linux", "--override-arch", arch, transport)
		var createdBy []string
		for _, h := range cfg.History[len(cfg.History)-len(tc.p.Steps):] {
			createdBy = append(createdBy, h.CreatedBy)
		}
		var steps []string
		for _, s := range tc.p.Steps {
			steps = append(steps, s.String())
		}
		require.Equal(t, steps, createdBy)

		// Paths: the layers pulled back from docker-registry, listed.
		plat, err := v1.ParsePlatform(tc.p.Platform)
		require.NoError(t, err)
		got, err := remote.Image(ref, remote.WithPlatform(*plat))
		require.NoError(t, err)
		checkReadBack(t, tc.p, tc.base, got)
	}
}
