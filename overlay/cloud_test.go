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

// cloudStubs are ukiStubs plus what the after-reset steps call: findfs
// knows persistent and oem, the boot-entry tools, journalctl and the bash
// that runs stylus' content.sh only leave their trace.
func cloudStubs() map[string]string {
	stubs := maps.Clone(ukiStubs)
	stubs["findfs"] = "case $1 in PARTLABEL=persistent) echo /dev/vda6 ;; PARTLABEL=oem) echo /dev/vda2 ;; *) exit 1 ;; esac\n"
	stubs["journalctl"] = "echo the journal\n"
	for _, name := range []string{"grub2-editenv", "kairos-agent", "bash"} {
		stubs[name] = ""
	}
	return stubs
}

// TestCloudPostResetChroot runs the after-reset stage in a chroot with
// stubs, per boot mode: the registration entry selected the mode's way,
// stylus' content.sh run with persistent on /usr/local, the stylus links
// and the installer log written there, the edge config copied to COS_OEM,
// every mount undone (and for UKI installs every mapping closed).
func TestCloudPostResetChroot(t *testing.T) {
	t.Parallel()
	c := parseYip(t, cloudFile(t, "/system/oem/custom-post-reset.yaml"))
	for name, tc := range map[string]struct {
		marker string
		ran    []string
		trace  []string
	}{
		"grub": {ran: []string{"Boot the registration entry next (GRUB)", "Redo the after-install steps on persistent", "Copy the edge config to COS_OEM"},
			trace: []string{"grub2-editenv /oem/grubenv set saved_entry=registration",
				"mountpoint -q /usr/local", "findfs PARTLABEL=persistent", "mount /dev/vda6 /usr/local", "bash /opt/spectrocloud/scripts/content.sh",
				"journalctl", "umount /usr/local",
				"mountpoint -q /oem", "findfs PARTLABEL=oem", "mount /dev/vda2 /oem", "umount /oem"}},
		"uki boot": {marker: "/run/cos/uki_boot_mode", ran: []string{"Boot the registration entry next (UKI)"},
			trace: []string{"kairos-agent bootentry --select registration"}},
		"uki install": {marker: "/run/cos/uki_install_mode",
			ran: []string{"Redo the after-install steps on persistent (UKI, TPM-sealed)", "Copy the edge config to COS_OEM (UKI, TPM-sealed)"},
			trace: []string{"mountpoint -q /usr/local", "findfs PARTLABEL=persistent",
				"systemd-cryptsetup attach persistent /dev/vda6 - tpm2-device=auto", "mount /dev/mapper/persistent /usr/local",
				"bash /opt/spectrocloud/scripts/content.sh", "journalctl", "umount /usr/local", "cryptsetup close /dev/mapper/persistent",
				"mountpoint -q /oem", "findfs PARTLABEL=oem", "systemd-cryptsetup attach oem /dev/vda2 - tpm2-device=auto",
				"mount /dev/mapper/oem /oem", "umount /oem", "cryptsetup close /dev/mapper/oem"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := testutil.NewChroot(t, cloudStubs())
			if tc.marker != "" {
				root.Write(tc.marker, "", 0o644)
			}
			root.Write("/dev/mapper/control", "", 0o600)
			root.Write("/oem/80_stylus.yaml", "stylus: {}\n", 0o644)
			root.Write("/run/initramfs/live/.edge_custom_config.yaml", "edge: config\n", 0o644)
			require.Equal(t, tc.ran, runStage(t, root, c, "after-reset"))
			require.Equal(t, tc.trace, root.Trace())
			var left []string
			filepath.WalkDir(root.Path("/stub/mounted"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					left = append(left, p)
				}
				return nil
			})
			require.Empty(t, left, "nothing left mounted")
			if tc.marker != "/run/cos/uki_install_mode" {
				require.NoFileExists(t, root.Path("/oem/80_stylus.yaml"), "the registration entry is selected without stylus' config")
			}
			if tc.marker == "/run/cos/uki_boot_mode" {
				return
			}
			for _, bin := range []string{"agent-provider-stylus", "palette-tui", "helm"} {
				target, err := os.Readlink(root.Path("/usr/local/bin/" + bin))
				require.NoError(t, err)
				require.Equal(t, "/opt/spectrocloud/bin/"+bin, target)
			}
			require.Equal(t, "the journal\n", root.Read("/usr/local/installer.log"))
			require.Equal(t, "edge: config\n", root.Read("/oem/.edge_custom_config.yaml"))
			require.NoFileExists(t, root.Path("/dev/mapper/persistent"), "closed again")
			require.NoFileExists(t, root.Path("/dev/mapper/oem"), "closed again")
		})
	}
	agent := testutil.NewChroot(t, cloudStubs())
	agent.Write("/opt/spectrocloud/state/agent-mode", "", 0o644)
	require.Empty(t, runStage(t, agent, c, "after-reset"), "nothing once stylus is in agent mode")
	require.Empty(t, agent.Trace())
}
