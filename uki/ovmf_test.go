package uki_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/testutil"
	"dagger/canvos/uki"
)

// bootTimeout bounds each firmware boot: ~10–15 s under TCG alone, but the
// machine is shared, so the Until strings end the runs, not this.
const bootTimeout = 240 * time.Second

// buildUKIFile builds a UKI around the Debian kernel and initrd, signed by
// signer (nil: unsigned), and returns its path.
func buildUKIFile(t *testing.T, k testutil.Kernel, initrd string, signer secureboot.Signer) string {
	t.Helper()
	kf, err := os.Open(k.Vmlinuz)
	require.NoError(t, err)
	defer kf.Close()
	kst, err := kf.Stat()
	require.NoError(t, err)
	inf, err := os.Open(initrd)
	require.NoError(t, err)
	defer inf.Close()
	ist, err := inf.Stat()
	require.NoError(t, err)
	o := uki.Options{
		Stub:      stub(t),
		Kernel:    io.NewSectionReader(kf, 0, kst.Size()),
		Initrd:    io.NewSectionReader(inf, 0, ist.Size()),
		Cmdline:   "console=ttyS0 panic=-1 quiet no_timer_check",
		OSRelease: []byte("ID=canvos-test\nPRETTY_NAME=\"CanvOS test\"\n"),
		Uname:     k.Release,
		Signer:    signer,
		PCRKey:    sbtest.Tree(t).PCR,
	}
	out := filepath.Join(t.TempDir(), "uki.efi")
	f, err := os.Create(out)
	require.NoError(t, err)
	require.NoError(t, uki.Build(f, o))
	require.NoError(t, f.Close())
	return out
}

// TestFirmwareSecureBoot is the end-to-end proof: a blank OVMF variable
// store (setup mode) takes our PK, KEK and db .auth files through efivarfs,
// the firmware itself checking each update against its parent; then, with
// Secure Boot enforced, it boots our signed UKI (the guest reads
// SecureBoot=1) and refuses an unsigned UKI and one signed by another key.
func TestFirmwareSecureBoot(t *testing.T) {
	t.Parallel()
	k := testutil.DebianKernel(t)
	tree := sbtest.Tree(t)
	enroll := buildUKIFile(t, k, testutil.EnrollInitramfs(t, k,
		testutil.EfivarUpdate{Name: "PK", Var: testutil.PKVar, Auth: tree.Enrollment[secureboot.PK].Auth},
		testutil.EfivarUpdate{Name: "KEK", Var: testutil.KEKVar, Auth: tree.Enrollment[secureboot.KEK].Auth},
		testutil.EfivarUpdate{Name: "db", Var: testutil.DBVar, Auth: tree.Enrollment[secureboot.DB].Auth}), nil)
	_, vars := testutil.OVMF(t, true, "")

	res := testutil.BootEFISecure(t, vars, enroll, bootTimeout, testutil.EnrollFailed, "Kernel panic")
	require.Contains(t, res.Output, testutil.EnrollDone, "enrollment boot did not finish")
	require.NotContains(t, res.Output, testutil.EnrollFailed)
	require.Contains(t, res.Output, "SetupMode=0600000000", "firmware still in setup mode after PK")

	probe := testutil.SecureBootProbeInitramfs(t, k)
	other, err := otherTree()
	require.NoError(t, err)

	t.Run("signed UKI boots with SecureBoot=1", func(t *testing.T) {
		res := testutil.BootEFISecure(t, vars, buildUKIFile(t, k, probe, tree.DB), bootTimeout, testutil.SecureBootDone)
		require.Contains(t, res.Output, testutil.SecureBootOn)
		require.NotContains(t, res.Output, testutil.AccessDenied)
	})
	t.Run("systemd-boot ESP image boots its signed UKI", func(t *testing.T) {
		img := espImage(t, k, probe, uki.EnrollManual)
		res := testutil.BootDiskSecure(t, vars, img, bootTimeout, testutil.SecureBootDone)
		require.Contains(t, res.Output, testutil.SecureBootOn)
	})
	for name, signer := range map[string]secureboot.Signer{"unsigned UKI": nil, "UKI signed by another key": other.DB} {
		t.Run(name+" is refused", func(t *testing.T) {
			res := testutil.BootEFISecure(t, vars, buildUKIFile(t, k, probe, signer), bootTimeout, testutil.SecureBootDone)
			require.Equal(t, testutil.AccessDenied, res.Matched)
			require.NotContains(t, res.Output, testutil.SecureBootOn)
		})
	}
}

