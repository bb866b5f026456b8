// Package suggest finds the known name closest to a mistyped one, for the
// "did you mean" of configuration errors and user-data warnings.
package suggest

import (
	"slices"
	"strings"
)

// maxKey bounds the keys that get a suggestion: the distance is quadratic,
// and a key that long is no typo.
const maxKey = 64

// Nearest is the candidate closest to key, ignoring case: one equal but for
// case, else the one fewest edits away (the first in sorted order on a tie)
// when at most maxEdits; "" when none is that close.
func Nearest(key string, candidates []string, maxEdits int) string {
	if len(key) > maxKey {
		return ""
	}
	sorted := slices.Sorted(slices.Values(candidates))
	best, bestD := "", maxEdits+1
	for _, c := range sorted {
		if d := Distance(strings.ToLower(key), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the Levenshtein edit distance of a and b, in bytes.
// Hand-written: a dozen lines, and no kept library offers it.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
