package config

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// The counts of CanvOS' file after PR #849 (its description: k3s 61,
// kubeadm 63, rke2 71, kubeadm-fips 61, nodeadm 4, canonical 11); versions
// unique and ascending as in CanvOS' file.
func TestMatrix(t *testing.T) {
	t.Parallel()
	want := map[K8sDistribution]int{K3s: 61, Kubeadm: 63, KubeadmFIPS: 61, RKE2: 71, Nodeadm: 4, Canonical: 11}
	require.Len(t, EmbeddedMatrix().versions, len(want))
	for d, n := range want {
		vs := K8sVersions(d)
		require.Len(t, vs, n, d)
		require.True(t, sort.SliceIsSorted(vs, func(i, j int) bool { return versionLess(vs[i], vs[j]) }), d)
		seen := map[string]bool{}
		for _, v := range vs {
			_, ok := parseVersion(v)
			require.True(t, ok, v)
			require.False(t, seen[v], "duplicate %s in %s", v, d)
			seen[v] = true
		}
	}
	require.Equal(t, "1.26.14", K8sVersions(K3s)[0])
	require.Equal(t, "1.36.2", K8sVersions(Kubeadm)[62])
}

// PR #849 added 1.36.2 to kubeadm, kubeadm-fips, k3s and rke2, and 1.35.6
// and 1.33.13 to k3s and rke2; each builds with its luet package.
func TestMatrixPR849(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		dist     K8sDistribution
		versions []string
		luet     string
	}{
		{K3s, []string{"1.33.13", "1.35.6", "1.36.2"}, "k8s/k3s@1.36.2-k3s1"},
		{RKE2, []string{"1.33.13", "1.35.6", "1.36.2"}, "k8s/rke2@1.36.2-rke2r1"},
		{Kubeadm, []string{"1.36.2"}, "k8s/kubeadm@1.36.2"},
		{KubeadmFIPS, []string{"1.36.2"}, "k8s/kubeadm-fips@1.36.2"},
	} {
		require.Subset(t, K8sVersions(tt.dist), tt.versions, tt.dist)
		sets := []Override{{"K8S_DISTRIBUTION", string(tt.dist)}, {"K8S_VERSION", "1.36.2"}, {"K8S_VERSION_STRICT", "true"}}
		if tt.dist == KubeadmFIPS {
			sets = append(sets, Override{"FIPS_ENABLED", "true"})
		}
		c, warnings, err := Load("", nil, sets)
		require.NoError(t, err, tt.dist)
		require.Empty(t, warnings, tt.dist)
		p := c.Plan()
		require.Equal(t, tt.luet, p.Providers[0].LuetPackage)
		require.Equal(t, "ttl.sh/ubuntu:"+string(tt.dist)+"-1.36.2-v4.10.0-rc.2", p.Providers[0].Ref)
		require.Equal(t, EmbeddedMatrixSource, p.K8sMatrix)
	}
}

// A k8s_version.json of the build context replaces the embedded matrix: its
// versions are what an empty K8S_VERSION builds and what K8S_VERSION is
// checked against; the plan names it.
func TestContextMatrixWins(t *testing.T) {
	t.Parallel()
	file := []byte(`{"k3s": ["1.33.5", "1.37.1"], "kubeadm": ["1.37.0"], "future-k8s": ["1.0.0"]}`)
	c, warnings, err := Load("", nil, nil, WithMatrixFile("ctx/k8s_version.json", file))
	require.NoError(t, err)
	require.Equal(t, []string{`ctx/k8s_version.json: distribution "future-k8s" ignored: K8S_DISTRIBUTION is one of k3s, rke2, kubeadm, kubeadm-fips, nodeadm, canonical`}, warnings)
	p := c.Plan()
	require.Equal(t, "ctx/k8s_version.json", p.K8sMatrix)
	require.Equal(t, []string{"1.33.5", "1.37.1"}, p.K8sVersions())
	require.Equal(t, "k8s/k3s@1.37.1-k3s1", p.Providers[1].LuetPackage)
	require.Contains(t, p.Text(), "k8s matrix:        ctx/k8s_version.json\n")

	// 1.37.1 is in the context matrix: strict accepts it; 1.35.3 (embedded) is not.
	_, warnings, err = Load("", nil, []Override{{"K8S_VERSION", "1.37.1"}, {"K8S_VERSION_STRICT", "true"}}, WithMatrixFile("k8s_version.json", file))
	require.NoError(t, err)
	require.Len(t, warnings, 1) // the ignored distribution
	_, _, err = Load("", nil, []Override{{"K8S_VERSION", "1.35.3"}, {"K8S_VERSION_STRICT", "true"}}, WithMatrixFile("k8s_version.json", file))
	require.ErrorContains(t, err, `K8S_VERSION: invalid value "1.35.3"`)
	require.ErrorContains(t, err, "not a k3s version of k8s_version.json, nearest: 1.33.5, 1.37.1")

	// A distribution the file does not list has nothing to build.
	_, _, err = Load("", nil, []Override{{"K8S_DISTRIBUTION", "rke2"}}, WithMatrixFile("k8s_version.json", file))
	require.ErrorContains(t, err, "k8s_version.json lists none for rke2")
}

func TestMatrixFileErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ data, want string }{
		{`["1.33.5"]`, "k8s_version.json: not CanvOS' k8s_version.json format"},
		{`{"k3s": "1.33.5"}`, "k8s_version.json: not CanvOS' k8s_version.json format"},
		{`{"k3s": ["1.33.5", "1.34 rc"]}`, `k8s_version.json k3s: invalid value "1.34 rc"; allowed: a version usable in an image tag`},
	} {
		_, _, err := Load("", nil, nil, WithMatrixFile("k8s_version.json", []byte(tt.data)))
		require.ErrorContains(t, err, tt.want, tt.data)
	}
}

// A version outside the matrix (a release newer than ours) is built with a
// warning that names the nearest known versions and the luet package it
// installs; K8S_VERSION_STRICT=true makes it an error.
func TestUnknownVersionWarns(t *testing.T) {
	t.Parallel()
	sets := []Override{{"K8S_DISTRIBUTION", "rke2"}, {"K8S_VERSION", "1.36.5"}}
	c, warnings, err := Load("", nil, sets)
	require.NoError(t, err)
	require.Equal(t, []string{"K8S_VERSION 1.36.5 is not a rke2 version of " + EmbeddedMatrixSource +
		", nearest: 1.35.3, 1.35.6, 1.36.2; building it anyway with luet package k8s/rke2@1.36.5-rke2r1 (K8S_VERSION_STRICT=true makes this an error)"}, warnings)
	p := c.Plan()
	require.Equal(t, "1.36.5-rke2r1", p.Providers[0].LuetVersion)
	require.Equal(t, "ttl.sh/ubuntu:rke2-1.36.5-v4.10.0-rc.2", p.Providers[0].Ref)

	_, _, err = Load("", nil, append(sets, Override{"K8S_VERSION_STRICT", "true"}))
	require.ErrorContains(t, err, `K8S_VERSION: invalid value "1.36.5"`)
	require.ErrorContains(t, err, "nearest: 1.35.3, 1.35.6, 1.36.2; or K8S_VERSION_STRICT=false to build it anyway")
}

func TestK8sVersionsIsACopy(t *testing.T) {
	t.Parallel()
	vs := K8sVersions(Nodeadm)
	vs[0] = "changed"
	require.Equal(t, "1.29.0", K8sVersions(Nodeadm)[0])
}

func TestNearestVersions(t *testing.T) {
	t.Parallel()
	known := K8sVersions(K3s)
	tests := []struct {
		in   string
		want []string
	}{
		{"1.33.4", []string{"1.33.3", "1.33.5", "1.33.6"}},
		{"v1.33.5", []string{"1.33.3", "1.33.5", "1.33.6"}},
		{"1.33", []string{"1.33.9", "1.33.10", "1.33.13"}},
		{"1.26.1", []string{"1.26.14", "1.27.2", "1.27.9"}},
		{"1.40.0", []string{"1.35.3", "1.35.6", "1.36.2"}},
		{"latest", []string{"1.35.3", "1.35.6", "1.36.2"}},
	}
	for _, tt := range tests {
		got := nearestVersions(tt.in, known)
		sort.Slice(tt.want, func(i, j int) bool { return versionLess(tt.want[i], tt.want[j]) })
		require.Equal(t, tt.want, got, tt.in)
	}
}
