package secureboot_test

import (
	"crypto/sha256"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/foxboron/go-uefi/efi/signature"
	"github.com/foxboron/go-uefi/efi/util"
	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/usererr"
)

// efitools must extract exactly the certificates we enrolled, in order:
// ours first, then Microsoft's when on.
func TestSigListToCerts(t *testing.T) {
	t.Parallel()
	tree := sbtest.Tree(t)
	off, err := secureboot.Enroll(tree.Keys, secureboot.EnrollOptions{Time: sbtest.Epoch})
	require.NoError(t, err)
	for _, tc := range []struct {
		name       string
		enrollment secureboot.Enrollment
		microsoft  bool
	}{{"microsoft", tree.Enrollment, true}, {"no microsoft", off, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK, secureboot.DB} {
				want := raws(tree.Key(h).Certificate())
				if tc.microsoft && h != secureboot.PK {
					want = append(want, raws(microsoft(t, h)...)...)
				}
				require.Equal(t, want, sigListToCerts(t, tc.enrollment[h].ESL), h.String())
				require.Equal(t, tree.Key(h).Certificate().Raw, tc.enrollment[h].DER, h.String())
			}
			require.Empty(t, tc.enrollment[secureboot.DBX].ESL)
		})
	}
}

// Our ESLs are byte-identical to cert-to-efi-sig-list's, one list per
// certificate, with our owner GUID on ours and Microsoft's on theirs.
func TestCertToEfiSigList(t *testing.T) {
	t.Parallel()
	tree := sbtest.Tree(t)
	owner := secureboot.OwnerGUID(tree.PK.Certificate()).String()
	for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK, secureboot.DB} {
		t.Run(h.String(), func(t *testing.T) {
			t.Parallel()
			want := certToESL(t, owner, tree.Key(h).Certificate())
			if h != secureboot.PK {
				for _, c := range microsoft(t, h) {
					want = append(want, certToESL(t, "77fa9abd-0359-4d32-bd60-28f4e78f784b", c)...)
				}
			}
			require.Equal(t, want, tree.Enrollment[h].ESL)
		})
	}
}

func certToESL(t *testing.T, guid string, c *x509.Certificate) []byte {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.pem"), secureboot.CertPEM(c), 0o644))
	tool(t, dir, "cert-to-efi-sig-list", "-g", guid, "c.pem", "c.esl")
	b, err := os.ReadFile(filepath.Join(dir, "c.esl"))
	require.NoError(t, err)
	return b
}

// One tree has one owner, derived from its PK: the same PK gives the same GUID.
func TestOwnerGUID(t *testing.T) {
	t.Parallel()
	tree := sbtest.Tree(t)
	g := secureboot.OwnerGUID(tree.PK.Certificate())
	require.Equal(t, g, secureboot.OwnerGUID(tree.PK.Certificate()))
	require.NotEqual(t, g, secureboot.OwnerGUID(tree.KEK.Certificate()))
	require.Equal(t, 8, int(g.Version()))
}

// Firmware-exported KEK, db and dbx (efi-readvar ESLs, with or without the
// efivarfs attribute prefix, DER or PEM) are merged after ours and
// Microsoft's; a certificate already present is not added twice.
func TestExportedMerge(t *testing.T) {
	t.Parallel()
	tree := sbtest.Tree(t)
	vendorDir := t.TempDir()
	tool(t, vendorDir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=Vendor KEK/",
		"-days", "30", "-keyout", "kek.key", "-out", "kek.pem")
	tool(t, vendorDir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=Vendor db/",
		"-days", "30", "-keyout", "db.key", "-out", "db.pem", "-outform", "DER")
	vendorKEK, vendorDB := readCert(t, filepath.Join(vendorDir, "kek.pem")), readCert(t, filepath.Join(vendorDir, "db.pem"))
	const vendorGUID = "11111111-2222-3333-4444-555555555555"
	msKEK2011 := microsoft(t, secureboot.KEK)[1]

	// exported KEK = vendor KEK + Microsoft KEK 2011 (as real firmware has it), as efi-readvar writes it
	kekESL := append(certToESL(t, vendorGUID, vendorKEK), certToESL(t, "77fa9abd-0359-4d32-bd60-28f4e78f784b", msKEK2011)...)
	dbxHash := sha256.Sum256([]byte("revoked binary"))
	var dbx signature.SignatureDatabase
	require.NoError(t, dbx.Append(signature.CERT_SHA256_GUID, *util.StringToGUID(vendorGUID), dbxHash[:]))

	exportedDir := t.TempDir()
	for name, b := range map[string][]byte{
		"KEK": kekESL,
		"db":  vendorDB.Raw,                                  // a bare DER certificate
		"dbx": append([]byte{0x27, 0, 0, 0}, dbx.Bytes()...), // efivarfs copy with its attribute prefix
	} {
		require.NoError(t, os.WriteFile(filepath.Join(exportedDir, name), b, 0o644))
	}
	exported, err := secureboot.LoadExported(exportedDir)
	require.NoError(t, err)

	for _, ms := range []bool{true, false} {
		e, err := secureboot.Enroll(tree.Keys, secureboot.EnrollOptions{Time: sbtest.Epoch, Microsoft: ms, Exported: exported})
		require.NoError(t, err)
		owner := secureboot.OwnerGUID(tree.PK.Certificate()).String()

		wantKEK := raws(tree.KEK.Certificate())
		wantDB := raws(tree.DB.Certificate())
		if ms {
			wantKEK = append(wantKEK, raws(microsoft(t, secureboot.KEK)...)...)
			wantDB = append(wantDB, raws(microsoft(t, secureboot.DB)...)...)
			wantKEK = append(wantKEK, vendorKEK.Raw) // Microsoft KEK 2011 already there
		} else {
			wantKEK = append(wantKEK, vendorKEK.Raw, msKEK2011.Raw)
		}
		wantDB = append(wantDB, vendorDB.Raw)
		require.Equal(t, wantKEK, sigListToCerts(t, e[secureboot.KEK].ESL))
		require.Equal(t, wantDB, sigListToCerts(t, e[secureboot.DB].ESL))
		require.Equal(t, dbx.Bytes(), e[secureboot.DBX].ESL)
		// the bare DER certificate gets the tree's owner
		require.Equal(t, certToESL(t, owner, vendorDB), e[secureboot.DB].ESL[len(e[secureboot.DB].ESL)-len(certToESL(t, owner, vendorDB)):])
		tr := &secureboot.Tree{Keys: tree.Keys, Enrollment: e}
		require.NoError(t, tr.Verify())
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	db, err := secureboot.ParseExported(path, b)
	require.NoError(t, err)
	certs, err := secureboot.Certificates(db)
	require.NoError(t, err)
	require.Len(t, certs, 1)
	return certs[0]
}

// Garbage exported files are input errors naming the file, never a crash
// or a silently empty list.
func TestParseExportedRejected(t *testing.T) {
	t.Parallel()
	good := sbtest.Tree(t).Enrollment[secureboot.KEK].ESL
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"text", []byte("not a signature list at all, just text")},
		{"truncated list", good[:len(good)-10]},
		{"short header", good[:20]},
		{"zero signature size", append(append([]byte{}, good[:24]...), make([]byte, 4)...)},
		{"pem private key", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := secureboot.ParseExported("exported-keys/KEK", tc.data)
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.ErrorContains(t, err, "exported-keys/KEK")
		})
	}
	_, err := secureboot.LoadExported(t.TempDir())
	require.ErrorIs(t, err, usererr.ErrInvalid)
}
