package main

import (
	"bytes"
	"context"
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/testutil"
	"dagger/canvos/uki"
)

func canvos(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, errb.String()
}

// ukiInputs writes a fake kernel and initrd (the stub does not care what
// the payload is until it boots) and returns the key tree and input paths.
func ukiInputs(t *testing.T) (keys, kernel, initrd string) {
	t.Helper()
	dir := t.TempDir()
	kernel = filepath.Join(dir, "vmlinuz")
	initrd = filepath.Join(dir, "initrd")
	require.NoError(t, os.WriteFile(kernel, bytes.Repeat([]byte("k"), 300000), 0o644))
	require.NoError(t, os.WriteFile(initrd, bytes.Repeat([]byte("i"), 50000), 0o644))
	return sbtest.Dir(t), kernel, initrd
}

func keyFlags(keys string) []string {
	return []string{
		"--key", filepath.Join(keys, "private-keys/db.key"),
		"--cert", filepath.Join(keys, "public-keys/db.pem"),
	}
}

func TestUKICommand(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "sbverify")
	testutil.RequireFile(t, defaultStub)
	keys, kernel, initrd := ukiInputs(t)
	build := func(out string) {
		args := append([]string{"uki", "--kernel", kernel, "--initrd", initrd, "--cmdline", "console=ttyS0",
			"--uname", "6.1.0", "--pcr-key", filepath.Join(keys, "private-keys/tpm2-pcr-private.pem"), "--out", out}, keyFlags(keys)...)
		code, stderr := canvos(t, args...)
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stderr, "PCR 11 for phase enter-initrd")
	}
	a, b := filepath.Join(t.TempDir(), "a.efi"), filepath.Join(t.TempDir(), "b.efi")
	build(a)
	build(b)
	ab, err := os.ReadFile(a)
	require.NoError(t, err)
	bb, err := os.ReadFile(b)
	require.NoError(t, err)
	require.Equal(t, ab, bb, "same inputs and keys, different UKI")
	out, err := exec.Command("sbverify", "--cert", filepath.Join(keys, "public-keys/db.pem"), a).CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command("sbverify", "--cert", filepath.Join(keys, "public-keys/KEK.pem"), a).CombinedOutput()
	require.Error(t, err, "%s", out)
}

func TestUKICommandRejects(t *testing.T) {
	t.Parallel()
	testutil.RequireFile(t, defaultStub)
	keys, kernel, initrd := ukiInputs(t)
	out := filepath.Join(t.TempDir(), "uki.efi")
	base := []string{"uki", "--initrd", initrd, "--cmdline", "c", "--out", out}
	for name, args := range map[string][]string{
		"missing kernel":  append(append(base, "--kernel", filepath.Join(t.TempDir(), "nope")), keyFlags(keys)...),
		"no out":          append([]string{"uki", "--kernel", kernel, "--initrd", initrd, "--cmdline", "c"}, keyFlags(keys)...),
		"key of KEK cert": append(base, "--kernel", kernel, "--key", filepath.Join(keys, "private-keys/db.key"), "--cert", filepath.Join(keys, "public-keys/KEK.pem")),
		"cert is a key":   append(base, "--kernel", kernel, "--key", filepath.Join(keys, "private-keys/db.key"), "--cert", filepath.Join(keys, "private-keys/db.key")),
		"stub not a PE":   append(append(base, "--kernel", kernel, "--stub", initrd), keyFlags(keys)...),
		"empty cmdline":   append([]string{"uki", "--kernel", kernel, "--initrd", initrd, "--cmdline", "", "--out", out}, keyFlags(keys)...),
	} {
		t.Run(name, func(t *testing.T) {
			code, stderr := canvos(t, args...)
			require.Equal(t, exitInput, code, stderr)
			require.NoFileExists(t, out)
		})
	}
}

func TestSignCommand(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "sbverify", "osslsigncode")
	sd := testutil.RequireFile(t, defaultSDBoot)
	keys := sbtest.Dir(t)
	out := filepath.Join(t.TempDir(), "BOOTX64.EFI")
	code, stderr := canvos(t, append([]string{"sign", "--in", sd, "--out", out}, keyFlags(keys)...)...)
	require.Equal(t, 0, code, stderr)
	db := filepath.Join(keys, "public-keys/db.pem")
	res, err := exec.Command("sbverify", "--cert", db, out).CombinedOutput()
	require.NoError(t, err, "%s", res)
	res, err = exec.Command("osslsigncode", "verify", "-CAfile", db, "-in", out).CombinedOutput()
	require.NoError(t, err, "%s", res)

	code, stderr = canvos(t, append([]string{"sign", "--in", out, "--out", out + ".2"}, keyFlags(keys)...)...)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "already signed")
}

func TestInitrdCommand(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "gzip", "cpio")
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/os-release"), []byte("ID=x\n"), 0o644))
	out := filepath.Join(t.TempDir(), "initrd.gz")
	code, stderr := canvos(t, "initrd", "--rootfs", root, "--out", out, "--compression", "gzip")
	require.Equal(t, 0, code, stderr)
	list, err := exec.Command("sh", "-c", "gzip -dc "+out+" | cpio -it --quiet").CombinedOutput()
	require.NoError(t, err, "%s", list)
	require.Equal(t, "etc\netc/os-release\n", string(list))

	code, stderr = canvos(t, "initrd", "--rootfs", root, "--out", out+".x", "--compression", "xz")
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr, "allowed: zstd, gzip")
	require.NoFileExists(t, out+".x")
}

