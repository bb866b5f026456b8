package suggest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"stylus", "stylsu", 2}, {"site", "site", 0}} {
		require.Equal(t, c.d, Distance(c.a, c.b), "%q %q", c.a, c.b)
		require.Equal(t, c.d, Distance(c.b, c.a), "symmetric")
	}
}

func TestNearest(t *testing.T) {
	known := []string{"paletteEndpoint", "edgeHostToken", "name", "names"}
	require.Equal(t, "edgeHostToken", Nearest("EDGEHOSTTOKEN", known, 1), "case is ignored")
	require.Equal(t, "paletteEndpoint", Nearest("paletteEndpont", known, 3))
	require.Equal(t, "", Nearest("paletteEndpont", known, 0), "beyond maxEdits")
	require.Equal(t, "name", Nearest("nam", known, 2), "the fewest edits win")
	require.Equal(t, "stage", Nearest("stave", []string{"stake", "stage"}, 1), "a tie goes to the first in sorted order")
	require.Equal(t, "", Nearest(strings.Repeat("a", 65), known, 100), "no suggestion for a very long key")
}
