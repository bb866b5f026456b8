package iso

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"

	"dagger/canvos/efiimage"
	"dagger/canvos/rootfs"
	"dagger/canvos/usererr"
)

// Where distributions ship the signed UEFI boot chain and GRUB's BIOS images.
// Ubuntu and Debian first (CanvOS' main targets), then openSUSE/SLES, then
// RHEL. The CD variant of GRUB (gcdx64, gcdaa64) comes first: it finds its
// config on optical media, which strict UEFI firmware (ESXi, OVMF,
// SuperMicro BMCs) needs (CanvOS #738, AuroraBoot v0.26.2). The ESP names
// are the removable-media boot path and the GRUB/MokManager names shim
// loads from its own directory.
type archBoot struct {
	shim, grubEFI, mok []rootfs.Path
	efiBoot, efiGrub   string // ESP names under EFI/BOOT
	efiMok             string
	bios               bool             // the architecture has a BIOS (i386-pc GRUB)
	machine            efiimage.Machine // of every EFI binary
}

var archBoots = map[Arch]archBoot{
	ArchAMD64: {
		shim: rootfs.Known(
			"usr/lib/shim/shimx64.efi.signed.latest",
			"usr/lib/shim/shimx64.efi.signed",
			"usr/share/efi/x86_64/shim.efi",
			"boot/efi/EFI/BOOT/BOOTX64.EFI",
		),
		grubEFI: rootfs.Known(
			"usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed",
			"usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed",
			"usr/share/efi/x86_64/grub.efi",
			"boot/efi/EFI/redhat/grubx64.efi",
		),
		mok: rootfs.Known(
			"usr/lib/shim/mmx64.efi.signed",
			"usr/share/efi/x86_64/MokManager.efi",
			"boot/efi/EFI/BOOT/mmx64.efi",
		),
		efiBoot: "BOOTX64.EFI", efiGrub: "grubx64.efi", efiMok: "mmx64.efi",
		bios: true, machine: efiimage.AMD64,
	},
	ArchARM64: {
		shim: rootfs.Known(
			"usr/lib/shim/shimaa64.efi.signed.latest",
			"usr/lib/shim/shimaa64.efi.signed",
			"usr/share/efi/aarch64/shim.efi",
			"boot/efi/EFI/BOOT/BOOTAA64.EFI",
		),
		grubEFI: rootfs.Known(
			"usr/lib/grub/arm64-efi-signed/gcdaa64.efi.signed",
			"usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed",
			"usr/share/efi/aarch64/grub.efi",
			"boot/efi/EFI/redhat/grubaa64.efi",
		),
		mok: rootfs.Known(
			"usr/lib/shim/mmaa64.efi.signed",
			"usr/share/efi/aarch64/MokManager.efi",
			"boot/efi/EFI/BOOT/mmaa64.efi",
		),
		efiBoot: "BOOTAA64.EFI", efiGrub: "grubaa64.efi", efiMok: "mmaa64.efi",
		machine: efiimage.ARM64,
	},
}

var biosDirs = rootfs.KnownDir("usr/lib/grub/i386-pc", "usr/share/grub2/i386-pc")

// biosImages are the GRUB files a BIOS El Torito + hybrid MBR build needs.
var biosImages = []string{"cdboot.img", "boot_hybrid.img", "kernel.img", "biosdisk.mod", "iso9660.mod"}

// bootSet is the resolved set of boot files (host paths).
type bootSet struct {
	arch               archBoot
	shim, grubEFI, mok string
	biosDir            string      // "" = no BIOS boot
	biosRootfs         rootfs.Path // the rootfs directory biosDir is staged from (stageBIOS), if it is one
	hiddenEntry        bool        // the EFI GRUB has the hiddenentry command (openSUSE, Fedora)
}

