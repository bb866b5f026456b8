package imageplan

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// The Move and Remove steps run as inline sh in Dagger; these tests run the
// same snippets on a directory so their semantics match package oci's.

func tree(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, f)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(f), 0o644))
	}
	return root
}

func exists(root, p string) bool {
	_, err := os.Lstat(filepath.Join(root, p))
	return err == nil
}

func runSnippet(t *testing.T, script string, args ...string) {
	t.Helper()
	testutil.RequireTool(t, "sh")
	out, err := exec.Command("sh", append([]string{"-c", script, "sh"}, args...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
}

func TestRemoveScript(t *testing.T) {
	t.Parallel()
	root := tree(t, "opt/spectrocloud/bin/stylus-agent", "opt/spectrocloud/bin/agent-provider-stylus",
		"opt/spectrocloud/bin/palette-tui", "usr/bin/luet", "etc/ssh/ssh_host_rsa_key", "etc/ssh/sshd_config")
	runSnippet(t, removeScript, root+"/opt/spectrocloud/bin/agent-provider-stylus",
		root+"/opt/spectrocloud/bin/*", root+"/usr/bin/luet", root+"/etc/ssh/ssh_host_*", root+"/etc/ssh/moduli")
	require.True(t, exists(root, "opt/spectrocloud/bin/agent-provider-stylus"))
	require.True(t, exists(root, "etc/ssh/sshd_config"))
	for _, gone := range []string{"opt/spectrocloud/bin/stylus-agent", "opt/spectrocloud/bin/palette-tui", "usr/bin/luet", "etc/ssh/ssh_host_rsa_key"} {
		require.False(t, exists(root, gone), gone)
	}
}

func TestMoveScript(t *testing.T) {
	t.Parallel()
	root := tree(t, "usr/local/system/providers/agent-provider-k3s", "usr/local/system/providers/README")
	runSnippet(t, moveScript, root+"/usr/local/system/providers", "agent-provider-*", root+"/system/providers")
	require.True(t, exists(root, "system/providers/agent-provider-k3s"))
	require.False(t, exists(root, "usr/local/system/providers/agent-provider-k3s"))
	require.True(t, exists(root, "usr/local/system/providers/README"))

	empty := t.TempDir() // no match is not an error, as with CanvOS' guarded mv
	runSnippet(t, moveScript, empty+"/usr/local/system/providers", "agent-provider-*", empty+"/system/providers")
	require.True(t, exists(empty, "system/providers"))
}

func TestInlineSnippetsShellcheck(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "shellcheck")
	dir := t.TempDir()
	for name, body := range map[string]string{"move.sh": moveScript, "remove.sh": removeScript, "link-tree.sh": linkTreeScript} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
		// SC2086: the globs are unquoted on purpose, to expand them.
		out, err := exec.Command("shellcheck", "-s", "sh", "-e", "SC2086", p).CombinedOutput()
		require.NoError(t, err, "%s: %s", name, out)
	}
}

func TestLinkTreeScript(t *testing.T) {
	t.Parallel()
	src := tree(t, "usr/bin/kubelet", "etc/systemd/system/k3s.service")
	dest := t.TempDir()
	runSnippet(t, linkTreeScript, src, dest, "/opt/k8s")
	for f, want := range map[string]string{
		"usr/bin/kubelet":                "/opt/k8s/usr/bin/kubelet",
		"etc/systemd/system/k3s.service": "/opt/k8s/etc/systemd/system/k3s.service",
	} {
		got, err := os.Readlink(filepath.Join(dest, f))
		require.NoError(t, err, f)
		require.Equal(t, want, got)
	}
}
