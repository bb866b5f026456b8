package imageplan

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

func TestStepValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		step Step
		err  string
	}{
		{"copy ok", Step{Name: "c", Op: CopyDir, From: Stylus, Src: "/", Dest: "/"}, ""},
		{"copy relative dest", Step{Name: "c", Op: CopyDir, From: Stylus, Src: "/", Dest: "etc"}, "clean absolute destination"},
		{"copy unclean dest", Step{Name: "c", Op: CopyFile, From: Stylus, Src: "/a", Dest: "/etc/../a"}, "clean absolute destination"},
		{"optional rename", Step{Name: "c", Op: CopyFile, From: Stylus, Src: "/a/x", Dest: "/b/y", Optional: true}, "keeps its base name"},
		{"optional dir", Step{Name: "c", Op: CopyDir, From: Stylus, Src: "/a/x", Dest: "/b/x", Optional: true}, "is a file copy"},
		{"write without mode", Step{Name: "w", Op: Write, Dest: "/etc/x"}, "needs a clean absolute destination and a mode"},
		{"move without glob", Step{Name: "m", Op: Move, Src: "/a", Dest: "/b"}, "glob"},
		{"remove relative", Step{Name: "r", Op: Remove, Paths: []string{"etc/x"}}, `"etc/x" is not clean and absolute`},
		{"exec other source", Step{Name: "e", Op: Exec, From: Context, Src: "x.sh"}, "exec runs a script of scripts"},
		{"unknown op", Step{Name: "u"}, "unknown op 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.step.Validate()
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
			require.ErrorContains(t, err, "step "+tc.step.Name)
		})
	}
}

func TestStepString(t *testing.T) {
	t.Parallel()
	require.Equal(t,
		`copy-file  stylus-80-stylus             stylus:/etc/kairos/80_stylus.yaml -> /etc/kairos/80_stylus.yaml (if exists)`,
		Step{Name: "stylus-80-stylus", Op: CopyFile, From: Stylus, Src: "/etc/kairos/80_stylus.yaml", Dest: "/etc/kairos/80_stylus.yaml", Optional: true}.String())
	require.Equal(t, `write      empty-machine-id             /etc/machine-id mode 0444 ""`, EmptyMachineID().String())
	require.Equal(t,
		`write      long                         /x mode 0644 (41 bytes, sha256 c0f8bd4dbc2b0c03107c1c37913f2a7501f521467f45dd0fef6958e9a4692719)`,
		Step{Name: "long", Op: Write, Dest: "/x", Mode: 0o644, Content: strings.Repeat("a", 41)}.String())
	require.Equal(t,
		`remove     uki-trim-stylus              /opt/spectrocloud/bin/* except /opt/spectrocloud/bin/agent-provider-stylus`,
		Step{Name: "uki-trim-stylus", Op: Remove, Paths: []string{"/opt/spectrocloud/bin/*"}, Except: []string{"/opt/spectrocloud/bin/agent-provider-stylus"}}.String())
}

func TestInstaller(t *testing.T) {
	t.Parallel()
	names := func(steps []Step) string {
		var n []string
		for _, s := range steps {
			require.NoError(t, s.Validate())
			n = append(n, s.Name)
		}
		return strings.Join(n, " ")
	}
	for _, tc := range []struct {
		name string
		opts InstallerOptions
		want string
	}{
		{"default", InstallerOptions{},
			"stylus-framework overlay-files logrotate-mode remove-ssh-host-keys empty-machine-id"},
		{"uki with headers and local ui", InstallerOptions{UKI: true, KernelHeaders: true, OSDistribution: "ubuntu", LocalUI: true},
			"stylus-framework uki-trim-stylus overlay-files logrotate-mode local-ui kernel-headers remove-ssh-host-keys empty-machine-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, names(Installer(tc.opts)))
		})
	}
	steps := Installer(InstallerOptions{UKI: true, KernelHeaders: true, OSDistribution: "rhel"})
	require.Equal(t, []string{"rhel"}, steps[len(steps)-3].Args)
	require.Equal(t, []string{"/opt/spectrocloud/bin/agent-provider-stylus"}, steps[1].Except)
}

func TestScriptsShellcheck(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "shellcheck")
	dir := t.TempDir()
	entries, err := fs.ReadDir(ScriptFS(), ".")
	require.NoError(t, err)
	var files []string
	for _, e := range entries {
		b, err := fs.ReadFile(ScriptFS(), e.Name())
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(b), "#!/bin/sh\n"), "%s: POSIX sh shebang", e.Name())
		files = append(files, filepath.Join(dir, e.Name()))
		require.NoError(t, os.WriteFile(files[len(files)-1], b, 0o755))
	}
	require.ElementsMatch(t, []string{AptInstallScript, KernelHeadersScript, LuetInstallScript, NodeadmScript, TwoNodeScript},
		func() []string {
			var n []string
			for _, f := range files {
				n = append(n, filepath.Base(f))
			}
			return n
		}())
	out, err := exec.Command("shellcheck", append([]string{"-s", "sh", "-S", "style"}, files...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// TestTwoNodeOpenSUSE runs two-node.sh for openSUSE Leap in a chroot with a
// stub zypper: PostgreSQL comes from the PostgreSQL project's repository
// alone (CanvOS: server:database:postgresql), which is removed again; no
// Tumbleweed distribution repository is ever added.
func TestTwoNodeOpenSUSE(t *testing.T) {
	t.Parallel()
	script, err := fs.ReadFile(ScriptFS(), TwoNodeScript)
	require.NoError(t, err)
	root := testutil.NewChroot(t, map[string]string{
		"zypper":    `case " $* " in *" install "*) mkdir -p /var/lib/pgsql ;; esac` + "\n", // the postgres user's home
		"curl":      `while [ $# -gt 0 ]; do [ "$1" = -o ] && echo kine >"$2"; shift; done` + "\n",
		"getent":    "echo postgres:x:26:26::/var/lib/pgsql:/bin/bash\n",
		"perl":      "printf /usr/lib/perl5\n",
		"systemctl": "",
	})
	root.Write("/two-node.sh", string(script), 0o755)
	out, code := root.Sh("/two-node.sh opensuse-leap amd64 0.11.4")
	require.Equal(t, 0, code, out)
	var zypper []string
	for _, c := range root.Trace() {
		if strings.HasPrefix(c, "zypper ") {
			zypper = append(zypper, c)
		}
	}
	require.Equal(t, []string{
		"zypper --non-interactive --quiet addrepo --refresh -p 90 https://download.opensuse.org/repositories/server:database:postgresql/openSUSE_Tumbleweed/ PostgreSQL",
		"zypper --non-interactive --gpg-auto-import-keys refresh",
		"zypper --non-interactive install -y postgresql16 postgresql16-server postgresql16-contrib iputils",
		"zypper --non-interactive removerepo PostgreSQL",
		"zypper clean --all",
	}, zypper)
	require.Contains(t, root.Trace(), "curl -fsSL -o /opt/spectrocloud/bin/kine https://github.com/k3s-io/kine/releases/download/v0.11.4/kine-amd64")
	require.Contains(t, root.Trace(), "systemctl disable postgresql")
	require.Equal(t, "export PERL5LIB=/usr/lib/perl5\n", root.Read("/var/lib/pgsql/.bash_profile"))
	require.Contains(t, root.Read("/etc/systemd/system/postgresql@.service.d/10-network-online.conf"), "After=network-online.target")
}
