package standin

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/config"
	"dagger/canvos/testutil"
)

func TestScriptsPassShellcheck(t *testing.T) {
	testutil.ShellCheck(t, map[string]string{"dracut": dracutStub, "palette-edge-cli": paletteEdgeCLI})
}

// TestLuetStandinRecordsTheCall runs the luet stand-in as the payload step
// (provider/scripts/luet-install.sh) calls luet.
func TestLuetStandinRecordsTheCall(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, luet(context.Background(), dir, runtime.GOARCH))
	bin := filepath.Join(dir, "binaries/luet/latest/palette", runtime.GOARCH, "luet")
	f, err := elf.Open(bin) // uki-iso takes only a real executable
	require.NoError(t, err)
	require.NoError(t, f.Close())
	target := filepath.Join(dir, "output")
	for _, args := range [][]string{
		{"repo", "add", "spectro", "--type", "docker", "--url", "mirror.local/edge/luet-repo-amd", "--priority", "1", "-y"},
		{"repo", "update"},
		{"install", "-y", "k8s/k3s@1.33.5-k3s1", "--system-target", target},
		{"cleanup"},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		require.NoError(t, err, "luet %v: %s", args, out)
	}
	got, err := os.ReadFile(filepath.Join(target, "etc/canvos-standin/luet-install"))
	require.NoError(t, err)
	require.Equal(t, "repo=mirror.local/edge/luet-repo-amd\npackage=k8s/k3s@1.33.5-k3s1\n", string(got))
	out, err := exec.Command(filepath.Join(target, "usr/bin/k3s")).Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "k8s/k3s@1.33.5-k3s1")
	_, err = exec.Command(bin, "upgrade").CombinedOutput()
	require.Error(t, err, "an unexpected call must fail")
}

// TestImagesFollowThePlan builds the small stand-ins of the stand-in .arg
// and checks their references and trees: each lands where the plan pulls
// it from, with the paths the provider plan copies.
func TestImagesFollowThePlan(t *testing.T) {
	data, err := os.ReadFile("../../tests/testdata/standin.arg")
	require.NoError(t, err)
	cfg, _, err := config.Load("standin.arg", data, nil)
	require.NoError(t, err)
	p := cfg.Plan()
	want := map[string][]string{
		p.StylusFramework: {"etc/kairos/branding/interactive_install_text", "oem/stylus_config.yaml", "etc/elemental/config.yaml"},
		p.AgentProvider:   {"usr/local/system/providers/agent-provider-k3s"},
		p.ThirdPartyImage: {"binaries/etcdctl/latest/palette/amd64/etcdctl", "binaries/luet/latest/palette/amd64/luet"},
		p.ExtCertImage:    {"palette-sysext-cert.pem"},
		p.CLIImage:        {"usr/local/bin/palette-edge-cli", "bin/sh"},
	}
	seen := map[string]bool{}
	for _, img := range Images(cfg, t.TempDir()) {
		seen[img.Ref] = true
		paths, ok := want[img.Ref]
		if !ok {
			continue
		}
		built, err := Build(context.Background(), img, "amd64", t.TempDir())
		require.NoError(t, err)
		cf, err := built.ConfigFile()
		require.NoError(t, err)
		require.Equal(t, "amd64", cf.Architecture)
		layers, err := built.Layers()
		require.NoError(t, err)
		require.Len(t, layers, 1)
		names := map[string]bool{}
		for _, h := range testutil.LayerHeaders(t, layers[0]) {
			names[filepath.Clean(h.Name)] = true
		}
		for _, p := range paths {
			require.True(t, names[p], "%s: no %s in %v", img.Ref, p, names)
		}
	}
	for _, ref := range []string{p.BaseImage, p.StylusFramework, p.AgentProvider, p.ThirdPartyImage, p.AlpineImage, p.StylusPackage, p.ExtCertImage, p.CLIImage} {
		require.True(t, seen[ref], "no stand-in for %s", ref)
	}
}
