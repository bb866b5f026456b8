package secureboot_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/foxboron/go-uefi/efi/signature"
	"github.com/foxboron/go-uefi/efi/util"
	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/testutil"
)

// efivarfs file names of the variables (name-vendorGUID).

// OVMF itself checks our .auth files: a guest in setup mode writes PK, then
// KEK (verified by firmware against the new PK), a db update signed by a key
// that is neither KEK nor PK (refused; EDK2 also accepts PK-signed db
// updates), then db and dbx (verified against KEK). The empty dbx.auth of a
// tree without exported dbx is a deletion, which firmware refuses while no
// dbx exists, so it is only shipped, never auto-enrolled. After PK the
// machine must have left setup mode. Booting a signed UKI with these keys
// is the uki package's test.
func TestFirmwareEnrollsAuth(t *testing.T) {
	t.Parallel()
	tree := sbtest.Tree(t)
	wrongDB, err := secureboot.SignVariable(secureboot.DB, tree.Enrollment[secureboot.DB].ESL, tree.DB, sbtest.Epoch)
	require.NoError(t, err)
	revoked := sha256.Sum256([]byte("revoked"))
	var dbx signature.SignatureDatabase
	require.NoError(t, dbx.Append(signature.CERT_SHA256_GUID, util.EFIGUID{}, revoked[:]))
	withDBX, err := secureboot.Enroll(tree.Keys, secureboot.EnrollOptions{Time: sbtest.Epoch, Microsoft: true,
		Exported: secureboot.Exported{secureboot.DBX: dbx}})
	require.NoError(t, err)

	updates := []testutil.EfivarUpdate{
		{Name: "PK", Var: testutil.PKVar, Auth: tree.Enrollment[secureboot.PK].Auth},
		{Name: "KEK", Var: testutil.KEKVar, Auth: tree.Enrollment[secureboot.KEK].Auth},
		{Name: "db-wrong", Var: testutil.DBVar, Auth: wrongDB},
		{Name: "db", Var: testutil.DBVar, Auth: tree.Enrollment[secureboot.DB].Auth},
		{Name: "dbx-empty", Var: testutil.DBXVar, Auth: tree.Enrollment[secureboot.DBX].Auth},
		{Name: "dbx", Var: testutil.DBXVar, Auth: withDBX[secureboot.DBX].Auth},
	}
	k := testutil.DebianKernel(t)
	initrd := testutil.EnrollInitramfs(t, k, updates...)
	ovmf, _ := testutil.OVMF(t, true, "")
	res := testutil.QEMU{
		Args:    append(ovmf, "-kernel", k.Vmlinuz, "-initrd", initrd, "-append", "console=ttyS0 quiet panic=-1"),
		Timeout: 120 * time.Second,
		Until:   []string{testutil.EnrollDone},
	}.Run(t)
	require.Equal(t, testutil.EnrollDone, res.Matched, "guest did not finish (timed out: %v):\n%s", res.TimedOut, res.Output)
	refused := testutil.EnrollFailed + " %s: refused"
	for _, want := range []string{"CANVOS-ENROLL PK: ok", "CANVOS-ENROLL KEK: ok", fmt.Sprintf(refused, "db-wrong"), "CANVOS-ENROLL db: ok",
		fmt.Sprintf(refused, "dbx-empty"), "CANVOS-ENROLL dbx: ok", "SetupMode=0600000000"} {
		require.True(t, strings.Contains(res.Output, want), "%s missing from:\n%s", want, res.Output)
	}
}
