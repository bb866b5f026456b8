package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/usererr"
)

var keyName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FuzzParse feeds arbitrary bytes to the .arg parser and to Load: no panic,
// every error is a user error, keys are shell names, results are stable.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		templateArg,
		"export A='x y'\nB=\"$A\"\n",
		"A=${B}\n",
		"A=$(id)\n",
		"A=\"unterminated\n",
		"if true; then A=1; fi\n",
		"A=1 # c\r\nB=a\\\nb\n",
		"K8S_VERSION=1.33.4\nFIPS_ENABLED=true\nUPDATE_KERNEL=true\n",
	} {
		f.Add([]byte(seed))
	}
	f.Add([]byte("ARCH=amd\x00 64\n"))
	f.Add([]byte("\uFEFFARCH=arm64\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, errs := Parse(".arg", data, nil)
		// The NUL rule: a NUL anywhere refuses the file, naming its line.
		if text := bytes.TrimPrefix(data, []byte(utf8BOM)); bytes.IndexByte(text, 0) >= 0 {
			line := bytes.Count(text[:bytes.IndexByte(text, 0)], []byte("\n")) + 1
			require.Empty(t, got)
			require.Len(t, errs, 1)
			require.EqualError(t, errs[0], fmt.Sprintf(".arg line %d: a NUL byte: .arg files are text", line))
			return
		}
		for _, a := range got {
			require.NotContains(t, a.Value, "\x00")
		}
		for _, err := range errs {
			require.True(t, errors.Is(err, usererr.ErrInvalid), "%v", err)
		}
		for _, a := range got {
			require.Regexp(t, keyName, a.Key)
		}
		again, _ := Parse(".arg", data, nil)
		require.Equal(t, got, again)

		c, _, err := Load(".arg", data, nil)
		if err != nil {
			require.ErrorIs(t, err, usererr.ErrInvalid)
			return
		}
		_ = c.Plan().Text()
	})
}
