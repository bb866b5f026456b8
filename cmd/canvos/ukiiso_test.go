package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// TestUKIISOCommand: uki-iso from keys + initrd (signing, ESP, ISO in one
// go) and from a prebuilt uki-esp image; verify --uki accepts both and lists
// the ESP; the same inputs give the same bytes; bad inputs exit 2 before
// anything is written, the ESP included.
func TestUKIISOCommand(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "mkfs.fat", "mcopy", "mmd", "mdir")
	testutil.RequireFile(t, defaultStub)
	testutil.RequireFile(t, defaultSDBoot)
	keys, kernel, initrd := ukiInputs(t)
	dir := t.TempDir()
	ud := filepath.Join(dir, "user-data")
	require.NoError(t, os.WriteFile(ud, []byte("#cloud-config\ninstall:\n  device: auto\n"), 0o644))
	base := []string{"uki-iso", "--kernel", kernel, "--initrd", initrd, "--keys", keys, "--cmdline", "console=ttyS0",
		"--secure-boot-enroll", "force", "--user-data", ud}
	build := func(out string, extra ...string) (int, string) {
		return canvos(t, append(append(append([]string{}, base...), extra...), "--scratch", t.TempDir(), "--out", out)...)
	}
	out := filepath.Join(t.TempDir(), "uki.iso")
	code, stderr := build(out)
	require.Equal(t, 0, code, stderr)
	require.FileExists(t, out+".sha256")

	code, stdout, stderr := runMain(t, "verify", "--uki", "--user-data", out)
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{"label:  UKI_ISO_INSTALL", "boot:   UEFI", "file:   /config.yaml", "esp:    /EFI/BOOT/BOOTX64.EFI",
		"esp:    /EFI/kairos/norole.efi", "esp:    /loader/entries/norole.conf", "esp:    /loader/keys/auto/db.auth", "gpt:    1", "OK"} {
		require.Contains(t, stdout, want)
	}
	// Checked as a live ISO it lacks the live files and BIOS boot.
	code, stdout, _ = runMain(t, "verify", out)
	require.Equal(t, 1, code)
	require.Contains(t, stdout, "FAIL  missing /rootfs.squashfs")

	again := filepath.Join(t.TempDir(), "uki.iso")
	code, stderr = build(again)
	require.Equal(t, 0, code, stderr)
	a, err := os.ReadFile(out)
	require.NoError(t, err)
	b, err := os.ReadFile(again)
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, b), "two uki-iso runs differ")

	img := filepath.Join(t.TempDir(), "esp.img")
	code, stderr = canvos(t, "uki-esp", "--kernel", kernel, "--initrd", initrd, "--keys", keys, "--cmdline", "c",
		"--out-img", img)
	require.Equal(t, 0, code, stderr)
	prebuilt := filepath.Join(t.TempDir(), "prebuilt.iso")
	code, stderr = canvos(t, "uki-iso", "--esp-img", img, "--out", prebuilt)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runMain(t, "verify", "--uki", prebuilt)
	require.Equal(t, 0, code, stderr)

	bad := filepath.Join(dir, "bad-user-data")
	require.NoError(t, os.WriteFile(bad, []byte("no header\n"), 0o644))
	cases := []struct {
		name, out string // out: the --out file name
		args      []string
	}{
		{"bad user-data", "x.iso", append(append([]string{}, base...), "--user-data", bad)},
		{"missing content dir", "x.iso", append(append([]string{}, base...), "--content", filepath.Join(dir, "nope"))},
		{"if-safe on systemd-boot 252", "x.iso", append(append([]string{}, base...), "--secure-boot-enroll", "if-safe")},
		{"unknown enroll mode", "x.iso", append(append([]string{}, base...), "--secure-boot-enroll", "sometimes")},
		{"keys without the db", "x.iso", []string{"uki-iso", "--kernel", kernel, "--initrd", initrd, "--keys", t.TempDir(), "--cmdline", "c"}},
		{"esp-img and keys", "x.iso", []string{"uki-iso", "--esp-img", img, "--keys", keys}},
		{"esp-img not FAT", "x.iso", []string{"uki-iso", "--esp-img", ud}},
		{"out not .iso", "x.img", []string{"uki-iso", "--esp-img", img}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outDir, scratch := t.TempDir(), t.TempDir()
			code, stderr := canvos(t, append(c.args, "--scratch", scratch, "--out", filepath.Join(outDir, c.out))...)
			require.Equal(t, exitInput, code, stderr)
			for _, d := range []string{outDir, scratch} {
				entries, err := os.ReadDir(d)
				require.NoError(t, err)
				require.Empty(t, entries, "%s: %s", d, stderr)
			}
		})
	}
}

