package oci

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/require"

	"dagger/canvos/imageplan"
	"dagger/canvos/overlay"
	"dagger/canvos/testutil"
)

var epoch = time.Unix(1700000000, 0).UTC()

// testBase is a random layer plus a small distro-like tree.
func testBase(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	img, err = Apply(img, []imageplan.Step{{Name: "base", Op: imageplan.CopyDir, From: "base", Src: "/", Dest: "/"}}, Options{
		Sources: map[imageplan.Source]fs.FS{"base": fstest.MapFS{
			"etc/os-release":                             {Data: []byte("ID=ubuntu\n"), Mode: 0o644},
			"etc/ssh/sshd_config":                        {Data: []byte("Port 22\n"), Mode: 0o644},
			"etc/ssh/ssh_host_ed25519_key":               {Data: []byte("secret"), Mode: 0o600},
			"etc/ssh/moduli":                             {Data: []byte("m"), Mode: 0o644},
			"etc/logrotate.d/stylus.conf":                {Data: []byte("/var/log/x {}\n"), Mode: 0o600},
			"opt/spectrocloud/bin/stylus":                {Data: []byte("s"), Mode: 0o755},
			"opt/spectrocloud/bin/agent-provider-stylus": {Data: []byte("a"), Mode: 0o755},
		}},
		Epoch: epoch,
	})
	require.NoError(t, err)
	return img
}

// listing is a crane-style listing of a layer: "name mode" per entry.
func listing(t *testing.T, l v1.Layer) []string {
	t.Helper()
	var out []string
	for _, h := range testutil.LayerHeaders(t, l) {
		require.Equal(t, epoch, h.ModTime.UTC(), h.Name)
		require.Zero(t, h.Uid+h.Gid, h.Name)
		out = append(out, fmt.Sprintf("%s %04o", h.Name, h.Mode))
	}
	return out
}

func newLayers(t *testing.T, base, img v1.Image) [][]string {
	t.Helper()
	bl, err := base.Layers()
	require.NoError(t, err)
	ls, err := img.Layers()
	require.NoError(t, err)
	var out [][]string
	for _, l := range ls[len(bl):] {
		out = append(out, listing(t, l))
	}
	return out
}

