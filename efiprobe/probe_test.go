package efiprobe_test

import (
	"bytes"
	"context"
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/efiprobe"
	"dagger/canvos/installer/iso"
	"dagger/canvos/testutil"
	"dagger/canvos/usererr"
)

// build writes a probe ISO of the given sizes with Debian's UEFI shell.
func build(t *testing.T, maxSize, imgSize int) (string, iso.Result) {
	t.Helper()
	testutil.RequireTool(t, "mkfs.fat", "mcopy", "mmd")
	dir := t.TempDir()
	out := filepath.Join(dir, "efi-size-check.iso")
	res, err := efiprobe.Build(context.Background(), efiprobe.Options{
		Shell: testutil.EFIShell(t), MaxSize: maxSize, ImgSize: imgSize,
		OutPath: out, ScratchDir: dir, Epoch: 1700000000,
	})
	require.NoError(t, err)
	return out, res
}

// espOf extracts the ISO's El Torito UEFI image with xorriso.
func espOf(t *testing.T, isoPath string) string {
	t.Helper()
	testutil.RequireTool(t, "xorriso")
	dir := t.TempDir()
	out, err := exec.Command("xorriso", "-osirrox", "on", "-indev", isoPath, "-extract_boot_images", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	imgs, _ := filepath.Glob(filepath.Join(dir, "eltorito_img*_uefi.img"))
	require.Len(t, imgs, 1, "one UEFI El Torito image; xorriso said:\n%s", out)
	return imgs[0]
}

func TestProbeISOLayout(t *testing.T) {
	isoPath, res := build(t, 40, 64)
	esp := espOf(t, isoPath)
	fi, err := os.Stat(esp)
	require.NoError(t, err)
	require.Equal(t, int64(64<<20), fi.Size(), "EFI_IMG_SIZE sets the ESP size")

	testutil.RequireTool(t, "fsck.fat", "mdir", "mtype", "mcopy")
	out, err := exec.Command("fsck.fat", "-n", esp).CombinedOutput()
	require.NoError(t, err, "fsck.fat -n: %s", out)
	env := append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	ls := exec.Command("mdir", "-a", "-i", esp, "::/")
	ls.Env = env
	out, err = ls.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Regexp(t, `PROBE\s+EFI\s+41943040`, string(out), "EFI_MAX_SIZE sets the probe's size (40 MiB)")

	probe := filepath.Join(t.TempDir(), "PROBE.EFI")
	cp := exec.Command("mcopy", "-i", esp, "::/PROBE.EFI", probe)
	cp.Env = env
	out, err = cp.CombinedOutput()
	require.NoError(t, err, "%s", out)
	f, err := pe.Open(probe)
	require.NoError(t, err)
	defer f.Close()
	opt := f.OptionalHeader.(*pe.OptionalHeader64)
	require.Equal(t, uint16(pe.IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER), opt.Subsystem, "`load` starts drivers only")
	require.GreaterOrEqual(t, opt.SizeOfImage, uint32(40<<20-4096), "the firmware must map all of it, as it maps a UKI's initrd")

	script := exec.Command("mtype", "-i", esp, "::/EFI/BOOT/startup.nsh")
	script.Env = env
	out, err = script.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), `set -v probe fs%i:\PROBE.EFI`)
	require.Contains(t, string(out), "load %probe%")

	sum, err := os.ReadFile(isoPath + ".sha256")
	require.NoError(t, err)
	require.Contains(t, string(sum), "efi-size-check.iso")
	require.NotZero(t, res.Size)
}

func TestProbeISOSameBytes(t *testing.T) {
	a, ra := build(t, 8, 40)
	b, rb := build(t, 8, 40)
	require.Equal(t, ra.SHA256, rb.SHA256, "same sizes and shell → same ISO (%s, %s)", a, b)
}

func TestProbeOptionsRefused(t *testing.T) {
	shell := filepath.Join(t.TempDir(), "shellx64.efi")
	require.NoError(t, os.WriteFile(shell, bytes.Repeat([]byte{1}, 900<<10), 0o644))
	ok := efiprobe.Options{Shell: shell, MaxSize: efiprobe.DefaultMaxSize, ImgSize: efiprobe.DefaultImgSize, OutPath: "x.iso"}
	require.NoError(t, ok.Validate(), "CanvOS' defaults fit")
	for name, tc := range map[string]struct {
		mod   func(*efiprobe.Options)
		param string
	}{
		"no room":    {func(o *efiprobe.Options) { o.ImgSize = o.MaxSize }, "EFI_IMG_SIZE"},
		"zero probe": {func(o *efiprobe.Options) { o.MaxSize = 0 }, "EFI_MAX_SIZE"},
		"no shell":   {func(o *efiprobe.Options) { o.Shell = "/nonexistent/shellx64.efi" }, "--shell"},
		"not an iso": {func(o *efiprobe.Options) { o.OutPath = "probe.img" }, "--out"},
	} {
		t.Run(name, func(t *testing.T) {
			o := ok
			tc.mod(&o)
			err := o.Validate()
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.True(t, strings.HasPrefix(err.Error(), tc.param+": "), "error names %s: %v", tc.param, err)
		})
	}
}

// bootProbe boots the probe ISO as a CD under OVMF with memMiB of RAM and
// returns the verdict line the console showed.
func bootProbe(t *testing.T, isoPath string, memMiB int) string {
	t.Helper()
	ovmf, _ := testutil.OVMF(t, false, "")
	// The runner's -m 1024 comes first; QEMU takes the last one.
	args := append(ovmf, "-m", strconv.Itoa(memMiB), "-cdrom", isoPath)
	res := testutil.QEMU{Args: args, Timeout: 6 * time.Minute, Until: []string{efiprobe.Pass, efiprobe.Fail + ":"}}.Run(t)
	require.NotEmpty(t, res.Matched, "no verdict line on the serial console")
	return res.Matched
}

// TestProbeBootsUnderOVMF boots the probe twice: a 64 MiB image loads with
// 1 GiB of RAM; a 300 MiB image cannot with 256 MiB, whose firmware has to
// hold the file and its mapped image at once.
func TestProbeBootsUnderOVMF(t *testing.T) {
	small, _ := build(t, 64, 80)
	require.Equal(t, efiprobe.Pass, bootProbe(t, small, 1024))
	big, _ := build(t, 300, 320)
	require.Equal(t, efiprobe.Fail+":", bootProbe(t, big, 256))
}

func TestBeyond(t *testing.T) {
	const mib = 1 << 20
	require.Empty(t, efiprobe.Beyond(2200*mib, 2048*mib, 2048, 2200), "exactly what was probed")
	require.Empty(t, efiprobe.Beyond(5000*mib, 4000*mib, 0, 0), "no probe, no warning")
	got := efiprobe.Beyond(2201*mib, 2049*mib, 2048, 2200)
	require.Len(t, got, 2)
	require.Contains(t, got[0], "2201 MiB")
	require.Contains(t, got[0], "EFI_IMG_SIZE")
	require.Contains(t, got[1], "2049 MiB")
	require.Contains(t, got[1], "EFI_MAX_SIZE")
}
