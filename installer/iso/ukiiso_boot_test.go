package iso

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
	"dagger/canvos/uki"
)

// TestUKIISOBoot: OVMF with Secure Boot support and a blank variable store
// (setup mode) boots the UKI ISO as a CD. Its signed systemd-boot, with
// secure-boot-enroll force, enrolls the PK/KEK/db .auth from the ISO's ESP
// (the firmware checking each against its parent) and resets; the next boot,
// Secure Boot enforced, runs our signed UKI, whose probe initramfs reads
// SecureBoot=1 and then finds the medium by its label and prints a marker
// from its /config.yaml, and finds the stylus agent files 80_stylus_uki.yaml
// copies from the medium after install (luet executable, stylus-image.tar a
// readable image tarball) — booted as the CD and as a USB disk (GPT ESP).
func TestUKIISOBoot(t *testing.T) {
	t.Parallel()
	k := testutil.DebianKernel(t)
	probe := testutil.UKIISOProbeInitramfs(t, k, UKILabel)
	esp := ukiESPImage(t, k.Vmlinuz, probe, uki.EnrollForce, testEpoch)
	o := ukiOptions(t, esp, Payload{})
	o.Stylus = stylusFiles(t)
	o.UserData = filepath.Join(t.TempDir(), "user-data")
	require.NoError(t, os.WriteFile(o.UserData, []byte("#cloud-config\n# canvos-payload=from-the-uki-iso\n{}\n"), 0o644))
	isoPath := buildUKI(t, o).Path

	_, vars := testutil.OVMF(t, true, "")
	code := testutil.RequireFile(t, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd")
	cd := []string{"-drive", "file=" + isoPath + ",media=cdrom,readonly=on,if=none,id=cd", "-device", "ide-cd,drive=cd,bootindex=0"}
	boot := func(media []string) testutil.Result {
		return testutil.QEMU{Args: append(testutil.OVMFArgs(code, vars, true), media...), Timeout: 300 * time.Second,
			Until: []string{testutil.AccessDenied, testutil.UKIISODone, testutil.UKIISOFailed}}.Run(t)
	}
	res := boot(cd)
	require.False(t, res.TimedOut, "the enrolling boot did not reset")
	require.Empty(t, res.Matched, "systemd-boot should enroll and reset before any kernel runs")

	// Then as the CD, and as a `dd`'d USB stick (virtio disk: the GPT ESP).
	disk := []string{"-drive", "file=" + isoPath + ",format=raw,if=none,id=usb,snapshot=on", "-device", "virtio-blk-pci,drive=usb,bootindex=0"}
	for name, media := range map[string][]string{"cd": cd, "disk": disk} {
		res = boot(media)
		require.Equal(t, testutil.UKIISODone, res.Matched, "%s boot did not finish", name)
		require.Contains(t, res.Output, testutil.SecureBootOn, name)
		require.Contains(t, res.Output, testutil.UKIISOPayload+" dev=", name)
		require.Contains(t, res.Output, "# canvos-payload=from-the-uki-iso", name)
		require.Contains(t, res.Output, "stylus.registration", "%s: the UKI's extended command line", name)
		require.Regexp(t, `stylus: -rwxr-xr-x .* /live/luet`, res.Output, name)
		require.Regexp(t, `stylus: -rw-r--r-- .* /live/stylus-image.tar`, res.Output, name)
		require.Contains(t, res.Output, "stylus-image: manifest.json", name)
	}
}
