package config

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"dagger/canvos/usererr"
)

// k8sVersionJSON is CanvOS' k8s_version.json as of its PR #849 (merged
// 2026-09-10): per distribution, the versions +build-provider-images builds,
// in build order.
//
//go:embed k8s_version.json
var k8sVersionJSON []byte

// EmbeddedMatrixSource names the compiled-in matrix in plans.
const EmbeddedMatrixSource = "embedded (CanvOS k8s_version.json, PR #849)"

// Matrix is a Kubernetes version matrix in CanvOS' k8s_version.json format:
// a JSON object from K8S_DISTRIBUTION to its versions, in build order.
type Matrix struct {
	Source   string // what the plan names: the file, or EmbeddedMatrixSource
	versions map[K8sDistribution][]string
}

var embedded = sync.OnceValue(func() Matrix {
	m, _, err := ParseMatrix(EmbeddedMatrixSource, k8sVersionJSON)
	if err != nil {
		panic("config: embedded k8s_version.json: " + err.Error())
	}
	return m
})

// EmbeddedMatrix is the compiled-in matrix.
func EmbeddedMatrix() Matrix { return embedded() }

// ParseMatrix reads a k8s_version.json. Every version must be usable in an
// image tag; distributions this module does not build are reported in the
// warnings and ignored, as CanvOS' jq ignores keys it is not asked for.
func ParseMatrix(source string, data []byte) (Matrix, []string, error) {
	var raw map[string][]string
	if err := json.Unmarshal(data, &raw); err != nil {
		return Matrix{}, nil, usererr.Newf(source, "not CanvOS' k8s_version.json format (an object of distribution: [versions]): %v", err)
	}
	m := Matrix{Source: source, versions: map[K8sDistribution][]string{}}
	var warnings []string
	for _, d := range slices.Sorted(maps.Keys(raw)) {
		if !slices.Contains(kubernetesDistributions, K8sDistribution(d)) {
			warnings = append(warnings, fmt.Sprintf("%s: distribution %q ignored: K8S_DISTRIBUTION is one of %s", source, d, strings.Join(names(kubernetesDistributions...), ", ")))
			continue
		}
		for _, v := range raw[d] {
			if !tagPart.valid(v) {
				return Matrix{}, nil, usererr.New(source+" "+d, v, "a version usable in an image tag ("+tagPart.allowed+")")
			}
		}
		m.versions[K8sDistribution(d)] = raw[d]
	}
	return m, warnings, nil
}

// Versions returns the versions of d, in matrix order (a copy).
func (m Matrix) Versions(d K8sDistribution) []string { return slices.Clone(m.versions[d]) }

// K8sVersions returns every Kubernetes version of the embedded matrix for
// d, in matrix order (a copy).
func K8sVersions(d K8sDistribution) []string { return EmbeddedMatrix().Versions(d) }

// Matrix is the matrix the configuration was loaded with: a build
// context's k8s_version.json, else the embedded one.
func (c Config) Matrix() Matrix {
	if c.matrix.versions == nil {
		return EmbeddedMatrix()
	}
	return c.matrix
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
