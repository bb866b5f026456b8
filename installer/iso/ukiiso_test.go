package iso

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/testutil"
	"dagger/canvos/uki"
	"dagger/canvos/usererr"
)

// fakeESP is a signed systemd-boot ESP image around a stand-in kernel and
// initrd: enough for layout, signature and payload checks (the boot test
// uses the Debian kernel). Built once per test binary.
var fakeESP = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "canvos-uki-iso-esp-")
	if err != nil {
		return "", err
	}
	kernel, initrd := filepath.Join(dir, "kernel"), filepath.Join(dir, "initrd")
	err = errors.Join(os.WriteFile(kernel, bytes.Repeat([]byte("kernel--"), 40000), 0o644),
		os.WriteFile(initrd, bytes.Repeat([]byte("initrd"), 5000), 0o644))
	return dir, err
})

func ukiESP(t *testing.T) string {
	t.Helper()
	dir, err := fakeESP()
	require.NoError(t, err)
	return ukiESPImage(t, filepath.Join(dir, "kernel"), filepath.Join(dir, "initrd"), uki.EnrollForce, testEpoch)
}

func ukiOptions(t *testing.T, esp string, p Payload) UKIOptions {
	return UKIOptions{
		ESPImage: esp, OutPath: filepath.Join(t.TempDir(), "uki-installer.iso"), ScratchDir: t.TempDir(),
		Payload: p,
		Epoch:   testEpoch, Printf: t.Logf,
	}
}

func buildUKI(t *testing.T, o UKIOptions) Result {
	t.Helper()
	res, err := BuildUKIISO(context.Background(), o)
	require.NoError(t, err)
	return res
}

// TestUKIISOStructure: xorriso sees one UEFI El Torito entry and the GPT
// ESP over the same image; mtools read the ESP at the partition's offset
// (signed systemd-boot, loader.conf, auto-enroll keys, the UKI), sbverify
// accepts both EFI binaries with our db certificate; the payload is on the
// ISO 9660 tree.
func TestUKIISOStructure(t *testing.T) {
	t.Parallel()
	testutil.RequireTool(t, "xorriso", "sgdisk", "isoinfo", "mdir", "mcopy", "mtype", "sbverify")
	res := buildUKI(t, ukiOptions(t, ukiESP(t), testPayload(t)))
	require.False(t, res.BIOS)

	report := tool(t, "xorriso", "-indev", res.Path, "-report_el_torito", "plain", "-report_system_area", "plain")
	t.Log(report)
	for _, want := range []string{
		"El Torito boot img :   1  UEFI  y   none",
		"El Torito img path :   1  /boot/efiboot.img",
		"MBR partition      :   1   0x00  0xee",
		"GPT partition path :   1  /boot/efiboot.img",
	} {
		require.Contains(t, report, want)
	}
	require.NotContains(t, report, "BIOS")
	require.Contains(t, tool(t, "sgdisk", "-v", res.Path), "No problems found")
	require.Contains(t, tool(t, "isoinfo", "-d", "-i", res.Path), "Volume id: "+UKILabel)
	require.Contains(t, tool(t, "sh", "-c", "cd "+filepath.Dir(res.Path)+" && sha256sum -c uki-installer.iso.sha256"), "uki-installer.iso: OK")

	r, err := Inspect(res.Path)
	require.NoError(t, err)
	require.Empty(t, r.Problems(Expect{Label: UKILabel, Hybrid: true, UserData: true, UKI: true}))
	require.Len(t, r.GPT, 1)
	part := res.Path + "@@" + strconv.FormatUint(r.GPT[0].Start*512, 10)
	listing := tool(t, "mdir", "-i", part, "-/", "-b", "::/")
	for _, want := range []string{"::/EFI/BOOT/BOOTX64.EFI", "::/EFI/kairos/norole.efi", "::/loader/entries/norole.conf", "::/loader/loader.conf",
		"::/loader/keys/auto/PK.auth", "::/loader/keys/auto/KEK.auth", "::/loader/keys/auto/db.auth"} {
		require.Contains(t, listing, want)
	}
	require.Contains(t, tool(t, "mtype", "-i", part, "::/loader/loader.conf"), "secure-boot-enroll force")

	keys := sbtest.Dir(t)
	x := t.TempDir()
	for _, f := range []string{"EFI/BOOT/BOOTX64.EFI", "EFI/kairos/norole.efi"} {
		out := filepath.Join(x, filepath.Base(f))
		tool(t, "mcopy", "-i", part, "::/"+f, out)
		require.Contains(t, tool(t, "sbverify", "--cert", filepath.Join(keys, secureboot.CertPath(secureboot.DB)), out), "Signature verification OK")
	}

	files := requireISOFiles(t, res.Path, []string{"/config.yaml", "/opt", "/.edge_custom_config.yaml", "/extra"}, payloadFiles, map[string]string{
		"opt/spectrocloud/ui/index.html": "<html>local-ui</html>",
		"opt/spectrocloud/bin/agent-ui":  "#!/bin/sh\n",
	})
	link, err := os.Readlink(filepath.Join(files, "opt/spectrocloud/ui/latest"))
	require.NoError(t, err)
	require.Equal(t, "index.html", link)
	lsl := tool(t, "xorriso", "-indev", res.Path, "-lsdl", "/opt/spectrocloud/ui", "/opt/spectrocloud/bin/agent-ui")
	require.Contains(t, lsl, "drwxr-x---", "local-ui directory mode from the tar")
	require.Contains(t, lsl, "-rwxr-xr-x", "local-ui file mode from the tar")
}

