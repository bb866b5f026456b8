package iso

import (
	"os"
	"path/filepath"

	"dagger/canvos/usererr"
)

// Where distributions ship the signed UEFI boot chain and GRUB's BIOS images.
// Ubuntu and Debian first (CanvOS' main targets), then openSUSE/SLES, then
// RHEL. The CD variant of GRUB (gcdx64) comes first: it finds its config on
// optical media, which strict UEFI firmware (ESXi, OVMF, SuperMicro BMCs)
// needs (CanvOS #738, AuroraBoot v0.26.2).
var (
	shimPaths = []string{
		"usr/lib/shim/shimx64.efi.signed.latest",
		"usr/lib/shim/shimx64.efi.signed",
		"usr/share/efi/x86_64/shim.efi",
		"boot/efi/EFI/BOOT/BOOTX64.EFI",
	}
	grubEFIPaths = []string{
		"usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed",
		"usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed",
		"usr/share/efi/x86_64/grub.efi",
		"boot/efi/EFI/redhat/grubx64.efi",
	}
	mokPaths = []string{
		"usr/lib/shim/mmx64.efi.signed",
		"usr/share/efi/x86_64/MokManager.efi",
		"boot/efi/EFI/BOOT/mmx64.efi",
	}
	biosDirs = []string{"usr/lib/grub/i386-pc", "usr/share/grub2/i386-pc"}
)

// biosImages are the GRUB files a BIOS El Torito + hybrid MBR build needs.
var biosImages = []string{"cdboot.img", "boot_hybrid.img", "kernel.img", "biosdisk.mod", "iso9660.mod"}

// bootSet is the resolved set of boot files (host paths).
type bootSet struct {
	shim, grubEFI, mok string
	biosDir            string // "" = no BIOS boot
	biosFromRootfs     bool
}

// findBoot resolves the boot files: explicit overrides first, then the
// rootfs, then (for BIOS only) the fallback directory.
func findBoot(o Options) (bootSet, error) {
	var b bootSet
	var err error
	if b.shim, err = bootFile(o.Rootfs, o.Boot.Shim, "--shim", shimPaths, true); err != nil {
		return b, err
	}
	if b.grubEFI, err = bootFile(o.Rootfs, o.Boot.GrubEFI, "--grub-efi", grubEFIPaths, true); err != nil {
		return b, err
	}
	if b.mok, err = bootFile(o.Rootfs, o.Boot.MokMgr, "--mokmanager", mokPaths, false); err != nil {
		return b, err
	}
	if o.Boot.GrubBIOS != "" {
		if !hasBIOSImages(o.Boot.GrubBIOS) {
			return b, usererr.New("--grub-bios", o.Boot.GrubBIOS, "a GRUB i386-pc directory with "+usererr.OneOf(biosImages...))
		}
		b.biosDir = o.Boot.GrubBIOS
		return b, nil
	}
	for _, d := range biosDirs {
		if host, err := inRoot(o.Rootfs, d); err == nil && hasBIOSImages(host) {
			b.biosDir, b.biosFromRootfs = host, true
			return b, nil
		}
	}
	if o.BIOSFallback != "" && hasBIOSImages(o.BIOSFallback) {
		b.biosDir = o.BIOSFallback
	}
	return b, nil
}

// bootFile returns the override when set (it must be a readable file), else
// the first candidate in the rootfs.
func bootFile(root, override, flag string, candidates []string, required bool) (string, error) {
	if override != "" {
		fi, err := os.Stat(override)
		if err != nil || !fi.Mode().IsRegular() {
			return "", usererr.New(flag, override, "a readable regular file")
		}
		return override, nil
	}
	if host, ok := firstInRoot(root, candidates); ok {
		return host, nil
	}
	if required {
		return "", usererr.New("--rootfs", root, "a rootfs with one of /"+usererr.OneOf(candidates...)+" (or pass "+flag+")")
	}
	return "", nil
}

func hasBIOSImages(dir string) bool {
	for _, f := range biosImages {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || !fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}