// findBoot resolves the boot files: explicit overrides first, then the
// rootfs, then (for BIOS only) the fallback directory. o.Arch must be
// checked (check); empty means amd64.
func findBoot(t *rootfs.Tree, o Options) (bootSet, error) {
	b := bootSet{arch: archBoots[cmp.Or(o.Arch, ArchAMD64)]}
	var err error
	if b.shim, err = bootFile(t, o.Boot.Shim, "--shim", b.arch.shim, true); err != nil {
		return b, err
	}
	if b.grubEFI, err = bootFile(t, o.Boot.GrubEFI, "--grub-efi", b.arch.grubEFI, true); err != nil {
		return b, err
	}
	if b.hiddenEntry, err = hasHiddenEntry(b.grubEFI); err != nil {
		return b, err
	}
	if b.mok, err = bootFile(t, o.Boot.MokMgr, "--mokmanager", b.arch.mok, false); err != nil {
		return b, err
	}
	if !b.arch.bios {
		if o.Boot.GrubBIOS != "" {
			return b, usererr.New("--grub-bios", o.Boot.GrubBIOS, "nothing with --arch "+string(o.Arch)+" (UEFI only)")
		}
		return b, nil
	}
	if o.Boot.GrubBIOS != "" {
		if !hasBIOSImages(o.Boot.GrubBIOS) {
			return b, usererr.New("--grub-bios", o.Boot.GrubBIOS, "a GRUB i386-pc directory with "+usererr.OneOf(biosImages...))
		}
		b.biosDir = o.Boot.GrubBIOS
		return b, nil
	}
	for _, d := range biosDirs {
		if treeHasBIOSImages(t, d) {
			b.biosRootfs = d
			b.biosDir = filepath.Join(t.Dir(), d.String()) // until stageBIOS copies it
			return b, nil
		}
	}
	if o.BIOSFallback != "" && hasBIOSImages(o.BIOSFallback) {
		b.biosDir = o.BIOSFallback
	}
	return b, nil
}

// hasHiddenEntry tells whether the GRUB image at path knows the hiddenentry
// command (a distribution patch: openSUSE and Fedora have it, Debian and
// Ubuntu do not). Module command names are plain strings in an EFI image.
// Without it the ISO menu leaves out CanvOS' hidden text-mode entry, which
// such a GRUB reports as an unknown command on every boot.
func hasHiddenEntry(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("grub efi: %w", err)
	}
	return bytes.Contains(b, []byte("hiddenentry\x00")), nil
}

// checkEFI refuses a shim, GRUB or MokManager (from a flag or the rootfs)
// that is not an EFI application for the ISO's architecture.
func checkEFI(o Options, b bootSet) error {
	for _, f := range []struct{ flag, override, path string }{
		{"--shim", o.Boot.Shim, b.shim}, {"--grub-efi", o.Boot.GrubEFI, b.grubEFI}, {"--mokmanager", o.Boot.MokMgr, b.mok}} {
		if f.path == "" {
			continue
		}
		if err := efiimage.CheckFile(f.path, b.arch.machine); err != nil {
			flag := "--rootfs"
			if f.override != "" {
				flag = f.flag
			}
			return usererr.Newf(flag, "%s: %v", f.path, err)
		}
	}
	return nil
}

// bootFile returns the override when set (it must be a readable file), else
// the first candidate in the rootfs.
func bootFile(t *rootfs.Tree, override, flag string, candidates []rootfs.Path, required bool) (string, error) {
	if override != "" {
		fi, err := os.Stat(override)
		if err != nil || !fi.Mode().IsRegular() {
			return "", usererr.New(flag, override, "a readable regular file")
		}
		return override, nil
	}
	if p, ok := t.First(candidates); ok {
		return t.HostPath(p)
	}
	if required {
		names := make([]string, len(candidates))
		for i, c := range candidates {
			names[i] = c.String()
		}
		return "", usererr.New("--rootfs", t.Dir(), "a rootfs with one of /"+usererr.OneOf(names...)+" (or pass "+flag+")")
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

func treeHasBIOSImages(t *rootfs.Tree, dir rootfs.Path) bool {
	for _, f := range biosImages {
		if fi, err := t.Stat(dir.Child(f)); err != nil || !fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// stageBIOS copies the rootfs' GRUB i386-pc directory (its regular files,
// each resolved inside the rootfs) into work and points biosDir there:
// grub-mkimage and the hybrid MBR read files of that directory themselves,
// and would follow a link in it out of the rootfs.
func (b *bootSet) stageBIOS(t *rootfs.Tree, work string) error {
	if b.biosRootfs == (rootfs.Path{}) {
		return nil
	}
	dir := filepath.Join(work, "grub-i386-pc")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	ents, err := t.ReadDir(b.biosRootfs)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := b.biosRootfs.Child(e.Name())
		if fi, err := t.Stat(p); err != nil || !fi.Mode().IsRegular() {
			continue // a subdirectory or a dangling link: nothing grub-mkimage loads
		}
		if err := t.CopyFile(p, filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("bios: %w", err)
		}
	}
	b.biosDir = dir
	return nil
}