// The CLI path of CanvOS' +stylus-image-pack and +build-uki-iso: stylus-image
// packs a package rootfs, uki-iso puts it and luet on the ISO root; without
// them it warns that installed nodes get no agent.
func TestUKIISOStylusFiles(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "mkfs.fat", "mcopy", "mmd", "xorriso")
	testutil.RequireFile(t, defaultStub)
	testutil.RequireFile(t, defaultSDBoot)
	keys, kernel, initrd := ukiInputs(t)
	pkg := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(pkg, "opt/spectrocloud/bin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(pkg, "opt/spectrocloud/bin/stylus-agent"), []byte("agent"), 0o755))
	image := filepath.Join(t.TempDir(), "stylus-image.tar")
	code, stderr := canvos(t, "stylus-image", "--rootfs", pkg, "--ref", "reg.example.com/edge/stylus-framework-linux-amd64:v4.10.0", "--out", image)
	require.Equal(t, 0, code, stderr)

	base := []string{"uki-iso", "--kernel", kernel, "--initrd", initrd, "--keys", keys, "--cmdline", "console=ttyS0", "--scratch", t.TempDir()}
	out := filepath.Join(t.TempDir(), "uki.iso")
	code, stderr = canvos(t, append(base, "--stylus-image", image, "--luet", testutil.RequireFile(t, "/usr/bin/true"), "--out", out)...)
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stderr, "no stylus agent")
	cmd := exec.Command("xorriso", "-indev", out, "-lsdl", "/luet", "/stylus-image.tar")
	lsl, err := cmd.CombinedOutput()
	require.NoError(t, err, string(lsl))
	require.Regexp(t, `-rwxr-xr-x .* '/luet'`, string(lsl))
	require.Contains(t, string(lsl), "'/stylus-image.tar'")

	code, stderr = canvos(t, append(base, "--out", filepath.Join(t.TempDir(), "bare.iso"))...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "warning: no --stylus-image/--luet: nodes installed from this ISO get no stylus agent")
}

// TestUKIISOWarnsBeyondProbe: an ESP larger than the size probe a target
// passed (--efi-img-size) and a UKI larger than its image (--efi-max-size)
// are warned about; the ISO is still built.
func TestUKIISOWarnsBeyondProbe(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "mkfs.fat", "mcopy", "mmd", "mdir")
	testutil.RequireFile(t, defaultStub)
	testutil.RequireFile(t, defaultSDBoot)
	keys, kernel, _ := ukiInputs(t)
	initrd := filepath.Join(t.TempDir(), "initrd") // 2 MiB: the UKI outgrows a 1 MiB probe
	require.NoError(t, os.WriteFile(initrd, bytes.Repeat([]byte("initrd"), 2<<20/6+1), 0o644))
	args := []string{"uki-iso", "--kernel", kernel, "--initrd", initrd, "--keys", keys, "--cmdline", "console=ttyS0",
		"--scratch", t.TempDir(), "--out", filepath.Join(t.TempDir(), "uki.iso")}
	code, stderr := canvos(t, append(args, "--efi-max-size", "1", "--efi-img-size", "1")...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "uki-iso: warning: the ESP is")
	require.Contains(t, stderr, "uki-iso: warning: its largest file is")

	code, stderr = canvos(t, append(args, "--efi-max-size", "2048", "--efi-img-size", "2200")...)
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stderr, "EFI_IMG_SIZE")
	require.NotContains(t, stderr, "EFI_MAX_SIZE")
}
