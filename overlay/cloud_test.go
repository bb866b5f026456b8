package overlay

import (
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

func cloudFile(t *testing.T, p string) File {
	t.Helper()
	for _, f := range CloudImage() {
		if f.Path == p {
			return f
		}
	}
	t.Fatalf("no cloud image file %s", p)
	return File{}
}

// TestCloudImageFiles: every file of cloud/ ships, at CanvOS' paths, scripts
// executable; GRUB parses the menu; shellcheck passes the scripts and every
// command of the cloud-config.
func TestCloudImageFiles(t *testing.T) {
	t.Parallel()
	ents, err := fs.ReadDir(cloudFS, "cloud")
	require.NoError(t, err)
	files := CloudImage()
	require.Len(t, files, len(ents), "cloudFiles lists every file of cloud/")
	want := map[string]fs.FileMode{
		"/etc/kairos/branding/grubmenu.cfg":                    0o644,
		"/system/oem/custom-post-reset.yaml":                   0o644,
		"/opt/spectrocloud/scripts/cloud-content.sh":           0o755,
		"/opt/spectrocloud/scripts/cloud-extend-persistent.sh": 0o755,
	}
	scripts := map[string]string{}
	for _, f := range files {
		require.Equal(t, want[f.Path], f.Mode, f.Path)
		if strings.HasSuffix(f.Path, ".sh") {
			require.True(t, strings.HasPrefix(string(f.Data), "#!/bin/sh\n"), f.Path)
			scripts[filepath.Base(f.Path)] = string(f.Data)
		}
	}
	c := parseYip(t, cloudFile(t, "/system/oem/custom-post-reset.yaml"))
	for name, text := range commands(c) {
		scripts[name] = text
	}
	testutil.ShellCheck(t, scripts)

	check := testutil.RequireTool(t, "grub-script-check")[0]
	menu := filepath.Join(t.TempDir(), "grubmenu.cfg")
	require.NoError(t, os.WriteFile(menu, cloudFile(t, "/etc/kairos/branding/grubmenu.cfg").Data, 0o644))
	out, err := exec.Command(check, menu).CombinedOutput()
	require.NoError(t, err, "grub-script-check: %s", out)
}

// TestCloudGrubMenu: the Reset entry boots recovery with kairos.reset, the
// Registration entry (id registration, which the after-reset stage selects)
// boots active with stylus.registration.
func TestCloudGrubMenu(t *testing.T) {
	t.Parallel()
	menu := string(cloudFile(t, "/etc/kairos/branding/grubmenu.cfg").Data)
	entries := strings.Split(menu, "menuentry ")[1:]
	require.Len(t, entries, 2)
	require.True(t, strings.HasPrefix(entries[0], `"Palette eXtended Kubernetes Edge Reset" --id statereset {`))
	require.Contains(t, entries[0], "--label --set=root COS_RECOVERY")
	require.Regexp(t, `linux \(loop0\)\$kernel .*\$\{extra_recovery_cmdline\} kairos.reset\n`, entries[0])
	require.True(t, strings.HasPrefix(entries[1], `"Palette eXtended Kubernetes Edge Registration" --id registration {`))
	require.Contains(t, entries[1], "--label --set=root COS_STATE")
	require.Contains(t, entries[1], "set img=/cOS/active.img")
	require.Regexp(t, `linux \(loop0\)\$kernel .*\$\{extra_active_cmdline\} stylus.registration\n`, entries[1])
}

// TestCloudPostResetStages evaluates each stage's condition in every boot
// mode, with /run/cos and the stylus state rooted in a temporary directory:
// GRUB installs select the registration entry through grubenv and redo the
// unencrypted after-install steps, UKI boots select it through
// kairos-agent, UKI installs redo the TPM-sealed steps, and nothing runs once
// stylus is in agent mode. The network stage runs the content script, then
// the extension, in active mode only.
func TestCloudPostResetStages(t *testing.T) {
	t.Parallel()
	c := parseYip(t, cloudFile(t, "/system/oem/custom-post-reset.yaml"))
	require.ElementsMatch(t, []string{"after-reset", "network"}, slices.Collect(maps.Keys(c.Stages)))
	network := c.Stages["network"]
	require.Len(t, network, 2)
	require.Equal(t, []string{CloudContentScript}, network[0].Commands)
	require.Equal(t, []string{CloudExtendScript}, network[1].Commands)

	runs := func(markers ...string) []string {
		root := t.TempDir()
		for _, m := range markers {
			p := filepath.Join(root, m)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, nil, 0o644))
		}
		var ran []string
		for stage, steps := range c.Stages {
			for _, s := range steps {
				require.NotEmpty(t, s.If, "%s: %s has no condition", stage, s.Name)
				cond := strings.ReplaceAll(s.If, "/run/cos/", root+"/run/cos/")
				cmd := exec.Command("sh", "-c", cond)
				cmd.Env = []string{"STYLUS_ROOT=" + root}
				if cmd.Run() == nil {
					ran = append(ran, stage+": "+s.Name)
				}
			}
		}
		return ran
	}
	grub := []string{"after-reset: Boot the registration entry next (GRUB)", "after-reset: Redo the after-install steps on persistent", "after-reset: Copy the edge config to COS_OEM"}
	uki := []string{"after-reset: Redo the after-install steps on persistent (UKI, TPM-sealed)", "after-reset: Copy the edge config to COS_OEM (UKI, TPM-sealed)"}
	active := []string{"network: Load the cloud image content partition", "network: Grow persistent to the end of the disk"}
	require.ElementsMatch(t, grub, runs())
	require.ElementsMatch(t, []string{"after-reset: Boot the registration entry next (UKI)"}, runs("run/cos/uki_boot_mode"))
	require.ElementsMatch(t, uki, runs("run/cos/uki_install_mode"))
	require.ElementsMatch(t, append(grub, active...), runs("run/cos/active_mode"))
	require.Empty(t, runs("opt/spectrocloud/state/agent-mode"))
}

// TestCloudPostResetGrubenv runs the GRUB stage's commands on a grubenv made
// by grub-editenv, /oem rooted in a temporary directory: saved_entry becomes
// registration, the stylus config is removed, other variables stay.
func TestCloudPostResetGrubenv(t *testing.T) {
	t.Parallel()
	editenv := testutil.RequireTool(t, "grub-editenv")[0]
	c := parseYip(t, cloudFile(t, "/system/oem/custom-post-reset.yaml"))
	oem := t.TempDir()
	env := filepath.Join(oem, "grubenv")
	out, err := exec.Command(editenv, env, "set", "next_entry=recovery").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.WriteFile(filepath.Join(oem, "80_stylus.yaml"), []byte("stylus: {}\n"), 0o644))
	step := c.Stages["after-reset"][0]
	require.Equal(t, "Boot the registration entry next (GRUB)", step.Name)
	for _, cmd := range step.Commands {
		out, err := exec.Command("sh", "-c", strings.ReplaceAll(cmd, "/oem/", oem+"/")).CombinedOutput()
		require.NoError(t, err, "%s: %s", cmd, out)
	}
	list, err := exec.Command(editenv, env, "list").CombinedOutput()
	require.NoError(t, err, "%s", list)
	require.Equal(t, "next_entry=recovery\nsaved_entry=registration\n", string(list))
	require.NoFileExists(t, filepath.Join(oem, "80_stylus.yaml"))
}