func TestUKIESPCommand(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "mkfs.fat", "mcopy", "mmd", "fsck.fat", "sbverify")
	testutil.RequireFile(t, defaultStub)
	testutil.RequireFile(t, defaultSDBoot)
	keys := sbtest.Dir(t)
	// PK.key and KEK.key stay offline: an ESP build needs only db.key.
	require.NoError(t, os.Remove(filepath.Join(keys, "private-keys/PK.key")))
	require.NoError(t, os.Remove(filepath.Join(keys, "private-keys/KEK.key")))
	root := t.TempDir()
	for p, c := range map[string]string{"boot/vmlinuz-6.1.0": strings.Repeat("k", 200000), "usr/lib/os-release": "ID=canvos\nPRETTY_NAME=\"CanvOS\"\n", "proc/x": "skip"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, p), []byte(c), 0o644))
	}
	// Links as distributions ship them: absolute and relative, resolved inside the rootfs.
	require.NoError(t, os.Symlink("/boot/vmlinuz-6.1.0", filepath.Join(root, "boot/vmlinuz")))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc/os-release")))
	dir := filepath.Join(t.TempDir(), "esp")
	img := filepath.Join(t.TempDir(), "esp.img")
	code, stderr := canvos(t, "uki-esp", "--rootfs", root, "--keys", keys, "--cmdline", "console=ttyS0", "--cmdline", "console=tty1",
		"--secure-boot-enroll", "force", "--out-dir", dir, "--out-img", img)
	require.Equal(t, 0, code, stderr)
	for _, p := range []string{"EFI/BOOT/BOOTX64.EFI", "EFI/kairos/norole.efi", "EFI/kairos/norole-1.efi", "loader/keys/auto/db.auth"} {
		require.FileExists(t, filepath.Join(dir, p))
	}
	entry, err := os.ReadFile(filepath.Join(dir, "loader/entries/norole-1.conf"))
	require.NoError(t, err)
	require.Equal(t, "title Palette eXtended Kubernetes Edge (norole-1)\nefi /EFI/kairos/norole-1.efi\ncmdline console=tty1 stylus.registration\n", string(entry),
		"CanvOS' BRANDING is the default title")
	f, err := pe.Open(filepath.Join(dir, "EFI/kairos/norole-1.efi"))
	require.NoError(t, err)
	defer f.Close()
	osrel, err := f.Section(".osrel").Data()
	require.NoError(t, err)
	require.Contains(t, string(osrel), "PRETTY_NAME=\"CanvOS\"")
	require.EqualValues(t, 200000, f.Section(".linux").VirtualSize)
	conf, err := os.ReadFile(filepath.Join(dir, "loader/loader.conf"))
	require.NoError(t, err)
	require.Contains(t, string(conf), "secure-boot-enroll force\n")
	out, err := exec.Command("fsck.fat", "-n", img).CombinedOutput()
	require.NoError(t, err, "%s", out)

	// Without --cmdline: Kairos' install-media line, extended with CMDLINE.
	dir2 := filepath.Join(t.TempDir(), "esp")
	code, stderr = canvos(t, "uki-esp", "--rootfs", root, "--keys", keys, "--out-dir", dir2)
	require.Equal(t, 0, code, stderr)
	entry, err = os.ReadFile(filepath.Join(dir2, "loader/entries/norole.conf"))
	require.NoError(t, err)
	require.Contains(t, string(entry), "\ncmdline "+uki.DefaultCmdline+" stylus.registration\n")
	require.Contains(t, uki.DefaultCmdline, " install-mode")

	// A provider UKI's flags (the Dagger layer passes --extend-cmdline ""):
	// the plain install line, as CanvOS' enki run without --extend-cmdline.
	dir3 := filepath.Join(t.TempDir(), "esp")
	code, stderr = canvos(t, "uki-esp", "--rootfs", root, "--keys", keys, "--extend-cmdline", "", "--out-dir", dir3)
	require.Equal(t, 0, code, stderr)
	entry, err = os.ReadFile(filepath.Join(dir3, "loader/entries/norole.conf"))
	require.NoError(t, err)
	require.Contains(t, string(entry), "\ncmdline "+uki.DefaultCmdline+"\n")
	conf, err = os.ReadFile(filepath.Join(dir3, "loader/loader.conf"))
	require.NoError(t, err)
	require.Contains(t, string(conf), "secure-boot-enroll manual\n", "auto on systemd-boot 252")

	code, stderr = canvos(t, "uki-esp", "--rootfs", root, "--keys", keys, "--cmdline", "c", "--title", "", "--out-img", img+".2")
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr, "title")
	require.NoFileExists(t, img+".2")
	code, stderr = canvos(t, "uki-esp", "--rootfs", root, "--keys", keys, "--cmdline", "c", "--secure-boot-enroll", "if-safe", "--out-img", img+".2")
	require.Equal(t, exitInput, code)
	require.Contains(t, stderr, "this systemd-boot predates 253 and ignores if-safe")
	require.NoFileExists(t, img+".2")
	code, stderr = canvos(t, "uki-esp", "--rootfs", root, "--keys", t.TempDir(), "--cmdline", "c", "--out-img", img+".3")
	require.Equal(t, exitInput, code, stderr)
	require.NoFileExists(t, img+".3")

	// A db.auth not signed by our KEK is refused before anything is written.
	kek, err := os.ReadFile(filepath.Join(keys, "enrollment/KEK.auth"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(keys, "enrollment/db.auth"), kek, 0o644))
	code, stderr = canvos(t, "uki-esp", "--rootfs", root, "--keys", keys, "--cmdline", "c", "--out-img", img+".4")
	require.Equal(t, exitInput, code, stderr)
	require.Contains(t, stderr, "enrollment/db.auth")
	require.NoFileExists(t, img+".4")
}
