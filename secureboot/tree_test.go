package secureboot_test

import (
	"crypto/rsa"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/usererr"
)

// A written tree has CanvOS' file names and loads back to the same keys
// and enrollment bytes.
func TestWriteLoad(t *testing.T) {
	t.Parallel()
	tree := sbtest.Tree(t)
	dir := sbtest.Dir(t)
	var names []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, rel)
		}
		return err
	}))
	require.Equal(t, []string{
		"enrollment/KEK.auth", "enrollment/KEK.der", "enrollment/KEK.esl",
		"enrollment/PK.auth", "enrollment/PK.der", "enrollment/PK.esl",
		"enrollment/db.auth", "enrollment/db.der", "enrollment/db.esl",
		"enrollment/dbx.auth", "enrollment/dbx.esl",
		"private-keys/KEK.key", "private-keys/PK.key", "private-keys/db.key", "private-keys/tpm2-pcr-private.pem",
		"public-keys/KEK.pem", "public-keys/PK.pem", "public-keys/db.pem",
	}, names)

	loaded, err := secureboot.Load(dir)
	require.NoError(t, err)
	for _, h := range secureboot.Hierarchies() {
		if h.HasKey() {
			require.Equal(t, tree.Key(h).Certificate().Raw, loaded.Key(h).Certificate().Raw)
			require.True(t, tree.Key(h).Signer().(*rsa.PrivateKey).Equal(loaded.Key(h).Signer()))
		}
		require.Equal(t, string(tree.Enrollment[h].Auth), string(loaded.Enrollment[h].Auth), h.String())
		require.Equal(t, string(tree.Enrollment[h].ESL), string(loaded.Enrollment[h].ESL), h.String())
	}
	require.True(t, tree.PCR.Equal(loaded.PCR))
}

// Same keys and inputs give the same enrollment bytes: rebuilding from the
// keys on disk (the bring-your-own-keys path) reproduces every file.
func TestEnrollDeterministic(t *testing.T) {
	t.Parallel()
	tree := sbtest.Tree(t)
	keys, err := secureboot.LoadKeys(sbtest.Dir(t))
	require.NoError(t, err)
	again, err := secureboot.Enroll(keys, secureboot.EnrollOptions{Time: sbtest.Epoch, Microsoft: true})
	require.NoError(t, err)
	require.Equal(t, sbtest.Digests(tree.Enrollment.Files()), sbtest.Digests(again.Files()))
}

// Writing over an existing tree is refused before anything is written;
// --force replaces it.
func TestWriteRefusesExistingTree(t *testing.T) {
	t.Parallel()
	dir := sbtest.Dir(t)
	before := snapshot(t, dir)
	other, err := secureboot.Enroll(sbtest.Tree(t).Keys, secureboot.EnrollOptions{Time: sbtest.Epoch.AddDate(1, 0, 0)})
	require.NoError(t, err)
	err = secureboot.WriteFiles(dir, other.Files(), false)
	require.ErrorIs(t, err, secureboot.ErrTreeExists)
	require.ErrorIs(t, err, usererr.ErrInvalid)
	require.Equal(t, before, snapshot(t, dir))

	require.NoError(t, secureboot.WriteFiles(dir, other.Files(), true))
	require.NotEqual(t, before, snapshot(t, dir))
}

// snapshot maps each file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = string(b)
		return err
	}))
	return files
}

// Load refuses a tree whose parts do not belong together, naming the file.
func TestLoadRejected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		mutate  func(dir string) error
		wantErr string
	}{
		{"key without matching certificate", func(dir string) error {
			return copyFile(filepath.Join(dir, secureboot.CertPath(secureboot.KEK)), filepath.Join(dir, secureboot.CertPath(secureboot.DB)))
		}, "private-keys/db.key: private key does not match"},
		{"missing certificate", func(dir string) error {
			return os.Remove(filepath.Join(dir, secureboot.CertPath(secureboot.PK)))
		}, "public-keys/PK.pem: missing"},
		{"garbage key", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, secureboot.KeyPath(secureboot.KEK)), []byte("garbage"), 0o600)
		}, "private-keys/KEK.key"},
		{"esl not what auth signs", func(dir string) error {
			return copyFile(filepath.Join(dir, secureboot.ESLPath(secureboot.PK)), filepath.Join(dir, secureboot.ESLPath(secureboot.KEK)))
		}, "KEK.auth: content differs from KEK.esl"},
		{"auth signed by the wrong key", func(dir string) error {
			return copyFile(filepath.Join(dir, secureboot.AuthPath(secureboot.KEK)), filepath.Join(dir, secureboot.AuthPath(secureboot.DB)))
		}, "db.auth"},
		{"der not ours", func(dir string) error {
			return copyFile(filepath.Join(dir, secureboot.DERPath(secureboot.KEK)), filepath.Join(dir, secureboot.DERPath(secureboot.DB)))
		}, "db.der"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := sbtest.Dir(t)
			require.NoError(t, tc.mutate(dir))
			_, err := secureboot.Load(dir)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}
