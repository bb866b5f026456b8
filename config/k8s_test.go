package config

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// The counts of reference §5; versions unique and ascending as in CanvOS' file.
func TestMatrix(t *testing.T) {
	t.Parallel()
	want := map[K8sDistribution]int{K3s: 58, Kubeadm: 62, KubeadmFIPS: 60, RKE2: 68, Nodeadm: 4, Canonical: 11}
	require.Len(t, matrix(), len(want))
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
	require.Equal(t, "1.35.6", K8sVersions(Kubeadm)[61])
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
		{"1.33", []string{"1.33.6", "1.33.9", "1.33.10"}},
		{"1.26.1", []string{"1.26.14", "1.27.2", "1.27.9"}},
		{"1.40.0", []string{"1.35.2", "1.35.3", "1.34.9"}},
		{"latest", []string{"1.34.9", "1.35.2", "1.35.3"}},
	}
	for _, tt := range tests {
		got := nearestVersions(tt.in, known)
		sort.Slice(tt.want, func(i, j int) bool { return versionLess(tt.want[i], tt.want[j]) })
		require.Equal(t, tt.want, got, tt.in)
	}
}
