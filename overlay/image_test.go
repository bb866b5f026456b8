package overlay

import (
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
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
	var paths, etcPaths []string
	for _, f := range files {
		paths = append(paths, f.Path)
		if strings.HasPrefix(f.Path, "/etc/") {
			etcPaths = append(etcPaths, f.Path)
		}
	}
	require.True(t, slices.IsSorted(paths))
	require.Equal(t, []string{
		"/Readme.txt",
		"/etc/dracut.conf.d/99-usb-media.conf",
		"/etc/kairos/.nousers",
		"/etc/kairos/branding/interactive_install_text",
		"/etc/logrotate.d/stylus.conf",
		"/etc/rsyslog.d/49-stylus.conf",
		"/etc/spectrocloud/custom-hardware-specs-lookup.json",
		"/opt/spectrocloud/bin/check-disk-size.sh",
		"/usr/lib/os-release.tmpl",
	}, paths, "CanvOS overlay/files/")
	etc, err := ImageEtc()
	require.NoError(t, err)
	var got []string
	for _, f := range etc {
		got = append(got, f.Path)
	}
	require.Equal(t, etcPaths, got, "providers get the /etc part (COPY overlay/files/etc/ /etc/)")

	_, err = ImageFile("/etc/nope")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// TestNoUsersSentinel: kairos-agent skips its "no admin user in any config"
// refusal when /etc/kairos/.nousers exists (it only stats the file), so
// unattended installs from Palette user-data without users go ahead. Both the
// installer and provider images carry it.
func TestNoUsersSentinel(t *testing.T) {
	t.Parallel()
	f, err := ImageFile("/etc/kairos/.nousers")
	require.NoError(t, err)
	require.Empty(t, f.Data)
	etc, err := ImageEtc()
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(etc, func(e File) bool { return e.Path == f.Path }))
}

// TestReadmePlaceholder: CanvOS' overlay/files/Readme.txt is an empty
// placeholder that lands at / of the installer image, not in providers.
func TestReadmePlaceholder(t *testing.T) {
	t.Parallel()
	f, err := ImageFile("/Readme.txt")
	require.NoError(t, err)
	require.Empty(t, f.Data)
}

// TestCheckDiskSize runs check-disk-size.sh against a stub df reporting 42%
// and against the real df, and runs shellcheck on it.
func TestCheckDiskSize(t *testing.T) {
	t.Parallel()
	sh := testutil.RequireTool(t, "sh", "df")[0]
	f, err := ImageFile("/opt/spectrocloud/bin/check-disk-size.sh")
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o755), f.Mode)
	require.True(t, strings.HasPrefix(string(f.Data), "#!/bin/sh\n"))
	testutil.ShellCheck(t, map[string]string{"check-disk-size": string(f.Data)})
	dir := t.TempDir()
	script := filepath.Join(dir, "check-disk-size.sh")
	require.NoError(t, os.WriteFile(script, f.Data, 0o755))
	stubs := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(stubs, 0o755))
	dfArgs := filepath.Join(dir, "df.args")
	require.NoError(t, os.WriteFile(filepath.Join(stubs, "df"), []byte("#!/bin/sh\necho \"$*\" >"+dfArgs+"\nprintf 'Use%%\\n 42%%\\n'\n"), 0o755))

	run := func(stub bool, args ...string) (string, int) {
		cmd := exec.Command(sh, append([]string{script}, args...)...)
		if stub {
			cmd.Env = append(os.Environ(), "PATH="+stubs+":"+os.Getenv("PATH"))
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	for _, c := range []struct {
		arg  string
		out  string
		code int
	}{
		{"41", "Free disk ok, required: 41. Free: 42\n", 0},
		{"42", "Free disk ok, required: 42. Free: 42\n", 0},
		{"43", "Not enough free disk, required: 43. Free: 42\n", 1},
	} {
		out, code := run(true, c.arg)
		require.Equal(t, c.out, out, c.arg)
		require.Equal(t, c.code, code, c.arg)
	}
	require.Equal(t, "--output=pcent /var/\n", read(dfArgs), "the filesystem holding /var")
	for _, bad := range [][]string{{}, {"ten"}, {"-1"}} {
		out, code := run(true, bad...)
		require.Equal(t, 1, code, "%q", bad)
		require.Contains(t, out, "PERCENT must be a whole number", "%q", bad)
	}
	// The real df: a percentage is never below 0 nor at least 101.
	out, code := run(false, "0")
	require.Equal(t, 0, code, out)
	require.Regexp(t, `^Free disk ok, required: 0\. Free: \d+\n$`, out)
	_, code = run(false, "101")
	require.Equal(t, 1, code)
}

// TestOSReleaseTemplate renders os-release.tmpl with envsubst, as Kairos'
// image builds do, and parses the result as os-release (KEY="value" lines).
func TestOSReleaseTemplate(t *testing.T) {
	t.Parallel()
	envsubst := testutil.RequireTool(t, "envsubst")[0]
	f, err := ImageFile("/usr/lib/os-release.tmpl")
	require.NoError(t, err)
	cmd := exec.Command(envsubst)
	cmd.Stdin = strings.NewReader(string(f.Data))
	cmd.Env = []string{"OS_NAME=kairos-core-ubuntu-22.04", "OS_VERSION=v4.1.2", "OS_ID=kairos", "OS_REPO=quay.io/kairos/ubuntu",
		"OS_LABEL=22.04-standard-amd64-generic", "VARIANT=core", "FLAVOR=ubuntu", "GITHUB_REPO=kairos-io/kairos",
		"BUG_REPORT_URL=https://github.com/kairos-io/kairos/issues", "HOME_URL=https://kairos.io"}
	out, err := cmd.Output()
	require.NoError(t, err)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, line)
		uq, err := strconv.Unquote(v)
		require.NoError(t, err, line)
		require.NotContains(t, uq, "$", line)
		got[k] = uq
	}
	require.Equal(t, map[string]string{
		"KAIROS_NAME": "kairos-core-ubuntu-22.04", "KAIROS_VERSION": "v4.1.2", "KAIROS_ID": "kairos",
		"KAIROS_ID_LIKE": "kairos-core-ubuntu-22.04", "KAIROS_VERSION_ID": "v4.1.2",
		"KAIROS_PRETTY_NAME": "kairos-core-ubuntu-22.04 v4.1.2", "KAIROS_BUG_REPORT_URL": "https://github.com/kairos-io/kairos/issues",
		"KAIROS_HOME_URL": "https://kairos.io", "KAIROS_IMAGE_REPO": "quay.io/kairos/ubuntu",
		"KAIROS_IMAGE_LABEL": "22.04-standard-amd64-generic", "KAIROS_GITHUB_REPO": "kairos-io/kairos",
		"KAIROS_VARIANT": "core", "KAIROS_FLAVOR": "ubuntu",
	}, got)
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

// TestBranding: the interactive installer's title is one line, the name of
// the ISO menu entry that starts it (CanvOS: "Palette Edge Interactive
// Installer" in both).
func TestBranding(t *testing.T) {
	t.Parallel()
	f, err := ImageFile("/etc/kairos/branding/interactive_install_text")
	require.NoError(t, err)
	title, ok := strings.CutSuffix(string(f.Data), "\n")
	require.True(t, ok)
	require.NotContains(t, title, "\n", "one line")
	menu, err := RenderISO(ISOMenu, ISOGrub{Label: "COS_LIVE"})
	require.NoError(t, err)
	require.Regexp(t, `(?m)^menuentry "`+regexp.QuoteMeta(title)+`" .*\{\n(.*\n)*?.* interactive-install\n`, string(menu))
}
