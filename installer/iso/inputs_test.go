package iso

import (
	"archive/tar"
	"context"
	"debug/pe"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/efiimage"
	"dagger/canvos/rootfs"
	"dagger/canvos/usererr"
)

// minimalRootfs has what check needs: a kernel, an initrd and the Debian
// boot files (stand-in EFI applications: check reads only their headers).
func minimalRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range []string{"boot/vmlinuz-6.1", "boot/initrd"} {
		write(t, filepath.Join(root, p), "x")
	}
	for _, p := range []string{"usr/lib/shim/shimx64.efi.signed", "usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed"} {
		write(t, filepath.Join(root, p), string(efiimage.Minimal(efiimage.AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION)))
	}
	require.NoError(t, os.Symlink("vmlinuz-6.1", filepath.Join(root, "boot/vmlinuz")))
	return root
}

func write(t *testing.T, p, data string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	return p
}

// TestBadInputs: every wrong input fails before anything is written, with an
// input error that names the input.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	// Root reads mode-0 files, so a directory stands for an unreadable file.
	unreadable := filepath.Join(tmp, "unreadable")
	require.NoError(t, os.Mkdir(unreadable, 0o755))
	badContent := filepath.Join(tmp, "content")
	write(t, filepath.Join(badContent, "bundle.zst"), "z")
	write(t, filepath.Join(badContent, "notes.txt"), "stray")
	cases := []struct {
		name  string
		edit  func(o *Options, root string)
		names string
	}{
		{"missing kernel", func(o *Options, root string) { os.Remove(filepath.Join(root, "boot/vmlinuz-6.1")) }, "no kernel at /boot/vmlinuz"},
		{"missing initrd", func(o *Options, root string) { os.Remove(filepath.Join(root, "boot/initrd")) }, "no initrd at /boot/initrd"},
		{"missing shim", func(o *Options, root string) { os.Remove(filepath.Join(root, "usr/lib/shim/shimx64.efi.signed")) }, "shimx64.efi.signed"},
		{"missing rootfs", func(o *Options, root string) { o.Rootfs = filepath.Join(root, "nope") }, "--rootfs"},
		{"unreadable user-data", func(o *Options, _ string) { o.UserData = unreadable }, "--user-data"},
		{"missing user-data", func(o *Options, _ string) { o.UserData = filepath.Join(tmp, "none") }, "--user-data"},
		{"user-data not cloud-config", func(o *Options, _ string) { o.UserData = write(t, filepath.Join(tmp, "ud1"), "stylus: {}\n") }, `first line must be "#cloud-config"`},
		{"user-data not YAML", func(o *Options, _ string) {
			o.UserData = write(t, filepath.Join(tmp, "ud2"), "#cloud-config\nstylus: [\n")
		}, "not valid YAML"},
		{"user-data a list", func(o *Options, _ string) { o.UserData = write(t, filepath.Join(tmp, "ud3"), "#cloud-config\n- a\n") }, "not a YAML mapping"},
		{"content with a non-bundle", func(o *Options, _ string) { o.ContentDir = badContent }, "notes.txt"},
		{"content name with a newline", func(o *Options, _ string) {
			o.ContentDir = filepath.Dir(write(t, filepath.Join(tmp, "nl", "core\nextra.zst"), "z"))
		}, `core\nextra.zst`},
		{"content name not UTF-8", func(o *Options, _ string) {
			o.ContentDir = filepath.Dir(write(t, filepath.Join(tmp, "latin1", "caf\xe9.zst"), "z"))
		}, `caf\xe9.zst`},
		{"edge config not YAML", func(o *Options, _ string) { o.EdgeConfig = write(t, filepath.Join(tmp, "edge"), "a: [\n") }, "--edge-config"},
		{"missing cluster config", func(o *Options, _ string) { o.ClusterConfig = filepath.Join(tmp, "none.tgz") }, "--cluster-config"},
		{"local-ui not a tar", func(o *Options, _ string) {
			o.LocalUI = write(t, filepath.Join(tmp, "ui.tar"), "not a tar at all, just text that is long enough")
		}, "--local-ui"},
		{"local-ui hard link out of the archive", func(o *Options, _ string) {
			o.LocalUI = hardLinkTar(t, filepath.Join(tmp, "hl.tar"), "/etc/shadow")
		}, `"ui/x" is a hard link to "/etc/shadow", which is no earlier file of the archive`},
		{"bad label", func(o *Options, _ string) { o.Label = "cos live" }, "--label"},
		{"bad partition table", func(o *Options, _ string) { o.PartitionTable = "apm" }, "--partition-table"},
		{"bad compression", func(o *Options, _ string) { o.Compression = "brotli" }, "--compression"},
		{"bad level", func(o *Options, _ string) { o.Level = 30 }, "--compression-level"},
		{"out not .iso", func(o *Options, _ string) { o.OutPath = filepath.Join(filepath.Dir(o.OutPath), "x.img") }, "--out"},
		{"out dir missing", func(o *Options, _ string) { o.OutPath = filepath.Join(tmp, "no/such/dir/x.iso") }, "--out"},
		{"bad shim override", func(o *Options, _ string) { o.Boot.Shim = filepath.Join(tmp, "none.efi") }, "--shim"},
		{"random bytes as --shim", func(o *Options, _ string) {
			o.Boot.Shim = write(t, filepath.Join(tmp, "random.efi"), strings.Repeat("\x93\x07", 2048))
		}, "random.efi: not a PE/COFF image"},
		{"arm64 GRUB in an amd64 rootfs", func(o *Options, root string) {
			write(t, filepath.Join(root, "usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed"), string(efiimage.Minimal(efiimage.ARM64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION)))
		}, "gcdx64.efi.signed: a PE image for AArch64, not x86-64"},
		{"Windows binary as --mokmanager", func(o *Options, _ string) {
			o.Boot.MokMgr = write(t, filepath.Join(tmp, "mm.efi"), string(efiimage.Minimal(efiimage.AMD64, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI)))
		}, "mm.efi: PE subsystem 3, not an EFI application"},
		{"bad arch", func(o *Options, _ string) { o.Arch = "riscv64" }, `--arch: invalid value "riscv64"; allowed: amd64, arm64`},
		{"arm64 without arm64 shim", func(o *Options, _ string) { o.Arch = ArchARM64 }, "shimaa64.efi.signed"},
		{"arm64 with --grub-bios", func(o *Options, root string) {
			o.Arch = ArchARM64
			o.Boot.Shim, o.Boot.GrubEFI, o.Boot.GrubBIOS = filepath.Join(root, "boot/initrd"), filepath.Join(root, "boot/initrd"), tmp
		}, "--grub-bios"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := minimalRootfs(t)
			outDir, scratch := t.TempDir(), t.TempDir()
			o := Options{Rootfs: root, OutPath: filepath.Join(outDir, "out.iso"), ScratchDir: scratch, Epoch: testEpoch}
			c.edit(&o, root)
			_, err := BuildISO(context.Background(), o)
			require.Error(t, err)
			require.True(t, errors.Is(err, usererr.ErrInvalid), "not an input error: %v", err)
			require.Contains(t, err.Error(), c.names)
			for _, d := range []string{outDir, scratch} {
				entries, err := os.ReadDir(d)
				require.NoError(t, err)
				require.Empty(t, entries, "something was written to %s", d)
			}
		})
	}
}

