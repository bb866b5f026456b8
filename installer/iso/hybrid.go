package iso

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/diskfs/go-diskfs/partition/mbr"
	"github.com/google/uuid"
)

// go-diskfs writes no isohybrid system area (its README lists it as future
// work), so hybrid boot is written here, after Finalize, the way xorriso's
// --grub2-mbr / --grub2-boot-info / -append_partition do it for
// grub-mkrescue ISOs:
//
//   - bytes 0–439: GRUB's boot_hybrid.img; at 0x1b0 the 512-byte LBA of the
//     BIOS boot image + 4, i.e. of diskboot.img, which follows the 2048-byte
//     cdboot.img inside the El Torito image;
//   - in the boot image at 2048+500 (diskboot's blocklist): that LBA + 1, where
//     the rest of the core image starts; then the boot-info-table checksum is
//     recomputed, since those bytes changed;
//   - the partition table, over the ESP image, which UEFI firmware boots when
//     the ISO is a disk: a GPT (go-diskfs partition/gpt: protective MBR, ESP
//     entry, backup table in a 32 KiB tail after the ISO volume), the layout
//     AuroraBoot v0.26.2 moved to for strict UEFI firmware (CanvOS #738); or
//     an MBR (go-diskfs partition/mbr) with one active 0xEF partition, for
//     BIOSes that only boot a disk with an active partition.
const (
	hybridLBAOffset   = 0x1b0
	mbrCodeSize       = 440
	diskSigOffset     = 440
	blocklistOffset   = sector + 500
	bootInfoCsum      = 20 // boot-info-table: pvd(8) file(12) length(16) checksum(20)
	bootInfoCsumStart = 64
)

// hybrid describes what goes into the system area.
type hybrid struct {
	bios     *BootEntry // nil: UEFI-only
	biosSize int64      // bytes of the BIOS boot image
	biosDir  string     // GRUB i386-pc dir (boot_hybrid.img)
	esp      BootEntry
	espSize  int64
	id       [32]byte // hash of the ISO metadata: disk signature and GUIDs
	table    PartitionTable
}

// PartitionTable selects the hybrid partition table.
type PartitionTable string

// Partition tables canvos iso writes into the system area.
const (
	TableGPT PartitionTable = "gpt"
	TableMBR PartitionTable = "mbr"
)

// gptTail is appended after the ISO volume for the backup GPT (33 sectors
// of 512 bytes, rounded up to whole CD sectors, as xorriso does).
const gptTail = 16 * sector

func writeHybrid(f *os.File, h hybrid) error {
	code := make([]byte, mbrCodeSize)
	if h.bios != nil {
		img, err := os.ReadFile(filepath.Join(h.biosDir, "boot_hybrid.img"))
		if err != nil {
			return fmt.Errorf("hybrid: %w", err)
		}
		if len(img) != 512 {
			return fmt.Errorf("hybrid: boot_hybrid.img is %d bytes, want 512", len(img))
		}
		copy(code, img[:mbrCodeSize])
		diskboot := uint64(h.bios.LBA)*4 + 4
		binary.LittleEndian.PutUint64(code[hybridLBAOffset:], diskboot)
		if err := patchBlocklist(f, int64(h.bios.LBA)*sector, h.biosSize, diskboot+1); err != nil {
			return fmt.Errorf("hybrid: %w", err)
		}
	}
	if _, err := f.WriteAt(code, 0); err != nil {
		return fmt.Errorf("hybrid: boot code: %w", err)
	}
	if _, err := f.WriteAt(h.id[:4], diskSigOffset); err != nil {
		return fmt.Errorf("hybrid: disk signature: %w", err)
	}
	espSectors := uint64((h.espSize + 511) / 512)
	if h.table == TableGPT {
		return writeGPT(f, h, espSectors)
	}
	table := &mbr.Table{
		LogicalSectorSize: 512, PhysicalSectorSize: 512,
		Partitions: []*mbr.Partition{{
			Index: 1, Bootable: true, Type: mbr.EFISystem,
			Start: h.esp.LBA * 4, Size: uint32(espSectors),
			// LBA-only addressing: CHS fields say "beyond CHS range".
			StartHead: 0xfe, StartSector: 0xff, StartCylinder: 0xff,
			EndHead: 0xfe, EndSector: 0xff, EndCylinder: 0xff,
		}},
	}
	if err := table.Write(f, 0); err != nil {
		return fmt.Errorf("hybrid: partition table: %w", err)
	}
	return nil
}

// writeGPT extends the image by gptTail and writes a GPT with one EFI
// system partition over the ESP image; go-diskfs writes the protective MBR's
// partition entry only, so the boot code stays. GUIDs come from the ISO's
// metadata hash.
func writeGPT(f *os.File, h hybrid, espSectors uint64) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("hybrid: %w", err)
	}
	size := fi.Size() + gptTail
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("hybrid: gpt tail: %w", err)
	}
	start := uint64(h.esp.LBA) * 4
	table := &gpt.Table{
		LogicalSectorSize: 512, PhysicalSectorSize: 512, ProtectiveMBR: true,
		GUID: uuid.NewSHA1(uuid.NameSpaceOID, append(h.id[:], "disk"...)).String(),
		Partitions: []*gpt.Partition{{
			Index: 1, Start: start, End: start + espSectors - 1, Size: espSectors * 512,
			Type: gpt.EFISystemPartition, Name: espLabel,
			GUID: uuid.NewSHA1(uuid.NameSpaceOID, append(h.id[:], "esp"...)).String(),
		}},
	}
	if err := table.Write(f, size); err != nil {
		return fmt.Errorf("hybrid: gpt: %w", err)
	}
	return nil
}

// patchBlocklist points diskboot.img's first blocklist at the core image on
// the disk and recomputes the boot-info-table checksum over the image.
func patchBlocklist(f *os.File, imgOff, size int64, start uint64) error {
	img := make([]byte, size)
	if _, err := f.ReadAt(img, imgOff); err != nil {
		return fmt.Errorf("read boot image: %w", err)
	}
	binary.LittleEndian.PutUint64(img[blocklistOffset:], start)
	var sum uint32
	for i := bootInfoCsumStart; i+4 <= len(img); i += 4 {
		sum += binary.LittleEndian.Uint32(img[i:])
	}
	binary.LittleEndian.PutUint32(img[bootInfoCsum:], sum)
	_, err := f.WriteAt(img, imgOff)
	return err
}
