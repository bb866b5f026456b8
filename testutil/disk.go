package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// KairosGrubCfg does what Kairos' /etc/cos/grub.cfg does for the raw and MAAS
// disks: load COS_OEM's grubenv and grubcustom and boot next_entry once. The
// first (default) entry is not one that next_entry names, so a boot that
// reaches the named entry proves GRUB read the grubenv. Each Kairos entry
// prints a CANVOS-KAIROS-* marker and waits.
const KairosGrubCfg = `set timeout=2
menuentry 'Kairos active' --id active {
  echo CANVOS-KAIROS-ACTIVE
  sleep 600
}
menuentry 'Kairos recovery' --id recovery {
  echo CANVOS-KAIROS-RECOVERY
  sleep 600
}
search --no-floppy --label --set=oem_blk COS_OEM
if [ "${oem_blk}" ]; then
  load_env -f (${oem_blk})/grubenv
  if [ -f (${oem_blk})/grubcustom ]; then source (${oem_blk})/grubcustom; fi
fi
if [ "${next_entry}" ]; then
  set default="${next_entry}"
  set next_entry=
  save_env -f (${oem_blk})/grubenv next_entry
fi
`

// KairosRootfs is a stand-in Kairos installer rootfs: Debian's shim and
// signed GRUB (shim-signed, grub-efi-amd64-signed) at their package paths,
// KairosGrubCfg at /etc/cos/grub.cfg and a file to pack.
func KairosRootfs(t testing.TB) string {
	t.Helper()
	shim := RequireFile(t, "/usr/lib/shim/shimx64.efi.signed")
	grub := RequireFile(t, "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed")
	dir := t.TempDir()
	putFile(t, dir, "usr/lib/shim/shimx64.efi.signed", readFile(t, shim), 0o644)
	putFile(t, dir, "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", readFile(t, grub), 0o644)
	putFile(t, dir, "etc/cos/grub.cfg", []byte(KairosGrubCfg), 0o644)
	putFile(t, dir, "etc/os-release", []byte("ID=debian\nNAME=Kairos stand-in\n"), 0o644)
	putFile(t, dir, "usr/bin/tool", []byte("kairos tool\n"), 0o755)
	return dir
}

// UbuntuRootfs is a stand-in Ubuntu rootfs for the MAAS disk with every kind
// of metadata the disk must keep: owners (/home/user/file 1234:5678, 0640,
// xattr user.canvos=kept), setuid (/usr/bin/su), file capabilities
// (/usr/bin/passwd, hardlinked as passwd-link), a relative symlink
// (/etc/passwd-tool) and a device node (/dev/null). Needs root, as CI is.
func UbuntuRootfs(t testing.TB, vmlinuz, initrd []byte) string {
	t.Helper()
	RequireTool(t, "setfattr", "mknod")
	dir := t.TempDir()
	putFile(t, dir, "boot/vmlinuz", vmlinuz, 0o644)
	putFile(t, dir, "boot/initrd.img", initrd, 0o644)
	putFile(t, dir, "etc/os-release", []byte("ID=ubuntu\nVERSION_ID=\"24.04\"\n"), 0o644)
	putFile(t, dir, "usr/bin/passwd", []byte("caps"), 0o755)
	putFile(t, dir, "usr/bin/su", []byte("setuid"), os.ModeSetuid|0o755)
	putFile(t, dir, "home/user/file", []byte("owned"), 0o640)
	mustNoErr(t, os.Chown(filepath.Join(dir, "home/user/file"), 1234, 5678))
	mustNoErr(t, os.Link(filepath.Join(dir, "usr/bin/passwd"), filepath.Join(dir, "usr/bin/passwd-link")))
	mustNoErr(t, os.Symlink("../usr/bin/passwd", filepath.Join(dir, "etc/passwd-tool")))
	mustNoErr(t, os.MkdirAll(filepath.Join(dir, "etc/systemd/system/multi-user.target.wants"), 0o755))
	mustNoErr(t, os.MkdirAll(filepath.Join(dir, "dev"), 0o755))
	for _, c := range [][]string{
		{"setfattr", "-n", "security.capability", "-v", "0x0100000200200000000000000000000000000000", filepath.Join(dir, "usr/bin/passwd")},
		{"setfattr", "-n", "user.canvos", "-v", "kept", filepath.Join(dir, "home/user/file")},
		{"mknod", "-m", "0666", filepath.Join(dir, "dev/null"), "c", "1", "3"},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", c, err, out)
		}
	}
	return dir
}

func putFile(t testing.TB, root, rel string, data []byte, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(root, rel)
	mustNoErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
	mustNoErr(t, os.WriteFile(p, data, 0o644))
	mustNoErr(t, os.Chmod(p, mode))
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	mustNoErr(t, err)
	return b
}

// CopyTree copies dir with cp -a (owners, modes, mtimes, hardlinks, xattrs,
// special files) into a new directory: the same input, unpacked again, with
// new ctimes and atimes, for reproducibility tests.
func CopyTree(t testing.TB, dir string) string {
	t.Helper()
	RequireTool(t, "cp")
	dst := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", dir, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a %s: %v: %s", dir, err, out)
	}
	return dst
}
