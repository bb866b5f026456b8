package usererr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMessagesNameParameterValueAndAllowed(t *testing.T) {
	t.Parallel()
	err := New("ARCH", "x86", OneOf("amd64", "arm64"))
	require.EqualError(t, err, `ARCH: invalid value "x86"; allowed: amd64, arm64`)
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorIs(t, fmt.Errorf("config: %w", err), ErrInvalid, "still an input error when wrapped")

	var e *Error
	require.True(t, errors.As(errors.Join(err, New("OS_VERSION", "9", "")), &e))
	require.Equal(t, "ARCH", e.Param)

	require.EqualError(t, New("--out", "", ""), `--out: invalid value ""`)

	err = Newf("--content", "%s is not a bundle", "notes.txt")
	require.EqualError(t, err, "--content: notes.txt is not a bundle")
	require.ErrorIs(t, err, ErrInvalid)
}
