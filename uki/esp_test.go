package uki_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/pe"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/testutil"
	"dagger/canvos/uki"
	"dagger/canvos/usererr"
)

const sdBootPath = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

func espOptions(t testing.TB, o uki.Options, enroll string) uki.ESPOptions {
	t.Helper()
	sd, err := os.ReadFile(testutil.RequireFile(t, sdBootPath))
	require.NoError(t, err)
	o.Signer = nil
	return uki.ESPOptions{
		UKI:        o,
		Entries:    uki.Entries(uki.DefaultName, []string{"console=ttyS0 panic=-1 quiet no_timer_check"}, uki.DefaultExtendCmdline),
		BootLoader: reader(sd),
		Keys:       sbtest.Tree(t),
		Enroll:     enroll,
		Timeout:    5,
		Title:      "Palette eXtended Kubernetes Edge",
	}
}

func TestEntries(t *testing.T) {
	t.Parallel()
	require.Equal(t, []uki.Entry{
		{Name: "canvos", Cmdline: "a=1 stylus.registration"},
		{Name: "canvos-1", Cmdline: "b=2 stylus.registration"},
	}, uki.Entries("canvos", []string{"a=1", "b=2"}, "stylus.registration"))
	require.Equal(t, []uki.Entry{{Name: "x", Cmdline: "a=1"}}, uki.Entries("x", []string{"a=1"}, ""))
	require.Equal(t, uki.EnrollForce, uki.EnrollModeFor(true))
	require.Equal(t, uki.EnrollAuto, uki.EnrollModeFor(false))
}

// auto is enki's default if-safe where the systemd-boot parses it, manual
// where it does not (systemd-boot 252 ignores if-safe); an explicit if-safe
// on 252 is refused rather than silently ignored at boot.
func TestESPEnrollMode(t *testing.T) {
	t.Parallel()
	sd252, err := os.ReadFile(testutil.RequireFile(t, sdBootPath))
	require.NoError(t, err)
	require.NotContains(t, string(sd252), "if-safe", "the test expects Debian bookworm's systemd-boot 252")
	// A stand-in for systemd-boot 253+: the same image with the string its
	// loader.conf parser compares against (Debian trixie's 257 carries it).
	sd257 := append(bytes.Clone(sd252), "\x00if-safe\x00"...)
	for _, tc := range []struct {
		mode string
		sd   []byte
		want string
	}{
		{uki.EnrollAuto, sd252, "manual"},
		{uki.EnrollAuto, sd257, "if-safe"},
		{uki.EnrollIfSafe, sd257, "if-safe"},
		{uki.EnrollForce, sd252, "force"},
		{uki.EnrollOff, sd257, "off"},
	} {
		o := espOptions(t, testOptions(t), tc.mode)
		o.BootLoader = reader(tc.sd)
		dir := t.TempDir()
		require.NoError(t, uki.WriteESP(dir, o), tc.mode)
		conf, err := os.ReadFile(filepath.Join(dir, uki.LoaderConfPath))
		require.NoError(t, err)
		require.Contains(t, string(conf), "\nsecure-boot-enroll "+tc.want+"\n", tc.mode)
	}
	o := espOptions(t, testOptions(t), uki.EnrollIfSafe)
	err = uki.WriteESP(t.TempDir(), o)
	require.ErrorIs(t, err, usererr.ErrInvalid)
	require.ErrorContains(t, err, "this systemd-boot predates 253 and ignores if-safe")
}

func TestESPValidate(t *testing.T) {
	t.Parallel()
	other, err := otherTree()
	require.NoError(t, err)
	good := espOptions(t, testOptions(t), uki.EnrollForce)
	cases := map[string]func(o *uki.ESPOptions){
		"no entries":     func(o *uki.ESPOptions) { o.Entries = nil },
		"duplicate name": func(o *uki.ESPOptions) { o.Entries = append(o.Entries, o.Entries[0]) },
		"bad enroll":     func(o *uki.ESPOptions) { o.Enroll = "sometimes" },
		"no title":       func(o *uki.ESPOptions) { o.Title = " " },
		"two-line title": func(o *uki.ESPOptions) { o.Title = "a\nb" },
		"name with space": func(o *uki.ESPOptions) {
			o.Entries = []uki.Entry{{Name: "a b", Cmdline: "x"}}
		},
		"two-line cmdline": func(o *uki.ESPOptions) {
			o.Entries = []uki.Entry{{Name: "a", Cmdline: "x\ny"}}
		},
		"stub not a PE": func(o *uki.ESPOptions) { o.UKI.Stub = []byte("MZ") },
		"foreign db": func(o *uki.ESPOptions) {
			o.Keys = &secureboot.Tree{Keys: sbtest.Tree(t).Keys, Enrollment: other.Enrollment}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			o := good
			mutate(&o)
			dir := t.TempDir()
			require.ErrorIs(t, uki.WriteESP(dir, o), usererr.ErrInvalid)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, entries, "nothing written on bad input")
		})
	}
}

