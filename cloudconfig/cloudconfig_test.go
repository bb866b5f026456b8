package cloudconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"dagger/canvos/usererr"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ data, want string }{
		"ok":             {"#cloud-config\nstylus:\n  site: {}\n", ""},
		"header only":    {"#cloud-config\n", ""},
		"crlf":           {"#cloud-config\r\nstylus: {}\r\n", ""},
		"leading space":  {" #cloud-config\n", `first line must be "#cloud-config"`},
		"token file":     {"ghp_SECRETTOKEN0123456789\n", `first line must be "#cloud-config"`},
		"empty":          {"", `first line must be "#cloud-config"`},
		"malformed yaml": {"#cloud-config\nstylus: [SECRET\n", "not valid YAML (error at line"},
		"anchor":         {"#cloud-config\na: *SECRETANCHOR\n", "not valid YAML"},
		"list":           {"#cloud-config\n- SECRET\n", "not a YAML mapping"},
		"scalar":         {"#cloud-config\nSECRET\n", "not a YAML mapping"},
		"nul":            {"#cloud-config\na: b\x00SECRET\n", "NUL"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			require.NoError(t, os.WriteFile(p, []byte(c.data), 0o600))
			b, err := Read("--user-data", p)
			if c.want == "" {
				require.NoError(t, err)
				require.Equal(t, c.data, string(b))
				return
			}
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.ErrorContains(t, err, "--user-data: "+p)
			require.ErrorContains(t, err, c.want)
			require.NotContains(t, err.Error(), "SECRET", "the error quotes the file")
		})
	}
	_, err := Read("--user-data", "/dev/zero")
	require.ErrorContains(t, err, "larger than 8 MiB")
}

func TestReadYAML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "edge.yaml")
	require.NoError(t, os.WriteFile(p, []byte("stylus: {}\n"), 0o644))
	_, err := ReadYAML("--edge-config", p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, []byte("[SECRET"), 0o644))
	_, err = ReadYAML("--edge-config", p)
	require.ErrorContains(t, err, "--edge-config: "+p+": not valid YAML")
	require.NotContains(t, err.Error(), "SECRET")
}

// FuzzCheck: no panic; an accepted file is a #cloud-config YAML mapping; a
// refused one's error never quotes the file (a marker planted anywhere in it
// never appears in the message).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"#cloud-config\n", "#cloud-config\nstylus:\n  site:\n    name: a\n", "#cloud-config\n- a\n",
		"#cloud-config\na: &x [1]\nb: *x\n", "#cloud-config\na: !!binary x\n", "stylus: {}\n", "#cloud-config\n\t- a: b\n",
		"#cloud-config\na: b\n---\nc: d\n", "#cloud-config\n? [a]\n: b\n"} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	const marker = "Qx7SECRETq7X"
	f.Fuzz(func(t *testing.T, data []byte, at uint16) {
		i := int(at) % (len(data) + 1)
		withMarker := append(append(append([]byte{}, data[:i]...), marker...), data[i:]...)
		for _, b := range [][]byte{data, withMarker} {
			err := Check(b)
			if err != nil {
				require.NotContains(t, err.Error(), "SECRET")
				continue
			}
			require.True(t, strings.HasPrefix(string(b), Magic), "accepted without the header: %q", b)
			var v any
			require.NoError(t, yaml.Unmarshal(b, &v))
			if v != nil {
				require.IsType(t, map[string]any{}, v)
			}
		}
	})
}
