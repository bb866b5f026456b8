package standin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// basePackages make the Debian base boot like a Kairos image does for the
// installer ISO (kernel, shim, signed GRUB, BIOS GRUB) and carry what the
// base stage's scripts call (apt, dpkg-query, cpio, kmod for the dracut
// stand-in, systemd for the sysext decision).
var basePackages = []string{
	"systemd", "systemd-sysv", "udev", "kmod", "cpio", "busybox-static", "ca-certificates",
	"linux-image-cloud-amd64", "shim-signed", "grub-efi-amd64-signed", "grub-pc-bin", "grub-common",
}

// base is a Debian bookworm rootfs (debootstrap, cached in cacheDir) with
// the Kairos-side stand-ins: Ubuntu's kernel meta packages that the Ubuntu
// cleanup holds, the dracut stand-in, /etc/kairos-release and the marker.
func base(ctx context.Context, dir, cacheDir string) error {
	cached := filepath.Join(cacheDir, "debian-bookworm-base")
	if _, err := os.Stat(filepath.Join(cached, "etc/os-release")); err != nil {
		tmp := cached + ".part"
		os.RemoveAll(tmp)
		if err := run(ctx, "debootstrap", "--variant=minbase", "--include="+strings.Join(basePackages, ","), "bookworm", tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, cached); err != nil {
			return err
		}
	}
	if err := run(ctx, "cp", "-a", cached+"/.", dir); err != nil {
		return err
	}
	for _, pkg := range []string{"linux-image-generic", "linux-headers-generic", "linux-generic"} {
		if err := metaPackage(ctx, dir, pkg); err != nil {
			return err
		}
	}
	if err := files(map[string]string{
		"usr/sbin/dracut":        dracutStub,
		"etc/kairos-release":     "KAIROS_NAME=\"kairos-core-standin\"\nKAIROS_VERSION=\"v0.0.0-standin\"\n",
		"etc/canvos-marker":      Marker + "\n",
		"usr/bin/kairos-agent":   stub("kairos-agent"),
		"etc/cos/bootargs.cfg":   "set baseCmd=\"console=ttyS0\"\n",
		"etc/cos/grub.cfg":       grubCfg,
		"system/oem/.standin":    "",
		"etc/apt/apt.conf.d/99x": "Acquire::Retries \"3\";\n",
	})(ctx, dir); err != nil {
		return err
	}
	return kairosBoot(ctx, dir)
}

// kairosBoot gives the base what a Kairos image has in /boot whatever the
// build does next (the UKI path packs it as it is): /boot/vmlinuz linked to
// the kernel and /boot/initrd written by the dracut stand-in.
func kairosBoot(ctx context.Context, dir string) error {
	kernels, err := filepath.Glob(filepath.Join(dir, "boot/vmlinuz-*"))
	if err != nil || len(kernels) != 1 {
		return fmt.Errorf("base: want one kernel in /boot, have %v", kernels)
	}
	kver := strings.TrimPrefix(filepath.Base(kernels[0]), "vmlinuz-")
	if err := os.Symlink(filepath.Base(kernels[0]), filepath.Join(dir, "boot/vmlinuz")); err != nil {
		return err
	}
	return run(ctx, "chroot", dir, "/usr/sbin/dracut", "-f", "/boot/initrd", kver)
}

// grubCfg stands in for Kairos' /etc/cos/grub.cfg, which the raw, MAAS and
// cloud disks put on COS_GRUB: COS_OEM's grubenv picks the entry.
const grubCfg = `set timeout=2
search --no-floppy --label --set=oem_blk COS_OEM
if [ "${oem_blk}" ]; then load_env -f (${oem_blk})/grubenv; fi
if [ "${next_entry}" ]; then set default="${next_entry}"; fi
menuentry 'Kairos active (stand-in)' --id active { echo active; }
menuentry 'Kairos recovery (stand-in)' --id recovery { echo recovery; }
`

// metaPackage installs an empty package named pkg into root, so the
// Ubuntu cleanup's `apt-mark hold` finds it (Debian has no such names).
func metaPackage(ctx context.Context, root, pkg string) error {
	src, err := os.MkdirTemp(filepath.Dir(root), "deb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	control := fmt.Sprintf("Package: %s\nVersion: 0.0-standin\nArchitecture: all\nMaintainer: canvos <canvos@localhost>\nDescription: stand-in for Ubuntu's %s\n", pkg, pkg)
	if err := files(map[string]string{"DEBIAN/control": control})(ctx, src); err != nil {
		return err
	}
	deb := src + ".deb"
	defer os.Remove(deb)
	if err := run(ctx, "dpkg-deb", "--build", src, deb); err != nil {
		return err
	}
	return run(ctx, "dpkg", "--root="+root, "-i", deb)
}

// dracutStub stands in for dracut in the base stage (`dracut -f OUT KVER`):
// it writes a busybox live initramfs that does what Kairos' live boot does
// first — find the COS_LIVE medium, loop-mount rootfs.squashfs — and prints
// the marker from inside it (testutil.ISOBootMarker), then powers off.
const dracutStub = `#!/bin/sh
set -eu
[ "$1" = -f ] && shift
out=$1 kver=$2
w=$(mktemp -d)
mkdir -p "$w/bin" "$w/lib/modules" "$w/proc" "$w/sys" "$w/dev"
cp /bin/busybox "$w/bin/busybox"
for m in scsi_common scsi_mod cdrom sr_mod libata libahci ahci virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk virtio_scsi isofs squashfs loop; do
	f=$(find "/lib/modules/$kver" -name "$m.ko*" | head -n 1)
	[ -n "$f" ] || continue
	case $f in
	*.xz) xz -dc "$f" >"$w/lib/modules/$m.ko" ;;
	*) cp "$f" "$w/lib/modules/$m.ko" ;;
	esac
	echo "$m" >>"$w/modules"
done
cat >"$w/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules); do insmod /lib/modules/$m.ko 2>/dev/null; done
say() { echo "$@"; echo "$@" >/dev/ttyS0; }
dev=
for i in $(seq 1 60); do dev=$(findfs LABEL=COS_LIVE 2>/dev/null) && break; sleep 0.5; done
[ -n "$dev" ] || { say "CANVOS-LIVE-FAILED no LABEL=COS_LIVE"; poweroff -f; }
mkdir -p /live /sq
mount -t iso9660 -o ro "$dev" /live
mount -t squashfs -o ro,loop /live/rootfs.squashfs /sq
say "CANVOS-LIVE-MARKER $(cat /sq/etc/canvos-marker) dev=$dev"
say "CANVOS-LIVE-DONE"
poweroff -f
INIT
chmod 0755 "$w/init"
(cd "$w" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
rm -rf "$w"
`