// TestESPTree: the tree has the signed boot loader, one signed UKI per
// entry with the extended command line, loader.conf and our .auth files;
// its FAT image passes fsck.fat, holds the same bytes and is reproducible.
func TestESPTree(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "sbverify", "mkfs.fat", "mcopy", "mmd", "fsck.fat")
	dir := t.TempDir()
	o := espOptions(t, testOptions(t), uki.EnrollForce)
	o.Entries = uki.Entries(uki.DefaultName, []string{"console=ttyS0 panic=-1 quiet no_timer_check", "console=ttyS0 recovery"}, uki.DefaultExtendCmdline)
	require.NoError(t, uki.WriteESP(dir, o))

	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return err
	})
	require.Equal(t, []string{
		"EFI/BOOT/BOOTX64.EFI", "EFI/kairos/norole-1.efi", "EFI/kairos/norole.efi",
		"loader/entries/norole-1.conf", "loader/entries/norole.conf",
		"loader/keys/auto/KEK.auth", "loader/keys/auto/PK.auth", "loader/keys/auto/db.auth", "loader/loader.conf",
	}, files)
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		require.NoError(t, err)
		return string(b)
	}
	require.Equal(t, "default norole.conf\ntimeout 5\nconsole-mode max\neditor no\nsecure-boot-enroll force\n", read("loader/loader.conf"))
	require.Equal(t, "title Palette eXtended Kubernetes Edge\nefi /EFI/kairos/norole.efi\n"+
		"cmdline console=ttyS0 panic=-1 quiet no_timer_check stylus.registration\n", read("loader/entries/norole.conf"))
	require.Equal(t, "title Palette eXtended Kubernetes Edge (norole-1)\nefi /EFI/kairos/norole-1.efi\n"+
		"cmdline console=ttyS0 recovery stylus.registration\n", read("loader/entries/norole-1.conf"))
	for h, name := range map[secureboot.Hierarchy]string{secureboot.PK: "PK", secureboot.KEK: "KEK", secureboot.DB: "db"} {
		b, err := os.ReadFile(filepath.Join(dir, "loader/keys/auto", name+".auth"))
		require.NoError(t, err)
		require.Equal(t, sbtest.Tree(t).Enrollment[h].Auth, b, name)
	}
	db := writeTemp(t, "db.pem", secureboot.CertPEM(sbtest.Tree(t).DB.Certificate()))
	for _, p := range []string{"EFI/BOOT/BOOTX64.EFI", "EFI/kairos/norole.efi"} {
		out, err := exec.Command("sbverify", "--cert", db, filepath.Join(dir, p)).CombinedOutput()
		require.NoError(t, err, "%s: %s", p, out)
	}
	f, err := pe.Open(filepath.Join(dir, "EFI/kairos/norole.efi"))
	require.NoError(t, err)
	defer f.Close()
	cmdline, err := io.ReadAll(f.Section(".cmdline").Open())
	require.NoError(t, err)
	require.Equal(t, "console=ttyS0 panic=-1 quiet no_timer_check stylus.registration", string(cmdline[:f.Section(".cmdline").VirtualSize]))

	img := filepath.Join(t.TempDir(), "esp.img")
	require.NoError(t, uki.WriteESPImage(context.Background(), dir, img, sbtest.Epoch.Unix()))
	out, err := exec.Command("fsck.fat", "-n", img).CombinedOutput()
	require.NoError(t, err, "%s", out)
	got := filepath.Join(t.TempDir(), "got.efi")
	out, err = exec.Command("mcopy", "-i", img, "::/EFI/kairos/norole.efi", got).CombinedOutput()
	require.NoError(t, err, "%s", out)
	want, err := os.ReadFile(filepath.Join(dir, "EFI/kairos/norole.efi"))
	require.NoError(t, err)
	gotB, err := os.ReadFile(got)
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, gotB), "UKI differs after mcopy round trip")

	time.Sleep(1100 * time.Millisecond) // a clock-stamped FAT field would differ now
	img2 := filepath.Join(t.TempDir(), "esp.img")
	require.NoError(t, uki.WriteESPImage(context.Background(), dir, img2, sbtest.Epoch.Unix()))
	require.Equal(t, fileSum(t, img), fileSum(t, img2), "ESP image not reproducible")
	out, err = exec.Command("mdir", "-i", img, "-/", "::/").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, n := range []string{"BOOTX64", "norole", "loader", "KEK"} {
		require.True(t, slices.ContainsFunc(strings.Split(string(out), "\n"), func(l string) bool { return strings.Contains(l, n) }), "mdir lacks %s:\n%s", n, out)
	}
}

func fileSum(t testing.TB, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return sha256.Sum256(b)
}
