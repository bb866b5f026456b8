package base

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// TestShellCheck runs shellcheck on every script of every golden plan.
func TestShellCheck(t *testing.T) {
	t.Parallel()
	scripts := map[string]string{}
	for name, opts := range cases() {
		plan, err := NewPlan(opts)
		require.NoError(t, err)
		for _, s := range plan.Steps {
			if s.Script != "" {
				scripts[name+"--"+s.Name] = s.Script
			}
		}
	}
	require.Greater(t, len(scripts), 100, "every case has several script steps")
	testutil.ShellCheck(t, scripts)
}

// runScript runs a rendered script with sh after pointing its absolute paths
// (old → new) into a test directory; env entries override the environment.
func runScript(t *testing.T, script string, paths map[string]string, env ...string) {
	t.Helper()
	for old, repl := range paths {
		require.Contains(t, script, old)
		script = strings.ReplaceAll(script, old, repl)
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), mode))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// A Kairos bootargs.cfg as the base images ship it (shape of the baseCmd line).
const bootargs = `set baseExternalCmd=""
set baseCmd="console=tty1 console=ttyS0 net.ifnames=1 rd.neednet=0 security=selinux selinux=1 rd.emergency=reboot"
`

func TestBootargsScript(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"ubuntu":         `set baseCmd="console=tty1 console=ttyS0 net.ifnames=1 rd.neednet=0 selinux=0 rd.emergency=reboot systemd.unified_cgroup_hierarchy=1 rd.driver.blacklist=nouveau modprobe.blacklist=nouveau nouveau.modeset=0"`,
		"ubuntu-selinux": `set baseCmd="console=tty1 console=ttyS0 net.ifnames=1 rd.neednet=0 security=selinux selinux=1 rd.emergency=reboot systemd.unified_cgroup_hierarchy=1 rd.driver.blacklist=nouveau modprobe.blacklist=nouveau nouveau.modeset=0"`,
		"ubuntu-uki":     `set baseCmd="console=tty1 console=ttyS0 net.ifnames=1 rd.neednet=0 security=selinux selinux=1 rd.emergency=reboot systemd.unified_cgroup_hierarchy=1"`,
	} {
		cfg := filepath.Join(t.TempDir(), "bootargs.cfg")
		writeFile(t, cfg, bootargs, 0o644)
		script := step(t, mustPlan(t, name), "bootargs").Script
		paths := map[string]string{"/etc/cos/bootargs.cfg": cfg}
		runScript(t, script, paths)
		require.Equal(t, "set baseExternalCmd=\"\"\n"+want+"\n", readFile(t, cfg), name)
		runScript(t, script, paths) // idempotent: a rebuild on top adds nothing
		require.Equal(t, "set baseExternalCmd=\"\"\n"+want+"\n", readFile(t, cfg), name)
	}
	// No bootargs.cfg (UKI images): nothing to do, no error.
	runScript(t, step(t, mustPlan(t, "ubuntu"), "bootargs").Script,
		map[string]string{"/etc/cos/bootargs.cfg": filepath.Join(t.TempDir(), "absent")})
}

func TestKairosReleaseScript(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "kairos-release")
	writeFile(t, f, "KAIROS_NAME=\"kairos-ubuntu\"\nKAIROS_VERSION=\"v3.5.0\"\nKAIROS_IMAGE_LABEL=\"22.04-core-amd64-generic-v0.17.1\"\n", 0o644)
	runScript(t, step(t, mustPlan(t, "ubuntu-maas"), "kairos-release").Script, map[string]string{"/etc/kairos-release": f})
	require.Equal(t, "KAIROS_VERSION=\"v3.5.0\"\nKAIROS_NAME=\"kairos-core-ubuntu-22.04\"\nKAIROS_IMAGE_LABEL=\"22.04-standard-amd64-generic-maas\"\n", readFile(t, f))
}

