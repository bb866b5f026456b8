package overlay

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestModesCoverTree: image.modes lists exactly the embedded files, so a new
// file cannot ship with a guessed mode.
func TestModesCoverTree(t *testing.T) {
	t.Parallel()
	var tree []string
	for _, root := range []string{"files", "cloudconfigs"} {
		require.NoError(t, fs.WalkDir(imageFS, root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				tree = append(tree, p)
			}
			return err
		}))
	}
	m, err := modes()
	require.NoError(t, err)
	require.ElementsMatch(t, tree, slices.Collect(maps.Keys(m)))
}

func TestImage(t *testing.T) {
	t.Parallel()
	files, err := Image()
	require.NoError(t, err)
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
		require.Equal(t, fs.FileMode(0o644), f.Mode, f.Path)
		require.NotEmpty(t, f.Data, f.Path)
	}
	require.Equal(t, []string{
		"/etc/dracut.conf.d/99-usb-media.conf",
		"/etc/kairos/branding/interactive_install_text",
		"/etc/logrotate.d/stylus.conf",
		"/etc/rsyslog.d/49-stylus.conf",
		"/etc/spectrocloud/custom-hardware-specs-lookup.json",
	}, paths)
	etc, err := ImageEtc()
	require.NoError(t, err)
	require.Equal(t, files, etc, "everything in the overlay today is under /etc")

	_, err = ImageFile("/etc/nope")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestGPULookupIsEmptyArray(t *testing.T) {
	t.Parallel()
	f, err := ImageFile("/etc/spectrocloud/custom-hardware-specs-lookup.json")
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(f.Data, &v))
	require.Equal(t, []any{}, v)
}

// TestDracutUSBMedia sources the file as dracut does (bash) and checks the
// variables it sets.
func TestDracutUSBMedia(t *testing.T) {
	t.Parallel()
	f, err := ImageFile("/etc/dracut.conf.d/99-usb-media.conf")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "99-usb-media.conf")
	require.NoError(t, os.WriteFile(path, f.Data, 0o644))
	out, err := exec.Command("bash", "-c", `add_drivers=" a "; . "$1"; printf '%s|%s|%s' "$hostonly" "$add_drivers" "$force_drivers"`, "bash", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "no| a  xhci_pci_renesas | xhci_pci_renesas ", string(out), "add_drivers appends to what earlier files set")
}

func TestBranding(t *testing.T) {
	t.Parallel()
	f, err := ImageFile("/etc/kairos/branding/interactive_install_text")
	require.NoError(t, err)
	text := string(f.Data)
	require.Equal(t, 1, strings.Count(text, "\n"), "one line: the title of the interactive installer")
	require.Contains(t, text, "Palette eXtended Kubernetes Edge")
}