func TestApplyOps(t *testing.T) {
	t.Parallel()
	base := testBase(t)
	src := fstest.MapFS{
		"etc/kairos/branding/grubmenu.cfg":              {Data: []byte("menu"), Mode: 0o644},
		"etc/kairos/branding/link":                      {Data: []byte("grubmenu.cfg"), Mode: fs.ModeSymlink | 0o777},
		"oem/stylus_config.yaml":                        {Data: []byte("stylus: {}"), Mode: 0o600},
		"usr/local/system/providers/agent-provider-k3s": {Data: []byte("bin"), Mode: 0o755},
	}
	steps := []imageplan.Step{
		{Name: "dir", Op: imageplan.CopyDir, From: imageplan.Stylus, Src: "/etc/kairos/branding", Dest: "/etc/kairos/branding"},
		{Name: "file", Op: imageplan.CopyFile, From: imageplan.Stylus, Src: "/oem/stylus_config.yaml", Dest: "/etc/kairos/branding/stylus_config.yaml"},
		{Name: "missing-optional", Op: imageplan.CopyFile, From: imageplan.Stylus, Src: "/etc/kairos/80_stylus.yaml", Dest: "/etc/kairos/80_stylus.yaml", Optional: true},
		{Name: "provider", Op: imageplan.CopyDir, From: imageplan.AgentProvider, Src: "/", Dest: "/"},
		{Name: "move", Op: imageplan.Move, Src: "/usr/local/system/providers", Glob: "agent-provider-*", Dest: "/system/providers"},
		{Name: "trim", Op: imageplan.Remove, Paths: []string{"/opt/spectrocloud/bin/*"}, Except: []string{"/opt/spectrocloud/bin/agent-provider-stylus"}},
		{Name: "chmod", Op: imageplan.Chmod, Dest: "/etc/logrotate.d/stylus.conf", Mode: 0o644},
		imageplan.RemoveSSHHostKeys(),
		imageplan.EmptyMachineID(),
	}
	img, err := Apply(base, steps, Options{Sources: map[imageplan.Source]fs.FS{imageplan.Stylus: src, imageplan.AgentProvider: fstest.MapFS{
		"usr/local/system/providers/agent-provider-k3s": src["usr/local/system/providers/agent-provider-k3s"],
	}}}.withEpoch())
	require.NoError(t, err)
	require.Equal(t, [][]string{
		// fstest.MapFS gives implied directories mode 0555.
		{"etc/ 0755", "etc/kairos/ 0755", "etc/kairos/branding/ 0555", "etc/kairos/branding/grubmenu.cfg 0644", "etc/kairos/branding/link 0777"},
		{"etc/ 0755", "etc/kairos/ 0755", "etc/kairos/branding/ 0755", "etc/kairos/branding/stylus_config.yaml 0600"},
		{"usr/ 0555", "usr/local/ 0555", "usr/local/system/ 0555", "usr/local/system/providers/ 0555", "usr/local/system/providers/agent-provider-k3s 0755"},
		{"system/ 0755", "system/providers/ 0755", "system/providers/agent-provider-k3s 0755", "usr/local/system/providers/.wh.agent-provider-k3s 0644"},
		{"opt/spectrocloud/bin/.wh.stylus 0644"},
		{"etc/ 0755", "etc/logrotate.d/ 0755", "etc/logrotate.d/stylus.conf 0644"},
		{"etc/ssh/.wh.moduli 0644", "etc/ssh/.wh.ssh_host_ed25519_key 0644"},
		{"etc/ 0755", "etc/machine-id 0444"},
	}, newLayers(t, base, img))

	v, err := readView(img)
	require.NoError(t, err)
	for _, p := range []string{"system/providers/agent-provider-k3s", "opt/spectrocloud/bin/agent-provider-stylus", "etc/ssh/sshd_config", "etc/kairos/branding/stylus_config.yaml"} {
		require.Contains(t, v, p)
	}
	for _, p := range []string{"usr/local/system/providers/agent-provider-k3s", "opt/spectrocloud/bin/stylus", "etc/ssh/ssh_host_ed25519_key", "etc/kairos/80_stylus.yaml"} {
		require.NotContains(t, v, p)
	}
	require.Equal(t, fs.FileMode(0o444), v["etc/machine-id"].Mode.Perm())
	require.Equal(t, "grubmenu.cfg", v["etc/kairos/branding/link"].Linkname)

	cf, err := img.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, epoch, cf.Created.Time.UTC())
	require.Equal(t, steps[0].String(), cf.History[len(cf.History)-8].CreatedBy)
}

func (o Options) withEpoch() Options { o.Epoch = epoch; return o }

func TestApplyDeterministic(t *testing.T) {
	t.Parallel()
	base := testBase(t)
	steps := []imageplan.Step{
		{Name: "dir", Op: imageplan.CopyDir, From: imageplan.Overlay, Src: "/etc", Dest: "/etc"},
		imageplan.RemoveSSHHostKeys(),
	}
	src := map[imageplan.Source]fs.FS{imageplan.Overlay: fstest.MapFS{
		"etc/b": {Data: []byte("b"), Mode: 0o644}, "etc/a/c": {Data: []byte("c"), Mode: 0o644},
	}}
	var digests []v1.Hash
	for range 2 {
		img, err := Apply(base, steps, Options{Sources: src, Epoch: epoch})
		require.NoError(t, err)
		d, err := img.Digest()
		require.NoError(t, err)
		digests = append(digests, d)
	}
	require.Equal(t, digests[0], digests[1])
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	base := testBase(t)
	for _, tc := range []struct {
		name string
		step imageplan.Step
		is   error
		msg  string
	}{
		{"exec", imageplan.KernelHeaders("ubuntu"), ErrNeedsEngine, "step kernel-headers: kernel-headers.sh ubuntu"},
		{"no source", imageplan.Step{Name: "x", Op: imageplan.CopyDir, From: imageplan.Payload, Src: "/", Dest: "/"}, nil, "step x: no tree for source k8s-payload"},
		{"missing file", imageplan.Step{Name: "y", Op: imageplan.CopyFile, From: imageplan.Overlay, Src: "/nope", Dest: "/nope"}, fs.ErrNotExist, "step y: source overlay"},
		{"chmod missing", imageplan.Step{Name: "z", Op: imageplan.Chmod, Dest: "/nope", Mode: 0o644}, nil, "/nope is not a regular file"},
		{"invalid", imageplan.Step{Name: "w", Op: imageplan.Write, Dest: "rel", Mode: 0o644}, nil, "clean absolute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Apply(base, []imageplan.Step{tc.step}, Options{Sources: map[imageplan.Source]fs.FS{imageplan.Overlay: fstest.MapFS{}}, Epoch: epoch})
			require.ErrorContains(t, err, tc.msg)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
		})
	}
}

