package uki_test

import (
	"bytes"
	"crypto/sha256"
	"debug/pe"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foxboron/go-uefi/authenticode"
	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/testutil"
	"dagger/canvos/uki"
)

const stubPath = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

func stub(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(testutil.RequireFile(t, stubPath))
	require.NoError(t, err)
	return b
}

func reader(b []byte) *io.SectionReader {
	return io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b)))
}

// otherTree is a second, unrelated key tree: its db key must be refused.
var otherTree = sync.OnceValues(func() (*secureboot.Tree, error) {
	return secureboot.Generate(secureboot.Options{Org: "Other", Days: 3650, KeySize: 2048, Time: sbtest.Epoch})
})

func testOptions(t testing.TB) uki.Options {
	return uki.Options{
		Stub:      stub(t),
		Kernel:    reader(bytes.Repeat([]byte("kernel--"), 40000)),
		Initrd:    reader(bytes.Repeat([]byte("initrd"), 5000)),
		Cmdline:   "console=ttyS0 rd.immucore.uki",
		OSRelease: []byte("ID=canvos\nPRETTY_NAME=\"CanvOS test\"\n"),
		Uname:     "6.1.0-test",
		Signer:    sbtest.Tree(t).DB,
		PCRKey:    sbtest.Tree(t).PCR,
	}
}

func build(t testing.TB, o uki.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, uki.Build(&buf, o))
	return buf.Bytes()
}

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// TestSectionsLayout checks the assembled PE with debug/pe: every section is
// there with its exact contents, page-aligned above the stub, and the
// headers add up.
func TestSectionsLayout(t *testing.T) {
	t.Parallel()
	o := testOptions(t)
	o.Signer = nil
	img := build(t, o)
	f, err := pe.NewFile(bytes.NewReader(img))
	require.NoError(t, err)
	want := map[string][]byte{
		".osrel": o.OSRelease, ".cmdline": []byte(o.Cmdline), ".uname": []byte(o.Uname),
		".linux": bytes.Repeat([]byte("kernel--"), 40000), ".initrd": bytes.Repeat([]byte("initrd"), 5000),
	}
	opt := f.OptionalHeader.(*pe.OptionalHeader64)
	var lastEnd uint32
	for _, s := range f.Sections {
		lastEnd = max(lastEnd, s.VirtualAddress+s.VirtualSize)
		w, ok := want[s.Name]
		if !ok {
			continue
		}
		delete(want, s.Name)
		require.Zero(t, s.VirtualAddress%4096, s.Name)
		require.Zero(t, s.Offset%opt.FileAlignment, s.Name)
		require.EqualValues(t, len(w), s.VirtualSize, s.Name)
		got, err := io.ReadAll(s.Open())
		require.NoError(t, err)
		require.Equal(t, w, got[:s.VirtualSize], s.Name)
	}
	require.Empty(t, want, "sections missing")
	require.GreaterOrEqual(t, opt.SizeOfImage, lastEnd)
	require.Zero(t, f.FileHeader.PointerToSymbolTable)
	for _, name := range []string{".pcrsig", ".pcrpkey"} {
		require.NotNil(t, f.Section(name), name)
	}
}

func TestAppendSectionsErrors(t *testing.T) {
	t.Parallel()
	s := stub(t)
	many := make([]uki.Section, 8) // the stub has room for 7
	for i := range many {
		many[i] = uki.BytesSection(".s"+string(rune('a'+i)), []byte("x"))
	}
	err := uki.AppendSections(io.Discard, s, many)
	require.ErrorIs(t, err, uki.ErrHeaderFull)
	require.ErrorContains(t, err, "room for 7, 8 requested")

	require.ErrorContains(t, uki.AppendSections(io.Discard, s, []uki.Section{uki.BytesSection(".toolongname", []byte("x"))}), "1 to 8 bytes")
	require.ErrorContains(t, uki.AppendSections(io.Discard, []byte("MZ not a PE"), nil), "parse stub")

	var signed bytes.Buffer
	require.NoError(t, uki.Sign(bytes.NewReader(s), &signed, sbtest.Tree(t).DB))
	require.ErrorIs(t, uki.AppendSections(io.Discard, signed.Bytes(), nil), uki.ErrSigned)
	require.ErrorIs(t, uki.Sign(bytes.NewReader(signed.Bytes()), io.Discard, sbtest.Tree(t).DB), uki.ErrSigned)
}

// TestDeterministic: the same inputs and keys give a byte-identical signed UKI.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	a := build(t, testOptions(t))
	time.Sleep(1100 * time.Millisecond) // a clock-stamped signature would differ now
	b := build(t, testOptions(t))
	require.Equal(t, sha256.Sum256(a), sha256.Sum256(b))
	o := testOptions(t)
	o.Cmdline += " x"
	require.NotEqual(t, sha256.Sum256(a), sha256.Sum256(build(t, o)))
}

// TestSignVerify: go-uefi, sbverify and osslsigncode accept our signature on
// the UKI and on systemd-boot with db.pem, and refuse it with another
// certificate.
func TestSignVerify(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "sbverify", "osslsigncode")
	dir := t.TempDir()
	tree := sbtest.Tree(t)
	other, err := otherTree()
	require.NoError(t, err)
	dbPEM := writeTemp(t, "db.pem", secureboot.CertPEM(tree.DB.Certificate()))
	otherPEM := writeTemp(t, "other.pem", secureboot.CertPEM(other.DB.Certificate()))

	sdboot, err := os.ReadFile(testutil.RequireFile(t, "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"))
	require.NoError(t, err)
	var signedBoot bytes.Buffer
	require.NoError(t, uki.Sign(bytes.NewReader(sdboot), &signedBoot, tree.DB))

	for name, img := range map[string][]byte{"uki.efi": build(t, testOptions(t)), "BOOTX64.EFI": signedBoot.Bytes()} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(p, img, 0o644))

			bin, err := authenticode.Parse(bytes.NewReader(img))
			require.NoError(t, err)
			ok, err := bin.Verify(tree.DB.Certificate())
			require.NoError(t, err)
			require.True(t, ok)

			out, err := exec.Command("sbverify", "--cert", dbPEM, p).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), "Signature verification OK")
			out, err = exec.Command("sbverify", "--cert", otherPEM, p).CombinedOutput()
			require.Error(t, err, "%s", out)
			require.Contains(t, string(out), "Signature verification failed")

			out, err = exec.Command("osslsigncode", "verify", "-CAfile", dbPEM, "-in", p).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), "Signature verification: ok")
			out, err = exec.Command("osslsigncode", "verify", "-CAfile", otherPEM, "-in", p).CombinedOutput()
			require.Error(t, err, "%s", out)
			require.True(t, strings.Contains(string(out), "Signature verification: failed"), "%s", out)
		})
	}
}

func pcrKeyPEM(t testing.TB) []byte {
	t.Helper()
	b, err := secureboot.KeyPEM(sbtest.Tree(t).PCR)
	require.NoError(t, err)
	return b
}
