// Package sbtest shares one Secure Boot key tree between the tests of every
// package that signs or enrolls, so RSA keys are generated once per test
// binary and nobody copies a key helper.
package sbtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
)

// Epoch is the SOURCE_DATE_EPOCH of the shared tree: certificates start
// then and the .auth updates carry it.
var Epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Org names the shared tree's certificates ("CanvOS Test PK", ...).
const Org = "CanvOS Test"

var tree = sync.OnceValues(func() (*secureboot.Tree, error) {
	return secureboot.Generate(secureboot.Options{
		Org: Org, Days: 3650, KeySize: 2048, Time: Epoch, Microsoft: true,
	})
})

// Tree returns the shared tree: 2048-bit keys, Microsoft certificates on.
// Treat it as read-only.
func Tree(t testing.TB) *secureboot.Tree {
	t.Helper()
	tr, err := tree()
	require.NoError(t, err)
	return tr
}

// Dir writes the shared tree into a new temporary directory and returns it.
func Dir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, Tree(t).Write(dir, false))
	return dir
}

// Digests maps each file's path to the SHA-256 of its content and its
// mode: compact to compare and to print when trees differ.
func Digests(files []secureboot.File) map[string]string {
	m := make(map[string]string, len(files))
	for _, f := range files {
		m[f.Path] = fmt.Sprintf("%x %v", sha256.Sum256(f.Data), f.Perm)
	}
	return m
}

// ExtensionCert returns a new certificate standing in for Palette's
// system-extension certificate (/palette-sysext-cert.pem), valid from Epoch.
func ExtensionCert(t testing.TB) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Palette sysext test"},
		NotBefore: Epoch, NotAfter: Epoch.AddDate(10, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}