func TestApplyLinks(t *testing.T) {
	t.Parallel()
	base := testBase(t)
	steps := []imageplan.Step{
		{Name: "slink", Op: imageplan.LinkTree, From: imageplan.Payload, Src: "/", Dest: "/", Target: "/opt/k8s"},
		{Name: "stylus-link", Op: imageplan.Symlink, Dest: "/usr/local/bin/agent-provider-stylus", Target: "/opt/spectrocloud/bin/agent-provider-stylus"},
	}
	img, err := Apply(base, steps, Options{Epoch: epoch, Sources: map[imageplan.Source]fs.FS{imageplan.Payload: fstest.MapFS{
		"usr/bin/kubelet":                {Data: []byte("k"), Mode: 0o755},
		"etc/systemd/system/k3s.service": {Data: []byte("u"), Mode: 0o644},
	}}})
	require.NoError(t, err)
	require.Equal(t, [][]string{
		{"etc/ 0755", "etc/systemd/ 0755", "etc/systemd/system/ 0755", "etc/systemd/system/k3s.service 0777",
			"usr/ 0755", "usr/bin/ 0755", "usr/bin/kubelet 0777"},
		{"usr/ 0755", "usr/local/ 0755", "usr/local/bin/ 0755", "usr/local/bin/agent-provider-stylus 0777"},
	}, newLayers(t, base, img))
	v, err := readView(img)
	require.NoError(t, err)
	require.Equal(t, "/opt/k8s/usr/bin/kubelet", v["usr/bin/kubelet"].Linkname)
	require.Equal(t, "/opt/k8s/etc/systemd/system/k3s.service", v["etc/systemd/system/k3s.service"].Linkname)
	require.Equal(t, "/opt/spectrocloud/bin/agent-provider-stylus", v["usr/local/bin/agent-provider-stylus"].Linkname)
}

// The installer image plan applied without an engine: UKI trimming keeps only
// agent-provider-stylus, the overlay lands with its modes, identity is gone.
func TestInstallerPlanApplied(t *testing.T) {
	t.Parallel()
	files, err := overlay.Image()
	require.NoError(t, err)
	ov := fstest.MapFS{}
	for _, f := range files {
		ov[strings.TrimPrefix(f.Path, "/")] = &fstest.MapFile{Data: f.Data, Mode: f.Mode}
	}
	stylus := fstest.MapFS{
		"opt/spectrocloud/bin/stylus-agent":          {Data: []byte("s"), Mode: 0o755},
		"opt/spectrocloud/bin/palette-tui":           {Data: []byte("t"), Mode: 0o755},
		"opt/spectrocloud/bin/agent-provider-stylus": {Data: []byte("a"), Mode: 0o755},
		"usr/bin/luet":              {Data: []byte("l"), Mode: 0o755},
		"etc/kairos/80_stylus.yaml": {Data: []byte("y"), Mode: 0o644},
	}
	base := testBase(t)
	for _, uki := range []bool{false, true} {
		img, err := Apply(base, imageplan.Installer(imageplan.InstallerOptions{UKI: uki}), Options{Epoch: epoch,
			Sources: map[imageplan.Source]fs.FS{imageplan.Stylus: stylus, imageplan.Overlay: ov}})
		require.NoError(t, err)
		v, err := readView(img)
		require.NoError(t, err)
		for _, f := range files {
			require.Contains(t, v, strings.TrimPrefix(f.Path, "/"))
		}
		require.Equal(t, fs.FileMode(0o644), v["etc/logrotate.d/stylus.conf"].Mode.Perm())
		require.Contains(t, v, "opt/spectrocloud/bin/agent-provider-stylus")
		require.Contains(t, v, "etc/kairos/80_stylus.yaml")
		require.Empty(t, v["etc/machine-id"].Data)
		require.NotContains(t, v, "etc/ssh/ssh_host_ed25519_key")
		for _, p := range []string{"opt/spectrocloud/bin/stylus-agent", "opt/spectrocloud/bin/palette-tui", "usr/bin/luet"} {
			if uki {
				require.NotContains(t, v, p)
			} else {
				require.Contains(t, v, p)
			}
		}
	}
}
