package secureboot_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
)

// ENROLL_SPECTRO_EXTENSION_CERT as CanvOS does it with efitools: the
// certificate's cert-to-efi-sig-list ESL (owner 8be4df61-…) appended to
// db.esl, db.auth re-signed by KEK (sign-efi-sig-list), db.der still our db
// certificate. Ours must be those bytes, and the tree must still verify.
func TestExtensionCertInDB(t *testing.T) {
	t.Parallel()
	tree := sbtest.Tree(t)
	ext := sbtest.ExtensionCert(t)
	e, err := secureboot.Enroll(tree.Keys, secureboot.EnrollOptions{Time: sbtest.Epoch, Microsoft: true, Extension: ext})
	require.NoError(t, err)
	db := e[secureboot.DB]

	// db.esl = CanvOS' db.esl + cat spectro-db.esl.
	want := append(bytes.Clone(tree.Enrollment[secureboot.DB].ESL), certToESL(t, secureboot.ExtensionOwner, ext)...)
	require.Equal(t, want, db.ESL)
	certs := sigListToCerts(t, db.ESL)
	require.Equal(t, ext.Raw, certs[len(certs)-1], "efitools reads the extension certificate last")
	require.Equal(t, tree.DB.Certificate().Raw, db.DER, "db.der stays the certificate that signs the UKIs")

	// db.auth = sign-efi-sig-list -c KEK.pem -k KEK.key db db.esl db.auth.
	dir := sbtest.Dir(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "db-ext.esl"), db.ESL, 0o644))
	out := filepath.Join(t.TempDir(), "db.auth")
	tool(t, dir, "sign-efi-sig-list", "-t", sbtest.Epoch.Format("2006-01-02 15:04:05"),
		"-k", secureboot.KeyPath(secureboot.KEK), "-c", secureboot.CertPath(secureboot.KEK), "db", "db-ext.esl", out)
	signed, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, signed, db.Auth)
	payload, _, err := secureboot.VerifyAuth(secureboot.DB, db.Auth, tree.KEK.Certificate())
	require.NoError(t, err)
	require.Equal(t, db.ESL, payload)

	// The whole tree still loads and verifies; the other variables are unchanged.
	withExt := &secureboot.Tree{Keys: tree.Keys, Enrollment: e}
	require.NoError(t, withExt.Verify())
	for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK, secureboot.DBX} {
		require.Equal(t, tree.Enrollment[h], e[h], h)
	}
}

func TestParseExtensionCert(t *testing.T) {
	t.Parallel()
	ext := sbtest.ExtensionCert(t)
	for _, in := range [][]byte{secureboot.CertPEM(ext), ext.Raw} {
		c, err := secureboot.ParseExtensionCert("cert.pem", in)
		require.NoError(t, err)
		require.Equal(t, ext.Raw, c.Raw)
	}
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{append(secureboot.CertPEM(ext), secureboot.CertPEM(ext)...), `cert.pem: invalid value "several PEM blocks"; allowed: one PEM CERTIFICATE`},
		{[]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), `cert.pem: invalid value "PEM PRIVATE KEY"`},
		{[]byte("not a certificate"), "cert.pem: not an X.509 certificate (PEM or DER)"},
	} {
		_, err := secureboot.ParseExtensionCert("cert.pem", tc.in)
		require.ErrorContains(t, err, tc.want)
	}
}
