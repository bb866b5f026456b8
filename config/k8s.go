package config

import (
	_ "embed"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// k8sVersionJSON is CanvOS' k8s_version.json at the reference commit: per
// distribution, the versions +build-provider-images builds, in build order.
//
//go:embed k8s_version.json
var k8sVersionJSON []byte

var matrix = sync.OnceValue(func() map[K8sDistribution][]string {
	var m map[K8sDistribution][]string
	if err := json.Unmarshal(k8sVersionJSON, &m); err != nil {
		panic("config: embedded k8s_version.json: " + err.Error())
	}
	return m
})

// K8sVersions returns every Kubernetes version of the matrix for d, in
// matrix order (a copy).
func K8sVersions(d K8sDistribution) []string {
	return append([]string(nil), matrix()[d]...)
}

// nearestVersions suggests up to three matrix versions closest to v: the
// same minor first, then by distance on the version line; a leading "v" is
// ignored and a version without patch ("1.33") means that minor's newest.
func nearestVersions(v string, known []string) []string {
	want, ok := parseVersion(strings.TrimPrefix(v, "v"))
	if !ok {
		return lastN(known, 3)
	}
	byDistance := append([]string(nil), known...)
	sort.SliceStable(byDistance, func(i, j int) bool {
		a, _ := parseVersion(byDistance[i])
		b, _ := parseVersion(byDistance[j])
		sameA, sameB := [2]int(a[:2]) == [2]int(want[:2]), [2]int(b[:2]) == [2]int(want[:2])
		if sameA != sameB {
			return sameA
		}
		return abs(linear(a)-linear(want)) < abs(linear(b)-linear(want))
	})
	out := byDistance[:min(3, len(byDistance))]
	sort.SliceStable(out, func(i, j int) bool { return versionLess(out[i], out[j]) })
	return out
}

// linear places a version on one axis; patches stay below 1000.
func linear(v [3]int) int { return v[0]*1_000_000 + v[1]*1_000 + v[2] }

func parseVersion(s string) ([3]int, bool) {
	v := [3]int{0, 0, 999}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func versionLess(a, b string) bool {
	x, _ := parseVersion(a)
	y, _ := parseVersion(b)
	for i := range x {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}

func lastN(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
