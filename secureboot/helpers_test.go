package secureboot_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/run"
	"dagger/canvos/secureboot"
	"dagger/canvos/testutil"
)

// tool runs an independent validator in dir and returns its stdout.
func tool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	testutil.RequireTool(t, name)
	out, err := run.Run(context.Background(), run.Cmd{Name: name, Args: args, Dir: dir})
	require.NoError(t, err)
	return string(out)
}

// writeTemp writes data to a new file named name in a temporary directory.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// sigListToCerts extracts the certificates of an ESL with efitools.
func sigListToCerts(t *testing.T, esl []byte) [][]byte {
	t.Helper()
	in := writeTemp(t, "in.esl", esl)
	dir := t.TempDir()
	tool(t, dir, "sig-list-to-certs", in, "c")
	var certs [][]byte
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("c-%d.der", i)))
		if os.IsNotExist(err) {
			return certs
		}
		require.NoError(t, err)
		certs = append(certs, b)
	}
}

// raws returns the DER of each certificate.
func raws(certs ...*x509.Certificate) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.Raw
	}
	return out
}

// microsoft returns the embedded Microsoft certificates of h.
func microsoft(t *testing.T, h secureboot.Hierarchy) []*x509.Certificate {
	t.Helper()
	certs, err := secureboot.MicrosoftCertificates(h)
	require.NoError(t, err)
	return certs
}
