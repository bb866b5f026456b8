package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
)

func genkey(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append([]string{"genkey"}, args...), &stdout, &stderr)
	return code, stderr.String()
}

// Not parallel: these tests set SOURCE_DATE_EPOCH.

// genkey writes a tree that loads back, stamped with SOURCE_DATE_EPOCH,
// and refuses to replace it without --force.
func TestGenkey(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", strconv.FormatInt(sbtest.Epoch.Unix(), 10))
	out := filepath.Join(t.TempDir(), "keys")
	code, stderr := genkey(t, "--org", "Edge Co", "--key-size", "2048", "--days", "4000", "--out", out)
	require.Equal(t, 0, code, stderr)
	tree, err := secureboot.Load(out)
	require.NoError(t, err)
	require.Equal(t, "Edge Co db", tree.DB.Certificate().Subject.CommonName)
	require.Equal(t, sbtest.Epoch, tree.DB.Certificate().NotBefore)
	require.Equal(t, sbtest.Epoch.AddDate(0, 0, 4000), tree.DB.Certificate().NotAfter)
	require.NotContains(t, stderr, "warning")

	pk, err := os.ReadFile(filepath.Join(out, secureboot.KeyPath(secureboot.PK)))
	require.NoError(t, err)
	code, stderr = genkey(t, "--org", "Edge Co", "--key-size", "2048", "--out", out)
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr, "pass --force")
	again, err := os.ReadFile(filepath.Join(out, secureboot.KeyPath(secureboot.PK)))
	require.NoError(t, err)
	require.Equal(t, pk, again, "refused run left the keys alone")

	code, stderr = genkey(t, "--org", "Edge Co", "--key-size", "2048", "--out", out, "--force", "--no-microsoft")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "warning: Microsoft certificates are not enrolled")
	again, err = os.ReadFile(filepath.Join(out, secureboot.KeyPath(secureboot.PK)))
	require.NoError(t, err)
	require.NotEqual(t, pk, again)
}

// With --byo-keys the user's keys stay where they are and the enrollment
// files equal those generated with the same keys and time.
func TestGenkeyBYO(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", strconv.FormatInt(sbtest.Epoch.Unix(), 10))
	byo := sbtest.Dir(t)
	out := t.TempDir()
	code, stderr := genkey(t, "--byo-keys", byo, "--out", out)
	require.Equal(t, 0, code, stderr)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only enrollment/ is written")
	got, err := secureboot.LoadEnrollment(out)
	require.NoError(t, err)
	require.Equal(t, sbtest.Digests(sbtest.Tree(t).Enrollment.Files()), sbtest.Digests(got.Files()))
}

// --extension-cert (ENROLL_SPECTRO_EXTENSION_CERT) puts the certificate
// last in db.esl, and db.auth, re-signed by KEK, still verifies.
func TestGenkeyExtensionCert(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", strconv.FormatInt(sbtest.Epoch.Unix(), 10))
	ext := sbtest.ExtensionCert(t)
	pem := filepath.Join(t.TempDir(), "palette-sysext-cert.pem")
	require.NoError(t, os.WriteFile(pem, secureboot.CertPEM(ext), 0o644))
	byo := sbtest.Dir(t)
	out := t.TempDir()
	code, stderr := genkey(t, "--byo-keys", byo, "--extension-cert", pem, "--out", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, `db: adding the system-extension certificate "Palette sysext test"`)
	e, err := secureboot.LoadEnrollment(out)
	require.NoError(t, err)
	tree := &secureboot.Tree{Keys: sbtest.Tree(t).Keys, Enrollment: e}
	require.NoError(t, tree.Verify())
	db, err := secureboot.ParseSignatureDatabase("db.esl", e[secureboot.DB].ESL)
	require.NoError(t, err)
	certs, err := secureboot.Certificates(db)
	require.NoError(t, err)
	require.Equal(t, ext.Raw, certs[len(certs)-1].Raw)
	require.Equal(t, secureboot.ExtensionOwner, db[len(db)-1].Signatures[0].Owner.Format())
}

// Bad input fails with the input exit code before anything is written.
func TestGenkeyRejected(t *testing.T) {
	byo := sbtest.Dir(t)
	mismatched := sbtest.Dir(t)
	kekCert, err := os.ReadFile(filepath.Join(mismatched, secureboot.CertPath(secureboot.KEK)))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(mismatched, secureboot.CertPath(secureboot.DB)), kekCert, 0o644))
	garbage := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(garbage, "db"), []byte("not a list"), 0o644))
	epoch := strconv.FormatInt(sbtest.Epoch.Unix(), 10)
	for _, tc := range []struct {
		name, epoch, wantErr string
		args                 []string
	}{
		{"no out", epoch, "--out", []string{"--org", "o"}},
		{"no org", epoch, "--org", []string{"--out", "OUT"}},
		{"org with byo", epoch, "--org: has no effect", []string{"--byo-keys", byo, "--org", "o", "--out", "OUT"}},
		{"bad key size", epoch, "key-size", []string{"--org", "o", "--key-size", "1024", "--out", "OUT"}},
		{"bad epoch", "yesterday", "SOURCE_DATE_EPOCH", []string{"--org", "o", "--out", "OUT"}},
		{"expired", "0", "already have expired", []string{"--org", "o", "--key-size", "2048", "--out", "OUT"}},
		{"garbage exported", epoch, "unrecognised content", []string{"--org", "o", "--key-size", "2048", "--exported-keys", garbage, "--out", "OUT"}},
		{"mismatched byo", epoch, "does not match its certificate", []string{"--byo-keys", mismatched, "--out", "OUT"}},
		{"bad extension cert", epoch, "--extension-cert", []string{"--byo-keys", byo, "--extension-cert", filepath.Join(byo, secureboot.KeyPath(secureboot.PK)), "--out", "OUT"}},
		{"missing extension cert", epoch, "--extension-cert", []string{"--byo-keys", byo, "--extension-cert", "/nonexistent.pem", "--out", "OUT"}},
		{"missing byo", epoch, "missing from the key tree", []string{"--byo-keys", t.TempDir(), "--out", "OUT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SOURCE_DATE_EPOCH", tc.epoch)
			out := filepath.Join(t.TempDir(), "out")
			for i, a := range tc.args {
				if a == "OUT" {
					tc.args[i] = out
				}
			}
			code, stderr := genkey(t, tc.args...)
			require.Equal(t, exitInput, code, stderr)
			require.Contains(t, stderr, tc.wantErr)
			require.NoDirExists(t, out)
		})
	}
}