// TestProTokenStaysSecret runs the Pro attach script with a stub `pro` and
// checks that the token reaches pro only inside the 0600 attach config: not in
// its argv, not in its environment, and no copy is left behind. Statically,
// no plan mentions the token except through the secret mount path.
func TestProTokenStaysSecret(t *testing.T) {
	t.Parallel()
	const token = "C1a2b3TOKENsentinel"
	dir := t.TempDir()
	stubs := filepath.Join(dir, "bin")
	writeFile(t, filepath.Join(stubs, "pro"), `#!/bin/sh
log=`+dir+`/pro
printf '%s\n' "$*" >"$log.argv"
env >"$log.env"
stat -c %a "$3" >"$log.mode"
cp "$3" "$log.conf"
`, 0o755)
	writeFile(t, filepath.Join(dir, "token"), token+"\n", 0o400)
	writeFile(t, filepath.Join(dir, "os-release"), "NAME=\"Ubuntu\"\n\nVERSION_ID=\"22.04\"\n", 0o644)

	script := step(t, mustPlan(t, "ubuntu-pro"), "ubuntu-pro").Script
	attach := script[:strings.Index(script, "# --- ubuntu-kernel")]
	tmp := t.TempDir()
	runScript(t, attach, map[string]string{proTokenMount: filepath.Join(dir, "token"), "/etc/os-release": filepath.Join(dir, "os-release")},
		"PATH="+stubs+":"+os.Getenv("PATH"), "TMPDIR="+tmp)

	argv := readFile(t, dir+"/pro.argv")
	require.Regexp(t, "^attach --attach-config "+regexp.QuoteMeta(tmp)+"/[^ ]+\n$", argv)
	require.NotContains(t, argv, token)
	require.NotContains(t, readFile(t, dir+"/pro.env"), token)
	require.Equal(t, "600\n", readFile(t, dir+"/pro.mode"))
	require.Equal(t, "token: "+token+"\n", readFile(t, dir+"/pro.conf"))
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, left, "the attach config must be removed")
	require.Equal(t, "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n", readFile(t, dir+"/os-release"))

	for name, opts := range cases() {
		plan, err := NewPlan(opts)
		require.NoError(t, err)
		for _, e := range append(plan.BuildEnv, envs(plan)...) {
			require.NotContains(t, strings.ToLower(e.Name), "pro_key", name)
			require.NotContains(t, strings.ToLower(e.Name), "token", name)
		}
		text := plan.Text()
		require.NotContains(t, text, "UBUNTU_PRO_KEY", name)
		require.Equal(t, strings.Count(text, "ubuntu-pro-token"), 3*strings.Count(text, "MOUNT ubuntu-pro-token (secret)"),
			"%s: the token path appears only in the secret mount line (twice) and the one cat that reads it", name)
	}
}

func envs(p Plan) []Env {
	var all []Env
	for _, s := range p.Steps {
		all = append(all, s.Env...)
	}
	return all
}

// TestGPUHook runs the AMD driver step against a stand-in CanvOS checkout:
// the step runs CanvOS' scripts/install-amdgpu-drivers.sh with the AMDGPU_*
// settings (the artifact path under the checkout), and the kernel-headers
// helper runs once, from the driver script, as in CanvOS.
func TestGPUHook(t *testing.T) {
	t.Parallel()
	hooks := t.TempDir()
	writeFile(t, filepath.Join(hooks, "scripts", "install-amdgpu-drivers.sh"),
		"env | grep ^AMDGPU_ | sort >\"$(dirname \"$0\")/../driver.env\"\nbash \"$(dirname \"$0\")/install-kernel-headers.sh\"\n", 0o755)
	writeFile(t, filepath.Join(hooks, "scripts", "install-kernel-headers.sh"), "echo headers >>\"$(dirname \"$0\")/../headers.log\"\n", 0o755)
	s := step(t, mustPlan(t, "ubuntu-amd"), "gpu-amd")
	var env []string
	for _, e := range s.Env {
		env = append(env, e.Name+"="+strings.ReplaceAll(e.Value, hooksMount, hooks))
	}
	runScript(t, s.Script, map[string]string{hooksMount: hooks}, env...)
	require.Equal(t, "AMDGPU_ARTIFACT_PATH="+hooks+"/build/amdgpu.tar.gz\nAMDGPU_DRIVER_SOURCE=dkms\n", readFile(t, filepath.Join(hooks, "driver.env")))
	require.Equal(t, "headers\n", readFile(t, filepath.Join(hooks, "headers.log")))
}
