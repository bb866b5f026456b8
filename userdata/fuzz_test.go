package userdata

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// FuzzCheck: no panic, the same report twice; accepted user-data starts
// with the header line and is a YAML mapping (or empty); no error message
// quotes the file: a marker planted anywhere in it never appears in one
// (key paths, which name the file's keys, are not part of the message).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"#cloud-config\n", "#cloud-config\nstylus:\n  site:\n    name: a\n", "#cloud-config\n- a\n",
		"#cloud-config\na: &x [1]\nb: *x\n", "#cloud-config\na: !!binary x\n", "stylus: {}\n", "#cloud-config\n\t- a: b\n",
		"#cloud-config\na: b\n---\nc: d\n", "#cloud-config\n? [a]\n: b\n", "\r#cloud-config\n", "#cloud-config\r\nstylus: {}\r\n"} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	const marker = "Qx7SECRETq7X"
	f.Fuzz(func(t *testing.T, data []byte, at uint16) {
		i := int(at) % (len(data) + 1)
		withMarker := append(append(append([]byte{}, data[:i]...), marker...), data[i:]...)
		for _, b := range [][]byte{data, withMarker} {
			r := Check(b)
			require.Equal(t, r, Check(b))
			for _, e := range r.Errors() {
				require.NotContains(t, e.Message, "SECRET", "an error quotes the file: %q", b)
			}
			if len(r.Errors()) > 0 {
				continue
			}
			require.True(t, strings.HasPrefix(string(b), Header), "accepted without the header: %q", b)
			var doc yaml.Node
			require.NoError(t, yaml.Unmarshal(b, &doc))
			if len(doc.Content) > 0 {
				root := doc.Content[0]
				require.True(t, root.Kind == yaml.MappingNode || root.Tag == "!!null", "accepted a %v: %q", root.Kind, b)
			}
		}
	})
}
