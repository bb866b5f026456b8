package iso

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/stylus"
	"dagger/canvos/testutil"
	"dagger/canvos/usererr"
)

// stylusFiles packs a one-file stand-in stylus package with the real packer
// and takes /usr/bin/true as the stand-in luet (an ELF executable).
func stylusFiles(t *testing.T) StylusFiles {
	t.Helper()
	root := t.TempDir()
	agent := filepath.Join(root, "opt/spectrocloud/bin/stylus-agent")
	require.NoError(t, os.MkdirAll(filepath.Dir(agent), 0o755))
	require.NoError(t, os.WriteFile(agent, []byte("#!/bin/sh\n"), 0o755))
	img := filepath.Join(t.TempDir(), stylus.ImageFile)
	require.NoError(t, stylus.Write(img, stylus.Options{Rootfs: root, Ref: "reg.example.com/edge/stylus-framework-linux-amd64:v4.10.0", Arch: "amd64", Epoch: time.Unix(testEpoch, 0).UTC()}))
	return StylusFiles{Image: img, Luet: testutil.RequireFile(t, "/usr/bin/true")}
}

// CanvOS' +build-uki-iso puts stylus-image.tar and luet on the ISO root,
// where 80_stylus_uki.yaml copies them from /run/initramfs/live after
// install: both are there, byte for byte, luet executable.
func TestUKIISOStylusAtRoot(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "xorriso")
	o := ukiOptions(t, ukiESP(t), Payload{})
	o.Stylus = stylusFiles(t)
	res := buildUKI(t, o)
	x := requireISOFiles(t, res.Path, []string{"/stylus-image.tar", "/luet"})
	for iso, src := range map[string]string{"stylus-image.tar": o.Stylus.Image, "luet": o.Stylus.Luet} {
		want, err := os.ReadFile(src)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(x, iso))
		require.NoError(t, err)
		require.Equal(t, want, got, iso)
	}
	lsl := tool(t, "xorriso", "-indev", res.Path, "-lsdl", "/luet", "/stylus-image.tar")
	require.Regexp(t, `-rwxr-xr-x .* '/luet'`, lsl)
	require.Regexp(t, `-rw-r--r-- .* '/stylus-image.tar'`, lsl)
}

func TestUKIISOStylusRejected(t *testing.T) {
	t.Parallel()
	esp, good := ukiESP(t), stylusFiles(t)
	dir := t.TempDir()
	notImage := write(t, filepath.Join(dir, "stylus-image.tar"), "not a tarball")
	notELF := write(t, filepath.Join(dir, "luet"), "#!/bin/sh\n")
	overlay := filepath.Join(dir, "overlay")
	write(t, filepath.Join(overlay, "luet"), "x")
	for _, c := range []struct {
		name, flag string
		s          StylusFiles
		overlay    string
	}{
		{"image without luet", "--stylus-image/--luet", StylusFiles{Image: good.Image}, ""},
		{"luet without image", "--stylus-image/--luet", StylusFiles{Luet: good.Luet}, ""},
		{"image not a tarball", "--stylus-image", StylusFiles{Image: notImage, Luet: good.Luet}, ""},
		{"luet not ELF", "--luet", StylusFiles{Image: good.Image, Luet: notELF}, ""},
		{"overlay has them too", "--overlay", good, overlay},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := ukiOptions(t, esp, Payload{Overlay: c.overlay})
			o.Stylus = c.s
			_, err := BuildUKIISO(context.Background(), o)
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.ErrorContains(t, err, c.flag)
			entries, err := os.ReadDir(filepath.Dir(o.OutPath))
			require.NoError(t, err)
			require.Empty(t, entries)
		})
	}
}
