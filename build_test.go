//go:build daggeroffline

package main

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/config"
	"dagger/canvos/usererr"
)

func TestArchsOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []string
		want []string
		err  bool
	}{
		{nil, []string{""}, false},
		{[]string{"linux/amd64", "linux/arm64"}, []string{"amd64", "arm64"}, false},
		{[]string{"arm64", "linux/arm64"}, []string{"arm64"}, false},
		{[]string{"linux/riscv64"}, nil, true},
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
	require.Equal(t, "ttl.sh", registryHost("ttl.sh/ubuntu:k3s-1.33.5-v4.10.0-rc.2-demo"))
	require.Equal(t, "registry.local:5000", registryHost("registry.local:5000/edge/ubuntu:tag"))
}

func TestBuildEnv(t *testing.T) {
	t.Parallel()
	require.Empty(t, buildEnv(config.Config{}))
	require.Equal(t, map[string]string{
		"HTTP_PROXY": "http://p:3128", "http_proxy": "http://p:3128", "NO_PROXY": "10.0.0.0/8", "no_proxy": "10.0.0.0/8",
	}, buildEnv(config.Config{HTTPProxy: "http://p:3128", NoProxy: "10.0.0.0/8"}))
}
