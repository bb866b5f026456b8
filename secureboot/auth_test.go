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

// Our .auth files are byte-identical to efitools' sign-efi-sig-list with
// the same key, list and timestamp (both sign without authenticated
// attributes, RSA PKCS#1 v1.5 is deterministic), and parse back with the
// parent as the PKCS#7 signer: PK signs PK and KEK, KEK signs db and dbx.
func TestAuthMatchesSignEfiSigList(t *testing.T) {
	t.Parallel()
	dir := sbtest.Dir(t)
	tree := sbtest.Tree(t)
	for _, h := range secureboot.Hierarchies() {
		t.Run(h.String(), func(t *testing.T) {
			t.Parallel()
			parent := h.Parent()
			out := filepath.Join(t.TempDir(), "out.auth")
			tool(t, dir, "sign-efi-sig-list", "-t", sbtest.Epoch.Format("2006-01-02 15:04:05"),
				"-k", secureboot.KeyPath(parent), "-c", secureboot.CertPath(parent),
				h.String(), secureboot.ESLPath(h), out)
			want, err := os.ReadFile(out)
			require.NoError(t, err)
			require.Equal(t, want, tree.Enrollment[h].Auth)

			payload, ts, err := secureboot.VerifyAuth(h, tree.Enrollment[h].Auth, tree.Key(parent).Certificate())
			require.NoError(t, err)
			require.True(t, bytes.Equal(tree.Enrollment[h].ESL, payload), "payload is the .esl") // empty dbx: nil vs []byte{}
			require.Equal(t, sbtest.Epoch, ts)
		})
	}
}

// An .auth is refused when checked against the wrong signer, for another
// variable, or when altered; broken headers are errors, not a log.Fatal
// inside go-uefi.
func TestVerifyAuthRejected(t *testing.T) {
	t.Parallel()
	tree := sbtest.Tree(t)
	dbAuth := tree.Enrollment[secureboot.DB].Auth
	flipped := append([]byte{}, dbAuth...)
	flipped[len(flipped)-1] ^= 1
	badType := append([]byte{}, dbAuth...)
	badType[16+6] = 0x02 // WIN_CERT_TYPE_PKCS_SIGNED_DATA
	hugeLen := append([]byte{}, dbAuth...)
	hugeLen[16+3] = 0x7f
	for _, tc := range []struct {
		name string
		h    secureboot.Hierarchy
		auth []byte
		key  *secureboot.Key
	}{
		{"wrong signer", secureboot.DB, dbAuth, tree.PK},
		{"other variable", secureboot.KEK, dbAuth, tree.KEK},
		{"payload altered", secureboot.DB, flipped, tree.KEK},
		{"empty", secureboot.DB, nil, tree.KEK},
		{"short", secureboot.DB, dbAuth[:30], tree.KEK},
		{"wrong cert type", secureboot.DB, badType, tree.KEK},
		{"length past end", secureboot.DB, hugeLen, tree.KEK},
		{"truncated pkcs7", secureboot.DB, dbAuth[:200], tree.KEK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := secureboot.VerifyAuth(tc.h, tc.auth, tc.key.Certificate())
			require.Error(t, err)
		})
	}
}
