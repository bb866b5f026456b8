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
var efivarNames = map[secureboot.Hierarchy]string{
	secureboot.PK:  "PK-8be4df61-93ca-11d2-aa0d-00e098032b8c",
	secureboot.KEK: "KEK-8be4df61-93ca-11d2-aa0d-00e098032b8c",
	secureboot.DB:  "db-d719b2cb-3d3a-4596-a3bc-dad00e67656f",
	secureboot.DBX: "dbx-d719b2cb-3d3a-4596-a3bc-dad00e67656f",
}

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

	// efivarfs takes the 4 attribute bytes (NV|BS|RT|time-based auth = 0x27)
	// then the update, in one write.
	attr := []byte{0x27, 0, 0, 0}
	extra := map[string][]byte{
		"keys/db-wrong":  append(attr, wrongDB...),
		"keys/dbx-empty": append(attr, tree.Enrollment[secureboot.DBX].Auth...),
		"keys/dbx":       append(attr, withDBX[secureboot.DBX].Auth...),
	}
	script := "mount -t proc proc /proc\nmount -t sysfs sys /sys\ninsmod /lib/modules/efivarfs.ko\n" +
		"mount -t efivarfs efivarfs /sys/firmware/efi/efivars\n" +
		// A refused write leaves a stale efivarfs inode that refuses the
		// next open (EPERM): remount to drop it, so the firmware decides.
		"V=/sys/firmware/efi/efivars\n" +
		"w() { if dd if=/keys/$1 of=$V/$2 bs=1M 2>/tmp/err; then echo ENROLL-$1-ok; " +
		"else echo ENROLL-$1-refused $(cat /tmp/err); umount $V; mount -t efivarfs efivarfs $V; fi; }\n"
	for _, step := range []struct {
		file string
		h    secureboot.Hierarchy
	}{{"PK", secureboot.PK}, {"KEK", secureboot.KEK}, {"db-wrong", secureboot.DB}, {"db", secureboot.DB},
		{"dbx-empty", secureboot.DBX}, {"dbx", secureboot.DBX}} {
		if _, ok := extra["keys/"+step.file]; !ok {
			extra["keys/"+step.file] = append(attr, tree.Enrollment[step.h].Auth...)
		}
		script += fmt.Sprintf("w %s %s\n", step.file, efivarNames[step.h])
	}
	script += "echo SETUPMODE-$(od -An -tx1 /sys/firmware/efi/efivars/SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c | tr -d ' \\n')\n" +
		"echo ENROLL-DONE\npoweroff -f\n"

	k := testutil.DebianKernel(t)
	initrd := testutil.Initramfs(t, k, script, []string{"efivarfs"}, extra)
	ovmf, _ := testutil.OVMF(t, true, "")
	res := testutil.QEMU{
		Args:    append(ovmf, "-kernel", k.Vmlinuz, "-initrd", initrd, "-append", "console=ttyS0 quiet panic=-1"),
		Timeout: 120 * time.Second,
		Until:   []string{"ENROLL-DONE"},
	}.Run(t)
	require.Equal(t, "ENROLL-DONE", res.Matched, "guest did not finish (timed out: %v):\n%s", res.TimedOut, res.Output)
	for _, want := range []string{"ENROLL-PK-ok", "ENROLL-KEK-ok", "ENROLL-db-wrong-refused", "ENROLL-db-ok", "ENROLL-dbx-empty-refused", "ENROLL-dbx-ok",
		"SETUPMODE-0600000000"} {
		require.True(t, strings.Contains(res.Output, want), "%s missing from:\n%s", want, res.Output)
	}
}
