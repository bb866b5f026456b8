package secureboot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/usererr"
)

// openssl must see the subjects, key sizes, validity and CA extensions we
// asked for, and the private keys must parse and be 0600.
func TestKeysOpenSSL(t *testing.T) {
	t.Parallel()
	dir := sbtest.Dir(t)
	notAfter := sbtest.Epoch.Add(3650 * 24 * time.Hour)
	for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK, secureboot.DB} {
		t.Run(h.String(), func(t *testing.T) {
			t.Parallel()
			text := tool(t, dir, "openssl", "x509", "-noout", "-text", "-in", secureboot.CertPath(h))
			require.Contains(t, text, "Subject: CN = "+sbtest.Org+" "+h.String()+"\n")
			require.Contains(t, text, "Issuer: CN = "+sbtest.Org+" "+h.String()+"\n")
			require.Contains(t, text, "Public-Key: (2048 bit)")
			require.Contains(t, text, "Not Before: "+sbtest.Epoch.Format("Jan _2 15:04:05 2006 GMT"))
			require.Contains(t, text, "Not After : "+notAfter.Format("Jan _2 15:04:05 2006 GMT"))
			require.Contains(t, text, "CA:TRUE")
			require.Contains(t, text, "Digital Signature, Certificate Sign, CRL Sign")
			require.Equal(t, h == secureboot.DB, strings.Contains(text, "Code Signing"))
			keyText := tool(t, dir, "openssl", "pkey", "-in", secureboot.KeyPath(h), "-noout", "-text")
			require.Contains(t, keyText, "Private-Key: (2048 bit")
			requireMode(t, filepath.Join(dir, secureboot.KeyPath(h)), 0o600)
		})
	}
	pcr := tool(t, dir, "openssl", "pkey", "-in", secureboot.PCRKeyPath, "-noout", "-text")
	require.Contains(t, pcr, "Private-Key: (2048 bit")
	requireMode(t, filepath.Join(dir, secureboot.PCRKeyPath), 0o600)
	requireMode(t, filepath.Join(dir, secureboot.PrivateDir), os.ModeDir|0o700)
}

func requireMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, want, fi.Mode(), path)
}

// The default key size is 4096 bits (slow: one test only); the PCR key
// stays RSA-2048 as systemd expects.
func TestGenerateKeys4096(t *testing.T) {
	t.Parallel()
	keys, err := secureboot.GenerateKeys(secureboot.KeyOptions{Org: "Big", NotBefore: sbtest.Epoch})
	require.NoError(t, err)
	for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK, secureboot.DB} {
		dir := t.TempDir()
		files, err := keys.Files()
		require.NoError(t, err)
		require.NoError(t, secureboot.WriteFiles(dir, files, false))
		text := tool(t, dir, "openssl", "x509", "-noout", "-text", "-in", secureboot.CertPath(h))
		require.Contains(t, text, "Public-Key: (4096 bit)")
		notAfter := sbtest.Epoch.Add(secureboot.DefaultDays * 24 * time.Hour)
		require.Contains(t, text, "Not After : "+notAfter.Format("Jan _2 15:04:05 2006 GMT"))
	}
	require.Equal(t, 2048, keys.PCR.N.BitLen())
}

func TestKeyOptionsRejected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  secureboot.KeyOptions
		param string
	}{
		{"no org", secureboot.KeyOptions{NotBefore: sbtest.Epoch}, "--org"},
		{"long org", secureboot.KeyOptions{Org: strings.Repeat("x", 61), NotBefore: sbtest.Epoch}, "--org"},
		{"control char", secureboot.KeyOptions{Org: "a\nb", NotBefore: sbtest.Epoch}, "--org"},
		{"negative days", secureboot.KeyOptions{Org: "o", Days: -1, NotBefore: sbtest.Epoch}, "--days"},
		{"key size", secureboot.KeyOptions{Org: "o", KeySize: 1024, NotBefore: sbtest.Epoch}, "--key-size"},
		{"no time", secureboot.KeyOptions{Org: "o"}, "SOURCE_DATE_EPOCH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := secureboot.GenerateKeys(tc.opts)
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.True(t, strings.HasPrefix(err.Error(), tc.param+":"), err.Error())
		})
	}
}

// A brought key must parse and match its certificate.
func TestParseKeyRejected(t *testing.T) {
	t.Parallel()
	dir := sbtest.Dir(t)
	read := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		require.NoError(t, err)
		return b
	}
	dbKey, dbCert, kekCert := read(secureboot.KeyPath(secureboot.DB)), read(secureboot.CertPath(secureboot.DB)), read(secureboot.CertPath(secureboot.KEK))
	pkcs1 := tool(t, dir, "openssl", "rsa", "-in", secureboot.KeyPath(secureboot.DB), "-traditional")
	_, err := secureboot.ParseKey("db", []byte(pkcs1), dbCert)
	require.NoError(t, err, "PKCS#1 keys are accepted")
	for _, tc := range []struct {
		name       string
		key, cert  []byte
		wantErrMsg string
	}{
		{"mismatch", dbKey, kekCert, "does not match its certificate"},
		{"garbage key", []byte("hello"), dbCert, "not PEM"},
		{"cert as key", dbCert, dbCert, "CERTIFICATE"},
		{"key as cert", dbKey, dbKey, "no PEM CERTIFICATE"},
		{"truncated key", dbKey[:200], dbCert, "not PEM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := secureboot.ParseKey("db", tc.key, tc.cert)
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.ErrorContains(t, err, tc.wantErrMsg)
		})
	}
}
