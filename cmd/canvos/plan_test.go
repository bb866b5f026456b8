package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/config"
)

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeArg(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".arg")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

const templateTop = "CUSTOM_TAG=demo\nIMAGE_REGISTRY=ttl.sh\nOS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\nOS_VERSION=22.04\nK8S_DISTRIBUTION=k3s\nISO_NAME=palette-edge-installer\nARCH=amd64\n"

func TestPlanJSON(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runMain(t, "plan", "--arg-file", writeArg(t, templateTop), "--set", "K8S_DISTRIBUTION=rke2", "--set", "K8S_VERSION=1.33.5", "--json")
	require.Equal(t, 0, code, stderr)
	require.Empty(t, stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	for _, key := range []string{"baseImage", "providerImages", "k8sVersions", "isoName", "arch", "osDistribution", "osVersion", "k8sDistribution", "peVersion", "customTag", "profile"} {
		require.Contains(t, got, key)
	}
	require.Equal(t, "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1", got["baseImage"])
	require.Equal(t, []any{"ttl.sh/ubuntu:rke2-1.33.5-v4.10.0-rc.2-demo"}, got["providerImages"])
	require.Equal(t, []any{"1.33.5"}, got["k8sVersions"])
	require.Equal(t, "palette-edge-installer", got["isoName"])
	require.Equal(t, "rke2", got["k8sDistribution"])
	require.Contains(t, got["profile"], "  system.k8sDistribution: rke2\n")
}

func TestPlanJSONAllVersionsInOrder(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runMain(t, "plan", "--json", "--set", "K8S_DISTRIBUTION=canonical")
	require.Equal(t, 0, code, stderr)
	var got config.Summary
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	require.Equal(t, config.K8sVersions(config.Canonical), got.K8sVersions)
	require.Len(t, got.ProviderImages, 11)
	require.Equal(t, "ttl.sh/ubuntu:canonical-1.32.3-v4.10.0-rc.2", got.ProviderImages[0])
}

func TestPlanText(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runMain(t, "plan", "--arg-file", writeArg(t, templateTop+"CUSTOM_TAGG=x\n"), "--set", "K8S_VERSION=1.33.5")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "warning: ")
	require.Contains(t, stderr, "did you mean CUSTOM_TAG?")
	cfg, _, err := config.Load("", []byte(templateTop), []config.Override{{Key: "K8S_VERSION", Value: "1.33.5"}})
	require.NoError(t, err)
	require.Equal(t, cfg.Plan().Text(), stdout)
	require.Contains(t, stdout, "ttl.sh/ubuntu:k3s-1.33.5-v4.10.0-rc.2-demo")
	require.Contains(t, stdout, "PASTE THE CONTENT BELOW INTO YOUR CLUSTER PROFILE IN PALETTE REPLACING ALL THE CONTENTS IN THE PROFILE")
}

func TestPlanInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"every problem at once", []string{"--arg-file", "ARG", "--set", "ARCH=x86", "--set", "K8S_VERSION=1.33.2", "--set", "K8S_VERSION_STRICT=true"},
			[]string{"invalid configuration:", ".arg line 9: not a KEY=VALUE assignment", `ARCH: invalid value "x86"; allowed: amd64, arm64`,
				`K8S_VERSION: invalid value "1.33.2"; allowed: not a kubeadm-fips version of ` + config.EmbeddedMatrixSource + `, nearest: 1.33.1, 1.33.3, 1.33.4`,
				`UPDATE_KERNEL: invalid value "true"`}},
		{"missing file", []string{"--arg-file", "/nonexistent/.arg"}, []string{"--arg-file: ", "no such file"}},
		{"bad --set", []string{"--set", "ARCH"}, []string{`--set: invalid value "ARCH"; allowed: KEY=VALUE`}},
		{"unknown --set key", []string{"--set", "ARCHH=amd64"}, []string{"did you mean ARCH?"}},
		{"positional argument", []string{"extra"}, []string{"unexpected"}},
	}
	bad := templateTop + "not an assignment\nFIPS_ENABLED=true\nK8S_DISTRIBUTION=kubeadm-fips\nUPDATE_KERNEL=true\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"plan"}, tt.args...)
			for i, a := range args {
				if a == "ARG" {
					args[i] = writeArg(t, bad)
				}
			}
			code, stdout, stderr := runMain(t, args...)
			require.Equal(t, exitInput, code)
			require.Empty(t, stdout)
			for _, w := range tt.want {
				require.Contains(t, stderr, w)
			}
		})
	}
}

// The Dagger Plan function returns cfg.JSON() / cfg.Plan().Text(); the CLI
// must print exactly the same bytes.
func TestPlanJSONIsConfigJSON(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runMain(t, "plan", "--json", "--set", "CUSTOM_TAG=demo")
	require.Equal(t, 0, code, stderr)
	cfg, _, err := config.Load("", nil, []config.Override{{Key: "CUSTOM_TAG", Value: "demo"}})
	require.NoError(t, err)
	want, err := cfg.JSON()
	require.NoError(t, err)
	require.Equal(t, string(want), stdout)
}

// For the CLI the build context is the .arg file's directory: its
// k8s_version.json is the matrix, and the plan says so.
func TestPlanContextMatrix(t *testing.T) {
	t.Parallel()
	arg := writeArg(t, templateTop)
	matrix := filepath.Join(filepath.Dir(arg), "k8s_version.json")
	require.NoError(t, os.WriteFile(matrix, []byte(`{"k3s": ["1.34.9", "1.37.0"]}`), 0o600))
	code, stdout, stderr := runMain(t, "plan", "--arg-file", arg)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "k8s matrix:        "+matrix+"\n")
	require.Contains(t, stdout, "provider images (2):\n  ttl.sh/ubuntu:k3s-1.34.9-v4.10.0-rc.2-demo  (k8s/k3s@1.34.9-k3s1)\n  ttl.sh/ubuntu:k3s-1.37.0-v4.10.0-rc.2-demo  (k8s/k3s@1.37.0-k3s1)\n")

	code, stdout, stderr = runMain(t, "plan", "--arg-file", arg, "--set", "K8S_VERSION=1.37.2")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "warning: K8S_VERSION 1.37.2 is not a k3s version of "+matrix+", nearest: 1.34.9, 1.37.0; building it anyway with luet package k8s/k3s@1.37.2-k3s1")
	require.Contains(t, stdout, "ttl.sh/ubuntu:k3s-1.37.2-v4.10.0-rc.2-demo  (k8s/k3s@1.37.2-k3s1)\n")

	require.NoError(t, os.WriteFile(matrix, []byte(`{"k3s": "1.34.9"}`), 0o600))
	code, _, stderr = runMain(t, "plan", "--arg-file", arg)
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr, matrix+": not CanvOS' k8s_version.json format")
}
