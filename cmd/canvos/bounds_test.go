package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot/sbtest"
)

// snapshot is every file under dir with its mode, size, mtime and digest.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		sum := fmt.Sprint(fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() && fi.Size() < 1<<20 { // the 300 MB one: size and mtime
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		out[p] = fmt.Sprintf("%v %s", fi.Mode(), sum)
		return nil
	}))
	return out
}

// TestBadInputsRefusedUpFront is the table of issue 10 §2: each bad input
// exits 2 with a message naming the flag or file and the rule, before any
// work: no input changes, nothing appears at the output path, and no file
// content is quoted.
func TestBadInputsRefusedUpFront(t *testing.T) {
	in := t.TempDir() // every input lives here; snapshot checks none changes
	put := func(rel, data string, perm os.FileMode) string {
		p := filepath.Join(in, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), perm))
		return p
	}
	rootfs := filepath.Join(in, "rootfs")
	put("rootfs/etc/os-release", "ID=kairos\n", 0o644)
	token := put("token", "ghp_SECRETTOKEN0123456789\n", 0o600)
	badYAML := put("bad.yaml", "#cloud-config\nstylus: [SECRET\n", 0o644)
	userData := put("u.yaml", "#cloud-config\n", 0o644)
	kernel := put("vmlinuz", "MZ kernel", 0o644)
	efi := put("boot.efi", "MZ efi", 0o644)
	fat := make([]byte, 64<<10) // what --esp-img's check reads of a FAT image
	copy(fat[0x36:], "FAT16   ")
	fat[510], fat[511] = 0x55, 0xaa
	esp := put("esp.img", string(fat), 0o644)
	nulArg := put("nul.arg", "OS_DISTRIBUTION=ubuntu\nARCH=amd\x0064\n", 0o644)
	longArg := put("long.arg", strings.Repeat("\n", 300_000)+"ARCH=$(id)\n", 0o644)
	big := filepath.Join(in, "big.yaml")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(300_000_000))
	require.NoError(t, f.Close())
	openKeys := filepath.Join(in, "keys")
	require.NoError(t, os.MkdirAll(filepath.Join(openKeys, "private-keys"), 0o700))
	require.NoError(t, os.Chmod(filepath.Join(openKeys, "private-keys"), 0o777)) // past the umask

	keys := sbtest.Dir(t)
	signKey, signCert := filepath.Join(keys, "private-keys/db.key"), filepath.Join(keys, "public-keys/db.pem")

	outDir := t.TempDir()
	out := func(name string) string { return filepath.Join(outDir, name) }
	epoch := []string{"SOURCE_DATE_EPOCH=1700000000"}
	for _, c := range []struct {
		name   string
		env    []string
		args   []string
		output string   // must not exist afterwards
		want   []string // in the message: the flag or file, and the rule
	}{
		{"endless arg file", nil, []string{"plan", "--arg-file", "/dev/zero"}, "",
			[]string{"--arg-file: /dev/zero", "larger than 1 MiB"}},
		{"NUL in an arg value", nil, []string{"plan", "--arg-file", nulArg}, "",
			[]string{nulArg + " line 2", "a NUL byte"}},
		{"line past 262143", nil, []string{"plan", "--arg-file", longArg}, "",
			[]string{longArg + " line 300001", "command substitution"}},
		{"huge user-data", epoch, []string{"raw", "--rootfs", rootfs, "--out", out("a.raw"), "--user-data", big}, out("a.raw"),
			[]string{"--user-data: " + big, "larger than 8 MiB"}},
		{"token as user-data", epoch, []string{"raw", "--rootfs", rootfs, "--out", out("b.raw"), "--user-data", token}, out("b.raw"),
			[]string{"--user-data: " + token, `first line must be "#cloud-config"`}},
		{"malformed YAML for raw", epoch, []string{"raw", "--rootfs", rootfs, "--out", out("c.raw"), "--user-data", badYAML}, out("c.raw"),
			[]string{"--user-data: " + badYAML, "not valid YAML"}},
		{"malformed YAML for uki-iso", epoch, []string{"uki-iso", "--esp-img", esp, "--out", out("c.iso"), "--user-data", badYAML}, out("c.iso"),
			[]string{"--user-data: " + badYAML, "not valid YAML"}},
		{"genkey --days 0", epoch, []string{"genkey", "--org", "o", "--days", "0", "--out", out("k0")}, out("k0"),
			[]string{"--days", `"0"`, "1 to 36500"}},
		{"genkey parent missing", epoch, []string{"genkey", "--org", "o", "--out", filepath.Join(outDir, "none", "k")}, filepath.Join(outDir, "none"),
			[]string{"--out", "in an existing one"}},
		{"genkey open private-keys", epoch, []string{"genkey", "--org", "o", "--force", "--out", openKeys}, "",
			[]string{"--out: " + openKeys + "/private-keys is writable by others", "0777"}},
		{"genkey year 10000", []string{"SOURCE_DATE_EPOCH=253402300000"}, []string{"genkey", "--org", "o", "--out", out("k1")}, out("k1"),
			[]string{"SOURCE_DATE_EPOCH", "after year 9999"}},
		{"raw output is its user-data", epoch, []string{"raw", "--rootfs", rootfs, "--out", userData, "--user-data", userData}, "",
			[]string{"--out: " + userData + " is also the --user-data input"}},
		{"uki output is its kernel", nil, []string{"uki", "--out", kernel, "--kernel", kernel, "--cmdline", "x"}, "",
			[]string{"--out: " + kernel + " is also the --kernel input"}},
		{"sign a non-PE file", nil, []string{"sign", "--in", kernel, "--out", out("k.signed"), "--key", signKey, "--cert", signCert}, out("k.signed"),
			[]string{"--in: " + kernel, "not a PE/COFF image"}},
		{"sign in place", nil, []string{"sign", "--in", efi, "--out", efi}, "",
			[]string{"--out: " + efi + " is also the --in input"}},
		{"raw into its rootfs", epoch, []string{"raw", "--rootfs", rootfs, "--out", filepath.Join(rootfs, "k.raw")}, filepath.Join(rootfs, "k.raw"),
			[]string{"--out", "inside the --rootfs directory"}},
		{"initrd into its rootfs", epoch, []string{"initrd", "--rootfs", rootfs, "--out", filepath.Join(rootfs, "i.img")}, filepath.Join(rootfs, "i.img"),
			[]string{"--out", "inside the --rootfs directory"}},
		{"raw out is a directory", epoch, []string{"raw", "--rootfs", rootfs, "--out", outDir}, "",
			[]string{"--out", "not a directory"}},
		{"raw out parent missing", epoch, []string{"raw", "--rootfs", rootfs, "--out", filepath.Join(outDir, "none", "k.raw")}, filepath.Join(outDir, "none"),
			[]string{"--out", "a file in an existing directory"}},
		{"iso out parent missing", epoch, []string{"iso", "--rootfs", rootfs, "--out", filepath.Join(outDir, "none", "i.iso")}, filepath.Join(outDir, "none"),
			[]string{"--out", "a file in an existing directory"}},
		{"maas out dir in the ubuntu rootfs", epoch, []string{"maas", "--kairos-raw", kernel, "--ubuntu-rootfs", rootfs, "--out-dir", rootfs}, filepath.Join(rootfs, "kairos-ubuntu-maas.raw.gz"),
			[]string{"--out-dir", "inside the --ubuntu-rootfs directory"}},
		{"maas rootfs size beyond 1 TiB", epoch, []string{"maas", "--kairos-raw", kernel, "--ubuntu-rootfs", rootfs, "--out-dir", outDir, "--ubuntu-rootfs-size", "99999999999"}, out("kairos-ubuntu-maas.raw.gz"),
			[]string{"--ubuntu-rootfs-size", "1 TiB"}},
		{"uki-esp out-dir parent missing", nil, []string{"uki-esp", "--out-dir", filepath.Join(outDir, "none", "esp")}, filepath.Join(outDir, "none"),
			[]string{"--out-dir", "existing one"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, in)
			code, stderr := runCLI(t, c.env, c.args...)
			require.Equal(t, exitInput, code, stderr)
			for _, w := range c.want {
				require.Contains(t, stderr, w)
			}
			require.NotContains(t, stderr, "SECRET", "the message quotes a file")
			require.Less(t, len(stderr), 1000, "a short message")
			require.Equal(t, before, snapshot(t, in), "an input changed")
			if c.output != "" {
				_, err := os.Lstat(c.output)
				require.ErrorIs(t, err, os.ErrNotExist, "%s exists", c.output)
			}
			entries, err := os.ReadDir(outDir)
			require.NoError(t, err)
			require.Empty(t, entries, "something was written to the output directory")
		})
	}
}
