package iso

import (
	"strings"

	"dagger/canvos/usererr"
)

// CheckArch accepts the architectures canvos iso builds for (--arch).
func CheckArch(a Arch) error {
	if _, ok := archBoots[a]; ok {
		return nil
	}
	names := make([]string, len(Arches))
	for i, k := range Arches {
		names[i] = string(k)
	}
	return usererr.New("--arch", string(a), usererr.OneOf(names...))
}

// HasBIOS tells whether ISOs for a carry BIOS boot (El Torito entry and
// MBR boot code): amd64 does, arm64 has no BIOS.
func (a Arch) HasBIOS() bool { return archBoots[a].bios }

// ArchESPProblems lists what the ESP of a GRUB installer ISO for a lacks
// (files as ESPFiles lists them): the removable-media boot loader (shim)
// and the GRUB it loads from the same directory. FAT names compare without
// case: xorriso-made ESPs (AuroraBoot) use lower case.
func ArchESPProblems(files []string, a Arch) []string {
	has := map[string]bool{}
	for _, f := range files {
		has[strings.ToLower(f)] = true
	}
	b := archBoots[a]
	var out []string
	for _, want := range []string{"EFI/BOOT/" + b.efiBoot, "EFI/BOOT/" + b.efiGrub} {
		if !has[strings.ToLower(want)] {
			out = append(out, "ESP: missing /"+want+" ("+string(a)+")")
		}
	}
	return out
}