// espImage builds a FAT ESP image with signed systemd-boot and one signed UKI
// around the Debian kernel and initrd.
func espImage(t *testing.T, k testutil.Kernel, initrd, enroll string) string {
	t.Helper()
	dir := espDir(t, k, initrd, enroll)
	img := filepath.Join(t.TempDir(), "esp.img")
	require.NoError(t, uki.WriteESPImage(context.Background(), dir, img, sbtest.Epoch.Unix()))
	return img
}

func espDir(t *testing.T, k testutil.Kernel, initrd, enroll string) string {
	t.Helper()
	kb, err := os.ReadFile(k.Vmlinuz)
	require.NoError(t, err)
	ib, err := os.ReadFile(initrd)
	require.NoError(t, err)
	o := espOptions(t, uki.Options{
		Stub: stub(t), Kernel: reader(kb), Initrd: reader(ib),
		OSRelease: []byte("ID=canvos-test\nPRETTY_NAME=\"CanvOS test\"\n"), PCRKey: sbtest.Tree(t).PCR,
	}, enroll)
	dir := t.TempDir()
	require.NoError(t, uki.WriteESP(dir, o))
	return dir
}

// TestSystemdBootAutoEnroll: on a machine in setup mode, our signed
// systemd-boot with secure-boot-enroll force enrolls loader/keys/auto itself
// (the firmware checking each .auth) and resets; the next boot runs our UKI
// with Secure Boot enforced.
func TestSystemdBootAutoEnroll(t *testing.T) {
	t.Parallel()
	k := testutil.DebianKernel(t)
	dir := espDir(t, k, testutil.SecureBootProbeInitramfs(t, k), uki.EnrollForce)
	_, vars := testutil.OVMF(t, true, "")
	res := testutil.BootESPSecure(t, vars, dir, bootTimeout, testutil.SecureBootDone)
	require.False(t, res.TimedOut, "enrolling boot did not reset")
	require.NotContains(t, res.Output, testutil.SecureBootOn)
	res = testutil.BootESPSecure(t, vars, dir, bootTimeout, testutil.SecureBootDone)
	require.Contains(t, res.Output, testutil.SecureBootOn)
}

// TestFirmwarePCR11: OVMF with a software TPM boots our UKI; systemd-stub
// measures its sections into PCR 11, and the value the guest reads equals
// PredictPCR11 for the sections of that UKI (before any boot phase: the
// probe initrd runs no systemd-pcrphase).
func TestFirmwarePCR11(t *testing.T) {
	t.Parallel()
	k := testutil.DebianKernel(t)
	efi := buildUKIFile(t, k, testutil.PCRProbeInitramfs(t, k, uki.PCR), nil)
	img, err := os.ReadFile(efi)
	require.NoError(t, err)
	var secs []uki.Section
	for name, b := range ukiSections(t, img) {
		secs = append(secs, uki.BytesSection(name, b))
	}
	want, err := uki.PredictPCR11(secs, []string{""})
	require.NoError(t, err)

	ovmf, _ := testutil.OVMF(t, false, "")
	esp := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(esp, "EFI", "BOOT"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(esp, "EFI", "BOOT", "BOOTX64.EFI"), img, 0o644))
	args := append(append(ovmf, testutil.SWTPM(t)...), "-drive", "file=fat:rw:"+esp+",format=raw,if=virtio")
	res := testutil.QEMU{Args: args, Timeout: bootTimeout, Until: []string{testutil.PCRProbeDone, "Kernel panic"}}.Run(t)
	require.Equal(t, testutil.PCRProbeDone, res.Matched)
	require.Contains(t, strings.ToLower(res.Output), fmt.Sprintf("pcr11=%x", want[0].Value))
}
