package iso

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/testutil"
	"dagger/canvos/uki"
)

// Debian's systemd-boot-efi files, as the uki-esp defaults.
const (
	systemdStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
	systemdBoot = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
)

// ukiESPImage builds a FAT ESP image the way canvos uki-esp does: systemd-boot
// and one UKI around kernel + initrd, both signed with sbtest's db key,
// loader.conf with the given secure-boot-enroll mode and sbtest's
// PK/KEK/db .auth files for auto-enrollment.
func ukiESPImage(t testing.TB, kernel, initrd, enroll string, epoch int64) string {
	t.Helper()
	testutil.RequireTool(t, "mkfs.fat", "mmd", "mcopy")
	read := func(p string) *io.SectionReader {
		b, err := os.ReadFile(testutil.RequireFile(t, p))
		require.NoError(t, err)
		return io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b)))
	}
	stub, err := os.ReadFile(testutil.RequireFile(t, systemdStub))
	require.NoError(t, err)
	tree := sbtest.Tree(t)
	o := uki.ESPOptions{
		UKI: uki.Options{Stub: stub, Kernel: read(kernel), Initrd: read(initrd),
			OSRelease: []byte("ID=canvos-test\nPRETTY_NAME=\"CanvOS test\"\n"), PCRKey: tree.PCR},
		Entries:    uki.Entries(uki.DefaultName, []string{"console=ttyS0 panic=-1 quiet no_timer_check"}, uki.DefaultExtendCmdline),
		BootLoader: read(systemdBoot),
		Keys:       tree,
		Enroll:     enroll,
		Timeout:    1,
		Title:      "Palette eXtended Kubernetes Edge",
	}
	dir := t.TempDir()
	require.NoError(t, uki.WriteESP(dir, o))
	img := filepath.Join(t.TempDir(), "esp.img")
	require.NoError(t, uki.WriteESPImage(context.Background(), dir, img, epoch))
	return img
}
