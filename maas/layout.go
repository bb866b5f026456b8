package maas

import (
	"fmt"
	"os"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/partition/gpt"
)

const (
	mib        = int64(1) << 20
	sectorSize = 512
	// firstOffset is where p1 starts: 1 MiB, the usual alignment (CanvOS
	// creates its partitions on MiB boundaries with parted from 1 MiB).
	firstOffset = mib
	// tailReserve is left after the last partition for the backup GPT
	// (33 sectors), rounded to a MiB as CanvOS does (sum + 1 MiB).
	tailReserve = mib
)

// Partition names and file-system labels Kairos and CanvOS look for.
const (
	nameEFI      = "efi"
	nameOEM      = "oem"
	nameRecovery = "recovery"
	nameUbuntu   = "ubuntu_rootfs"
	nameContent  = "content"
	// nameCloudContent is the cloud image's content partition: CanvOS names it
	// like its label (add-content-partition.sh), MAAS names it content.
	nameCloudContent = "COS_CONTENT"

	labelEFI      = "COS_GRUB"
	labelOEM      = "COS_OEM"
	labelRecovery = "COS_RECOVERY"
	labelUbuntu   = "UBUNTU_ROOTFS"
	labelContent  = "COS_CONTENT"
)

// attrRequired is GPT attribute bit 0 ("platform required"), which AuroraBoot
// sets on the Kairos ESP.
const attrRequired = 1

// part is one partition to lay out.
type part struct {
	name string
	typ  gpt.Type
	size int64 // bytes, a multiple of 1 MiB
	attr uint64
}

// placed is a part with its byte offset on the disk.
type placed struct {
	part
	offset int64
}

// layout is a whole disk: partitions in order, on MiB boundaries.
type layout struct {
	parts []placed
	size  int64
}

// plan places parts one after another from firstOffset.
func plan(parts ...part) layout {
	l := layout{}
	off := firstOffset
	for _, p := range parts {
		l.parts = append(l.parts, placed{part: p, offset: off})
		off += p.size
	}
	l.size = off + tailReserve
	return l
}

// find returns the partition named name.
func (l layout) find(name string) placed {
	for _, p := range l.parts {
		if p.name == name {
			return p
		}
	}
	panic("maas: no partition " + name) // a programming error: names are constants
}

// roundMiB rounds n bytes up to whole MiB.
func roundMiB(n int64) int64 { return (n + mib - 1) / mib * mib }

// writeTable sizes f to the layout (sparse) and writes the protective MBR and
// both GPT headers. GUIDs come from s, keyed by partition name.
func writeTable(f *os.File, l layout, s seed) error {
	if err := f.Truncate(l.size); err != nil {
		return fmt.Errorf("gpt: size disk: %w", err)
	}
	t := &gpt.Table{
		LogicalSectorSize:  sectorSize,
		PhysicalSectorSize: sectorSize,
		ProtectiveMBR:      true,
		GUID:               s.guid("disk").String(),
	}
	for i, p := range l.parts {
		start := uint64(p.offset / sectorSize)
		t.Partitions = append(t.Partitions, &gpt.Partition{
			Index:      i + 1,
			Start:      start,
			End:        start + uint64(p.size/sectorSize) - 1,
			Size:       uint64(p.size),
			Type:       p.typ,
			Name:       p.name,
			GUID:       s.guid("partition " + p.name).String(),
			Attributes: p.attr,
		})
	}
	w, err := file.New(f, false).Writable()
	if err != nil {
		return fmt.Errorf("gpt: %w", err)
	}
	if err := t.Write(w, l.size); err != nil {
		return fmt.Errorf("gpt: write: %w", err)
	}
	return nil
}

// readTable reads the GPT of the disk image f.
func readTable(f *os.File) (*gpt.Table, error) {
	t, err := gpt.Read(file.New(f, true), sectorSize, sectorSize)
	if err != nil {
		return nil, fmt.Errorf("gpt: read: %w", err)
	}
	return t, nil
}
