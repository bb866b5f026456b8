//go:build daggeroffline

package main

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
	"dagger/canvos/usererr"
)

func TestArchsOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []dagger.Platform
		want []string
		err  bool
	}{
		{nil, []string{""}, false},
		{[]dagger.Platform{"linux/amd64", "linux/arm64"}, []string{"amd64", "arm64"}, false},
		{[]dagger.Platform{"arm64", "linux/arm64"}, []string{"arm64"}, false},
		{[]dagger.Platform{"linux/riscv64"}, nil, true},
	} {
		got, err := archsOf(tc.in)
		if tc.err {
			require.True(t, errors.Is(err, usererr.ErrInvalid), "%v", err)
			require.ErrorContains(t, err, "--platforms")
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
}

func TestRegistryHost(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{
		"ttl.sh/ubuntu:k3s-1.33.5-v4.10.0-rc.2-demo": "ttl.sh",
		"registry.local:5000/edge/ubuntu:tag":        "registry.local:5000",
		"localhost/edge/ubuntu:tag":                  "localhost",
		// Docker Hub: the first path element is a user, not a registry.
		"myuser/ubuntu:tag":                 "docker.io",
		"ubuntu:22.04":                      "docker.io",
		"docker.io/library/ubuntu:22.04":    "docker.io",
		"index.docker.io/myuser/ubuntu:tag": "docker.io",
	} {
		got, err := registryHost(ref)
		require.NoError(t, err, ref)
		require.Equal(t, want, got, ref)
	}
	_, err := registryHost("Not A Reference")
	require.True(t, errors.Is(err, usererr.ErrInvalid), "%v", err)
}

func TestBuildEnv(t *testing.T) {
	t.Parallel()
	require.Empty(t, buildEnv(config.Config{}))
	require.Equal(t, map[string]string{
		"HTTP_PROXY": "http://p:3128", "http_proxy": "http://p:3128", "NO_PROXY": "10.0.0.0/8", "no_proxy": "10.0.0.0/8",
	}, buildEnv(config.Config{HTTPProxy: "http://p:3128", NoProxy: "10.0.0.0/8"}))
}