func TestFindBootPrefersOverridesThenRootfsThenFallback(t *testing.T) {
	t.Parallel()
	root := minimalRootfs(t)
	fallback := t.TempDir()
	for _, f := range biosImages {
		write(t, filepath.Join(fallback, f), "x")
	}
	b, err := findBoot(openTree(t, root), Options{Rootfs: root, BIOSFallback: fallback})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(root, "usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed"), b.grubEFI)
	require.Equal(t, fallback, b.biosDir)
	require.Zero(t, b.biosRootfs)

	for _, f := range biosImages {
		write(t, filepath.Join(root, "usr/lib/grub/i386-pc", f), "x")
	}
	shim := write(t, filepath.Join(t.TempDir(), "my-shim.efi"), "x")
	b, err = findBoot(openTree(t, root), Options{Rootfs: root, BIOSFallback: fallback, Boot: BootFiles{Shim: shim}})
	require.NoError(t, err)
	require.Equal(t, shim, b.shim)
	require.Equal(t, "usr/lib/grub/i386-pc", b.biosRootfs.String())
	// The build reads a copy: grub-mkimage and the hybrid MBR open files of the directory themselves.
	work := t.TempDir()
	require.NoError(t, b.stageBIOS(openTree(t, root), work))
	require.Equal(t, filepath.Join(work, "grub-i386-pc"), b.biosDir)
	require.True(t, hasBIOSImages(b.biosDir))

	empty := minimalRootfs(t)
	b, err = findBoot(openTree(t, empty), Options{Rootfs: empty})
	require.NoError(t, err)
	require.Empty(t, b.biosDir, "no BIOS files anywhere: UEFI-only")
}

func TestOverlayMayNotReplaceGeneratedFiles(t *testing.T) {
	t.Parallel()
	for _, rel := range []string{"boot/grub2/grub.cfg", "config.yaml", "opt/spectrocloud/content/x.zst_part00"} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, rel), "x")
		_, err := overlayTree(dir)
		require.ErrorIs(t, err, usererr.ErrInvalid, rel)
		require.ErrorContains(t, err, rel)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "extra/README"), "x")
	got, err := overlayTree(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"extra", "extra/README"}, got)
}

func openTree(t *testing.T, dir string) *rootfs.Tree {
	t.Helper()
	tr, err := rootfs.Open(dir)
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return tr
}

// hardLinkTar writes a tar with one file and a hard link ui/x to target.
func hardLinkTar(t *testing.T, p, target string) string {
	t.Helper()
	f, err := os.Create(p)
	require.NoError(t, err)
	tw := tar.NewWriter(f)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "ui/f", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}))
	_, err = tw.Write([]byte("f"))
	require.NoError(t, err)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "ui/x", Typeflag: tar.TypeLink, Linkname: target}))
	require.NoError(t, tw.Close())
	require.NoError(t, f.Close())
	return p
}