// TestUKIISODeterministic: same inputs and epoch → same bytes, from other
// scratch and output directories a second later; epoch + 1 changes them.
func TestUKIISODeterministic(t *testing.T) {
	t.Parallel()
	esp, p := ukiESP(t), testPayload(t)
	first := buildUKI(t, ukiOptions(t, esp, p))
	time.Sleep(1100 * time.Millisecond)
	second := buildUKI(t, ukiOptions(t, esp, p))
	a, err := os.ReadFile(first.Path)
	require.NoError(t, err)
	b, err := os.ReadFile(second.Path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, b), "UKI ISOs differ")
	o := ukiOptions(t, esp, p)
	o.Epoch++
	require.NotEqual(t, first.SHA256, buildUKI(t, o).SHA256)
}

// TestUKIISOBadInputs: each bad input is an input error naming its flag,
// and neither the output directory nor the scratch directory gets an entry.
func TestUKIISOBadInputs(t *testing.T) {
	t.Parallel()
	esp := ukiESP(t)
	dir := t.TempDir()
	w := func(name, data string) string { return write(t, filepath.Join(dir, name), data) }
	notFAT := w("not-fat.img", strings.Repeat("x", 4096))
	badTar := w("ui.tar", "not a tar")
	escapeTar := tarFile(t, filepath.Join(dir, "escape.tar"), &tar.Header{Name: "../etc/passwd", Typeflag: tar.TypeReg})
	reservedTar := tarFile(t, filepath.Join(dir, "reserved.tar"), &tar.Header{Name: "content/x.zst_part00", Typeflag: tar.TypeReg})
	clash := filepath.Join(dir, "overlay")
	w("overlay/config.yaml", "#cloud-config\n")
	content := filepath.Join(dir, "content")
	w("content/notes.txt", "x")
	cases := []struct {
		name, flag string
		mod        func(*UKIOptions)
	}{
		{"no esp", "--esp-img", func(o *UKIOptions) { o.ESPImage = "" }},
		{"missing esp", "--esp-img", func(o *UKIOptions) { o.ESPImage = filepath.Join(dir, "nope.img") }},
		{"esp not FAT", "--esp-img", func(o *UKIOptions) { o.ESPImage = notFAT }},
		{"user-data without header", "--user-data", func(o *UKIOptions) { o.UserData = w("ud1", "a: 1\n") }},
		{"user-data not a mapping", "--user-data", func(o *UKIOptions) { o.UserData = w("ud2", "#cloud-config\n- a\n") }},
		{"content with a stray file", "--content", func(o *UKIOptions) { o.ContentDir = content }},
		{"missing SPC", "--cluster-config", func(o *UKIOptions) { o.ClusterConfig = filepath.Join(dir, "nope.tgz") }},
		{"edge config not YAML", "--edge-config", func(o *UKIOptions) { o.EdgeConfig = w("edge", "a: [") }},
		{"local-ui not a tar", "--local-ui", func(o *UKIOptions) { o.LocalUI = badTar }},
		{"local-ui leaving the archive", "--local-ui", func(o *UKIOptions) { o.LocalUI = escapeTar }},
		{"local-ui over generated files", "--local-ui", func(o *UKIOptions) { o.LocalUI = reservedTar }},
		{"overlay over config.yaml", "--overlay", func(o *UKIOptions) { o.Overlay = clash }},
		{"output not .iso", "--out", func(o *UKIOptions) { o.OutPath = strings.TrimSuffix(o.OutPath, ".iso") + ".img" }},
		{"bad label", "--label", func(o *UKIOptions) { o.Label = "lower" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := ukiOptions(t, esp, Payload{})
			c.mod(&o)
			_, err := BuildUKIISO(context.Background(), o)
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.Contains(t, err.Error(), c.flag)
			for _, d := range []string{filepath.Dir(o.OutPath), o.ScratchDir} {
				entries, err := os.ReadDir(d)
				require.NoError(t, err)
				require.Empty(t, entries, d)
			}
		})
	}
}

func tarFile(t *testing.T, p string, h *tar.Header) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	require.NoError(t, tw.WriteHeader(h))
	require.NoError(t, tw.Close())
	require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
	return p
}

// TestUKIESPProblems: verify --uki wants enki's layout, which the Kairos
// agent installs from: every UKI in EFI/kairos has its loader/entries conf.
func TestUKIESPProblems(t *testing.T) {
	t.Parallel()
	good := []string{"EFI/BOOT/BOOTX64.EFI", "EFI/kairos/norole.efi", "loader/entries/norole.conf", "loader/loader.conf"}
	require.Empty(t, UKIESPProblems(good))
	require.Equal(t, []string{"ESP: /EFI/kairos/norole.efi has no /loader/entries/norole.conf"},
		UKIESPProblems([]string{"EFI/BOOT/BOOTX64.EFI", "EFI/kairos/norole.efi", "loader/loader.conf"}))
	require.Equal(t, []string{"ESP: missing /EFI/BOOT/BOOTX64.EFI", "ESP: missing /loader/loader.conf", "ESP: no UKI in /EFI/kairos"},
		UKIESPProblems([]string{"EFI/Linux/canvos.efi"}), "EFI/Linux (Type #2) UKIs are not what the agent installs")
}
