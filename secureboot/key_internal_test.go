package secureboot

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The same key and options give the same certificate bytes; the serial
// follows the inputs.
func TestCertificateDeterministic(t *testing.T) {
	t.Parallel()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	o := KeyOptions{Org: "Det", Days: 10, KeySize: 2048, NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	a, err := certificate(DB, o, priv)
	require.NoError(t, err)
	b, err := certificate(DB, o, priv)
	require.NoError(t, err)
	require.Equal(t, a.Raw, b.Raw)
	require.Equal(t, 16, len(a.SerialNumber.Bytes()))

	o.NotBefore = o.NotBefore.Add(time.Second)
	c, err := certificate(DB, o, priv)
	require.NoError(t, err)
	require.NotEqual(t, a.SerialNumber, c.SerialNumber)
	k, err := certificate(KEK, o, priv)
	require.NoError(t, err)
	require.NotEqual(t, c.SerialNumber, k.SerialNumber)
}
